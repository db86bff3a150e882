package data

import (
	"fmt"
	"strings"

	"github.com/lathe-ml/lathe/tui/components/frame"
)

// View renders the body: a header line, a view bar, the current view.
func (s *Screen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	e := s.env()
	f := &s.file
	lines := []string{f.header(e, s.message), s.viewBar()}
	bodyH := s.h - len(lines)
	var body []string
	switch {
	case f.profiling != 0 && s.view != viewFiles:
		body = f.progress(e)
	case s.view == viewFiles:
		body = s.picker.view(e, bodyH, f.path)
	case f.err != nil:
		body = e.errorLines("Could not profile "+e.rel(f.path), f.err)
	case f.prof == nil:
		body = []string{e.st.Muted.Render(" Pick a file (f).")}
	case s.view == viewColumns:
		body = s.columns.view(e, f.prof, bodyH)
	case s.view == viewDetail:
		body = s.detail.view(e, f.prof, &f.prof.Columns[s.columns.cur], bodyH)
	case s.view == viewAlerts:
		body = s.alerts.view(e, f.prof, f.path, bodyH)
	case s.view == viewRows:
		body = s.rows.view(e, f.path, bodyH)
	case s.view == viewDrift:
		body = s.drift.view(e, f.path, bodyH)
	case s.view == viewSplit:
		body = s.split.view(e, f.path, bodyH)
	}
	lines = append(lines, body...)
	return frame.Fit(strings.Join(lines, "\n"), s.w, s.h)
}

// viewBar names the views with their keys, the current one highlighted.
func (s *Screen) viewBar() string {
	st := s.c.Styles
	type item struct {
		key  string
		v    view
		name string
	}
	items := []item{{"f", viewFiles, "files"}, {"c", viewColumns, "columns"}, {"a", viewAlerts, "alerts"},
		{"r", viewRows, "rows"}, {"d", viewDrift, "drift"}, {"s", viewSplit, "split"}}
	var parts []string
	for _, it := range items {
		label := it.key + " " + it.name
		if it.v == viewAlerts && s.file.prof != nil {
			label += fmt.Sprintf(" (%d)", len(s.file.prof.Alerts))
		}
		cur := s.view
		if cur == viewDetail {
			cur = viewColumns
		}
		switch {
		case it.v == cur:
			parts = append(parts, st.TabActive.Render(label))
		case s.file.prof == nil && it.v != viewFiles:
			parts = append(parts, st.Muted.Faint(true).Padding(0, 1).Render(label))
		default:
			parts = append(parts, st.TabInactive.Render(label))
		}
	}
	return strings.Join(parts, "")
}

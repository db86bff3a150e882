package data

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
	"github.com/lathe-ml/lathe/tui/components/rowtable"
)

// rows is a table over a bounded sample of the file's rows: move, sort,
// hide columns, and a filter expression typed after "/".
type rows struct {
	sampling  uint64 // the sample job in flight; 0 when none
	table     *rowtable.Model
	err       error
	filter    lineinput.Model
	editing   bool
	filterErr string
}

func newRows() rows {
	r := rows{}
	r.filter.Prompt = "filter: "
	return r
}

// reset forgets the sample of the previous file.
func (r *rows) reset() { r.table, r.err, r.filterErr = nil, nil, "" }

// start reads the first rows of path in the background.
func (r *rows) start(e *env, path string) tea.Cmd {
	eng := e.eng
	ro := e.readOptions()
	seq, cmd := e.jobs.Start(func(ctx context.Context) (any, error) {
		rs, err := eng.SampleRows(ctx, path, ro, eng.SampleLimit())
		return sampleDone{path, frameOf(rs)}, err
	})
	r.sampling = seq
	return cmd
}

// done takes the sample; prof (when known) gives the file's row count.
func (r *rows) done(msg common.ResultMsg, path string, prof *explore.Profile) {
	r.sampling = 0
	r.err = msg.Err
	if p, ok := msg.Payload.(sampleDone); ok && msg.Err == nil && p.path == path {
		f := p.frame
		if prof != nil {
			f.Total = prof.Rows
		}
		r.table = rowtable.New(f)
	}
}

// update handles the table's keys and reports esc (back to the columns);
// while the filter is edited, keys go to edit.
func (r *rows) update(msg tea.KeyPressMsg, e *env) (back bool) {
	k := e.keys
	t := r.table
	if key.Matches(msg, k.Back) {
		return true
	}
	if t == nil {
		return false
	}
	page := e.listPage()
	switch {
	case key.Matches(msg, k.Up):
		t.MoveRow(-1)
	case key.Matches(msg, k.Down):
		t.MoveRow(1)
	case key.Matches(msg, k.PageUp):
		t.MoveRow(-page)
	case key.Matches(msg, k.PageDown):
		t.MoveRow(page)
	case key.Matches(msg, k.Top):
		t.MoveRow(-t.Len())
	case key.Matches(msg, k.Bottom):
		t.MoveRow(t.Len())
	case key.Matches(msg, k.Left):
		t.MoveCol(-1)
	case key.Matches(msg, k.Right):
		t.MoveCol(1)
	case key.Matches(msg, k.Sort):
		t.SortByCursor()
	case key.Matches(msg, k.Hide):
		t.HideCursorColumn()
	case key.Matches(msg, k.ShowAll):
		t.ShowAllColumns()
	case key.Matches(msg, k.Filter):
		r.editing = true
		r.filter.SetValue(t.Filter())
		r.filter.Focus()
	}
	return false
}

// edit edits the filter: enter applies, esc abandons.
func (r *rows) edit(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "enter":
		if err := r.table.SetFilter(r.filter.Value()); err != nil {
			r.filterErr = err.Error()
			return // keep editing so the user can fix it
		}
		r.filterErr = ""
		r.editing = false
		r.filter.Blur()
	case "esc":
		r.filterErr = ""
		r.editing = false
		r.filter.Blur()
	default:
		r.filter.Update(msg)
	}
}

func (r *rows) view(e *env, path string, h int) []string {
	st := e.st
	switch {
	case r.err != nil:
		return e.errorLines("Could not read the rows of "+e.rel(path), r.err)
	case r.table == nil:
		return []string{"", " " + st.Muted.Render("Reading the first rows …")}
	}
	var top []string
	if r.editing {
		top = append(top, " "+r.filter.View(e.w-2, st.Text, st.Muted))
	} else if f := r.table.Filter(); f != "" {
		top = append(top, " "+st.Muted.Render("filter: ")+st.Text.Render(format.OneLine(f)))
	}
	if r.filterErr != "" {
		top = append(top, " "+st.Error.Render(ansi.Truncate(format.OneLine(r.filterErr), e.w-2, "…")))
	}
	status := " " + st.Muted.Render(format.OneLine(r.table.Status()))
	tableH := max(h-len(top)-1, 2)
	tv := r.table.View(e.w-1, tableH, rowtable.Styles{
		Header: st.Muted.Bold(true), Cursor: st.Text.Reverse(false).Bold(true), CursorCell: st.TabActive.Padding(0), Muted: st.Muted,
	})
	out := append(top, indent(strings.Split(tv, "\n"))...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out[:min(len(out), h-1)], status)
}

package runs

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/chart"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// The compare view (c on marked runs): engine.CompareRuns in a background
// job, drawn as the table of params and final/best metrics (comparetable.go)
// over the overlaid curves of one metric, smoothed with a debiased EMA (e
// steps 0, 0.6, 0.9, 0.99) against the step or the wall time since each
// run started (t).

type comparePayload struct {
	c  *engine.RunComparison
	at time.Time
}

// compareRefresh is how often a comparison of runs still going is read again.
const compareRefresh = 2 * time.Second

// compareView is the compare page of two or more runs.
type compareView struct {
	ids    []string
	seq    uint64
	res    *engine.RunComparison
	table  *cmpTable
	err    error
	metric int       // index into res.Metrics
	smooth int       // index into chart.Smoothings
	wall   bool      // x is seconds since each run started, not the step
	at     time.Time // when the comparison shown was asked for
}

func (v *compareView) loading() bool { return v.res == nil && v.err == nil }

// stale reports whether a shown comparison of live runs is due a re-read.
func (v *compareView) stale(now time.Time) bool {
	if v.res == nil || now.Sub(v.at) < compareRefresh {
		return false
	}
	for _, r := range v.res.Runs {
		if !r.Status.Terminal() {
			return true
		}
	}
	return false
}

// startCompare loads the comparison of ids, replacing any shown.
func (s *Screen) startCompare(ids []string) tea.Cmd {
	e := s.c.Engine()
	at := s.now()
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		c, err := e.CompareRuns(ctx, ids, engine.CompareOptions{Series: true})
		if err != nil {
			return comparePayload{}, fmt.Errorf("compare %s: %w", strings.Join(ids, " "), err)
		}
		return comparePayload{c, at}, nil
	})
	if v := s.cmp; v != nil && slices.Equal(v.ids, ids) {
		// A refresh keeps what is shown and what the user chose until the
		// new comparison lands.
		v.seq, v.err = seq, nil
		return cmd
	}
	s.cmp = &compareView{ids: ids, seq: seq}
	s.note, s.err = "", nil
	return cmd
}

// loaded takes the comparison; a refresh keeps the cursor, sort and hiding.
func (v *compareView) loaded(p comparePayload) {
	c := p.c
	old := v.table
	v.res, v.table, v.at = c, newCmpTable(c), p.at
	if old != nil && len(old.cols) == len(v.table.cols) {
		v.table.col, v.table.left, v.table.sortCol, v.table.sortDesc, v.table.hideSame, v.table.top =
			old.col, old.left, old.sortCol, old.sortDesc, old.hideSame, old.top
		return
	}
	v.metric = defaultMetric(c.Metrics)
}

// defaultMetric is the curve first shown: a validation loss, a loss, or
// the first metric.
func defaultMetric(ms []engine.ComparedMetric) int {
	for _, want := range []string{"val_loss", "loss"} {
		for i, m := range ms {
			if strings.Contains(m.Name, want) {
				return i
			}
		}
	}
	return 0
}

// compareTargets are the runs c compares: the marked ones in the list's
// order, with the selected run when only one is marked.
func (l *list) compareTargets(now time.Time) ([]string, error) {
	var ids []string
	for _, r := range l.visible(now) {
		if l.marked[r.Run.ID] {
			ids = append(ids, r.Run.ID)
		}
	}
	if len(ids) == 1 {
		if sel, ok := l.selected(now); ok && sel.Run.ID != ids[0] {
			ids = append(ids, sel.Run.ID)
		}
	}
	if len(ids) < 2 {
		return nil, fmt.Errorf("compare: mark two or more runs (space), then press c")
	}
	return ids, nil
}

// compareMarked opens the comparison of the runs marked in the list.
func (s *Screen) compareMarked() tea.Cmd {
	ids, err := s.list.compareTargets(s.now())
	if err != nil {
		s.setErr(err)
		return nil
	}
	return s.startCompare(ids)
}

// compareDetail opens the comparison of the runs a detail overlays.
func (s *Screen) compareDetail() tea.Cmd {
	ids := make([]string, len(s.detail.runs))
	for i, r := range s.detail.runs {
		ids[i] = r.ID
	}
	return s.startCompare(ids)
}

// compareResult takes a comparison's result, reporting whether msg was one
// (of the comparison shown, or of one replaced or closed since).
func (s *Screen) compareResult(msg common.ResultMsg) bool {
	p, ok := msg.Payload.(comparePayload)
	if !ok {
		return false
	}
	if s.cmp != nil && msg.Seq == s.cmp.seq {
		s.cmp.err, s.cmp.seq = msg.Err, 0
		if msg.Err == nil {
			s.cmp.loaded(p)
		}
	}
	return true
}

func (s *Screen) updateCompare(msg tea.KeyPressMsg) tea.Cmd {
	k, v := s.Keys, s.cmp
	switch {
	case key.Matches(msg, k.Back):
		s.cmp = nil
		return nil
	case key.Matches(msg, k.Refresh):
		return s.startCompare(v.ids)
	case key.Matches(msg, k.Diff):
		if len(v.ids) == 2 {
			return s.startDiff(v.ids[0], v.ids[1])
		}
		s.setErr(fmt.Errorf("diff with…: the compare view holds %d runs; D diffs two", len(v.ids)))
		return nil
	}
	if v.res == nil {
		return nil
	}
	t := v.table
	switch {
	case key.Matches(msg, k.ColLeft):
		t.moveCol(-1)
	case key.Matches(msg, k.ColRight):
		t.moveCol(1)
	case key.Matches(msg, k.SortCol):
		t.sortByCursor()
	case key.Matches(msg, k.HideSame):
		t.toggleHide()
	case key.Matches(msg, k.CurveMetric), key.Matches(msg, k.CurvePrev):
		if n := len(v.res.Metrics); n > 0 {
			d := 1
			if key.Matches(msg, k.CurvePrev) {
				d = n - 1
			}
			v.metric = (v.metric + d) % n
		}
	case key.Matches(msg, k.Smooth):
		v.smooth = (v.smooth + 1) % len(chart.Smoothings)
	case key.Matches(msg, k.XAxis):
		v.wall = !v.wall
	case key.Matches(msg, k.Up):
		t.top = max(t.top-1, 0)
	case key.Matches(msg, k.Down):
		t.top++ // view clamps
	}
	return nil
}

// view draws the compare page in w x h: a title, the table, the curves.
func (v *compareView) view(st *styles.Styles, w, h int) string {
	title := fmt.Sprintf("compare %d runs", len(v.ids))
	switch {
	case v.err != nil:
		return st.Title.Render(frame.Line(title, w)) + "\n" + st.Error.Render(format.OneLine("Could not compare the runs: "+v.err.Error()))
	case v.res == nil:
		return st.Title.Render(frame.Line(title, w)) + "\n" + st.Muted.Render("Reading the runs' params and metric series… (esc cancels)")
	}
	t := v.table
	title += fmt.Sprintf(" · %d of %d fields differ", t.differing(), len(t.cols)-1)
	if t.hideSame {
		title += " (same hidden)"
	}
	if t.sortCol > 0 {
		title += " · sort " + t.cols[t.sortCol].name + map[bool]string{false: " ↑", true: " ↓"}[t.sortDesc]
	}
	tableH := min(len(v.ids)+1, max(3, (h-1)/3))
	if rows := tableH - 1; len(v.ids) > rows {
		top := max(min(t.top, len(v.ids)-rows), 0)
		title += fmt.Sprintf(" · runs %d–%d of %d (↑/↓)", top+1, top+rows, len(v.ids))
	}
	lines := []string{st.Title.Render(format.Clip(title, w))}
	if len(v.res.Metrics) == 0 {
		tableH = max(h-1, 0)
	}
	lines = append(lines, t.view(st, w, tableH)...)
	for len(lines) < tableH+1 {
		lines = append(lines, "")
	}
	if rest := h - len(lines) - 1; rest > 0 && len(v.res.Metrics) > 0 {
		lines = append(lines, "", v.curves(st, w, rest))
	}
	return strings.Join(lines, "\n")
}

// curves overlays the chosen metric of every run, smoothed, in w x h.
func (v *compareView) curves(st *styles.Styles, w, h int) string {
	m := v.res.Metrics[v.metric%len(v.res.Metrics)]
	weight := chart.Smoothings[v.smooth%len(chart.Smoothings)]
	var ss []*chart.Series
	for i, r := range v.res.Runs {
		pts := v.res.Series[r.ID][m.Name]
		if len(pts) == 0 {
			continue
		}
		start := r.Started
		if start.IsZero() || pts[0].Time.Before(start) {
			start = pts[0].Time
		}
		cp := make([]chart.Point, len(pts))
		for j, p := range pts {
			cp[j] = chart.Point{X: float64(p.Step), Y: p.Value}
			if v.wall {
				cp[j].X = math.Max(p.Time.Sub(start).Seconds(), 0)
			}
		}
		label := r.ID[:min(8, len(r.ID))]
		if r.Name != "" {
			label = format.Clip(format.OneLine(r.Name), 12)
		}
		s := &chart.Series{Label: label, Color: chart.Palette[i%len(chart.Palette)], Cap: maxSeriesPts}
		for _, p := range chart.EMA(cp, weight) {
			s.Add(p)
		}
		ss = append(ss, s)
	}
	x := "step"
	if v.wall {
		x = "seconds"
	}
	title := fmt.Sprintf("%s [%d/%d] EMA %g · x %s", format.OneLine(m.Name), v.metric%len(v.res.Metrics)+1, len(v.res.Metrics), weight, x)
	return chart.Render(w, h, ss, chart.Options{NoColor: st.NoColor, Title: title, Charset: st.Charset})
}

package tuner

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/scatter"
)

// wideWidth is the narrowest body (after the one-column indent) that shows
// the table and the plot side by side: an 80-column terminal does; narrower
// ones show one at a time (v switches).
const wideWidth = 79

// axis is one choice for a scatter axis: the trial number or a metric.
type axis struct {
	name      string
	metric    string // "" = trial number
	threshold *float64
	objective bool
}

func axes(rep *engine.StudyReport) []axis {
	out := []axis{{name: "trial"}}
	for _, m := range rep.Spec.Metrics {
		switch m.Strategy {
		case "", optimizer.StrategyOptimize:
			out = append(out, axis{name: format.OneLine(m.Name), metric: m.Name, threshold: m.Threshold, objective: true})
		case optimizer.StrategyConstraint:
			out = append(out, axis{name: format.OneLine(m.Name), metric: m.Name, threshold: m.Threshold})
		}
	}
	return out
}

// defaultAxes plots the first two objectives against each other, or the
// only objective against the trial number.
func defaultAxes(ax []axis) (x, y int) {
	var objs []int
	for i, a := range ax {
		if a.objective {
			objs = append(objs, i)
		}
	}
	switch {
	case len(objs) >= 2:
		return objs[0], objs[1]
	case len(objs) == 1:
		return 0, objs[0]
	}
	return 0, min(1, len(ax)-1)
}

// Layout: two header lines, the body, two detail lines.
func (s *Screen) bodyRows() int { return max(0, s.h-4) }

// tableRows is the number of trial rows the table shows (its header aside).
func (s *Screen) tableRows() int { return max(1, s.bodyRows()-1) }

// View renders the screen within the size last set, indented one column
// as the other screens are.
func (s *Screen) View() string {
	if s.w <= 1 || s.h <= 0 {
		return frame.Fit("", s.w, s.h)
	}
	w := s.w
	s.w = w - 1
	out := s.render()
	s.w = w
	return " " + strings.ReplaceAll(out, "\n", "\n ")
}

func (s *Screen) render() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	st := s.c.Styles
	switch {
	case s.specs.open:
		return frame.Fit(s.specPickerView(), s.w, s.h)
	case s.picking:
		return frame.Fit(s.pickerView(), s.w, s.h)
	case s.rep == nil && s.err != nil:
		return frame.Fit(st.Title.Render("Tuner")+"\n\n"+st.Error.Render("Error: "+format.OneLine(s.err.Error())), s.w, s.h)
	case s.rep == nil && s.studies != nil && len(s.studies) == 0:
		return frame.Fit(st.Title.Render("Tuner")+"\n\n"+st.Text.Render("No studies in this workspace yet.")+"\n"+
			st.Muted.Render("Press n to start one from a spec file, or run `lathe tune run SPEC`;\nthe demo workspace ships studies/penguins-mlp.yaml."), s.w, s.h)
	case s.rep == nil:
		return frame.Fit(st.Title.Render("Tuner")+"\n\n"+st.Muted.Render("Loading studies…"), s.w, s.h)
	}
	rep := s.rep
	lines := []string{s.headerLine(), s.summaryLine()}
	body := s.bodyRows()
	var pane []string
	switch {
	case s.w >= wideWidth && s.view != viewPlot:
		rw := min(44, s.w*45/100)
		lw := s.w - rw - 1
		left := strings.Split(s.tableView(lw, body), "\n")
		right := strings.Split(s.plotView(rw, body), "\n")
		for i := 0; i < body; i++ {
			pane = append(pane, frame.Line(left[i], lw)+" "+right[i])
		}
	case s.view == viewPlot:
		pane = strings.Split(s.plotView(s.w, body), "\n")
	default:
		pane = strings.Split(s.tableView(s.w, body), "\n")
	}
	lines = append(lines, pane...)
	lines = append(lines, s.detailLines(rep)...)
	if s.err != nil {
		lines[len(lines)-1] = st.Error.Render("refresh: " + format.OneLine(s.err.Error()))
	}
	if s.search.Editing() {
		lines[len(lines)-1] = s.search.Line(st, s.w)
	}
	return frame.Fit(strings.Join(lines, "\n"), s.w, s.h)
}

func (s *Screen) pickerView() string {
	st := s.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Studies") + st.Muted.Render("  enter open · R resume · esc back") + "\n\n")
	if len(s.studies) == 0 {
		b.WriteString(st.Muted.Render("No studies yet."))
	}
	rows := max(1, s.h-2)
	top := max(0, s.pickIdx-rows+1)
	for i := top; i < len(s.studies) && i < top+rows; i++ {
		stu := s.studies[i]
		line := fmt.Sprintf("%-28s %-10s updated %s", format.OneLine(stu.Name), stu.Status, stu.Updated.Local().Format("2006-01-02 15:04"))
		if i == s.pickIdx {
			line = lipgloss.NewStyle().Reverse(true).Render(frame.Line("> "+line, s.w))
		} else {
			line = "  " + line
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func (s *Screen) headerLine() string {
	st := s.c.Styles
	rep := s.rep
	parts := []string{rep.Status, fmt.Sprintf("%d/%d trials", len(rep.Trials), rep.Budget)}
	counts := map[string]int{}
	for _, t := range rep.Trials {
		counts[t.Status]++
	}
	for _, k := range []string{experiments.TrialRunning, experiments.TrialPruned, experiments.TrialFailed} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	if rep.Best != nil {
		parts = append(parts, fmt.Sprintf("best #%d", *rep.Best))
	}
	if d := s.driveText(); d != "" {
		parts = append(parts, d)
	}
	if q := s.search.Status(len(s.keptTrials()), len(rep.Trials)); q != "" {
		parts = append(parts, q)
	}
	return st.Title.Render(format.OneLine(rep.Study)) + st.Muted.Render(" · "+strings.Join(parts, " · "))
}

// summaryLine is the hypervolume with its sparkline, and the best feasible
// trial for each objective.
func (s *Screen) summaryLine() string {
	st := s.c.Styles
	rep := s.rep
	var b strings.Builder
	b.WriteString(st.Muted.Render("HV ") + st.Text.Render(num(rep.Hypervolume)) + " ")
	if len(rep.HypervolumeHistory) > 0 {
		b.WriteString(st.Title.Render(sparkline(rep.HypervolumeHistory, min(24, len(rep.HypervolumeHistory)))) + " ")
	}
	for _, a := range axes(rep)[1:] {
		if !a.objective {
			continue
		}
		n, v, ok := bestFor(rep, a.metric)
		if !ok {
			continue
		}
		b.WriteString(st.Muted.Render(" best "+a.name+" ") + st.Text.Render(num(v)) + st.Muted.Render(fmt.Sprintf(" #%d", n)))
	}
	return b.String()
}

// bestFor is the best feasible value of an objective and its trial.
func bestFor(rep *engine.StudyReport, metric string) (int, float64, bool) {
	maximize := false
	for _, m := range rep.Spec.Metrics {
		if m.Name == metric {
			maximize = m.Objective == optimizer.Maximize
		}
	}
	best, bv, ok := 0, 0.0, false
	for _, t := range rep.Trials {
		if t.Status != experiments.TrialCompleted || t.Feasible == nil || !*t.Feasible {
			continue
		}
		v, has := t.Metrics[metric]
		if !has {
			continue
		}
		if !ok || (maximize && v > bv) || (!maximize && v < bv) {
			best, bv, ok = t.Number, v, true
		}
	}
	return best, bv, ok
}

func (s *Screen) tableView(w, h int) string {
	st := s.c.Styles
	rep := s.rep
	ax := axes(rep)[1:]
	var params []string
	for _, p := range rep.Spec.Parameters {
		params = append(params, p.Name)
	}
	pareto := map[int]bool{}
	for _, n := range rep.Pareto {
		pareto[n] = true
	}
	const numW, stW, metW, parW = 4, 4, 9, 8
	head := fmt.Sprintf("%*s %-*s %s", numW, "#", stW, "st", "f")
	for _, a := range ax {
		head += " " + fmt.Sprintf("%*s", metW, format.Clip(a.name, metW))
	}
	for _, p := range params {
		head += " " + fmt.Sprintf("%*s", parW, format.Clip(p, parW))
	}
	lines := []string{st.Muted.Render(frame.Line(head, w))}
	rows := max(1, h-1)
	kept := s.keptTrials() // s.top and pos index kept; s.sel indexes rep.Trials
	pos := max(slices.Index(kept, s.sel), 0)
	if pos < s.top {
		s.top = pos
	}
	if pos >= s.top+rows {
		s.top = pos - rows + 1
	}
	s.top = max(0, min(s.top, len(kept)-rows))
	for _, i := range kept[min(s.top, len(kept)):] {
		if len(lines) >= h {
			break
		}
		t := rep.Trials[i]
		mark := " "
		if pareto[t.Number] {
			mark = "*"
		}
		line := fmt.Sprintf("%*s %-*s %s", numW, strconv.Itoa(t.Number)+mark, stW, shortStatus(t.Status), feasibleMark(t.Feasible))
		for _, a := range ax {
			cell := "-"
			if v, ok := t.Metrics[a.metric]; ok {
				cell = num(v)
			}
			line += " " + fmt.Sprintf("%*s", metW, format.Clip(cell, metW))
		}
		for _, p := range params {
			line += " " + fmt.Sprintf("%*s", parW, format.Clip(paramText(t.Params[p]), parW))
		}
		line = frame.Line(line, w)
		switch {
		case i == s.sel:
			line = lipgloss.NewStyle().Reverse(true).Render(line)
		case t.Feasible != nil && !*t.Feasible || t.Status == experiments.TrialFailed:
			line = st.Muted.Render(line)
		case pareto[t.Number]:
			line = st.Title.Render(line)
		default:
			line = st.Text.Render(line)
		}
		lines = append(lines, line)
	}
	return frame.Fit(strings.Join(lines, "\n"), w, h)
}

// plotView is the scatter of the chosen axes over the importance bars.
func (s *Screen) plotView(w, h int) string {
	if s.pcoords {
		return s.pcoordsView(w, h)
	}
	st := s.c.Styles
	rep := s.rep
	imp := importanceLines(rep.Importance, w, min(len(rep.Importance), max(0, (h-6)/2), 4))
	ph := h
	if len(imp) > 0 {
		ph = h - len(imp) - 1
	}
	ax := axes(rep)
	xa, ya := ax[s.xAxis], ax[s.yAxis]
	pareto := map[int]bool{}
	for _, n := range rep.Pareto {
		pareto[n] = true
	}
	var p scatter.Plot
	p.XLabel, p.YLabel = xa.name, ya.name
	value := func(a axis, t experiments.Trial) (float64, bool) {
		if a.metric == "" {
			return float64(t.Number), true
		}
		v, ok := t.Metrics[a.metric]
		return v, ok
	}
	for i, t := range rep.Trials {
		x, okx := value(xa, t)
		y, oky := value(ya, t)
		if !okx || !oky {
			continue
		}
		c := scatter.Normal
		switch {
		case i == s.sel:
			c = scatter.Selected
		case t.Feasible == nil || !*t.Feasible:
			c = scatter.Dim
		case pareto[t.Number]:
			c = scatter.Highlight
		}
		p.Points = append(p.Points, scatter.Point{X: x, Y: y, Class: c})
	}
	// A threshold far outside the data would squash every point into a
	// corner: it is drawn only when near the data, else named in the label.
	var xs, ys []float64
	for _, q := range p.Points {
		xs, ys = append(xs, q.X), append(ys, q.Y)
	}
	p.XLine, p.XLabel = thresholdLine(xa, xs)
	p.YLine, p.YLabel = thresholdLine(ya, ys)
	styles := classStyles(st)
	p.Text = st.Charset != ""
	out := scatter.Render(p, w, ph, styles)
	if len(imp) > 0 {
		out += "\n" + st.Muted.Render("importance") + "\n" + strings.Join(imp, "\n")
	}
	return frame.Fit(out, w, h)
}

// thresholdLine returns an axis's threshold when it lies within one data
// range of the data, and the axis label (naming a threshold left out).
func thresholdLine(a axis, vals []float64) (*float64, string) {
	if a.threshold == nil {
		return nil, a.name
	}
	t := *a.threshold
	if len(vals) == 0 {
		return &t, a.name
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	r := math.Max(hi-lo, math.Abs(hi)*0.1)
	if t < lo-r || t > hi+r {
		return nil, a.name + " [thr " + num(t) + " off-plot]"
	}
	return &t, a.name
}

// importanceLines are bars of the largest parameter importances.
func importanceLines(imp map[string]float64, w, n int) []string {
	if n <= 0 {
		return nil
	}
	names := make([]string, 0, len(imp))
	for k := range imp {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if imp[names[i]] != imp[names[j]] {
			return imp[names[i]] > imp[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > n {
		names = names[:n]
	}
	const nameW = 10
	barW := max(1, w-nameW-6)
	var out []string
	for _, k := range names {
		v := imp[k]
		full := int(math.Round(v * float64(barW)))
		out = append(out, fmt.Sprintf("%-*s %s %4.2f", nameW, format.Clip(k, nameW), strings.Repeat("█", full)+strings.Repeat("░", barW-full), v))
	}
	return out
}

func (s *Screen) detailLines(rep *engine.StudyReport) []string {
	st := s.c.Styles
	if len(rep.Trials) == 0 {
		return []string{st.Muted.Render("no trials yet"), ""}
	}
	t := rep.Trials[s.sel]
	a := fmt.Sprintf("#%d %s", t.Number, t.Status)
	if t.Feasible != nil {
		if *t.Feasible {
			a += " · feasible"
		} else {
			a += " · infeasible"
		}
	}
	if t.RunID != "" {
		a += " · run " + t.RunID
	}
	var ps []string
	for _, p := range rep.Spec.Parameters {
		ps = append(ps, p.Name+"="+paramText(t.Params[p.Name]))
	}
	a += " · " + strings.Join(ps, " ")
	var ms []string
	for _, m := range rep.Spec.Metrics {
		if v, ok := t.Metrics[m.Name]; ok {
			ms = append(ms, m.Name+"="+num(v))
		}
	}
	b := strings.Join(ms, " ")
	if t.Error != "" {
		if b != "" {
			b += " · "
		}
		b += t.Error
	}
	// Params, metric names and a trial's error are the study's and its runs' text.
	return []string{st.Text.Render(frame.Line(format.OneLine(a), s.w)), st.Muted.Render(frame.Line(format.OneLine(b), s.w))}
}

func shortStatus(s string) string {
	switch s {
	case experiments.TrialCompleted:
		return "done"
	case experiments.TrialRunning:
		return "run"
	case experiments.TrialPending:
		return "pend"
	case experiments.TrialFailed:
		return "fail"
	case experiments.TrialPruned:
		return "prun"
	case experiments.TrialStopped:
		return "stop"
	}
	return format.Clip(s, 4)
}

func feasibleMark(f *bool) string {
	switch {
	case f == nil:
		return "·"
	case *f:
		return "✓"
	}
	return "✗"
}

func paramText(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e9 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return num(x)
	}
	return format.OneLine(fmt.Sprint(v))
}

// num formats a metric value in a few characters.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "NaN"
	case a == 0:
		return "0"
	case a >= 1e6 || a < 1e-3:
		return strconv.FormatFloat(v, 'e', 2, 64)
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// sparkline draws values (a non-decreasing history) in width cells: each
// cell shows the last value of its bucket, scaled from 0 to the maximum.
func sparkline(vals []float64, width int) string {
	levels := []rune("▁▂▃▄▅▆▇█")
	if width <= 0 || len(vals) == 0 {
		return ""
	}
	peak := 0.0
	for _, v := range vals {
		peak = math.Max(peak, v)
	}
	var b strings.Builder
	for c := 0; c < width; c++ {
		i := min(len(vals)-1, (c+1)*len(vals)/width-1)
		i = max(i, 0)
		l := 0
		if peak > 0 {
			l = int(math.Round(vals[i] / peak * float64(len(levels)-1)))
		}
		b.WriteRune(levels[max(0, min(len(levels)-1, l))])
	}
	return b.String()
}

package report

import (
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
)

// Study is what a study's page shows: the spec, the trials and what the
// optimizer made of them (engine.StudyReport's fields).
type Study struct {
	Name, Status       string
	Spec               optimizer.Spec
	Trials             []experiments.Trial
	Pareto             []int // trial numbers of the feasible Pareto set
	Best               *int
	Hypervolume        float64
	HypervolumeHistory []float64 // after each trial
	Reference          []float64 // the hypervolume's reference point, one value per objective
	Importance         map[string]float64
	Budget             int
	// Curves are the trials' runs' series of the objectives, by trial
	// number then metric (empty for ask/tell studies, which have no runs).
	Curves map[int]map[string][]experiments.Sample
}

// objectives are the spec's optimize metrics, in order.
func (s Study) objectives() []optimizer.Metric {
	var out []optimizer.Metric
	for _, m := range s.Spec.Metrics {
		if m.Strategy == "" || m.Strategy == optimizer.StrategyOptimize {
			out = append(out, m)
		}
	}
	return out
}

type studyBody struct {
	Pareto                 chartHTML
	HasPareto              bool
	ParetoNote             string
	Progress, Curves       []chartHTML
	Importance             chartHTML
	HasImportance          bool
	Params, Metrics        [][]string
	TrialHead              []string
	Trials                 []trialRow
	ParamCount, MetricFrom int
}

type trialRow struct {
	Class string
	Cells []string
	Run   string
}

const studyTemplate = `{{define "body"}}
{{if .HasPareto}}<section class="pareto-section"><h2>Pareto front</h2>{{template "charts" (list .Pareto)}}{{with .ParetoNote}}<p class="note">{{.}}</p>{{end}}</section>{{end}}
{{if .Progress}}<section class="progress"><h2>Progress</h2>{{template "charts" .Progress}}</section>{{end}}
{{if .Curves}}<section class="trial-curves"><h2>Learning curves</h2>{{template "charts" .Curves}}</section>{{end}}
{{if .HasImportance}}<section class="importance"><h2>Parameter importance</h2>{{template "charts" (list .Importance)}}</section>{{end}}
<section class="trials"><h2>Trials</h2>{{if .Trials}}<div class="scroll"><table class="trial-table"><thead><tr>{{range .TrialHead}}<th>{{.}}</th>{{end}}<th>run</th></tr></thead><tbody>
{{range .Trials}}<tr class="trial {{.Class}}">{{range .Cells}}<td>{{.}}</td>{{end}}<td class="mono">{{.Run}}</td></tr>
{{end}}</tbody></table></div>{{else}}<p class="note">No trials yet.</p>{{end}}</section>
<section class="space"><h2>Search space</h2><div class="scroll"><table><thead><tr><th>parameter</th><th>type</th><th>values</th><th>transformation</th></tr></thead><tbody>{{range .Params}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table></div>
<h3 style="margin-top:12px">Metrics</h3><div class="scroll"><table><thead><tr><th>metric</th><th>strategy</th><th>objective</th><th>threshold</th></tr></thead><tbody>{{range .Metrics}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table></div></section>
{{end}}`

// WriteStudy writes a study's page.
func WriteStudy(w io.Writer, s Study, o Options) error {
	p := page{Kind: "study", Title: s.Name}
	done, feasible := 0, 0
	for _, t := range s.Trials {
		if t.Status == "completed" {
			done++
		}
		if t.Feasible != nil && *t.Feasible {
			feasible++
		}
	}
	budget := "–"
	if s.Budget > 0 {
		budget = strconv.Itoa(s.Budget)
	}
	p.Facts = []kv{
		{K: "status", V: s.Status, Class: badgeClass(s.Status)},
		{K: "trials", V: strconv.Itoa(len(s.Trials)) + " of " + budget},
		{K: "completed", V: strconv.Itoa(done)},
		{K: "feasible", V: strconv.Itoa(feasible)},
		{K: "pareto set", V: strconv.Itoa(len(s.Pareto))},
	}
	if s.Best != nil {
		p.Facts = append(p.Facts, kv{K: "best trial", V: "#" + strconv.Itoa(*s.Best)})
	}
	if len(s.objectives()) > 1 || s.Hypervolume > 0 {
		p.Facts = append(p.Facts, kv{K: "hypervolume", V: format.Num(s.Hypervolume)})
	}
	var objs []string
	for _, m := range s.objectives() {
		objs = append(objs, m.Name+" ("+m.Objective+")")
	}
	p.Subtitle = "Objectives: " + strings.Join(objs, ", ")

	body := studyBody{}
	if f, note := paretoChart(s); f != nil {
		body.Pareto, body.HasPareto, body.ParetoNote = svgHTML(f, true), true, note
	}
	for _, m := range s.objectives() {
		body.Progress = append(body.Progress, svgHTML(historyChart(s, m), false))
	}
	if len(s.HypervolumeHistory) > 0 && len(s.objectives()) > 1 {
		body.Progress = append(body.Progress, svgHTML(hypervolumeChart(s), false))
	}
	for _, m := range s.objectives() {
		if f := trialCurvesChart(s, m.Name); f != nil {
			body.Curves = append(body.Curves, svgHTML(f, false))
		}
	}
	if len(s.Importance) > 0 {
		names := format.SortedKeys(s.Importance)
		sort.SliceStable(names, func(i, j int) bool { return s.Importance[names[i]] > s.Importance[names[j]] })
		vals := make([]float64, len(names))
		for i, n := range names {
			vals[i] = s.Importance[n]
		}
		body.Importance = svgHTML(hbarChart(720, "importance", "", names, vals, func(v float64) string { return format.Pct(v) }), true)
		body.HasImportance = true
	}
	for _, pr := range s.Spec.Parameters {
		vals := strings.Join(pr.CategoricalValues, ", ")
		if pr.Bounds != nil {
			vals = "[" + format.Num(pr.Bounds.Min) + ", " + format.Num(pr.Bounds.Max) + "]"
		}
		body.Params = append(body.Params, []string{pr.Name, pr.Type, vals, orDash(pr.Transformation)})
	}
	for _, m := range s.Spec.Metrics {
		th := "–"
		if m.Threshold != nil {
			th = format.Num(*m.Threshold)
		}
		st := m.Strategy
		if st == "" {
			st = optimizer.StrategyOptimize
		}
		body.Metrics = append(body.Metrics, []string{m.Name, st, orDash(m.Objective), th})
	}
	body.TrialHead, body.Trials = trialTable(s)
	p.Body = body
	return render(w, studyTemplate, p, o)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// trialTable is the trials as rows: number, status, feasibility, then
// every parameter and every metric of the spec.
func trialTable(s Study) ([]string, []trialRow) {
	head := []string{"#", "status", "feasible"}
	for _, pr := range s.Spec.Parameters {
		head = append(head, pr.Name)
	}
	for _, m := range s.Spec.Metrics {
		head = append(head, m.Name)
	}
	var rows []trialRow
	for _, t := range s.Trials {
		cls := []string{}
		if slices.Contains(s.Pareto, t.Number) {
			cls = append(cls, "pareto")
		}
		if s.Best != nil && *s.Best == t.Number {
			cls = append(cls, "best")
		}
		feas := "–"
		if t.Feasible != nil {
			feas = "yes"
			if !*t.Feasible {
				feas = "no"
				cls = append(cls, "infeasible")
			}
		}
		cells := []string{strconv.Itoa(t.Number), t.Status, feas}
		for _, pr := range s.Spec.Parameters {
			v, ok := t.Params[pr.Name]
			if !ok {
				cells = append(cells, "–")
				continue
			}
			if f, ok := v.(float64); ok {
				cells = append(cells, format.Num(f))
				continue
			}
			cells = append(cells, paramText(v))
		}
		for _, m := range s.Spec.Metrics {
			if v, ok := t.Metrics[m.Name]; ok {
				cells = append(cells, cellNum(v))
			} else {
				cells = append(cells, "–")
			}
		}
		rows = append(rows, trialRow{Class: strings.Join(cls, " "), Cells: cells, Run: t.RunID})
	}
	return head, rows
}

// metricAxis labels an objective's axis with its direction.
func metricAxis(m optimizer.Metric) string {
	switch m.Objective {
	case optimizer.Maximize:
		return m.Name + " (maximize ↑)"
	case optimizer.Minimize:
		return m.Name + " (minimize ↓)"
	}
	return m.Name
}

// wantsLog says whether values are positive and span three decades or
// more, where a linear axis would squash most of them into a corner.
func wantsLog(vs []float64) bool {
	lo, hi, ok := extent(vs, true)
	if !ok {
		return false
	}
	for _, v := range vs {
		if finite(v) && v <= 0 {
			return false
		}
	}
	return hi/lo >= 1000
}

// paretoChart scatters the trials on the first two objectives: the
// feasible Pareto set joined by its attainment staircase over the shaded
// region it dominates, other feasible trials lighter, infeasible ones
// dimmed, and the reference point's thresholds dashed. nil when the study
// has fewer than two objectives.
func paretoChart(s Study) (*figure, string) {
	objs := s.objectives()
	if len(objs) < 2 {
		return nil, ""
	}
	mx, my := objs[0], objs[1]
	type tp struct {
		t      experiments.Trial
		x, y   float64
		pareto bool
		infeas bool
	}
	var pts []tp
	var xs, ys []float64
	for _, t := range s.Trials {
		x, okx := t.Metrics[mx.Name]
		y, oky := t.Metrics[my.Name]
		if !okx || !oky || !finite(x) || !finite(y) {
			continue
		}
		p := tp{t: t, x: x, y: y, pareto: slices.Contains(s.Pareto, t.Number), infeas: t.Feasible != nil && !*t.Feasible}
		pts = append(pts, p)
		xs, ys = append(xs, x), append(ys, y)
	}
	var ref []float64
	if len(s.Reference) >= 2 {
		ref = s.Reference[:2]
		xs, ys = append(xs, ref[0]), append(ys, ref[1])
	}
	a := axes{class: "pareto", title: "Pareto front: " + mx.Name + " vs " + my.Name, xlabel: metricAxis(mx), ylabel: metricAxis(my),
		logX: wantsLog(xs), logY: wantsLog(ys)}
	xlo, xhi, okx := extent(xs, a.logX)
	ylo, yhi, oky := extent(ys, a.logY)
	if !okx || !oky {
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	a.xlo, a.xhi = pad(xlo, xhi, 0.06, a.logX)
	a.ylo, a.yhi = pad(ylo, yhi, 0.08, a.logY)
	kinds := map[string]bool{}
	for _, p := range pts {
		switch {
		case p.pareto:
			kinds["pareto"] = true
		case p.infeas:
			kinds["infeasible"] = true
		default:
			kinds["feasible"] = true
		}
	}
	if kinds["pareto"] {
		a.legend = append(a.legend, legendItem{label: "Pareto set", color: warnColor, shape: "dot", class: "pareto"})
	}
	if kinds["feasible"] {
		a.legend = append(a.legend, legendItem{label: "feasible", color: withAlpha(palette[0], 0xaa), shape: "dot", class: "feasible"})
	}
	if kinds["infeasible"] {
		a.legend = append(a.legend, legendItem{label: "infeasible", color: dimColor, shape: "dot", class: "infeasible"})
	}
	if ref != nil {
		a.legend = append(a.legend, legendItem{label: "threshold", color: mutedColor, shape: "dash", class: "threshold"})
	}
	fr := newFrame(900, 460, a)
	if len(pts) == 0 {
		fr.plot.add(&mark{kind: kText, class: "empty", x: (fr.l + fr.r) / 2, y: (fr.t + fr.b) / 2, text: "no completed trials yet", size: labelSize, fill: mutedColor})
	}

	// The staircase, in "smaller is better" coordinates u, v.
	sx, sy := sign(mx), sign(my)
	var front []tp
	for _, p := range pts {
		if p.pareto {
			front = append(front, p)
		}
	}
	sort.Slice(front, func(i, j int) bool { return sx*front[i].x < sx*front[j].x })
	at := func(x, y float64) pt { return pt{fr.x.at(x), fr.y.at(y)} }
	if len(front) > 0 {
		var stair []pt
		for i, p := range front {
			if i > 0 {
				stair = append(stair, at(p.x, front[i-1].y))
			}
			stair = append(stair, at(p.x, p.y))
		}
		if ref != nil {
			var region []pt
			var in []tp
			for _, p := range front {
				if sx*p.x < sx*ref[0] && sy*p.y < sy*ref[1] {
					in = append(in, p)
				}
			}
			if len(in) > 0 {
				region = append(region, at(in[0].x, ref[1]))
				for i, p := range in {
					if i > 0 {
						region = append(region, at(p.x, in[i-1].y))
					}
					region = append(region, at(p.x, p.y))
				}
				region = append(region, at(ref[0], in[len(in)-1].y), at(ref[0], ref[1]))
				fr.plot.add(&mark{kind: kPoly, class: "dominated", title: "region the Pareto set dominates (hypervolume " + format.Num(s.Hypervolume) + ")",
					pts: region, fill: withAlpha(warnColor, 0x1c)})
			}
		}
		fr.plot.add(&mark{kind: kPath, class: "front", title: "attainment front of the Pareto set", pts: stair, stroke: warnColor, width: 1.5})
	}
	if ref != nil {
		g := fr.plot.group("thresholds")
		for j, m := range []optimizer.Metric{mx, my} {
			label := "reference " + format.Num(ref[j])
			if m.Threshold != nil {
				label = "threshold " + format.Num(*m.Threshold)
			}
			if j == 0 {
				x := fr.x.at(ref[0])
				g.add(&mark{kind: kPath, class: "threshold", data: [][2]string{{"metric", m.Name}}, title: m.Name + " " + label, pts: []pt{{x, fr.t}, {x, fr.b}}, stroke: mutedColor, width: 1.2, dash: []float64{5, 4}})
				g.add(&mark{kind: kText, class: "threshold-label", x: x + 4, y: fr.t + tickSize, text: label, size: tickSize, fill: mutedColor, anchor: -1})
			} else {
				y := fr.y.at(ref[1])
				g.add(&mark{kind: kPath, class: "threshold", data: [][2]string{{"metric", m.Name}}, title: m.Name + " " + label, pts: []pt{{fr.l, y}, {fr.r, y}}, stroke: mutedColor, width: 1.2, dash: []float64{5, 4}})
				g.add(&mark{kind: kText, class: "threshold-label", x: fr.r - 4, y: y - 4, text: label, size: tickSize, fill: mutedColor, anchor: 1})
			}
		}
	}
	g := fr.plot.group("points")
	// Dimmed first, the Pareto set last, so the front is on top.
	order := func(p tp) int {
		switch {
		case p.infeas:
			return 0
		case p.pareto:
			return 2
		}
		return 1
	}
	sort.SliceStable(pts, func(i, j int) bool { return order(pts[i]) < order(pts[j]) })
	for _, p := range pts {
		c := &mark{kind: kCircle, x: fr.x.at(p.x), y: fr.y.at(p.y), data: [][2]string{{"trial", strconv.Itoa(p.t.Number)}}, title: trialTitle(s, p.t)}
		switch {
		case p.infeas:
			c.class, c.r, c.fill = "point infeasible", 3.5, dimColor
		case p.pareto:
			c.class, c.r, c.fill, c.stroke, c.width = "point feasible pareto", 5, warnColor, inkColor, 1
		default:
			c.class, c.r, c.fill = "point feasible", 4, withAlpha(palette[0], 0xaa)
		}
		if s.Best != nil && *s.Best == p.t.Number {
			c.class += " best"
		}
		g.add(c)
	}
	note := ""
	if len(objs) > 2 {
		var rest []string
		for _, m := range objs[2:] {
			rest = append(rest, m.Name)
		}
		note = "The study has " + strconv.Itoa(len(objs)) + " objectives; the chart shows the first two, and the Pareto set is over all of them (" + strings.Join(rest, ", ") + " too)."
	}
	return fr.fig, note
}

func sign(m optimizer.Metric) float64 {
	if m.Objective == optimizer.Maximize {
		return -1
	}
	return 1
}

// trialTitle is a trial's tooltip: its number, metrics and parameters.
func trialTitle(s Study, t experiments.Trial) string {
	parts := []string{"trial " + strconv.Itoa(t.Number)}
	for _, m := range s.Spec.Metrics {
		if v, ok := t.Metrics[m.Name]; ok {
			parts = append(parts, m.Name+" "+cellNum(v))
		}
	}
	for _, k := range format.SortedKeys(t.Params) {
		parts = append(parts, k+"="+paramText(t.Params[k]))
	}
	if t.Feasible != nil && !*t.Feasible {
		parts = append(parts, "infeasible")
	}
	return strings.Join(parts, " · ")
}

// historyChart plots an objective's value by trial with the best feasible
// value so far (Optuna's optimization history).
func historyChart(s Study, m optimizer.Metric) *figure {
	var xs, ys, bx, by []float64
	best := math.NaN()
	for _, t := range s.Trials {
		v, ok := t.Metrics[m.Name]
		if !ok || !finite(v) {
			continue
		}
		xs, ys = append(xs, float64(t.Number)), append(ys, v)
		if t.Feasible != nil && !*t.Feasible {
			continue
		}
		if math.IsNaN(best) || sign(m)*v < sign(m)*best {
			best = v
		}
		bx, by = append(bx, float64(t.Number)), append(by, best)
	}
	a := axes{class: "history", title: m.Name + " by trial", xlabel: "trial", ylabel: metricAxis(m), xInts: true, logY: wantsLog(ys),
		legend: []legendItem{{label: "trial", color: withAlpha(palette[0], 0xaa), shape: "dot"}, {label: "best so far", color: warnColor, shape: "line"}}}
	if lo, hi, ok := extent(xs, false); ok {
		a.xlo, a.xhi = pad(lo, hi, 0.03, false)
	}
	if lo, hi, ok := extent(ys, a.logY); ok {
		a.ylo, a.yhi = pad(lo, hi, 0.05, a.logY) // every trial, not only the best line
	}
	return lineChart(540, 260, a, []line{{label: "best so far", class: "best-so-far", xs: bx, ys: by, color: warnColor, step: true}},
		func(fr *frame) {
			g := fr.plot.group("points")
			for i := range xs {
				g.add(&mark{kind: kCircle, class: "point", x: fr.x.at(xs[i]), y: fr.y.at(ys[i]), r: 3, fill: withAlpha(palette[0], 0xaa),
					title: "trial " + strconv.Itoa(int(xs[i])) + ": " + cellNum(ys[i])})
			}
		})
}

// hypervolumeChart is the hypervolume after each trial.
func hypervolumeChart(s Study) *figure {
	xs := make([]float64, len(s.HypervolumeHistory))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	a := axes{class: "hypervolume", title: "hypervolume by trial", xlabel: "trial", ylabel: "hypervolume", xInts: true}
	return lineChart(540, 260, a, []line{{label: "hypervolume", class: "hypervolume-line", xs: xs, ys: s.HypervolumeHistory, color: palette[2], step: true, width: 2}}, nil)
}

// trialCurvesChart overlays every trial's series of a metric, the Pareto
// set's in colour, the others grey; nil when no trial has one.
func trialCurvesChart(s Study, metric string) *figure {
	var lines []line
	var paretoLines []line
	for _, t := range s.Trials {
		pts := s.Curves[t.Number][metric]
		if len(pts) == 0 {
			continue
		}
		l := curveLine(Curve{RunID: t.RunID, Metric: metric, Points: pts}, "trial "+strconv.Itoa(t.Number), withAlpha(axisColor, 0x99))
		l.markers, l.width = false, 1.2
		l.data = append(l.data, [2]string{"trial", strconv.Itoa(t.Number)})
		if slices.Contains(s.Pareto, t.Number) {
			l.color, l.width = warnColor, 2
			paretoLines = append(paretoLines, l)
			continue
		}
		lines = append(lines, l)
	}
	if len(lines)+len(paretoLines) == 0 {
		return nil
	}
	a := axes{class: "curves trial-curves", title: metric + " of each trial", xlabel: "step", ylabel: metric, xInts: true}
	if len(paretoLines) > 0 {
		a.legend = append(a.legend, legendItem{label: "Pareto set", color: warnColor, shape: "line"})
	}
	if len(lines) > 0 {
		a.legend = append(a.legend, legendItem{label: "other trials", color: axisColor, shape: "line"})
	}
	return lineChart(540, 260, a, append(lines, paretoLines...), nil)
}

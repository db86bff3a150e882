package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runstatus"
)

// The pages are checked by their structure, parsed as a browser would
// (x/net/html): the chart elements each one must have, their counts, the
// axis labels, escaping, and that nothing is loaded from anywhere.

const nasty = `<b>x</b> & "q" 'a'`

func parse(t *testing.T, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// find returns the elements named tag (any if "") having every class.
func find(n *html.Node, tag string, classes ...string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) && hasClasses(n, classes) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, k string) string {
	for _, a := range n.Attr {
		if a.Key == k {
			return a.Val
		}
	}
	return ""
}

func hasClasses(n *html.Node, want []string) bool {
	have := strings.Fields(attr(n, "class"))
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// selfContained fails when the page could fetch anything or run a script.
func selfContained(t *testing.T, page []byte, doc *html.Node) {
	t.Helper()
	if s := find(doc, "script"); len(s) > 0 {
		t.Errorf("page has %d <script> elements", len(s))
	}
	for _, n := range find(doc, "") {
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if k == "src" || k == "href" || k == "xlink:href" || k == "srcset" || k == "action" || strings.HasPrefix(k, "on") {
				t.Errorf("<%s %s=%q>: pages must not load or run anything", n.Data, a.Key, a.Val)
			}
		}
	}
	low := strings.ToLower(string(page))
	for _, bad := range []string{"http://", "https://", "url(", "@import", "//cdn"} {
		if strings.Contains(low, bad) {
			i := strings.Index(low, bad)
			t.Errorf("page contains %q: …%s…", bad, low[max(0, i-60):min(len(low), i+60)])
		}
	}
	if m := find(doc, "meta"); len(m) == 0 || !strings.Contains(string(page), `Content-Security-Policy" content="default-src 'none'`) {
		t.Error("page lacks its Content-Security-Policy")
	}
}

func ptrF(v float64) *float64 { return &v }
func ptrB(v bool) *bool       { return &v }

// testStudy is a two-objective study with a constraint: 14 trials, 11 with
// values (3 infeasible), 2 failed, 1 pending.
func testStudy() Study {
	spec := optimizer.Spec{Name: nasty, ObservationBudget: 20,
		Parameters: []optimizer.Parameter{{Name: "lr", Type: "double", Bounds: &optimizer.Bounds{Min: 1e-4, Max: 0.3}, Transformation: "log"},
			{Name: "act", Type: "categorical", CategoricalValues: []string{"relu", "tanh"}}},
		Metrics: []optimizer.Metric{{Name: "val_accuracy", Objective: optimizer.Maximize, Threshold: ptrF(0.5)},
			{Name: "model_params", Objective: optimizer.Minimize, Threshold: ptrF(9000)},
			{Name: "inference_ms", Objective: optimizer.Minimize, Strategy: optimizer.StrategyConstraint, Threshold: ptrF(100)}}}
	s := Study{Name: nasty, Status: "running", Spec: spec, Budget: 20, Reference: []float64{0.5, 9000}, Hypervolume: 1234.5,
		Importance: map[string]float64{"lr": 0.7, "act": 0.3}, Curves: map[int]map[string][]experiments.Sample{}}
	for i := 1; i <= 14; i++ {
		tr := experiments.Trial{Number: i, Status: "completed", Params: map[string]any{"lr": 0.001 * float64(i), "act": "relu"}, RunID: "r" + strconv.Itoa(i)}
		switch {
		case i == 5 || i == 9:
			tr.Status = "failed"
		case i == 14:
			tr.Status = "pending"
		default:
			acc := 0.5 + 0.04*float64(i)
			tr.Metrics = map[string]float64{"val_accuracy": acc, "model_params": 1000 * float64(i%6+1), "inference_ms": 10 * float64(i)}
			tr.Feasible = ptrB(i*10 <= 100)
		}
		if i <= 3 {
			var pts []experiments.Sample
			for st := 1; st <= 5; st++ {
				pts = append(pts, experiments.Sample{Step: int64(st), Value: 0.1 * float64(st*i)})
			}
			s.Curves[i] = map[string][]experiments.Sample{"val_accuracy": pts}
		}
		s.Trials = append(s.Trials, tr)
		s.HypervolumeHistory = append(s.HypervolumeHistory, float64(i*i))
	}
	s.Pareto = []int{6, 10}
	best := 10
	s.Best = &best
	return s
}

func TestStudyPage(t *testing.T) {
	s := testStudy()
	var b bytes.Buffer
	if err := WriteStudy(&b, s, Options{Version: "v-test", Generated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	page := b.Bytes()
	doc := parse(t, page)
	selfContained(t, page, doc)

	charts := find(doc, "svg", "chart", "pareto")
	if len(charts) != 1 {
		t.Fatalf("%d Pareto charts, want 1", len(charts))
	}
	pc := charts[0]
	withValues, infeasible := 0, 0
	for _, tr := range s.Trials {
		if tr.Metrics != nil {
			withValues++
			if !*tr.Feasible {
				infeasible++
			}
		}
	}
	if n := len(find(pc, "circle", "point")); n != withValues {
		t.Errorf("Pareto chart has %d points, want one per trial with values: %d", n, withValues)
	}
	if n := len(find(pc, "circle", "point", "pareto")); n != len(s.Pareto) {
		t.Errorf("%d Pareto points, want %d", n, len(s.Pareto))
	}
	if n := len(find(pc, "circle", "point", "infeasible")); n != infeasible || infeasible == 0 {
		t.Errorf("%d infeasible points, want %d (> 0)", n, infeasible)
	}
	for _, c := range find(pc, "circle", "infeasible") {
		if op := attr(c, "fill-opacity"); op == "" || op >= "0.5" {
			t.Errorf("infeasible point not dimmed: fill-opacity %q", op)
		}
	}
	best := find(pc, "circle", "best")
	if len(best) != 1 || attr(best[0], "data-trial") != "10" {
		t.Errorf("best trial mark: %d elements", len(best))
	}
	if !strings.Contains(text(best[0]), "trial 10 · val_accuracy 0.9") {
		t.Errorf("best point's tooltip = %q", text(best[0]))
	}
	if n := len(find(pc, "path", "threshold")); n != 2 {
		t.Errorf("%d threshold lines, want 2 (one per objective)", n)
	}
	labels := find(pc, "text", "threshold-label")
	if len(labels) != 2 || text(labels[0]) != "threshold 0.5" || text(labels[1]) != "threshold 9,000" {
		t.Errorf("threshold labels: %d", len(labels))
	}
	if len(find(pc, "path", "front")) != 1 || len(find(pc, "path", "dominated")) != 1 {
		t.Error("Pareto chart lacks its front staircase or dominated region")
	}
	xl, yl := find(pc, "text", "x-label"), find(pc, "text", "y-label")
	if len(xl) != 1 || text(xl[0]) != "val_accuracy (maximize ↑)" || len(yl) != 1 || text(yl[0]) != "model_params (minimize ↓)" {
		t.Errorf("axis labels: x %v, y %v", xl, yl)
	}
	if n := len(find(pc, "text", "tick")); n < 6 {
		t.Errorf("%d tick labels on the Pareto chart", n)
	}
	// Every point of every chart lies inside its plot area.
	for _, c := range find(doc, "svg", "chart") {
		area := find(c, "g", "plot")
		if len(area) != 1 {
			continue // bar charts have no plot area
		}
		yl := find(c, "g", "y-axis")[0]
		var top, bottom float64 = math.Inf(1), math.Inf(-1)
		for _, p := range find(yl, "path") {
			var x0, y0, x1, y1 float64
			if _, err := fmt.Sscanf(attr(p, "d"), "M%g %gL%g %g", &x0, &y0, &x1, &y1); err == nil && x0 == x1 {
				top, bottom = math.Min(y0, y1), math.Max(y0, y1) // the axis line itself
				break
			}
		}
		for _, p := range find(area[0], "circle") {
			cy, _ := strconv.ParseFloat(attr(p, "cy"), 64)
			if cy < top-0.01 || cy > bottom+0.01 {
				t.Errorf("%s: point %s at y %v outside the plot [%v, %v]", attr(c, "class"), attr(p, "data-trial"), cy, top, bottom)
			}
		}
	}
	// Progress: one history per objective and the hypervolume.
	if n := len(find(doc, "svg", "history")); n != 2 {
		t.Errorf("%d history charts, want 2", n)
	}
	hv := find(doc, "svg", "hypervolume")
	if len(hv) != 1 || len(find(hv[0], "path", "hypervolume-line")) != 1 {
		t.Error("no hypervolume chart")
	}
	tc := find(doc, "svg", "trial-curves")
	if len(tc) != 1 || len(find(tc[0], "path", "curve")) != 3 {
		t.Errorf("trial curves: %d charts", len(tc))
	}
	if n := len(find(doc, "svg", "importance")); n != 1 {
		t.Errorf("%d importance charts", n)
	}
	rows := find(doc, "tr", "trial")
	if len(rows) != len(s.Trials) {
		t.Errorf("%d trial rows, want %d", len(rows), len(s.Trials))
	}
	if n := len(find(doc, "tr", "pareto")); n != 2 {
		t.Errorf("%d Pareto rows", n)
	}
	// Escaping: the name is text wherever it appears, never markup.
	h1 := find(doc, "h1")
	if len(h1) != 1 || text(h1[0]) != nasty || len(find(h1[0], "b")) != 0 {
		t.Errorf("h1 = %q", text(h1[0]))
	}
	if len(find(doc, "b")) != 0 {
		t.Error("a name became a <b> element")
	}
	if ti := find(doc, "title"); len(ti) == 0 || !strings.HasPrefix(text(ti[0]), nasty) {
		t.Error("the page title is not the study's name")
	}
	if !strings.Contains(string(page), "Generated by Lathe v-test on 2026-01-02 03:04:05 UTC") {
		t.Error("footer lacks version and time")
	}
}

func TestStudyPageOneObjectiveAndNoTrials(t *testing.T) {
	s := Study{Name: "single", Spec: optimizer.Spec{Name: "single", Metrics: []optimizer.Metric{{Name: "loss", Objective: optimizer.Minimize}}}}
	for _, trials := range [][]experiments.Trial{nil, {{Number: 1, Status: "completed", Metrics: map[string]float64{"loss": 2}}, {Number: 2, Status: "completed", Metrics: map[string]float64{"loss": 1}}}} {
		s.Trials = trials
		var b bytes.Buffer
		if err := WriteStudy(&b, s, Options{}); err != nil {
			t.Fatal(err)
		}
		doc := parse(t, b.Bytes())
		if n := len(find(doc, "svg", "pareto")); n != 0 {
			t.Errorf("one objective: %d Pareto charts", n)
		}
		h := find(doc, "svg", "history")
		if len(h) != 1 || len(find(h[0], "circle", "point")) != len(trials) {
			t.Errorf("history chart with %d trials: %d charts", len(trials), len(h))
		}
	}
}

func testRun() Run {
	code := 0
	started := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	last := 0.25
	rec := experiments.RunRecord{Run: experiments.Run{ID: "r8c2k9x1abcd", Name: nasty, Status: runstatus.Completed, Runner: "local",
		Command: []string{"python", "train.py", "--note", nasty}, Params: map[string]any{"lr": "0.01", nasty: nasty}, ExitCode: &code,
		Started: started, Ended: started.Add(90 * time.Second), Env: map[string]string{"SECRETISH": "do-not-share"}},
		Metrics: map[string]*float64{"val_loss": &last}}
	series := map[string][]experiments.Sample{}
	for i := 1; i <= 50; i++ {
		series["val_loss"] = append(series["val_loss"], experiments.Sample{Step: int64(i), Value: 5 / float64(i)})
		series["train_loss"] = append(series["train_loss"], experiments.Sample{Step: int64(i), Value: 6 / float64(i)})
		series["sys/cpu"] = append(series["sys/cpu"], experiments.Sample{Step: int64(i), Value: 50 + float64(i%7)})
	}
	series["val_loss"][49].Value = last
	series["train_loss"][10].Value = math.NaN()
	return Run{Record: rec, Series: series}
}

func TestRunPage(t *testing.T) {
	r := testRun()
	var b bytes.Buffer
	if err := WriteRun(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	page := b.Bytes()
	doc := parse(t, page)
	selfContained(t, page, doc)
	metrics := find(doc, "section", "curves")
	if len(metrics) != 1 || len(find(metrics[0], "svg", "curves")) != 2 || len(find(metrics[0], "path", "curve")) != 2 {
		t.Fatalf("metrics section: want 2 curve charts")
	}
	sys := find(doc, "section", "system")
	if len(sys) != 1 || len(find(sys[0], "path", "curve")) != 1 {
		t.Error("system metrics are not in their own section")
	}
	for _, p := range find(doc, "path", "curve") {
		if attr(p, "data-run") != r.Record.ID || attr(p, "data-metric") == "" {
			t.Errorf("curve lacks data-run/data-metric: %v", p.Attr)
		}
		// train_loss has a NaN: its line breaks into two runs.
		if attr(p, "data-metric") == "train_loss" && strings.Count(attr(p, "d"), "M") != 2 {
			t.Errorf("train_loss path %q: want a gap at the NaN", attr(p, "d"))
		}
	}
	for _, c := range find(doc, "svg", "curves") {
		xl := find(c, "text", "x-label")
		if len(xl) != 1 || text(xl[0]) != "step" {
			t.Error("curve chart lacks its step axis label")
		}
	}
	rows := find(doc, "table", "metric-table")
	if len(rows) != 1 || len(find(rows[0], "tr")) != 4 {
		t.Error("metric table: want a header and 3 metrics")
	}
	if !strings.Contains(text(rows[0]), "0.25") {
		t.Error("metric table lacks the last value")
	}
	if strings.Contains(string(page), "do-not-share") {
		t.Error("the run's environment is on a page made to be shared")
	}
	// Tags and the note (issue 17) are facts of the page, escaped.
	r.Record.Tags, r.Record.Note = []string{"baseline", "lr-sweep"}, "diverged "+nasty
	b.Reset()
	if err := WriteRun(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if tagged := parse(t, b.Bytes()); !strings.Contains(text(tagged), "baseline lr-sweep") || !strings.Contains(text(tagged), "diverged "+nasty) ||
		len(find(tagged, "b")) != 0 {
		t.Error("the page lacks the run's tags or note, or did not escape the note")
	}
	if len(find(doc, "b")) != 0 || !strings.Contains(text(doc), nasty) {
		t.Error("names are not escaped text")
	}
	cmd := find(doc, "section", "command")
	if len(cmd) != 1 || !strings.Contains(text(cmd[0]), `'<b>x</b> & "q" '\''a'\'''`) {
		t.Errorf("command = %q", text(cmd[0]))
	}
}

func TestDatasetPage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	var csv strings.Builder
	csv.WriteString("x,kind,when,empty\n")
	for i := 0; i < 200; i++ {
		csv.WriteString(strconv.Itoa(i%50) + "," + []string{"a", "b", nasty}[i%3] + ",2024-0" + strconv.Itoa(1+i%9) + "-15,\n")
	}
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := explore.ProfileFile(context.Background(), path, explore.ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteDataset(&b, Dataset{Profile: p}, Options{}); err != nil {
		t.Fatal(err)
	}
	page := b.Bytes()
	doc := parse(t, page)
	selfContained(t, page, doc)
	cards := find(doc, "div", "column-card")
	if len(cards) != 4 {
		t.Fatalf("%d column cards, want 4", len(cards))
	}
	hx := find(cards[0], "svg", "histogram")
	if len(hx) != 1 || len(find(hx[0], "rect", "bar")) != len(p.Columns[0].Histogram.Counts) {
		t.Errorf("x: want a histogram with a bar per bin (%d)", len(p.Columns[0].Histogram.Counts))
	}
	top := find(cards[1], "svg", "top-values")
	if len(top) != 1 || len(find(top[0], "rect", "bar")) != 3 {
		t.Error("kind: want the top values as 3 bars")
	}
	if h := find(cards[2], "svg", "histogram"); len(h) != 1 || !strings.Contains(text(h[0]), "2024-") {
		t.Error("when: want a histogram with date ticks")
	}
	alerts := find(doc, "li", "alert")
	if len(alerts) != len(p.Alerts) || len(alerts) == 0 {
		t.Errorf("%d alerts listed, the profile has %d", len(alerts), len(p.Alerts))
	}
	if !strings.Contains(text(doc), "empty has 200 missing values") {
		t.Error("the missing-values alert is not on the page")
	}
	if len(find(doc, "b")) != 0 {
		t.Error("a value became markup")
	}
}

// The standalone SVG is XML with the namespace; the PNG is the same chart
// at its size, with the series' colours in it.
func TestPlotSVGAndPNG(t *testing.T) {
	r := testRun()
	cs := []Curve{{RunID: "r1", Name: "first", Metric: "val_loss", Points: r.Series["val_loss"]}, {RunID: "r2", Metric: "val_loss", Points: r.Series["train_loss"]}}
	var b bytes.Buffer
	if err := WriteCurvesSVG(&b, cs, PlotOptions{Width: 640, Height: 400}); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	paths, legend := 0, 0
	var root *xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == nil {
				root = &se
			}
			for _, a := range se.Attr {
				if a.Name.Local == "class" && a.Value == "curve" {
					paths++
				}
				if a.Name.Local == "class" && strings.HasPrefix(a.Value, "legend-item") {
					legend++
				}
			}
		}
	}
	if root == nil || root.Name.Space != "http://www.w3.org/2000/svg" || paths != 2 || legend != 2 {
		t.Errorf("SVG root %v, %d curves, %d legend items", root, paths, legend)
	}
	b.Reset()
	if err := WriteCurvesPNG(&b, cs, PlotOptions{Width: 640, Height: 400}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != 640 || s.Y != 400 {
		t.Fatalf("PNG is %v", s)
	}
	for i, want := range []int{0, 1} {
		c := seriesColor(want)
		n := 0
		for y := 0; y < 400; y++ {
			for x := 0; x < 640; x++ {
				r, g, bb, _ := img.At(x, y).RGBA()
				if near(r>>8, c.R) && near(g>>8, c.G) && near(bb>>8, c.B) {
					n++
				}
			}
		}
		if n < 200 {
			t.Errorf("series %d: %d pixels of its colour in the PNG", i, n)
		}
	}
	if err := WriteCurvesPNG(io.Discard, cs, PlotOptions{Width: 10, Height: 400}); err == nil {
		t.Error("a 10-pixel-wide chart was accepted")
	}
}

func near(a uint32, b uint8) bool { return math.Abs(float64(a)-float64(b)) < 24 }

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		n      int
		want   string
	}{
		{0, 1, 5, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{0, 100, 5, "0 20 40 60 80 100"},
		{-7.1, 18.3, 4, "-5 0 5 10 15"},
		{0.013, 0.0171, 4, "0.013 0.014 0.015 0.016 0.017"},
		{1, 95000, 4, "20,000 40,000 60,000 80,000"},
	} {
		vs, step := linearTicks(c.lo, c.hi, c.n)
		var got []string
		for _, v := range vs {
			got = append(got, tickLabel(v, step, false))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("ticks(%v, %v, %d) = %s, want %s", c.lo, c.hi, c.n, g, c.want)
		}
	}
	if got := logTicks(1e-4, 0.3); len(got) != 4 || got[0] != 1e-4 || got[3] != 0.1 {
		t.Errorf("log ticks = %v", got)
	}
	jan := func(y int) float64 { return float64(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) }
	if _, ls := dateTicks(jan(2012), jan(2016)-1, 5); strings.Join(ls, " ") != "2012 2013 2014 2015" {
		t.Errorf("date ticks over 4 years: %v", ls)
	}
	if _, ls := dateTicks(jan(2024), jan(2024)+86400*200, 4); strings.Join(ls, " ") != "2024-01 2024-03 2024-05 2024-07" {
		t.Errorf("date ticks over 200 days: %v", ls)
	}
}

func TestDecimateKeepsExtremes(t *testing.T) {
	var pts []pt
	for i := 0; i < 100000; i++ {
		y := math.Sin(float64(i) / 300)
		if i == 54321 {
			y = 50 // a spike must survive
		}
		pts = append(pts, pt{float64(i) / 200, y})
	}
	out := decimate(pts)
	if len(out) > 4*501 {
		t.Errorf("%d points after M4 over 500 columns", len(out))
	}
	found := false
	for _, p := range out {
		found = found || p.y == 50
	}
	if !found {
		t.Error("the spike was dropped")
	}
}

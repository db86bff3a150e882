package runs

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/components/chart"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
	"github.com/lathe-ml/lathe/tui/styles"
)

// seedCompare stores three finished runs with fixed ids and times, params
// (lr and act differ, hidden is the same) and 30 steps of val_loss, loss
// and val_acc, as their sinks would have; it returns their ids.
func seedCompare(t *testing.T, e *engine.Engine) []string {
	t.Helper()
	ws, err := experiments.Open(e.Info().Root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	runs := []struct {
		id     string
		lr     string
		act    string
		rate   float64
		jitter float64
	}{{"rcmpalpha001", "0.3", "relu", 4, 0.05}, {"rcmpbeta0002", "0.05", "relu", 12, 0.02}, {"rcmpgamma003", "0.1", "tanh", 7, 0.08}}
	var ids []string
	for i, c := range runs {
		r := experiments.Run{ID: c.id, Status: runstatus.Completed, Runner: "local", Host: "box", Command: []string{"python", "train.py"},
			Params:  map[string]any{"lr": c.lr, "hidden": "64", "act": c.act},
			Created: at.Add(time.Duration(i) * time.Minute), Started: at, Ended: at.Add(3 * time.Minute)}
		if err := ws.Store.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		var batch []experiments.MetricSample
		for step := 1; step <= 30; step++ {
			x := float64(step)
			wiggle := c.jitter * math.Sin(x*1.7+float64(i))
			tm := at.Add(time.Duration(step*(2+i)) * time.Second)
			batch = append(batch,
				experiments.MetricSample{RunID: c.id, Key: "val_loss", Step: int64(step), Value: 0.3 + 1.2*math.Exp(-x/c.rate) + wiggle, Time: tm},
				experiments.MetricSample{RunID: c.id, Key: "loss", Step: int64(step), Value: 0.2 + 1.4*math.Exp(-x/c.rate), Time: tm},
				experiments.MetricSample{RunID: c.id, Key: "val_acc", Step: int64(step), Value: 0.9 - 0.5*math.Exp(-x/c.rate) - wiggle/2, Time: tm})
		}
		if err := ws.Store.AppendMetrics(ctx, batch); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.id)
	}
	return ids
}

// openCompare marks every listed run and presses c.
func openCompare(t *testing.T, s *Screen) {
	t.Helper()
	drive(t, s, s.load(true))
	for range s.Visible() {
		hit(t, s, "space")
	}
	hit(t, s, "c")
	if s.cmp == nil || s.cmp.res == nil {
		t.Fatalf("c did not open the comparison (err %v):\n%s", s.err, plain(s))
	}
}

// The compare view of three real runs in the store: the table of params and
// final/best metrics over the overlaid val_loss curves, at 80x24 and
// 160x48, then smoothed (e e: EMA 0.9) with the same columns hidden (d) at
// 80x24. `go test ./tui/runs -run Golden -update` after an intended change.
func TestGoldenCompare(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	seedCompare(t, e)
	openCompare(t, s)
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
		tuitest.Golden(t, fmt.Sprintf("compare_%dx%d", sz[0], sz[1]), plain(s)+"\n")
	}
	s.SetSize(80, 24)
	hit(t, s, "e")
	hit(t, s, "e")
	hit(t, s, "d")
	checkBox(t, s, 80, 24)
	tuitest.Golden(t, "compare_smooth_hidden_80x24", plain(s)+"\n")
	for _, want := range []string{"EMA 0.9", "same hidden", "max val_acc"} {
		if !strings.Contains(plain(s), want) {
			t.Errorf("view lacks %q:\n%s", want, plain(s))
		}
	}
}

// Sorting by a column: ascending, descending, back to the marked order;
// numbers as numbers (lr "0.05" < "0.1" < "0.3"); the cursor moves over
// shown columns only.
func TestCompareSort(t *testing.T) {
	s, e := newScreen(t, 160, 48)
	ids := seedCompare(t, e)
	openCompare(t, s)
	tb := s.cmp.table
	col := func(name string) int {
		for i, c := range tb.cols {
			if c.name == name {
				return i
			}
		}
		t.Fatalf("no column %q in %v", name, tb.cols)
		return -1
	}
	runsIn := func() []string {
		var out []string
		for _, i := range tb.order() {
			out = append(out, tb.runs[i])
		}
		return out
	}
	marked := strings.Join(runsIn(), " ")
	for tb.col != col("lr") {
		before := tb.col
		hit(t, s, "right")
		if tb.col == before {
			t.Fatal("→ did not reach the lr column")
		}
	}
	byLR := []string{ids[1], ids[2], ids[0]} // 0.05, 0.1, 0.3
	hit(t, s, "s")
	if got := strings.Join(runsIn(), " "); got != strings.Join(byLR, " ") {
		t.Errorf("sort by lr ↑: %s", got)
	}
	if !strings.Contains(plain(s), "sort lr ↑") {
		t.Errorf("title does not name the sort:\n%s", plain(s))
	}
	hit(t, s, "s")
	if got := runsIn(); got[0] != ids[0] || got[2] != ids[1] {
		t.Errorf("sort by lr ↓: %v", got)
	}
	hit(t, s, "s")
	if got := strings.Join(runsIn(), " "); got != marked {
		t.Errorf("third s: %s, want the marked order %s", got, marked)
	}
	// The best final val_loss column, sorted: the slowest-decaying run
	// (beta, rate 12) is last.
	for tb.col != col("min val_loss") {
		hit(t, s, "right")
	}
	hit(t, s, "s")
	if got := runsIn(); got[2] != ids[1] {
		t.Errorf("sort by min val_loss: %v", got)
	}
	// Hiding the same columns skips hidden ones.
	hit(t, s, "d")
	for _, c := range []string{"hidden", "status"} {
		if tb.shown(col(c)) {
			t.Errorf("%s still shown with the same hidden", c)
		}
	}
	for range 20 {
		hit(t, s, "left")
		if !tb.shown(tb.col) {
			t.Fatalf("cursor on hidden column %q", tb.cols[tb.col].name)
		}
	}
	if tb.col != col("act") {
		t.Errorf("leftmost shown column %q, want act", tb.cols[tb.col].name)
	}
}

// Differing columns are drawn as headings, the same ones muted, the best
// run of a metric highlighted and marked *.
func TestCompareHighlightsDifferences(t *testing.T) {
	s, e := newScreen(t, 160, 48)
	seedCompare(t, e)
	openCompare(t, s)
	tb := s.cmp.table
	differs := map[string]bool{}
	for _, c := range tb.cols[1:] {
		differs[c.name] = c.differs
	}
	for name, want := range map[string]bool{"status": false, "hidden": false, "lr": true, "act": true, "val_loss": true, "min val_loss": true, "max val_acc": true} {
		if got, ok := differs[name]; !ok || got != want {
			t.Errorf("%s differs %v (present %v), want %v", name, got, ok, want)
		}
	}
	st := styles.New(true)
	out := strings.Join(tb.view(st, 160, 10), "\n")
	for i, c := range tb.cols[1:] {
		idx := i + 1
		if idx == tb.col {
			continue
		}
		cell := tb.cellText(idx, c.name)
		want := st.Muted.Render(cell)
		if c.differs {
			want = st.Title.Render(cell)
		}
		if !strings.Contains(out, want) {
			t.Errorf("header %q not drawn as %q:\n%q", c.name, want, out)
		}
	}
	if got := strings.Count(plain(s), "*"); got < 2 {
		t.Errorf("best values not marked (%d *):\n%s", got, plain(s))
	}
}

// e steps the smoothing through chart.Smoothings and the curves drawn are
// the EMA of the series; t switches x to seconds since the run started.
func TestCompareSmoothingAndAxis(t *testing.T) {
	s, e := newScreen(t, 120, 40)
	seedCompare(t, e)
	openCompare(t, s)
	for i := range chart.Smoothings {
		if want := fmt.Sprintf("EMA %g", chart.Smoothings[i]); !strings.Contains(plain(s), want) {
			t.Errorf("step %d: view lacks %q", i, want)
		}
		hit(t, s, "e")
	}
	if s.cmp.smooth != 0 {
		t.Errorf("smoothing did not wrap: %d", s.cmp.smooth)
	}
	// The footer names the view's keys.
	var help []string
	for _, b := range s.ShortHelp() {
		help = append(help, b.Help().Key+" "+b.Help().Desc)
	}
	for _, g := range s.FullHelp() {
		for _, b := range g {
			help = append(help, b.Help().Key+" "+b.Help().Desc)
		}
	}
	for _, want := range []string{"e smoothing", "t x: step/time", "s sort by column", "d hide/show same", "m/M curve metric", "←/→ column"} {
		if !strings.Contains(strings.Join(help, "\n"), want) {
			t.Errorf("help lacks %q: %v", want, help)
		}
	}
	hit(t, s, "t")
	if !s.cmp.wall || !strings.Contains(plain(s), "x seconds") {
		t.Errorf("t did not switch to wall time:\n%s", plain(s))
	}
	// The chart shows the smoothed last value in its legend.
	hit(t, s, "e") // 0.6
	var m engine.ComparedMetric = s.cmp.res.Metrics[s.cmp.metric]
	pts := s.cmp.res.Series["rcmpalpha001"][m.Name]
	var raw []chart.Point
	for _, p := range pts {
		raw = append(raw, chart.Point{Y: p.Value})
	}
	last := chart.EMA(raw, 0.6)[len(raw)-1].Y
	if want := "rcmpalph " + format.Short(last); !strings.Contains(plain(s), want) {
		t.Errorf("legend lacks the smoothed last value %q:\n%s", want, plain(s))
	}
}

// A comparison of a run still going is read again on the tick every
// compareRefresh, keeping the sort; one of finished runs is not.
func TestCompareRefreshesLiveRuns(t *testing.T) {
	s, e := newScreen(t, 120, 40)
	ids := seedCompare(t, e)
	now := time.Date(2026, 11, 25, 9, 5, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	ws, err := experiments.Open(e.Info().Root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ctx := context.Background()
	if _, err := ws.Store.UpdateRun(ctx, ids[0], func(r *experiments.Run) error { r.Status = runstatus.Running; return nil }); err != nil {
		t.Fatal(err)
	}
	openCompare(t, s)
	hit(t, s, "s") // sort by the cursor column (status)
	if err := ws.Store.AppendMetrics(ctx, []experiments.MetricSample{{RunID: ids[0], Key: "val_loss", Step: 31, Value: 0.1}}); err != nil {
		t.Fatal(err)
	}
	tick(t, s)
	if n := len(s.cmp.res.Series[ids[0]]["val_loss"]); n != 30 {
		t.Fatalf("read again before compareRefresh: %d points", n)
	}
	now = now.Add(compareRefresh)
	tick(t, s)
	if n := len(s.cmp.res.Series[ids[0]]["val_loss"]); n != 31 || s.cmp.table.sortCol != 1 {
		t.Fatalf("after compareRefresh: %d points, sort column %d", n, s.cmp.table.sortCol)
	}
	if _, err := ws.Store.UpdateRun(ctx, ids[0], func(r *experiments.Run) error { r.Status = runstatus.Completed; return nil }); err != nil {
		t.Fatal(err)
	}
	now = now.Add(compareRefresh)
	tick(t, s) // reads the run's end
	seq := s.cmp.seq
	now = now.Add(compareRefresh)
	tick(t, s)
	if s.cmp.seq != seq || s.cmp.seq != 0 {
		t.Errorf("finished runs read again (seq %d → %d)", seq, s.cmp.seq)
	}
}

// c needs two runs; a param's name and value and a run's name reach the
// terminal escaped.
func TestCompareTargetsAndEscaping(t *testing.T) {
	s, e := newScreen(t, 160, 48)
	seedCompare(t, e)
	drive(t, s, s.load(true))
	hit(t, s, "c")
	if s.cmp != nil || s.err == nil || !strings.Contains(s.err.Error(), "mark two or more") {
		t.Fatalf("c without marks: cmp %v, err %v", s.cmp != nil, s.err)
	}
	hit(t, s, "space") // one marked and the cursor on the next: those two
	hit(t, s, "c")
	if s.cmp == nil || len(s.cmp.ids) != 2 {
		t.Fatalf("one marked + cursor: %+v", s.cmp)
	}
	hit(t, s, "esc")
	ws, err := experiments.Open(e.Info().Root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	evil := experiments.Run{ID: "rcmpevil0004", Name: "bad\x1b]0;title\a", Status: runstatus.Completed, Runner: "local", Command: []string{"x"},
		Params: map[string]any{"p\x1b[2J": "v\x1b[31m", "lr": "1"}}
	if err := ws.Store.CreateRun(context.Background(), &evil); err != nil {
		t.Fatal(err)
	}
	if err := ws.Store.AppendMetrics(context.Background(), []experiments.MetricSample{{RunID: evil.ID, Key: "val_loss\x07", Step: 1, Value: 1}}); err != nil {
		t.Fatal(err)
	}
	s.cmp = nil
	hit(t, s, "esc") // clears the marks
	drive(t, s, s.load(true))
	for range 5 {
		hit(t, s, "up")
	}
	hit(t, s, "space") // the newest run: the evil one
	hit(t, s, "space")
	hit(t, s, "c")
	if s.cmp == nil || s.cmp.res == nil || s.cmp.ids[0] != evil.ID {
		t.Fatalf("no comparison with %s: %+v, %v", evil.ID, s.cmp, s.err)
	}
	for range len(s.cmp.res.Metrics) {
		if s.cmp.res.Metrics[s.cmp.metric].Name == "val_loss\x07" {
			break
		}
		hit(t, s, "m")
	}
	tuitest.Escaped(t, "compare", s.View(), `p\x1b[2J`, `v\x1b[31m`, `bad\x1b]0;t`, `val_loss\x07`)
}

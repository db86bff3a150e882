package tuner

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

var press = tuitest.Key

// newStudyWorkspace makes a real workspace with two studies: "front" (two
// objectives and a constraint, 12 told trials, trial 1 linked to a run) and
// "other" (one objective, 3 trials).
func newStudyWorkspace(t *testing.T) *experiments.Workspace {
	t.Helper()
	ctx := context.Background()
	ws, err := experiments.Init(filepath.Join(t.TempDir(), "ws"), "t")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	e := engine.New(ws, &config.Config{}, engine.Options{})
	defer e.Close()
	spec := tellFront(t, e, 12)
	st, _ := ws.Store.GetStudy(ctx, "front")
	run := experiments.Run{Runner: "local", Command: []string{"true"}}
	// A fresh pending trial gets a run, as the study driver would.
	ts, err := e.AskTrials(ctx, "front", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Store.CreateRunForTrial(ctx, st.ID, ts[0].Number, &run); err != nil {
		t.Fatal(err)
	}
	spec2 := spec
	spec2.Name = "other"
	spec2.Metrics = spec.Metrics[:1]
	if _, err := e.CreateStudy(ctx, engine.StudySpec{Spec: spec2}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AskTrials(ctx, "other", 3); err != nil {
		t.Fatal(err)
	}
	return ws
}

// tellFront creates the study "front" (two objectives, f1 = a and f2 =
// (1-a)(1+b), and a constraint c = b <= 0.8) through the engine, and asks
// and tells n trials, as `lathe tune ask`/`tell` would.
func tellFront(t *testing.T, e *engine.Engine, n int) optimizer.Spec {
	t.Helper()
	ctx := context.Background()
	thr := 0.8
	spec := optimizer.Spec{
		Name: "front",
		Parameters: []optimizer.Parameter{
			{Name: "a", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0, Max: 1}},
			{Name: "b", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0, Max: 1}},
		},
		Metrics: []optimizer.Metric{
			{Name: "f1", Objective: optimizer.Minimize},
			{Name: "f2", Objective: optimizer.Minimize},
			{Name: "c", Objective: optimizer.Minimize, Strategy: optimizer.StrategyConstraint, Threshold: &thr},
		},
		ObservationBudget: 20,
		Seed:              1,
	}
	if _, err := e.CreateStudy(ctx, engine.StudySpec{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	for range n {
		ts, err := e.AskTrials(ctx, "front", 1)
		if err != nil {
			t.Fatal(err)
		}
		a, b := ts[0].Params["a"].(float64), ts[0].Params["b"].(float64)
		m := map[string]float64{"f1": a, "f2": (1 - a) * (1 + b), "c": b}
		if _, err := e.TellTrial(ctx, "front", ts[0].Number, m, false); err != nil {
			t.Fatal(err)
		}
	}
	return spec
}

func newScreen(t *testing.T, ws *experiments.Workspace, w, h int) *Screen {
	t.Helper()
	e := engine.New(ws, &config.Config{}, engine.Options{})
	t.Cleanup(func() { e.Close() })
	return newScreenEngine(t, e, w, h)
}

// newScreenEngine is the Tuner over e, sized and with its first fetch done.
func newScreenEngine(t *testing.T, e *engine.Engine, w, h int) *Screen {
	t.Helper()
	s := New(tuitest.Context(t, e))
	s.SetSize(w, h)
	// Activate returns Batch(fetch, tick): run the fetch, leave the tick.
	batch, ok := s.Activate()().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("Activate: want a batch of fetch and tick")
	}
	s.Update(batch[0]())
	return s
}

func checkBounds(t *testing.T, view string, w, h int) {
	t.Helper()
	tuitest.Bounds(t, "tuner", view, w, h)
}

func TestTunerShowsStudy(t *testing.T) {
	ws := newStudyWorkspace(t)
	s := newScreen(t, ws, 80, 20)
	rep, err := s.Report()
	if err != nil || rep == nil {
		t.Fatalf("report %v, err %v", rep, err)
	}
	// ListStudies is newest first: "other" was created last.
	if rep.Study != "other" {
		t.Fatalf("shows %q, want the newest study, other", rep.Study)
	}
	// Pick "front" in the study picker.
	s.Update(press("s"))
	if !strings.Contains(s.View(), "Studies") {
		t.Fatalf("picker not shown:\n%s", s.View())
	}
	s.Update(press("j"))
	_, cmd := s.Update(press("enter"))
	if cmd == nil {
		t.Fatal("choosing a study started no fetch")
	}
	s.Update(cmd())
	rep, _ = s.Report()
	if rep == nil || rep.Study != "front" || len(rep.Trials) != 13 {
		t.Fatalf("after picking: %+v", rep)
	}
	view := s.View()
	checkBounds(t, view, 80, 20)
	for _, want := range []string{"front", "13/20 trials", "HV ", "best f1", "f1", "f2", "importance", "x: f1  y: f2"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if !strings.ContainsAny(view, "⠁⠂⠄⡀⠈⠐⠠⢀") && !strings.ContainsRune(view, 0x28FF) {
		hasBraille := false
		for _, r := range view {
			if r > 0x2800 && r <= 0x28FF {
				hasBraille = true
			}
		}
		if !hasBraille {
			t.Errorf("no braille points in the scatter:\n%s", view)
		}
	}
	// Pareto trials are starred in the table; the best is named in the header.
	for _, n := range rep.Pareto {
		if !strings.Contains(view, " "+itoa(n)+"* ") && n < 13 {
			t.Errorf("Pareto trial %d not starred:\n%s", n, view)
		}
	}
	if rep.Best == nil || !strings.Contains(view, "best #"+itoa(*rep.Best)) {
		t.Errorf("best %v not in the header:\n%s", rep.Best, view)
	}

	// Navigation: j moves, G goes to the last trial, which has a run: enter
	// jumps to it.
	s.Update(press("j"))
	if _, n := s.Selected(); n != 2 {
		t.Errorf("after j: trial %d, want 2", n)
	}
	if _, cmd := s.Update(press("enter")); cmd != nil {
		t.Errorf("enter on a trial without a run emitted %v", cmd())
	}
	s.Update(press("G"))
	_, cmd = s.Update(press("enter"))
	if cmd == nil {
		t.Fatal("enter on trial 13 (with a run) did nothing")
	}
	jm, ok := cmd().(common.JumpMsg)
	if !ok || jm.Screen != common.Runs || jm.ID != rep.Trials[12].RunID || jm.ID == "" {
		t.Errorf("jump %+v, want Runs and run %q", jm, rep.Trials[12].RunID)
	}
	// Axes cycle: x from f1 to c (trial, f1, f2, c).
	s.Update(press("x"))
	s.Update(press("x"))
	if v := s.View(); !strings.Contains(v, "x: c  y: f2") {
		t.Errorf("after x x: %s", v)
	}
	// Narrow terminals show one pane at a time; v switches.
	s.SetSize(60, 16)
	v := s.View()
	checkBounds(t, v, 60, 16)
	if strings.Contains(v, "x: c") {
		t.Errorf("narrow view shows the plot by default:\n%s", v)
	}
	s.Update(press("v"))
	if v := s.View(); !strings.Contains(v, "x: c") {
		t.Errorf("v did not switch to the plot:\n%s", v)
	}
	for _, size := range [][2]int{{80, 20}, {40, 10}, {120, 40}, {20, 5}, {100, 26}} {
		s.SetSize(size[0], size[1])
		checkBounds(t, s.View(), size[0], size[1])
	}
}

// A stale tick (from an earlier activation) is ignored; a current one
// refreshes and re-arms.
func TestTunerTick(t *testing.T) {
	ws := newStudyWorkspace(t)
	s := newScreen(t, ws, 80, 20)
	gen := s.tickGen
	if _, cmd := s.Update(tickMsg{gen: gen - 1}); cmd != nil {
		t.Error("a stale tick did something")
	}
	s.Deactivate()
	if _, cmd := s.Update(tickMsg{gen: gen}); cmd != nil {
		t.Error("a tick after Deactivate did something")
	}
	s.Activate()
	if _, cmd := s.Update(tickMsg{gen: s.tickGen}); cmd == nil {
		t.Error("a current tick did not re-arm")
	}
	// Live refresh: a trial told by someone else shows on the next fetch.
	before, _ := s.Report()
	ctx := context.Background()
	if _, err := s.c.Engine().TellTrial(ctx, before.Study, 1, nil, true); err != nil {
		t.Fatal(err)
	}
	s.jobs.CancelAll()
	s.pending = 0
	_, cmd := s.Update(press("r"))
	s.Update(cmd())
	after, _ := s.Report()
	if after.Trials[0].Status != experiments.TrialFailed {
		t.Errorf("after refresh trial 1 is %s, want failed", after.Trials[0].Status)
	}
}

func TestTunerWithoutWorkspaceOrStudies(t *testing.T) {
	s := newScreen(t, nil, 80, 20)
	if v := s.View(); !strings.Contains(v, "no workspace") {
		t.Errorf("no-workspace view:\n%s", v)
	}
	ws, err := experiments.Init(filepath.Join(t.TempDir(), "ws"), "t")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	s = newScreen(t, ws, 80, 20)
	v := s.View()
	checkBounds(t, v, 80, 20)
	if !strings.Contains(v, "No studies") || !strings.Contains(v, "lathe tune run") {
		t.Errorf("empty view:\n%s", v)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestThresholdLineNearDataOnly(t *testing.T) {
	thr := 2000.0
	a := axis{name: "params", metric: "params", threshold: &thr}
	if l, label := thresholdLine(a, []float64{29, 198, 744}); l != nil || !strings.Contains(label, "thr 2000 off-plot") {
		t.Errorf("far threshold: line %v, label %q", l, label)
	}
	if l, label := thresholdLine(a, []float64{900, 1500, 2600}); l == nil || *l != 2000 || label != "params" {
		t.Errorf("threshold inside the data: line %v, label %q", l, label)
	}
	if l, _ := thresholdLine(a, []float64{100, 1100}); l == nil {
		t.Error("threshold within one range of the data left out")
	}
}

package tuner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// quickSpec's trials are local processes that report a loss and end
// after a short while; slowSpec's run for a minute unless stopped.
const quickSpec = `name: quick
runner: local
command: ["/bin/sh", "-c", "sleep 0.3; echo \"{\\\"loss\\\": $LATHE_PARAM_X}\""]
parameters:
  - {name: x, type: double, bounds: {min: 0, max: 1}}
metrics:
  - {name: loss, objective: minimize}
observation_budget: 4
parallel_bandwidth: 1
seed: 5
`

var slowSpec = strings.NewReplacer("name: quick", "name: slow", "sleep 0.3; ", "", `}\""]`, `}\"; sleep 60"]`).Replace(quickSpec)

// specWorkspace is an engine over a workspace holding the given spec files.
func specWorkspace(t *testing.T, files map[string]string) *engine.Engine {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ws")
	e := tuitest.Engine(t, dir, "", engine.Options{})
	for rel, text := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// deliver runs cmd's leaf commands and hands their results to s, as the
// runtime would (one level: ticks are not run).
func deliver(s *Screen, cmd tea.Cmd) tea.Cmd {
	var next []tea.Cmd
	for _, m := range tuitest.Run(cmd) {
		_, c := s.Update(m)
		next = append(next, c)
	}
	return tea.Batch(next...)
}

// pick opens the spec picker and selects path in it.
func pick(t *testing.T, s *Screen, path string) {
	t.Helper()
	deliver(s, s.key(press("n")))
	files := s.SpecFiles()
	for i, f := range files {
		if f.Path == path {
			for range i {
				s.Update(press("j"))
			}
			return
		}
	}
	t.Fatalf("the picker lists %+v, not %s", files, path)
}

// refresh re-reads the store as the tick would.
func refresh(s *Screen) { deliver(s, s.key(press("r"))) }

// n picks a spec in the picker, enter starts it in the background, and the
// screen shows its trials completing one by one while the engine drives
// it, then the finished study.
func TestStartStudyFromPickerWatchesItLive(t *testing.T) {
	e := specWorkspace(t, map[string]string{"studies/quick.yaml": quickSpec})
	s := newScreenEngine(t, e, 100, 30)
	if !strings.Contains(ansi.Strip(s.View()), "Press n to start one") {
		t.Fatalf("empty Tuner:\n%s", ansi.Strip(s.View()))
	}
	pick(t, s, "studies/quick.yaml")
	if v := ansi.Strip(s.View()); !strings.Contains(v, "studies/quick.yaml") || !strings.Contains(v, "new") {
		t.Fatalf("picker:\n%s", v)
	}
	deliver(s, deliver(s, s.key(press("enter")))) // start, then the first read
	if s.specs.open || s.Driving() == nil || s.Driving().Study != "quick" {
		t.Fatalf("after enter: picker open %v, driving %+v, err %v", s.specs.open, s.Driving(), s.err)
	}
	seen := map[int]bool{} // completed trials seen while the study ran
	deadline := time.Now().Add(60 * time.Second)
	for {
		refresh(s)
		rep, _ := s.Report()
		if rep != nil && rep.Status == experiments.StudyCompleted {
			break
		}
		if rep != nil && rep.Status == experiments.StudyRunning {
			done := 0
			for _, tr := range rep.Trials {
				if tr.Status == experiments.TrialCompleted {
					done++
				}
			}
			seen[done] = true
			if done < 4 && !strings.Contains(ansi.Strip(s.View()), "driving here") {
				t.Fatalf("a running study's header lacks the driver:\n%s", ansi.Strip(s.View()))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not completed in 60 s; last report %+v", rep)
		}
		time.Sleep(100 * time.Millisecond)
	}
	live := 0
	for n := range seen {
		if n > 0 && n < 4 {
			live++
		}
	}
	if live < 2 {
		t.Errorf("saw completed counts %v while it ran; want trials completing live", seen)
	}
	rep, _ := s.Report()
	v := ansi.Strip(s.View())
	if len(rep.Trials) != 4 || !strings.Contains(v, "completed · 4/4 trials") || strings.Contains(v, "driving here") {
		t.Errorf("finished study (%d trials):\n%s", len(rep.Trials), v)
	}
	// Its spec now opens the completed study rather than starting it again.
	pick(t, s, "studies/quick.yaml")
	if v := ansi.Strip(s.View()); !strings.Contains(v, "completed") || !strings.Contains(v, "enter: open study quick") {
		t.Errorf("picker after the study:\n%s", v)
	}
}

// X stops the study the screen drives: its running trial is stopped and
// told pruned, no trial follows, and the study shows stopped; the picker
// then offers to resume it, and R in the study picker does.
func TestStopStudyFromTuner(t *testing.T) {
	e := specWorkspace(t, map[string]string{"slow.yaml": slowSpec})
	s := newScreenEngine(t, e, 100, 30)
	pick(t, s, "slow.yaml")
	deliver(s, deliver(s, s.key(press("enter"))))
	run := s.Driving()
	if run == nil {
		t.Fatalf("not driving: %v / %v", s.err, s.specs.err)
	}
	// Wait for the trial's run to report before stopping it.
	waitUntil(t, func() bool {
		refresh(s)
		rep, _ := s.Report()
		if rep == nil || len(rep.Trials) == 0 {
			return false
		}
		st, err := e.LastMetrics(t.Context(), rep.Trials[0].RunID)
		_, ok := st["loss"]
		return err == nil && ok
	})
	deliver(s, s.key(press("X")))
	select {
	case <-run.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("X did not stop the study in 30 s")
	}
	refresh(s)
	rep, _ := s.Report()
	if rep.Status != experiments.StudyStopped || len(rep.Trials) != 1 || rep.Trials[0].Status != experiments.TrialPruned ||
		!strings.Contains(rep.Trials[0].Error, engine.StopReason) {
		t.Fatalf("after X: %s, trials %+v", rep.Status, rep.Trials)
	}
	if v := ansi.Strip(s.View()); !strings.Contains(v, "stopped · 1/4 trials") {
		t.Errorf("stopped study:\n%s", v)
	}
	pick(t, s, "slow.yaml")
	if v := ansi.Strip(s.View()); !strings.Contains(v, "enter: resume study slow (stopped)") {
		t.Errorf("picker of a stopped study:\n%s", v)
	}
	// R in the study picker resumes it, X stops it again.
	s.Update(press("esc"))
	s.Update(press("s"))
	deliver(s, deliver(s, s.key(press("R"))))
	again := s.Driving()
	if again == nil || again == run || !again.Resumed || s.picking {
		t.Fatalf("R: driving %+v (picker open %v, err %v)", again, s.picking, s.err)
	}
	deliver(s, s.key(press("X")))
	select {
	case <-again.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("X did not stop the resumed study in 30 s")
	}
	if rep, err := again.Result(); err != nil || rep.Status != experiments.StudyStopped {
		t.Errorf("resumed and stopped: %s, %v", rep.Status, err)
	}
}

// The picker at 80x24: a spec that does not parse shows its error with the
// file and line; enter on it starts nothing. Run `go test ./tui/tuner -run
// Golden -update` after an intended change.
func TestGoldenSpecPicker(t *testing.T) {
	bad := strings.Replace(quickSpec, "type: double", "type: float", 1)
	e := specWorkspace(t, map[string]string{
		"studies/quick.yaml": quickSpec,
		"studies/bad.yaml":   bad,
		"slow.yaml":          slowSpec,
		"data/rows.json":     `[{"parameters": 1}]`,
	})
	s := newScreenEngine(t, e, 80, 24)
	pick(t, s, "studies/bad.yaml")
	view := s.View()
	checkBounds(t, view, 80, 24)
	if v := ansi.Strip(view); !strings.Contains(v, "studies/bad.yaml:5") {
		t.Errorf("the bad spec's error lacks file:line:\n%s", v)
	}
	tuitest.Golden(t, "specs_80x24", ansi.Strip(view)+"\n")
	if cmd := s.key(press("enter")); cmd != nil || s.Driving() != nil {
		t.Errorf("enter on a bad spec started something")
	}
	s.Update(press("j"))
	tuitest.Golden(t, "specs_new_80x24", ansi.Strip(s.View())+"\n")
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("not within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

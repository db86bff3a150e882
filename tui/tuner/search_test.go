package tuner

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// / filters the trials table as it is typed (status, metrics, params, run
// id), moves the selection onto a kept trial, enter keeps the filter (and
// then jumps to the kept trial's run), esc clears it.
func TestSearchTrials(t *testing.T) {
	ws := newStudyWorkspace(t)
	s := newScreen(t, ws, 80, 20)
	s.Update(press("s"))
	s.Update(press("j"))
	_, cmd := s.Update(press("enter"))
	s.Update(cmd())
	rep, _ := s.Report()
	if rep == nil || rep.Study != "front" || len(rep.Trials) != 13 {
		t.Fatalf("study: %+v", rep)
	}
	var running experiments.Trial
	for _, tr := range rep.Trials {
		if tr.Status == experiments.TrialRunning {
			running = tr
		}
	}
	s.Update(press("/"))
	if !s.CapturingInput() {
		t.Fatal("/ did not open the search line")
	}
	for _, k := range tuitest.Typed("RUNNING") {
		s.Update(k)
	}
	v := ansi.Strip(s.View())
	if !strings.Contains(v, "search: RUNNING") || !strings.Contains(v, "/RUNNING: 1 of 13") || strings.Count(v, " done ") != 0 {
		t.Errorf("typing RUNNING:\n%s", v)
	}
	if _, n := s.Selected(); n != running.Number {
		t.Errorf("selected trial %d, want the running one, %d", n, running.Number)
	}
	checkBounds(t, s.View(), 80, 20)
	s.Update(press("enter"))
	if s.CapturingInput() || !strings.Contains(ansi.Strip(s.View()), "/RUNNING: 1 of 13") {
		t.Fatalf("enter did not keep the search:\n%s", ansi.Strip(s.View()))
	}
	_, cmd = s.Update(press("enter"))
	if cmd == nil {
		t.Fatal("enter on the kept trial did not jump")
	}
	if j, ok := cmd().(common.JumpMsg); !ok || j.ID != running.RunID {
		t.Errorf("jump %+v, want run %s", j, running.RunID)
	}
	s.Update(press("esc"))
	if v := ansi.Strip(s.View()); strings.Contains(v, "/RUNNING") || strings.Count(v, " done ") < 5 {
		t.Errorf("esc did not clear the search:\n%s", v)
	}
}

package runners

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// / filters the runners as it is typed, over what their blocks show (a GPU
// name too); enter keeps it, esc clears it. GPUs here are fake values.
func TestSearchRunners(t *testing.T) {
	s := newScreen(t, 80, 24)
	s.sts = []engine.RunnerStatus{
		{Name: "local", Type: "local", Reachable: true, MaxConcurrent: 1},
		{Name: "gpu1", Type: "docker", Host: "ssh://ml@gpu1", Reachable: true, MaxConcurrent: 2,
			GPUs: []runners.GPU{{Index: 0, Name: "NVIDIA A100-SXM4-40GB"}}},
		{Name: "gone", Type: "docker", Host: "tcp://127.0.0.1:1"},
	}
	key := func(k string) { s.Update(tuitest.Key(k)) }
	key("/")
	if !s.CapturingInput() {
		t.Fatal("/ did not open the search")
	}
	for _, k := range tuitest.Typed("a100") {
		s.Update(k)
	}
	v := ansi.Strip(s.View())
	if !strings.Contains(v, "gpu1") || strings.Contains(v, "local") || strings.Contains(v, "gone") ||
		!strings.Contains(v, "search: a100") || !strings.Contains(v, "/a100: 1 of 3") {
		t.Errorf("typing a100:\n%s", v)
	}
	tuitest.Bounds(t, "runners", s.View(), 80, 24)
	key("enter")
	if s.CapturingInput() || !strings.Contains(ansi.Strip(s.View()), "/a100: 1 of 3") {
		t.Errorf("enter did not keep the search:\n%s", ansi.Strip(s.View()))
	}
	key("/")
	for _, k := range []string{"backspace", "backspace", "backspace", "backspace"} {
		key(k)
	}
	for _, k := range tuitest.Typed("UNREACH") {
		s.Update(k)
	}
	if v := ansi.Strip(s.View()); !strings.Contains(v, "gone") || strings.Contains(v, "gpu1") {
		t.Errorf("UNREACH:\n%s", v)
	}
	key("esc")
	if v := ansi.Strip(s.View()); s.CapturingInput() || !strings.Contains(v, "local") || !strings.Contains(v, "gpu1") || strings.Contains(v, "of 3") {
		t.Errorf("esc did not clear:\n%s", v)
	}
}

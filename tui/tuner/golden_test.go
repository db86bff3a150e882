package tuner

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// A real study (two objectives and a constraint, 16 trials asked of the
// engine's optimizer with a fixed seed and told their values): the trials
// table beside the Pareto scatter at 80x24 and 160x48, and the scatter
// alone (v) at 80x24. Run `go test ./tui/tuner -run Golden -update` after an
// intended change.
func TestGoldenPareto(t *testing.T) {
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), "", engine.Options{})
	tellFront(t, e, 16)
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s := newScreenEngine(t, e, sz[0], sz[1])
		if rep, err := s.Report(); err != nil || rep == nil || len(rep.Trials) != 16 {
			t.Fatalf("report %+v, %v", rep, err)
		}
		checkBounds(t, s.View(), sz[0], sz[1])
		tuitest.Golden(t, fmt.Sprintf("pareto_%dx%d", sz[0], sz[1]), ansi.Strip(s.View())+"\n")
		if sz[0] == 80 {
			s.Update(press("v"))
			tuitest.Golden(t, "pareto_plot_80x24", ansi.Strip(s.View())+"\n")
		}
	}
}

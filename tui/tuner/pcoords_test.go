package tuner

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui/components/scatter"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// The parallel coordinates (p) of the real study of TestGoldenPareto: beside
// the table at 80x24 and 160x48, and alone (v) at 80x24. Run `go test
// ./tui/tuner -run Golden -update` after an intended change.
func TestGoldenParallelCoordinates(t *testing.T) {
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), "", engine.Options{})
	tellFront(t, e, 16)
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s := newScreenEngine(t, e, sz[0], sz[1])
		s.Update(press("p"))
		checkBounds(t, s.View(), sz[0], sz[1])
		view := ansi.Strip(s.View())
		for _, want := range []string{"parallel coordinates", "f1", "f2"} {
			if !strings.Contains(view, want) {
				t.Errorf("%dx%d: view lacks %q:\n%s", sz[0], sz[1], want, view)
			}
		}
		tuitest.Golden(t, fmt.Sprintf("pcoords_%dx%d", sz[0], sz[1]), view+"\n")
		if sz[0] == 80 {
			s.Update(press("v"))
			tuitest.Golden(t, "pcoords_plot_80x24", ansi.Strip(s.View())+"\n")
		}
		s.Update(press("p"))
		if strings.Contains(ansi.Strip(s.View()), "parallel coordinates") {
			t.Errorf("p did not switch back to the scatter")
		}
	}
}

// Each trial is a line with the class the scatter gives it: the selected
// one, the Pareto front, infeasible ones dimmed; a parameter's value, a
// metric's, NaN where a trial has none.
func TestParallelCoordinatesLines(t *testing.T) {
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), "", engine.Options{})
	tellFront(t, e, 16)
	s := newScreenEngine(t, e, 160, 48)
	rep, _ := s.Report()
	p := s.pcoordsPlot()
	if names := []string{p.Axes[0].Name, p.Axes[1].Name, p.Axes[2].Name, p.Axes[3].Name, p.Axes[4].Name}; strings.Join(names, " ") != "a b f1 f2 c" {
		t.Fatalf("axes %v", names)
	}
	pareto := map[int]bool{}
	for _, n := range rep.Pareto {
		pareto[n] = true
	}
	seen := map[scatter.Class]int{}
	for i, tr := range rep.Trials {
		l := p.Lines[i]
		seen[l.Class]++
		want := scatter.Normal
		switch {
		case i == 0:
			want = scatter.Selected
		case tr.Feasible != nil && !*tr.Feasible:
			want = scatter.Dim
		case pareto[tr.Number]:
			want = scatter.Highlight
		}
		if l.Class != want {
			t.Errorf("trial %d: class %v, want %v", tr.Number, l.Class, want)
		}
		if l.Values[0] != tr.Params["a"] || l.Values[2] != tr.Metrics["f1"] {
			t.Errorf("trial %d: values %v, params %v metrics %v", tr.Number, l.Values, tr.Params, tr.Metrics)
		}
	}
	if seen[scatter.Dim] == 0 || seen[scatter.Highlight] == 0 {
		t.Errorf("classes %v: want infeasible and Pareto trials in the study", seen)
	}
	if v := paramValue(nil, nil); !math.IsNaN(v) {
		t.Errorf("absent param %v", v)
	}
	if v := paramValue("tanh", []string{"relu", "tanh"}); v != 1 {
		t.Errorf("category index %v", v)
	}
}

package parcoords

import (
	"math"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/components/scatter"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

func samplePlot(text bool) Plot {
	p := Plot{Axes: []Axis{{Name: "lr", Log: true}, {Name: "act", Categories: []string{"relu", "tanh"}}, {Name: "loss"}}, Text: text}
	p.Lines = []Line{
		{Values: []float64{1e-4, 0, 0.9}, Class: scatter.Dim},
		{Values: []float64{1e-2, 1, 0.1}, Class: scatter.Highlight},
		{Values: []float64{1e-1, 0, math.NaN()}, Class: scatter.Normal},
	}
	return p
}

// Pinned frames at 80x24 and 160x48, braille and ASCII
// (`go test ./tui/components/parcoords -update` after an intended change).
func TestGoldenParcoords(t *testing.T) {
	for _, c := range []struct {
		name string
		w, h int
		text bool
	}{{"braille_80x24", 80, 24, false}, {"braille_160x48", 160, 48, false}, {"ascii_80x24", 80, 24, true}} {
		got := Render(samplePlot(c.text), c.w, c.h, nil)
		tuitest.Bounds(t, c.name, got, c.w, c.h)
		if c.text {
			for _, r := range got {
				if r > 0x7e {
					t.Fatalf("ASCII plot holds %q:\n%s", r, got)
				}
			}
		}
		tuitest.Golden(t, c.name, got+"\n")
	}
}

// The axes' ends are labelled with their ranges (log axes in their units,
// categories by name); a line meets each axis at its value: the best loss
// (0.1) at the bottom of the loss axis, lr 0.1 at the top of lr; the
// highest class wins a shared cell.
func TestParcoordsGeometry(t *testing.T) {
	const w, h = 41, 12
	got := strings.Split(Render(samplePlot(true), w, h, nil), "\n")
	if !strings.HasPrefix(got[0], "lr") || !strings.Contains(got[0], "act") || !strings.HasSuffix(strings.TrimRight(got[0], " "), "loss") {
		t.Errorf("names row %q", got[0])
	}
	if !strings.Contains(got[1], "0.1") || !strings.Contains(got[1], "tanh") || !strings.Contains(got[1], "0.9") {
		t.Errorf("top row %q", got[1])
	}
	if !strings.Contains(got[h-1], "1.0e-04") || !strings.Contains(got[h-1], "relu") {
		t.Errorf("bottom row %q", got[h-1])
	}
	canvas := got[2 : h-1]
	if canvas[0][0] != '+' || canvas[len(canvas)-1][w-1] != '+' || canvas[0][w-1] != '+' {
		t.Errorf("lines do not meet the axes at their values:\n%s", strings.Join(canvas, "\n"))
	}
	// The Pareto line (#) runs from act=tanh (top, centre) to loss 0.1
	// (bottom right); the dim one (o) from lr 1e-4 at the bottom left.
	joined := strings.Join(canvas, "\n")
	if !strings.Contains(joined, "#") || !strings.Contains(joined, "o") {
		t.Errorf("classes not drawn:\n%s", joined)
	}
	// Styles colour by class.
	st := scatter.Styles{scatter.Highlight: lipglossBold()}
	if out := Render(samplePlot(false), w, h, st); !strings.Contains(out, "\x1b[1m") || ansi.Strip(out) == out {
		t.Errorf("highlight style not applied")
	}
	if out := Render(Plot{Axes: []Axis{{Name: "x"}}}, 60, 5, nil); !strings.Contains(out, "two or more axes") {
		t.Errorf("one axis: %q", out)
	}
}

func lipglossBold() lipgloss.Style { return lipgloss.NewStyle().Bold(true) }

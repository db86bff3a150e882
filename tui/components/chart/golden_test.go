package chart

import (
	"math"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// goldenSeries are two training curves with different step grids (every
// step, every third step from 4), as two runs of the trainer report them.
func goldenSeries() []*Series {
	a := &Series{Label: "lr=0.3"}
	b := &Series{Label: "lr=0.05"}
	for step := 1; step <= 30; step++ {
		a.Add(Point{X: float64(step), Y: 0.1 + 1.2*math.Exp(-float64(step)/4)})
		if step >= 4 && step%3 == 1 {
			b.Add(Point{X: float64(step), Y: 0.4 + 0.9*math.Exp(-float64(step)/12)})
		}
	}
	return []*Series{a, b}
}

// The braille chart and both text fallbacks of the same series, pinned at
// 80x24 and 160x48 (`go test ./tui/components/chart -run Golden -update`
// after an intended change).
func TestGoldenCharts(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		o    Options
	}{
		{"braille_80x24", 80, 24, Options{NoColor: true, Title: "val_loss"}},
		{"braille_160x48", 160, 48, Options{NoColor: true, Title: "val_loss"}},
		{"box_80x24", 80, 24, Options{NoColor: true, Title: "val_loss", Charset: CharsetBox}},
		{"box_160x48", 160, 48, Options{NoColor: true, Title: "val_loss", Charset: CharsetBox}},
		{"ascii_80x24", 80, 24, Options{NoColor: true, Title: "val_loss", Charset: CharsetASCII}},
		{"ascii_colour_80x24", 80, 24, Options{Title: "val_loss", Charset: CharsetASCII}},
		{"ascii_log_80x24", 80, 24, Options{NoColor: true, Title: "val_loss", Charset: CharsetASCII, LogY: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Render(c.w, c.h, goldenSeries(), c.o)
			checkFrame(t, got, c.w, c.h)
			if c.o.Charset == CharsetASCII {
				for _, r := range ansi.Strip(got) {
					if r > 0x7e {
						t.Fatalf("ASCII chart holds %q:\n%s", r, got)
					}
				}
			}
			tuitest.Golden(t, c.name, got+"\n")
		})
	}
}

// checkFrame asserts exactly h lines, none wider than w.
func checkFrame(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := 1
	width := 0
	for _, l := range splitLines(s) {
		width = max(width, ansi.StringWidth(l))
	}
	for _, r := range s {
		if r == '\n' {
			lines++
		}
	}
	if lines != h || width > w {
		t.Errorf("%dx%d: got %d lines, widest %d:\n%s", w, h, lines, width, s)
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

package chart

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func series(label string, f func(x float64) float64, n int) *Series {
	s := &Series{Label: label, Cap: 20000}
	for i := 0; i < n; i++ {
		s.Add(Point{X: float64(i), Y: f(float64(i))})
	}
	return s
}

func TestRenderFitsTheBox(t *testing.T) {
	ss := []*Series{series("loss", func(x float64) float64 { return 1 / (1 + x) }, 500), series("acc", math.Sqrt, 300)}
	for _, sz := range [][2]int{{80, 20}, {40, 8}, {10, 4}, {5, 3}, {1, 1}, {200, 50}} {
		for _, noColor := range []bool{false, true} {
			out := Render(sz[0], sz[1], ss, Options{NoColor: noColor, Title: "val"})
			lines := strings.Split(out, "\n")
			if len(lines) != sz[1] {
				t.Errorf("%v: %d lines", sz, len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > sz[0] {
					t.Errorf("%v: line %q is %d wide", sz, ansi.Strip(l), ansi.StringWidth(l))
				}
			}
		}
	}
	if out := Render(30, 6, nil, Options{}); !strings.Contains(out, "waiting for metrics") {
		t.Errorf("empty chart:\n%s", out)
	}
}

// A rising diagonal without colour: markers from bottom-left to top-right,
// and axis labels with the true extremes.
func TestRenderDiagonalPlain(t *testing.T) {
	s := &Series{Label: "y"}
	for i := 0; i <= 10; i++ {
		s.Add(Point{X: float64(i), Y: float64(i)})
	}
	out := Render(14, 7, []*Series{s}, Options{NoColor: true})
	lines := strings.Split(out, "\n")
	// Legend, 5 plot rows, x axis.
	if !strings.HasPrefix(lines[0], "• y 10") {
		t.Errorf("legend %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "10┤") || !strings.HasPrefix(lines[5], " 0┤") {
		t.Errorf("y labels:\n%s", out)
	}
	// The plot is 11 cells wide: bottom row starts at the left, top row ends at the right.
	if lines[5][len(" 0┤")] != "•"[0] || !strings.HasSuffix(lines[1], "•") {
		t.Errorf("diagonal not from bottom-left to top-right:\n%s", out)
	}
	if !strings.HasPrefix(lines[6], "  └0") || !strings.HasSuffix(lines[6], "10") {
		t.Errorf("x axis %q", lines[6])
	}
}

func TestSeriesStaysBoundedAndKeepsEnds(t *testing.T) {
	s := &Series{Cap: 100}
	for i := 0; i < 10000; i++ {
		s.Add(Point{X: float64(i), Y: float64(i)})
	}
	if s.Len() > 100 || s.Len() < 50 {
		t.Errorf("len %d, want within (50, 100]", s.Len())
	}
	pts := s.Points()
	if pts[0].X != 0 {
		t.Errorf("first point %v: the start of the curve was lost", pts[0])
	}
	if last, _ := s.Last(); last.X != 9999 {
		t.Errorf("last point %v, want the newest", last)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].X <= pts[i-1].X {
			t.Fatalf("points out of order at %d: %v %v", i, pts[i-1], pts[i])
		}
	}
}

// BenchmarkRender20Series is the target: a frame with 20 live series
// (10,000 points each) in under 10 ms.
func BenchmarkRender20Series(b *testing.B) {
	var ss []*Series
	for k := 0; k < 20; k++ {
		ss = append(ss, series(fmt.Sprint("run", k), func(x float64) float64 { return math.Exp(-x/3000) + float64(k)/50 }, 10000))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Render(120, 40, ss, Options{})
	}
}

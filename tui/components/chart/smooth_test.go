package chart

import (
	"math"
	"testing"
)

// EMA against its closed form: the debiased average of y_0..y_n with
// weights w^(n-i)(1-w), divided by 1 - w^(n+1).
func TestEMAClosedForm(t *testing.T) {
	var pts []Point
	for i := range 50 {
		pts = append(pts, Point{X: float64(i), Y: float64(i%7) + 0.5*float64(i)})
	}
	for _, w := range Smoothings {
		got := EMA(pts, w)
		for n := range pts {
			want := pts[n].Y
			if w > 0 {
				sum := 0.0
				for i := 0; i <= n; i++ {
					sum += math.Pow(w, float64(n-i)) * (1 - w) * pts[i].Y
				}
				want = sum / (1 - math.Pow(w, float64(n+1)))
			}
			if math.Abs(got[n].Y-want) > 1e-9*math.Max(1, math.Abs(want)) || got[n].X != pts[n].X {
				t.Fatalf("w=%v point %d: got %v, want (%v, %v)", w, n, got[n], pts[n].X, want)
			}
		}
	}
	// A constant stays constant (debiased); w=0.5 on 1,0,0 gives 1, 1/3, 1/7.
	for _, p := range EMA([]Point{{0, 3}, {1, 3}, {2, 3}}, 0.9) {
		if math.Abs(p.Y-3) > 1e-12 {
			t.Fatalf("constant series smoothed to %v", p.Y)
		}
	}
	got := EMA([]Point{{0, 1}, {1, 0}, {2, 0}}, 0.5)
	for i, want := range []float64{1, 1.0 / 3, 1.0 / 7} {
		if math.Abs(got[i].Y-want) > 1e-12 {
			t.Fatalf("point %d: %v, want %v", i, got[i].Y, want)
		}
	}
	// NaN is kept and skipped; the input is not modified.
	in := []Point{{0, 2}, {1, math.NaN()}, {2, 4}}
	got = EMA(in, 0.5)
	if !math.IsNaN(got[1].Y) || math.Abs(got[2].Y-(0.5*0.5*2+0.5*4)/0.75) > 1e-12 || in[2].Y != 4 {
		t.Fatalf("NaN handling: %v (input %v)", got, in)
	}
}

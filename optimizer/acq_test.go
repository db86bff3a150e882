package optimizer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// LogEI against the closed form EI = (best−μ)Φ(z) + σφ(z), z = (best−μ)/σ,
// where the closed form is still representable, and against its asymptote
// φ(z)σ/z² deep in the tail where the closed form underflows.
func TestLogEIClosedForm(t *testing.T) {
	cases := []struct{ mu, sigma, best float64 }{
		{0, 1, 0}, {1, 0.5, 0}, {-2, 0.3, 0}, {3, 1, 0.5}, {0.2, 2, -4}, {10, 1.5, 0}, {0, 1e-3, 1e-3},
	}
	for _, c := range cases {
		z := (c.best - c.mu) / c.sigma
		ei := (c.best-c.mu)*normCDF(z) + c.sigma*normPDF(z)
		got := logEI(c.mu, c.sigma, c.best)
		if math.Abs(got-math.Log(ei)) > 1e-8*math.Max(1, math.Abs(math.Log(ei))) {
			t.Errorf("logEI(%v): %.12f, closed form %.12f", c, got, math.Log(ei))
		}
	}
	for _, z := range []float64{-40, -100, -1e4} {
		// h(z) ~ φ(z)/z² (1 − 3/z² + ...) as z → −∞
		want := -0.5*z*z - 0.5*ln2pi - 2*math.Log(-z) + math.Log1p(-3/(z*z))
		if got := logH(z); math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("logH(%g) = %.10g, asymptote %.10g", z, got, want)
		}
	}
	// continuity across the branch at z = −1
	if d := math.Abs(logH(-1-1e-9) - logH(-1+1e-9)); d > 1e-7 {
		t.Errorf("logH jumps by %g at z = −1", d)
	}
}

// Exact 2-D EHVI against a Monte Carlo estimate of E[HVI].
func TestEHVI2DMonteCarlo(t *testing.T) {
	front := [][]float64{{0.2, 0.9}, {0.5, 0.5}, {0.8, 0.15}, {0.6, 0.7}} // last is dominated
	ref := []float64{1, 1.1}
	cases := []struct{ mu, sd []float64 }{
		{[]float64{0.4, 0.4}, []float64{0.2, 0.3}},
		{[]float64{0.9, 0.9}, []float64{0.1, 0.05}},
		{[]float64{0.1, 1.2}, []float64{0.3, 0.4}},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range cases {
		exact := ehvi2D(boxes2D(front, ref), c.mu, c.sd)
		const n = 200000
		var sum, sum2 float64
		for i := 0; i < n; i++ {
			y := []float64{c.mu[0] + c.sd[0]*rng.NormFloat64(), c.mu[1] + c.sd[1]*rng.NormFloat64()}
			h := hvi(front, y, ref)
			sum += h
			sum2 += h * h
		}
		mean := sum / n
		se := math.Sqrt((sum2/n - mean*mean) / n)
		if math.Abs(exact-mean) > 4*se+1e-12 {
			t.Errorf("EHVI %v: exact %.6f, Monte Carlo %.6f ± %.6f", c, exact, mean, se)
		}
	}
}

// Hypervolume: the 2-D sweep, the recursive slicing in 3-D and a Monte Carlo
// estimate agree; DTLZ2's analytic maximum 1.1² − π/4 is reached by a dense
// sample of its true front.
func TestHypervolume(t *testing.T) {
	pts := [][]float64{{1, 3}, {2, 2}, {3, 1}, {2.5, 2.5}}
	if got := hypervolume(pts, []float64{4, 4}); math.Abs(got-6) > 1e-12 {
		t.Fatalf("2-D HV %v, want 6", got)
	}
	p3 := [][]float64{{1, 3, 2}, {2, 2, 1}, {3, 1, 3}, {0.5, 3.5, 3.5}}
	ref := []float64{4, 4, 4}
	exact := hypervolume(p3, ref)
	rng := rand.New(rand.NewPCG(2, 2))
	in := 0
	const n = 400000
	for i := 0; i < n; i++ {
		y := []float64{4 * rng.Float64(), 4 * rng.Float64(), 4 * rng.Float64()}
		for _, p := range p3 {
			if p[0] <= y[0] && p[1] <= y[1] && p[2] <= y[2] {
				in++
				break
			}
		}
	}
	mc := 64 * float64(in) / n
	if math.Abs(mc-exact) > 0.15 {
		t.Fatalf("3-D HV %.4f, Monte Carlo %.4f", exact, mc)
	}
	var front [][]float64
	for i := 0; i <= 4000; i++ {
		x := float64(i) / 4000
		front = append(front, dtlz2([]float64{x, 0.5, 0.5, 0.5, 0.5, 0.5}, 2))
	}
	if got := hypervolume(front, []float64{1.1, 1.1}); math.Abs(got-0.424602) > 1e-3 {
		t.Fatalf("DTLZ2 front HV %.6f, want 0.424602", got)
	}
}

package optimizer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The analytic gradient of the negative log posterior must match central
// finite differences.
func TestNLPGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 15
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = []float64{rng.Float64(), rng.Float64(), rng.Float64()}
		y[i] = math.Sin(3*x[i][0]) + x[i][1]*x[i][1] + 0.1*rng.NormFloat64()
	}
	z, _, _ := standardize(y)
	theta := []float64{-1.2, 0.3, 0.9, 0.2, -3}
	g := make([]float64, len(theta))
	nlp(x, z, theta, g, nil)
	for i := range theta {
		h := 1e-5
		tp := append([]float64{}, theta...)
		tm := append([]float64{}, theta...)
		tp[i] += h
		tm[i] -= h
		fd := (nlp(x, z, tp, nil, nil) - nlp(x, z, tm, nil, nil)) / (2 * h)
		if math.Abs(fd-g[i]) > 1e-4*math.Max(1, math.Abs(fd)) {
			t.Errorf("dθ%d: analytic %.8f, finite difference %.8f", i, g[i], fd)
		}
	}
}

// Posterior at one point for two observations, against the 2×2 inverse
// written out by hand: K = [[a, b], [b, a]], K⁻¹ = [[a, −b], [−b, a]]/(a² − b²).
func TestGPPosteriorHandComputed(t *testing.T) {
	x := [][]float64{{0}, {0.5}}
	yraw := []float64{1, -1} // standardized: mean 0, sd √2
	g := &gp{d: 1, x: x, mean: 0, std: math.Sqrt2}
	g.y = []float64{1 / math.Sqrt2, -1 / math.Sqrt2}
	_ = yraw
	ls, sig2, noise := 0.5, 1.3, 1e-4
	g.setHyper(hyper{LogLS: []float64{math.Log(ls)}, LogSig2: math.Log(sig2), LogNoise: math.Log(noise)})
	k := func(r float64) float64 {
		return sig2 * (1 + math.Sqrt(5)*r + 5*r*r/3) * math.Exp(-math.Sqrt(5)*r)
	}
	a := sig2 + noise + jitter
	b := k(0.5 / ls)
	det := a*a - b*b
	xs := 0.1
	k1, k2 := k(xs/ls), k((0.5-xs)/ls)
	y1, y2 := g.y[0], g.y[1]
	// K⁻¹y and k*ᵀK⁻¹k*
	a1 := (a*y1 - b*y2) / det
	a2 := (-b*y1 + a*y2) / det
	wantMean := (k1*a1 + k2*a2) * math.Sqrt2
	quad := (a*k1*k1 - 2*b*k1*k2 + a*k2*k2) / det
	wantVar := (sig2 - quad) * 2
	mu, v := g.predict([][]float64{{xs}})
	if math.Abs(mu[0]-wantMean) > 1e-9 || math.Abs(v[0]-wantVar) > 1e-9 {
		t.Fatalf("posterior (%.10f, %.10f), hand-computed (%.10f, %.10f)", mu[0], v[0], wantMean, wantVar)
	}
	// At an observed point with tiny noise the mean interpolates.
	mu, v = g.predict([][]float64{{0}})
	if math.Abs(mu[0]-1) > 1e-3 || v[0] > 1e-3 {
		t.Fatalf("at x=0: mean %.6f (want ≈1), var %.6g (want ≈0)", mu[0], v[0])
	}
}

// A fit on a smooth 1-D function recovers it between the data.
func TestGPFitInterpolates(t *testing.T) {
	var x [][]float64
	var y []float64
	for i := 0; i <= 10; i++ {
		u := float64(i) / 10
		x = append(x, []float64{u})
		y = append(y, 5*math.Sin(4*u)+20)
	}
	g := fitGP(x, y, nil, rand.New(rand.NewPCG(3, 4)))
	mu, v := g.predict([][]float64{{0.35}, {0.75}})
	for i, u := range []float64{0.35, 0.75} {
		want := 5*math.Sin(4*u) + 20
		if math.Abs(mu[i]-want) > 0.05 || math.Sqrt(v[i]) > 0.2 {
			t.Errorf("f(%.2f): mean %.4f sd %.4f, want %.4f", u, mu[i], math.Sqrt(v[i]), want)
		}
	}
}

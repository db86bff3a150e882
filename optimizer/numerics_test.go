package optimizer

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randomGP(rng *rand.Rand, n, d int) *gp {
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = rng.Float64()
		}
		y[i] = math.Sin(5*x[i][0]) + x[i][d-1]
	}
	z, m, s := standardize(y)
	g := &gp{d: d, x: x, y: z, mean: m, std: s}
	h := hyper{LogLS: make([]float64, d), LogSig2: 0.2, LogNoise: math.Log(1e-4)}
	for j := range h.LogLS {
		h.LogLS[j] = math.Log(0.3 + 0.1*float64(j))
	}
	g.setHyper(h)
	return g
}

// Extending the Cholesky factor by new rows gives the posterior a full
// factorization gives.
func TestExtendMatchesRefactor(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	full := randomGP(rng, 40, 3)
	part := &gp{d: 3, x: full.x[:30], y: full.y[:30], mean: full.mean, std: full.std}
	part.setHyper(full.h)
	ext := part.extend(full.x[30:], full.y[30:])
	pts := [][]float64{{0.1, 0.2, 0.3}, {0.9, 0.5, 0.4}, full.x[35]}
	m1, v1 := full.predict(pts)
	m2, v2 := ext.predict(pts)
	for i := range pts {
		if math.Abs(m1[i]-m2[i]) > 1e-9 || math.Abs(v1[i]-v2[i]) > 1e-9 {
			t.Fatalf("point %d: refactored (%g, %g), extended (%g, %g)", i, m1[i], v1[i], m2[i], v2[i])
		}
	}
	// and predict agrees with the single-point gradient path
	gm, gs := make([]float64, 3), make([]float64, 3)
	mu, sd := full.predictGrad(pts[0], gm, gs)
	if math.Abs(mu-m1[0]) > 1e-9 || math.Abs(sd-math.Sqrt(v1[0])) > 1e-9 {
		t.Fatalf("predictGrad (%g, %g), predict (%g, %g)", mu, sd, m1[0], math.Sqrt(v1[0]))
	}
}

// The posterior mean and standard deviation gradients, and the chained
// acquisition gradient, match central finite differences.
func TestPosteriorGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := randomGP(rng, 25, 4)
	ac := &acquisition{gps: []*gp{g}, score: func(mu, sd []float64) float64 { return logEI(mu[0], sd[0], -1.5) }}
	for trial := 0; trial < 5; trial++ {
		x := []float64{rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()}
		gm, gs := make([]float64, 4), make([]float64, 4)
		g.predictGrad(x, gm, gs)
		ga := make([]float64, 4)
		ac.valueGrad(x, ga)
		for k := range x {
			h := 1e-6
			xp, xm := append([]float64{}, x...), append([]float64{}, x...)
			xp[k] += h
			xm[k] -= h
			mp, vp := g.predict([][]float64{xp})
			mm, vm := g.predict([][]float64{xm})
			fdm := (mp[0] - mm[0]) / (2 * h)
			fds := (math.Sqrt(vp[0]) - math.Sqrt(vm[0])) / (2 * h)
			fda := (ac.values([][]float64{xp})[0] - ac.values([][]float64{xm})[0]) / (2 * h)
			for _, c := range []struct {
				name   string
				an, fd float64
			}{{"mean", gm[k], fdm}, {"sd", gs[k], fds}, {"logEI", ga[k], fda}} {
				if math.Abs(c.an-c.fd) > 1e-4*math.Max(1, math.Abs(c.fd)) {
					t.Errorf("x=%v d%s/dx%d: analytic %.8f, finite difference %.8f", x, c.name, k, c.an, c.fd)
				}
			}
		}
	}
}

// The box-constrained minimizer finds a quadratic's minimum inside the box
// and on its boundary, and respects fixed variables.
func TestBoxMinimize(t *testing.T) {
	c := []float64{0.3, 1.4, -0.2, 0.5}
	f := func(x, g []float64) float64 {
		var v float64
		for i := range x {
			w := float64(i + 1)
			v += w * (x[i] - c[i]) * (x[i] - c[i])
			g[i] = 2 * w * (x[i] - c[i])
		}
		return v + x[0]*x[1]
	}
	lo := []float64{0, 0, 0, 0.7}
	hi := []float64{1, 1, 1, 0.7}
	x, _ := boxMinimize(func(x, g []float64) float64 {
		v := f(x, g)
		g[0] += x[1]
		g[1] += x[0]
		return v
	}, []float64{0.9, 0.1, 0.5, 0.7}, lo, hi, 200)
	// x1 and x2 sit at their bounds; x0 minimizes 1·(x0−0.3)² + x0·1: 0.3 − 0.5 < 0 → 0
	want := []float64{0, 1, 0, 0.7}
	for i := range want {
		if math.Abs(x[i]-want[i]) > 1e-6 {
			t.Fatalf("x = %v, want %v", x, want)
		}
	}
}

// noisyTrials: f(x) = 2(x − 0.45)² observed with noise of sd; trial 12 (x =
// 0.31, f = 0.04) got a lucky −4 sd draw that makes it the smallest
// observed value.
func noisyTrials(sd float64) []Trial {
	rng := rand.New(rand.NewPCG(11, 12))
	var ts []Trial
	for i := 0; i < 40; i++ {
		x := float64(i) / 39
		v := 2*(x-0.45)*(x-0.45) + sd*rng.NormFloat64()
		if i == 12 {
			v = 2*(x-0.45)*(x-0.45) - 4*sd // the lucky draw
		}
		ts = append(ts, Trial{Number: i, Params: map[string]any{"x": x}, Status: StatusCompleted, Metrics: map[string]float64{"y": v}})
	}
	return ts
}

func noisySpec(hint *bool) Spec {
	return Spec{Name: "noisy", Seed: 1, Noisy: hint, Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
		Metrics: []Metric{{Name: "y", Objective: Minimize}}}
}

// Issue 13 item 2: with noise the best trial is the one most likely best
// (lowest posterior mean), not the luckiest observation; noise is inferred
// when the spec does not say, and a noiseless objective is not called noisy.
func TestNoisyIncumbent(t *testing.T) {
	yes := true
	for _, c := range []struct {
		name string
		hint *bool
	}{{"hint", &yes}, {"inferred", nil}} {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewStudy(noisySpec(c.hint), WithTrials(noisyTrials(0.03)))
			if err != nil {
				t.Fatal(err)
			}
			if noisy, inferred := s.Noisy(); !noisy || inferred != (c.hint == nil) {
				t.Fatalf("Noisy() = %v, %v", noisy, inferred)
			}
			b, ok := s.Best()
			x := s.Trials()[b].Params["x"].(float64)
			// the true value there beats the lucky trial's by more than half
			f := func(x float64) float64 { return 2 * (x - 0.45) * (x - 0.45) }
			if !ok || b == 12 || f(x) > 0.5*f(12.0/39) {
				t.Fatalf("best trial %d at x = %.3f, f = %.4f (the lucky draw is trial 12 at x = %.3f, f = %.4f)", b, x, f(x), 12.0/39, f(12.0/39))
			}
		})
	}
	det, err := NewStudy(noisySpec(nil), WithTrials(noisyTrials(0)))
	if err != nil {
		t.Fatal(err)
	}
	if noisy, _ := det.Noisy(); noisy {
		t.Fatal("noiseless objective inferred noisy")
	}
	if b, _ := det.Best(); b != 18 {
		t.Fatalf("noiseless study: best %d, want the observed minimum, trial 18", b)
	}
}

func TestNoisyAskUsesPosteriorIncumbent(t *testing.T) {
	s, err := NewStudy(noisySpec(nil), WithTrials(noisyTrials(0.03)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ask(1); err != nil {
		t.Fatal(err)
	}
	if !s.models["y"].Noisy {
		t.Fatal("the fitted model is not marked noisy")
	}
}

package optimizer

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// acqFunc scores a batch of unit-cube points; higher is better.
type acqFunc func(pts [][]float64) []float64

// acquisition is an acquisition function written pointwise: score combines
// the posterior mean and standard deviation of each model (objectives first,
// then constraints; a nil model has no slot value) into the value at one
// point. Batches go through the models' BLAS3 predictions; gradients chain
// the models' analytic posterior gradients with score's derivatives in
// (μ, σ), which are cheap finite differences of a scalar formula.
type acquisition struct {
	gps   []*gp
	score func(mu, sd []float64) float64
	// patternOnly: the score is too costly to differentiate (Monte Carlo
	// EHVI: 4M+1 evaluations of 64 hypervolume improvements per gradient),
	// so the local search uses the pattern search alone.
	patternOnly bool
}

func (a *acquisition) values(pts [][]float64) []float64 {
	mus := make([][]float64, len(a.gps))
	sds := make([][]float64, len(a.gps))
	for j, g := range a.gps {
		if g == nil {
			continue
		}
		mu, v := g.predict(pts)
		for i := range v {
			v[i] = math.Sqrt(v[i])
		}
		mus[j], sds[j] = mu, v
	}
	out := make([]float64, len(pts))
	mu := make([]float64, len(a.gps))
	sd := make([]float64, len(a.gps))
	for i := range pts {
		for j := range a.gps {
			if mus[j] != nil {
				mu[j], sd[j] = mus[j][i], sds[j][i]
			}
		}
		out[i] = a.score(mu, sd)
	}
	return out
}

// valueGrad returns the acquisition at x and its gradient in x.
func (a *acquisition) valueGrad(x, grad []float64) float64 {
	m := len(a.gps)
	mu := make([]float64, m)
	sd := make([]float64, m)
	gmu := make([][]float64, m)
	gsd := make([][]float64, m)
	for j, g := range a.gps {
		if g == nil {
			continue
		}
		gmu[j] = make([]float64, len(x))
		gsd[j] = make([]float64, len(x))
		mu[j], sd[j] = g.predictGrad(x, gmu[j], gsd[j])
	}
	f := a.score(mu, sd)
	for k := range grad {
		grad[k] = 0
	}
	for j := range a.gps {
		if gmu[j] == nil {
			continue
		}
		h := 1e-6 * math.Max(sd[j], 1e-12)
		m0 := mu[j]
		mu[j] = m0 + h
		fp := a.score(mu, sd)
		mu[j] = m0 - h
		fm := a.score(mu, sd)
		mu[j] = m0
		dmu := (fp - fm) / (2 * h)
		s0 := sd[j]
		sd[j] = s0 + h
		fp = a.score(mu, sd)
		sd[j] = s0 - h
		fm = a.score(mu, sd)
		sd[j] = s0
		dsd := (fp - fm) / (2 * h)
		if math.IsNaN(dmu) || math.IsInf(dmu, 0) || math.IsNaN(dsd) || math.IsInf(dsd, 0) {
			continue
		}
		for k := range grad {
			grad[k] += dmu*gmu[j][k] + dsd*gsd[j][k]
		}
	}
	return f
}

// predictGrad returns the posterior mean and standard deviation at x (raw
// units) and writes their gradients in x. For the Matérn-5/2 kernel
// ∂k/∂x_d = −σ²(5/3)(1 + √5r)e^{−√5r}(x_d − x_id)/ℓ_d²; ∇μ = std·Σ αᵢ∇kᵢ and
// ∇σ²_f = −2 (K⁻¹k)ᵀ∇k.
func (g *gp) predictGrad(x, gmu, gsd []float64) (mu, sd float64) {
	n, d := len(g.x), g.d
	k := make([]float64, n)
	c := make([]float64, n) // ∂k_i/∂x_d = c_i (x_d − x_id)/ℓ_d²
	var m float64
	for i := 0; i < n; i++ {
		r := math.Sqrt(scaledDist2(x, g.x[i], g.ls))
		s := math.Sqrt(5) * r
		e := math.Exp(-s)
		k[i] = g.sig2 * (1 + s + s*s/3) * e
		c[i] = -g.sig2 * (5.0 / 3.0) * (1 + s) * e
		m += k[i] * g.alpha[i]
	}
	w := g.solveKinv(k)
	var q float64
	for i := range k {
		q += k[i] * w[i]
	}
	va := g.sig2 - q
	floor := 1e-12 * g.sig2
	for dd := 0; dd < d; dd++ {
		inv := 1 / (g.ls[dd] * g.ls[dd])
		var gm, gv float64
		for i := 0; i < n; i++ {
			dk := c[i] * (x[dd] - g.x[i][dd]) * inv
			gm += g.alpha[i] * dk
			gv += w[i] * dk
		}
		gmu[dd] = g.std * gm
		gsd[dd] = -2 * gv // ∂σ²_f, scaled below
	}
	if va < floor {
		va = floor
		for dd := range gsd {
			gsd[dd] = 0
		}
	}
	sd = g.std * math.Sqrt(va)
	// σ = std·√σ²_f: ∂σ = std ∂σ²_f / (2√σ²_f)
	for dd := range gsd {
		gsd[dd] *= g.std / (2 * math.Sqrt(va))
	}
	return g.mean + g.std*m, sd
}

// solveKinv returns K⁻¹b by two triangular solves with the factor.
func (g *gp) solveKinv(b []float64) []float64 {
	n := len(b)
	w := append([]float64{}, b...)
	t := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: n, Stride: n, Data: g.l}
	v := blas64.Vector{N: n, Inc: 1, Data: w}
	blas64.Trsv(blas.NoTrans, t, v)
	blas64.Trsv(blas.Trans, t, v)
	return w
}

// acquisitionFor builds the acquisition for the fitted objective and
// constraint models, the incumbent front (feasible observations plus
// pending points believed feasible) and the feasible observations.
func (s *Study) acquisitionFor(objModels, conModels []*model, front, feasY [][]float64, rng *rand.Rand) *acquisition {
	nObj := len(objModels)
	gps := make([]*gp, 0, nObj+len(conModels))
	for _, m := range objModels {
		gps = append(gps, m.gp)
	}
	for _, m := range conModels {
		if m == nil {
			gps = append(gps, nil)
		} else {
			gps = append(gps, m.gp)
		}
	}
	logPF := func(mu, sd []float64) float64 {
		var t float64
		for j := nObj; j < len(gps); j++ {
			if gps[j] != nil {
				t += logNormCDF(mu[j] / sd[j])
			}
		}
		return t
	}
	// No feasible point yet: find one (maximize the probability of feasibility).
	if len(feasY) == 0 && len(s.cons) > 0 {
		return &acquisition{gps: gps, score: logPF}
	}
	if nObj == 1 {
		best := s.incumbentValue(objModels[0].gp, front)
		return &acquisition{gps: gps, score: func(mu, sd []float64) float64 {
			return logEI(mu[0], sd[0], best) + logPF(mu, sd)
		}}
	}
	ref, _ := s.refPoint(front)
	if ref == nil {
		// Nothing completed yet (only pruned trials): infer the reference
		// from everything the objective models have seen.
		var seen [][]float64
		for i := range objModels[0].gp.y {
			y := make([]float64, nObj)
			for j, m := range objModels {
				if i >= len(m.gp.y) {
					y = nil
					break
				}
				y[j] = m.gp.mean + m.gp.std*m.gp.y[i]
			}
			if y != nil {
				seen = append(seen, y)
			}
		}
		ref, _ = s.refPoint(seen)
	}
	if ref == nil { // no reference at all: explore
		return &acquisition{gps: gps, score: func(mu, sd []float64) float64 {
			var t float64
			for j := 0; j < nObj; j++ {
				t += math.Log(sd[j])
			}
			return t
		}}
	}
	if nObj == 2 {
		boxes := boxes2D(front, ref)
		return &acquisition{gps: gps, score: func(mu, sd []float64) float64 {
			e := ehvi2D(boxes, mu[:2], sd[:2])
			return math.Log(math.Max(e, 1e-300)) + logPF(mu, sd)
		}}
	}
	// Three or more objectives: Monte Carlo EHVI with fixed base samples
	// (common random numbers keep the surface smooth for the local search).
	const nmc = 64
	base := make([][]float64, nmc)
	for k := range base {
		base[k] = make([]float64, nObj)
		for j := range base[k] {
			base[k][j] = rng.NormFloat64()
		}
	}
	pf := nondominated(front, ref)
	return &acquisition{gps: gps, score: func(mu, sd []float64) float64 {
		y := make([]float64, nObj)
		var sum float64
		for _, z := range base {
			for j := range y {
				y[j] = mu[j] + sd[j]*z[j]
			}
			sum += hvi(pf, y, ref)
		}
		return math.Log(math.Max(sum/nmc, 1e-300)) + logPF(mu, sd)
	}, patternOnly: true}
}

// incumbentValue is the value EI improves on (single objective): the best
// feasible observation, or when every feasible point is still pending, the
// best posterior mean at the observations.
func (s *Study) incumbentValue(g *gp, front [][]float64) float64 {
	best := math.Inf(1)
	if g.h.Noisy {
		// Noisy observations: improve on the best posterior mean at the
		// observed points (the plug-in of noisy EI, Letham et al. 2019), not
		// on the luckiest draw, which EI would otherwise never beat.
		mu, _ := g.predict(g.x)
		for _, v := range mu {
			best = math.Min(best, v)
		}
		return best
	}
	for _, y := range front {
		best = math.Min(best, y[0])
	}
	if math.IsInf(best, 1) {
		for _, y := range g.y {
			best = math.Min(best, g.mean+g.std*y)
		}
	}
	return best
}

// exploitPhase reports whether the study is in the last tenth of its
// observation budget, where a single-objective study refines its best region
// (minimizing the posterior mean) instead of exploring: an evaluation that
// explores can no longer pay off.
func (s *Study) exploitPhase() bool {
	b := s.spec.ObservationBudget
	if b <= 0 {
		return false
	}
	return len(s.trials) >= b-int(math.Ceil(0.1*float64(b)))
}

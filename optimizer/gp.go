package optimizer

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// hyper are a GP's hyperparameters in log space: one length scale per input
// dimension (ARD), the signal variance and the noise variance, all for
// standardized outputs.
type hyper struct {
	LogLS    []float64 `json:"log_ls"`
	LogSig2  float64   `json:"log_sig2"`
	LogNoise float64   `json:"log_noise"`
	// FitN is the number of observations of the last full fit (the refit
	// schedule counts from it); 0 for hyperparameters not fitted yet.
	FitN int `json:"fit_n,omitempty"`
	// Noisy marks a model whose data showed noise (see fitNoiseAware).
	Noisy bool `json:"noisy,omitempty"`
}

func (h hyper) equal(o hyper) bool {
	return equal(h.LogLS, o.LogLS) && len(h.LogLS) == len(o.LogLS) && h.LogSig2 == o.LogSig2 && h.LogNoise == o.LogNoise
}

func (h hyper) vec() []float64 {
	return append(append([]float64{}, h.LogLS...), h.LogSig2, h.LogNoise)
}

func hyperFrom(v []float64) hyper {
	d := len(v) - 2
	return hyper{LogLS: append([]float64{}, v[:d]...), LogSig2: v[d], LogNoise: v[d+1]}
}

// Hyperparameter box (log scale) and priors. Length scales: see lsPrior.
// Signal variance: LogNormal(0, 1) around the standardized scale. Noise
// variance: LogNormal(−8, 1), floored at 1e−6. BoTorch uses LogNormal(−4, 1);
// with it (and with Optuna's Gamma(1.1, 30)) the fits explained DTLZ2's even,
// bowl-shaped dimensions as noise and the search drifted to corners (median
// HV 0.03–0.08 against 0.38 with −8 over 6 seeds). Noise is still inferred:
// a few dozen noisy observations outweigh the prior; a model whose inferred
// noise is negligible is treated as deterministic (see noiseFloor).
const (
	minLogLS, maxLogLS       = -3.6888794541139363, 4.605170185988092 // ln 0.025, ln 100
	minLogSig2, maxLogSig2   = -4.605170185988092, 4.605170185988092  // ln 0.01, ln 100
	minLogNoise, maxLogNoise = -13.815510557964274, 0.0               // ln 1e-6, ln 1
	jitter                   = 1e-8
	noiseMu                  = -8.0
)

// lsPriorMean is where the fits' default starting points are placed: the
// median of Hvarfner et al.'s LogNormal(√2 + ½ln d, √3), less 1.5 or 2.5.
func lsPriorMean(d int) float64 { return math.Sqrt2 + 0.5*math.Log(float64(d)) }

// lsPriorMode is the mode of the length-scale prior: 1 in the unit cube up
// to 6 inputs, growing as √(d/6) beyond (the dimension scaling of Hvarfner et
// al. 2024, who put the median at e^√2·√d; that long a prior let Hartmann6
// fits write off whole inputs, ℓ ≈ 10–19 on x0 and x3 in seed 8, which then
// never left the flat region: best −1.34).
func lsPriorMode(d int) float64 { return math.Max(0, 0.5*math.Log(float64(d)/6)) }

// lsPrior is −log p(θ) for a log length scale θ, up to a constant: Optuna's
// GPSampler prior 0.1/κ + 0.1κ on κ = (ℓ/ℓ₀)⁻² (optuna/_gp/prior.py), which
// penalizes both very short and very long length scales, centred at ℓ₀.
func lsPrior(th float64, d int) float64 {
	c := 2 * lsPriorMode(d)
	return 0.1*math.Exp(2*th-c) + 0.1*math.Exp(c-2*th)
}

func lsPriorGrad(th float64, d int) float64 {
	c := 2 * lsPriorMode(d)
	return 0.2*math.Exp(2*th-c) - 0.2*math.Exp(c-2*th)
}

func defaultHyper(d int) hyper {
	h := hyper{LogLS: make([]float64, d), LogSig2: 0, LogNoise: noiseMu}
	// Start below the prior mean: short length scales fit a handful of points
	// without the optimizer wandering into the flat long-scale plateau.
	for i := range h.LogLS {
		h.LogLS[i] = lsPriorMean(d) - 1.5
	}
	return h
}

// gp is an exact Gaussian process with a Matérn-5/2 ARD kernel on [0,1]^d
// inputs and standardized outputs.
type gp struct {
	d          int
	x          [][]float64
	y          []float64 // standardized
	mean, std  float64
	h          hyper
	ls         []float64 // exp(LogLS)
	sig2, nois float64
	l          []float64   // Cholesky factor, row-major lower, n×n
	jit        float64     // jitter the factor needed
	fitX       [][]float64 // the observations the hyperparameters were fitted on
	fitY       []float64
	alpha      []float64 // K⁻¹y
}

// matern52 returns k/σ² as a function of the scaled distance r.
func matern52(r float64) float64 {
	s := math.Sqrt(5) * r
	return (1 + s + s*s/3) * math.Exp(-s)
}

func standardize(y []float64) (z []float64, m, s float64) {
	n := float64(len(y))
	for _, v := range y {
		m += v
	}
	m /= n
	for _, v := range y {
		s += (v - m) * (v - m)
	}
	if len(y) > 1 {
		s = math.Sqrt(s / (n - 1))
	}
	if !(s > 1e-12) {
		s = 1
	}
	z = make([]float64, len(y))
	for i, v := range y {
		z[i] = (v - m) / s
	}
	return z, m, s
}

// scaledDist2 returns Σ((a−b)/ℓ)².
func scaledDist2(a, b, ls []float64) float64 {
	var r2 float64
	for k := range a {
		t := (a[k] - b[k]) / ls[k]
		r2 += t * t
	}
	return r2
}

// nlp computes the negative log posterior of the hyperparameters θ and its
// gradient (Rasmussen & Williams 2006, eq. 5.9) for standardized data.
// It returns +Inf when the kernel matrix is not positive definite.
func nlp(x [][]float64, y []float64, theta, grad, capLS []float64) float64 {
	return nlpX(x, y, theta, grad, nil, capLS)
}

// nlpX is nlp that also adds, when gradX is given (n×d, zeroed by the
// caller), the gradient with respect to the inputs: input warping (warp.go)
// fits its parameters through it.
func nlpX(x [][]float64, y []float64, theta, grad []float64, gradX [][]float64, capLS []float64) float64 {
	n, d := len(x), len(x[0])
	// Penalize leaving the box instead of clamping hard, so L-BFGS sees a smooth function.
	th := make([]float64, len(theta))
	var pen float64
	pgrad := make([]float64, len(theta))
	for i, v := range theta {
		lo, hi := paramBox(i, d, capLS)
		c := math.Max(lo, math.Min(hi, v))
		th[i] = c
		pen += 100 * (v - c) * (v - c)
		pgrad[i] = 200 * (v - c)
	}
	ls := make([]float64, d)
	for k := range ls {
		ls[k] = math.Exp(th[k])
	}
	sig2, noise := math.Exp(th[d]), math.Exp(th[d+1])
	k := mat.NewSymDense(n, nil)
	// scaled distances and exp(−√5 r), reused by the gradient
	rs := make([]float64, n*n)
	es := make([]float64, n*n)
	for i := 0; i < n; i++ {
		k.SetSym(i, i, sig2+noise+jitter)
		for j := 0; j < i; j++ {
			r := math.Sqrt(scaledDist2(x[i], x[j], ls))
			sr := math.Sqrt(5) * r
			e := math.Exp(-sr)
			rs[i*n+j], es[i*n+j] = r, e
			k.SetSym(i, j, sig2*(1+sr+sr*sr/3)*e)
		}
	}
	var ch mat.Cholesky
	if ok := ch.Factorize(k); !ok {
		return math.Inf(1)
	}
	yv := mat.NewVecDense(n, y)
	var av mat.VecDense
	if err := ch.SolveVecTo(&av, yv); err != nil {
		return math.Inf(1)
	}
	alpha := av.RawVector().Data
	f := 0.5*mat.Dot(yv, &av) + 0.5*ch.LogDet() + 0.5*float64(n)*math.Log(2*math.Pi)
	// priors
	for kk := 0; kk < d; kk++ {
		f += lsPrior(th[kk], d)
	}
	f += th[d] * th[d] / 2
	nm := noisePriorMean(capLS, d)
	f += (th[d+1] - nm) * (th[d+1] - nm) / 2
	f += pen
	if grad == nil {
		return f
	}
	var kinv mat.SymDense
	if err := ch.InverseTo(&kinv); err != nil {
		return math.Inf(1)
	}
	for i := range grad {
		grad[i] = 0
	}
	kraw := kinv.RawSymmetric()
	// W = ααᵀ − K⁻¹; dNLL/dθ = −½ tr(W ∂K/∂θ)
	var gSig, gNoise float64
	for i := 0; i < n; i++ {
		wii := alpha[i]*alpha[i] - kraw.Data[i*kraw.Stride+i]
		gSig += wii * sig2
		gNoise += wii * noise
		for j := 0; j < i; j++ {
			// kinv stores the upper triangle; (j,i) with j < i.
			wij := alpha[i]*alpha[j] - kraw.Data[j*kraw.Stride+i]
			sr := math.Sqrt(5) * rs[i*n+j]
			e := es[i*n+j]
			gSig += 2 * wij * sig2 * (1 + sr + sr*sr/3) * e
			c := 2 * wij * sig2 * (5.0 / 3.0) * (1 + sr) * e
			xi, xj := x[i], x[j]
			for kk := 0; kk < d; kk++ {
				t := (xi[kk] - xj[kk]) / ls[kk]
				grad[kk] += c * t * t
				if gradX != nil {
					// ∂K_ij/∂x_ik = −σ²(5/3)(1+√5r)e^(−√5r)(x_ik − x_jk)/ℓ²
					gx := 0.5 * c * t / ls[kk]
					gradX[i][kk] += gx
					gradX[j][kk] -= gx
				}
			}
		}
	}
	for kk := 0; kk < d; kk++ {
		grad[kk] = -0.5*grad[kk] + lsPriorGrad(th[kk], d)
	}
	grad[d] = -0.5*gSig + th[d]
	grad[d+1] = -0.5*gNoise + (th[d+1] - nm)
	for i := range grad {
		if theta[i] != th[i] {
			grad[i] = 0 // flat in the clamped direction, apart from the penalty
		}
		grad[i] += pgrad[i]
	}
	return f
}

// fitGP fits hyperparameters by MAP with multi-start L-BFGS (gonum/optimize),
// starting from warm (the previous fit) when given, and builds the posterior.
func fitGP(x [][]float64, yraw []float64, warm *hyper, rng *rand.Rand) *gp {
	return fitGPCapped(x, yraw, warm, rng, nil)
}

// lsBox is the log length-scale box of input i; capLS, when given, holds a
// per-input upper bound.
func lsBox(i int, capLS []float64) (lo, hi float64) {
	lo, hi = minLogLS, maxLogLS
	if i < len(capLS) {
		hi = math.Min(hi, capLS[i])
	}
	return lo, hi
}

// capLS, as the fits take it, holds per-input upper bounds on the log
// length scales and, optionally, three more entries: an upper bound on the
// log signal variance, a value that pins the log noise variance (NaN: free;
// a deterministic objective, or one whose noise is known) and the mean of
// the log noise prior (NaN: noiseMu). fitCaps builds the long form.
func fitCaps(caps []float64, d int, pinNoise, noisePrior float64) []float64 {
	out := make([]float64, d+3)
	for i := range out[:d] {
		out[i] = maxLogLS
		if i < len(caps) {
			out[i] = caps[i]
		}
	}
	out[d], out[d+1], out[d+2] = maxLogSig2, pinNoise, noisePrior
	return out
}

// fixedNoise pins the log noise variance at logNoise.
func fixedNoise(caps []float64, d int, logNoise float64) []float64 {
	return fitCaps(caps, d, logNoise, math.NaN())
}

func noisePriorMean(capLS []float64, d int) float64 {
	if len(capLS) == d+3 && !math.IsNaN(capLS[d+2]) {
		return capLS[d+2]
	}
	return noiseMu
}

// paramBox is the box of hyperparameter i (d length scales, the signal
// variance, the noise variance).
func paramBox(i, d int, capLS []float64) (lo, hi float64) {
	switch {
	case i < d:
		return lsBox(i, capLS)
	case i == d:
		return minLogSig2, maxLogSig2
	}
	if len(capLS) == d+3 && !math.IsNaN(capLS[d+1]) {
		return capLS[d+1], capLS[d+1]
	}
	return minLogNoise, maxLogNoise
}

// fitGPCapped is fitGP with per-input upper bounds on the log length scales
// (nil: the global box).
func fitGPCapped(x [][]float64, yraw []float64, warm *hyper, rng *rand.Rand, capLS []float64, groups ...[]int) *gp {
	d := len(x[0])
	y, m, s := standardize(yraw)
	var starts [][]float64
	if warm != nil && len(warm.LogLS) == d {
		starts = append(starts, warm.vec())
	}
	if warm == nil || len(x) <= 30 {
		starts = append(starts, defaultHyper(d).vec())
	}
	if len(x) <= 60 {
		// A short-length-scale start finds the mode that explains structure
		// the long-scale mode writes off as noise (DTLZ2's bowl dimensions):
		// without it 2 of 10 DTLZ2 seeds drifted to corners (HV < 0.06).
		h := defaultHyper(d)
		for i := range h.LogLS {
			h.LogLS[i] = math.Log(0.3)
		}
		starts = append(starts, h.vec())
	}
	if warm == nil {
		for k := 0; k < 2; k++ {
			h := defaultHyper(d)
			for i := range h.LogLS {
				h.LogLS[i] = lsPriorMean(d) - 2.5 + 2*rng.Float64()
			}
			starts = append(starts, h.vec())
		}
	}
	for _, s0 := range starts { // into the box (a pinned noise, a capped scale), ties tied
		for i := range s0 {
			lo, hi := paramBox(i, d, capLS)
			s0[i] = math.Max(lo, math.Min(hi, s0[i]))
		}
		tieMean(s0, groups)
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-3,
		MajorIterations:   60,
		FuncEvaluations:   120,
	}
	if warm != nil && len(x) > 60 {
		// A warm start is close to the optimum already; a shorter polish keeps
		// a suggestion under a second at a few hundred observations.
		settings.FuncEvaluations = 40
	}
	fx, fy := x, y
	var bestT []float64
	if len(x) <= fitMax {
		bestT = mapFit(x, y, starts, settings, capLS, groups)
	} else {
		// Hyperparameters from a random subset: the likelihood's O(n³) per
		// evaluation is what made a cold ask at 500 observations take 10 s.
		// The starts race on fitStartMax points, the winner is polished on
		// fitMax; the posterior then conditions on every observation.
		perm := rng.Perm(len(x))
		fx, fy = subset(x, y, perm[:fitMax])
		if warm == nil {
			sx, sy := subset(x, y, perm[:fitStartMax])
			coarse := *settings
			coarse.FuncEvaluations = 40
			starts = [][]float64{mapFit(sx, sy, starts, &coarse, capLS, groups)}
		}
		polish := *settings
		polish.FuncEvaluations = 25
		bestT = mapFit(fx, fy, starts, &polish, capLS, groups)
	}
	tieMean(bestT, groups)
	for i := range bestT { // return to the box
		lo, hi := paramBox(i, d, capLS)
		bestT[i] = math.Max(lo, math.Min(hi, bestT[i]))
	}
	g := &gp{d: d, x: x, y: y, mean: m, std: s, fitX: fx, fitY: fy}
	g.setHyper(hyperFrom(bestT))
	return g
}

// tieMean sets the length scales of each group (the one-hot dimensions of
// a categorical parameter) to their mean.
func tieMean(t []float64, groups [][]int) {
	for _, g := range groups {
		var m float64
		for _, k := range g {
			m += t[k]
		}
		m /= float64(len(g))
		for _, k := range g {
			t[k] = m
		}
	}
}

// tiedNLP is nlp with the length scales of each group tied: a categorical
// parameter gets one length scale for all its one-hot dimensions, so two
// trials that differ in it are 2/ℓ² apart in r² whatever the two values are
// (the exchangeable, Hamming-distance kernel Optuna's GPSampler uses, CoCaBO's
// overlap kernel in Matérn form). With one length scale per value the fits
// had 2–3 free scales per categorical and, on MixedBranin, chose the category
// by chance. The function is evaluated at the tied point (so it is flat along
// differences within a group) with one prior term per group.
func tiedNLP(x [][]float64, y []float64, t, grad, capLS []float64, groups [][]int) float64 {
	return tiedNLPX(x, y, t, grad, nil, capLS, groups)
}

// tiedNLPX is tiedNLP with the inputs' gradient (nlpX).
func tiedNLPX(x [][]float64, y []float64, t, grad []float64, gradX [][]float64, capLS []float64, groups [][]int) float64 {
	if len(groups) == 0 {
		return nlpX(x, y, t, grad, gradX, capLS)
	}
	d := len(x[0])
	tt := append([]float64{}, t...)
	tieMean(tt, groups)
	f := nlpX(x, y, tt, grad, gradX, capLS)
	for _, g := range groups {
		m := tt[g[0]]
		extra := float64(len(g) - 1)
		f -= extra * lsPrior(m, d)
		if grad != nil {
			var gs float64
			for _, k := range g {
				gs += grad[k]
			}
			gs -= extra * lsPriorGrad(m, d)
			for _, k := range g {
				grad[k] = gs / float64(len(g))
			}
		}
	}
	return f
}

// Hyperparameter fits use at most fitMax observations, and a cold fit's
// starts race on fitStartMax of them.
const fitMax, fitStartMax = 200, 100

// subset returns the points and values at the given indices, in index order.
func subset(x [][]float64, y []float64, idx []int) ([][]float64, []float64) {
	s := append([]int{}, idx...)
	sort.Ints(s)
	sx, sy := make([][]float64, len(s)), make([]float64, len(s))
	for i, k := range s {
		sx[i], sy[i] = x[k], y[k]
	}
	return sx, sy
}

// mapFit minimizes the negative log posterior from each start by L-BFGS and
// returns the best hyperparameters found.
func mapFit(x [][]float64, y []float64, starts [][]float64, settings *optimize.Settings, capLS []float64, groups [][]int) []float64 {
	d := len(x[0])
	// Func and Grad are evaluated at the same points by L-BFGS; computing both
	// in Grad doubles the Cholesky work, which the FuncGrad form avoids.
	var cacheT []float64
	var cacheF float64
	var cacheG []float64
	fg := func(t []float64) (float64, []float64) {
		if cacheT != nil && equal(cacheT, t) {
			return cacheF, cacheG
		}
		g := make([]float64, len(t))
		f := tiedNLP(x, y, t, g, capLS, groups)
		cacheT, cacheF, cacheG = append([]float64{}, t...), f, g
		return f, g
	}
	prob := optimize.Problem{
		Func: func(t []float64) float64 { f, _ := fg(t); return f },
		Grad: func(g, t []float64) { _, gg := fg(t); copy(g, gg) },
	}
	best := math.Inf(1)
	var bestT []float64
	for _, s0 := range starts {
		f0 := prob.Func(s0)
		if f0 < best {
			best, bestT = f0, append([]float64{}, s0...)
		}
		res, _ := optimize.Minimize(prob, s0, settings, &optimize.LBFGS{})
		if res == nil {
			continue
		}
		if res.F < best && !math.IsNaN(res.F) {
			best, bestT = res.F, append([]float64{}, res.X...)
		}
	}
	if bestT == nil {
		bestT = defaultHyper(d).vec()
	}
	return bestT
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package optimizer

import (
	"math"

	"gonum.org/v1/gonum/optimize"
)

// Input warping (spec input_warping: true). Each continuous input u ∈ [0,1]
// (after the log transformation, where the spec has one) is mapped through
// the Kumaraswamy CDF z = 1 − (1 − u^a)^b (Snoek et al. 2014, "Input Warping
// for Bayesian Optimization of Non-stationary Functions"; BoTorch's Warp
// input transform), with a and b per input fitted jointly with the GP
// hyperparameters of the objective by MAP, under LogNormal(0, 0.75) priors
// on a and b (BoTorch's), centred on the identity a = b = 1. A function
// that changes fast near one end of a range and slowly elsewhere becomes
// closer to stationary in z, which a GP with one length scale per input
// models better. The study models and searches in z: every model's inputs
// are warped, the acquisition is maximized over z ∈ [0,1]^d, and the chosen
// point is mapped back by the inverse CDF u = (1 − (1 − z)^(1/b))^(1/a).

// warpEvidence is how much better (nats of log posterior) the warped fit
// must explain the data than the identity before it is used.
const warpEvidence = 2.0

// warpPriorVar is the variance of the log-normal prior on a and b.
const warpPriorVar = 0.75

// The box of log a and log b, and the clamp of u away from 0 and 1 (the
// CDF's derivative in a is u^a ln u).
const (
	minLogWarp, maxLogWarp = -2.302585092994046, 2.302585092994046 // ln 0.1, ln 10
	warpEps                = 1e-6
)

// warping is a fitted input warping: the warped dimensions (indices into
// the encoded vector) and their log a and log b.
type warping struct {
	Dims []int     `json:"dims"`
	LogA []float64 `json:"log_a"`
	LogB []float64 `json:"log_b"`
	// FitN is the number of observations of the fit (the refit schedule).
	FitN int `json:"fit_n,omitempty"`
}

func clampUnit(u float64) float64 { return math.Max(warpEps, math.Min(1-warpEps, u)) }

// kumaraswamy is the CDF at u and its derivatives in log a and log b.
func kumaraswamy(u, la, lb float64) (z, dla, dlb float64) {
	a, b := math.Exp(la), math.Exp(lb)
	u = clampUnit(u)
	ua := math.Pow(u, a)
	r := 1 - ua
	rb := math.Pow(r, b)
	z = 1 - rb
	dla = a * b * math.Pow(r, b-1) * ua * math.Log(u)
	dlb = -b * rb * math.Log(r)
	return z, dla, dlb
}

// apply warps a copy of x.
func (w *warping) apply(x []float64) []float64 {
	out := append([]float64{}, x...)
	if w == nil {
		return out
	}
	for k, d := range w.Dims {
		out[d], _, _ = kumaraswamy(x[d], w.LogA[k], w.LogB[k])
	}
	return out
}

// applyAll warps every point.
func (w *warping) applyAll(xs [][]float64) [][]float64 {
	if w == nil {
		return xs
	}
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = w.apply(x)
	}
	return out
}

// invert maps a warped point back to the unit cube.
func (w *warping) invert(z []float64) []float64 {
	out := append([]float64{}, z...)
	if w == nil {
		return out
	}
	for k, d := range w.Dims {
		a, b := math.Exp(w.LogA[k]), math.Exp(w.LogB[k])
		v := math.Max(0, math.Min(1, z[d]))
		out[d] = math.Max(0, math.Min(1, math.Pow(1-math.Pow(1-v, 1/b), 1/a)))
	}
	return out
}

// warpDims lists the encoded dimensions of double parameters: ints and
// categoricals keep their encodings (the discrete search moves on them).
func (sp *space) warpDims() []int {
	var out []int
	for i, p := range sp.params {
		if p.Type == TypeDouble {
			out = append(out, sp.offset[i])
		}
	}
	return out
}

// warpNLP is the negative log posterior of the GP hyperparameters θ (the
// first d+2 entries of t) and the warping (log a, then log b, per warped
// dimension) on inputs x, with its gradient.
func warpNLP(x [][]float64, y []float64, t, grad, capLS []float64, groups [][]int, dims []int) float64 {
	d, m := len(x[0]), len(dims)
	nt := d + 2
	w := &warping{Dims: dims, LogA: make([]float64, m), LogB: make([]float64, m)}
	var f float64
	pen := make([]float64, 2*m)
	for k := 0; k < 2*m; k++ {
		v := t[nt+k]
		c := math.Max(minLogWarp, math.Min(maxLogWarp, v))
		f += 100*(v-c)*(v-c) + c*c/(2*warpPriorVar)
		pen[k] = 200*(v-c) + c/warpPriorVar
		if k < m {
			w.LogA[k] = c
		} else {
			w.LogB[k-m] = c
		}
	}
	z := w.applyAll(x)
	var gz [][]float64
	if grad != nil {
		gz = make([][]float64, len(x))
		for i := range gz {
			gz[i] = make([]float64, d)
		}
	}
	var gt []float64
	if grad != nil {
		gt = grad[:nt]
	}
	f += tiedNLPX(z, y, t[:nt], gt, gz, capLS, groups)
	if grad == nil || math.IsInf(f, 1) {
		return f
	}
	for k, dim := range dims {
		var ga, gb float64
		for i := range x {
			_, dla, dlb := kumaraswamy(x[i][dim], w.LogA[k], w.LogB[k])
			ga += gz[i][dim] * dla
			gb += gz[i][dim] * dlb
		}
		grad[nt+k] = ga + pen[k]
		grad[nt+m+k] = gb + pen[m+k]
	}
	return f
}

// fitWarp fits the warping of dims jointly with a GP on (x, y), starting
// from the identity with the hyperparameters of starts (e.g. the unwarped
// fit's), by L-BFGS. It returns nil when the fit found nothing better than
// the identity.
func fitWarp(x [][]float64, yraw []float64, starts []hyper, capLS []float64, groups [][]int, dims []int) *warping {
	if len(dims) == 0 || len(x) < 3 {
		return nil
	}
	y, _, _ := standardize(yraw)
	m := len(dims)
	fg := func(t, g []float64) float64 { return warpNLP(x, y, t, g, capLS, groups, dims) }
	prob := optimize.Problem{
		Func: func(t []float64) float64 { return fg(t, nil) },
		Grad: func(g, t []float64) { fg(t, g) },
	}
	settings := &optimize.Settings{GradientThreshold: 1e-3, MajorIterations: 60, FuncEvaluations: 120}
	best, identity := math.Inf(1), math.Inf(1)
	var bestT []float64
	for _, h := range starts {
		t0 := append(h.vec(), make([]float64, 2*m)...)
		f0 := prob.Func(t0)
		identity = math.Min(identity, f0)
		res, _ := optimize.Minimize(prob, t0, settings, &optimize.LBFGS{})
		if res != nil && res.F < best && !math.IsNaN(res.F) {
			best, bestT = res.F, append([]float64{}, res.X...)
		}
	}
	if bestT == nil || !(best < identity-warpEvidence) {
		return nil
	}
	d := len(x[0])
	w := &warping{Dims: dims, LogA: make([]float64, m), LogB: make([]float64, m), FitN: len(x)}
	for k := 0; k < m; k++ {
		w.LogA[k] = math.Max(minLogWarp, math.Min(maxLogWarp, bestT[d+2+k]))
		w.LogB[k] = math.Max(minLogWarp, math.Min(maxLogWarp, bestT[d+2+m+k]))
	}
	return w
}

// warping reports whether the study warps its inputs.
func (s *Study) warping() bool {
	if !s.spec.InputWarping || len(s.objs) != 1 || len(s.sp.warpDims()) == 0 {
		return false
	}
	for _, p := range s.spec.Parameters {
		if len(p.Conditions) > 0 {
			return false
		}
	}
	return true
}

// updateWarp refits the warping on the objective's (unwarped) data on the
// models' refit schedule; when it changes, the cached posteriors (whose
// Cholesky factors are extended between refits) are dropped.
func (s *Study) updateWarp(ds dataset) {
	n := len(ds.x)
	if n < 3 || s.warp != nil && n > refitAlways && n-s.warp.FitN < max(1, s.warp.FitN/20) {
		return
	}
	x, y := ds.x, ds.y
	if n > fitMax { // every k-th point, as the hyperparameter fits subsample
		var sx [][]float64
		var sy []float64
		for i := 0; i < n; i += (n + fitMax - 1) / fitMax {
			sx, sy = append(sx, x[i]), append(sy, y[i])
		}
		x, y = sx, sy
	}
	d := s.sp.dim
	capLS := fixedNoise(s.sp.lengthScaleCaps(), d, minLogNoise)
	noisy := s.spec.Noisy != nil && *s.spec.Noisy
	if h, ok := s.models[ds.name]; ok && h.Noisy {
		noisy = true
	}
	if noisy {
		capLS = fitCaps(s.sp.lengthScaleCaps(), d, math.NaN(), noisyNoiseMu)
	}
	starts := []hyper{defaultHyper(d)}
	if h, ok := s.models[ds.name]; ok && len(h.LogLS) == d {
		starts = append(starts, h)
	}
	for i := range starts {
		v := starts[i].vec()
		for k := range v {
			lo, hi := paramBox(k, d, capLS)
			v[k] = math.Max(lo, math.Min(hi, v[k]))
		}
		starts[i] = hyperFrom(v)
	}
	dims := s.sp.warpDims()
	w := fitWarp(x, y, starts, capLS, s.sp.catGroups(), dims)
	if w == nil { // the identity, kept so the refit schedule holds
		w = &warping{Dims: dims, LogA: make([]float64, len(dims)), LogB: make([]float64, len(dims))}
	}
	w.FitN = n
	s.warp = w
	clear(s.gps)
}

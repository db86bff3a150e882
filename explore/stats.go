package explore

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// chiSquareUniformP is the p-value of Pearson's chi-squared test that the
// counts are equally likely (scipy.stats.chisquare with default expected
// frequencies); ydata-profiling's uniformity test. NaN with fewer than two
// cells.
func chiSquareUniformP(counts []int64) float64 {
	if len(counts) < 2 {
		return math.NaN()
	}
	var total float64
	for _, c := range counts {
		total += float64(c)
	}
	if total == 0 {
		return math.NaN()
	}
	e := total / float64(len(counts))
	stat := 0.0
	for _, c := range counts {
		d := float64(c) - e
		stat += d * d / e
	}
	return distuv.ChiSquared{K: float64(len(counts) - 1)}.Survival(stat)
}

// autoBins is numpy.histogram_bin_edges' "auto" bin count: the smaller
// width of Sturges' rule and Freedman–Diaconis (when the IQR is positive).
func autoBins(n int64, lo, hi, iqr float64) int {
	if n == 0 {
		return 0
	}
	ptp := hi - lo
	if ptp == 0 {
		return 1
	}
	sturges := ptp / (math.Log2(float64(n)) + 1)
	bw := sturges
	if fd := 2 * iqr * math.Pow(float64(n), -1.0/3); fd > 0 {
		bw = math.Min(fd, sturges)
	}
	return int(math.Ceil(ptp / bw))
}

// adfResult is an augmented Dickey–Fuller unit-root test.
type adfResult struct {
	Stat float64
	P    float64
	Lags int
	N    int
}

// adfTest is the augmented Dickey–Fuller test with a constant, the lag
// order chosen by AIC among 0..12·(n/100)^¼ on a common sample, then refitted
// (statsmodels.tsa.stattools.adfuller(x, regression="c", autolag="AIC")),
// with MacKinnon's (1994, 2010 tables) approximate p-value.
func adfTest(x []float64) (adfResult, bool) {
	nobs := len(x)
	maxlag := int(math.Ceil(12 * math.Pow(float64(nobs)/100, 0.25)))
	maxlag = min(nobs/2-1-1, maxlag)
	if maxlag < 0 || nobs < 8 {
		return adfResult{}, false
	}
	dx := make([]float64, nobs-1)
	for i := range dx {
		dx[i] = x[i+1] - x[i]
	}
	// Rows t = maxlag..len(dx)-1: regress dx[t] on 1, x[t], dx[t-1..t-lag].
	best, bestAIC := 0, math.Inf(1)
	for lag := 0; lag <= maxlag; lag++ {
		fit, ok := adfOLS(x, dx, maxlag, lag)
		if !ok {
			continue
		}
		if fit.aic < bestAIC-1e-12*math.Abs(bestAIC) || math.IsInf(bestAIC, 1) {
			best, bestAIC = lag, fit.aic
		}
	}
	fit, ok := adfOLS(x, dx, best, best)
	if !ok {
		return adfResult{}, false
	}
	return adfResult{Stat: fit.t, P: mackinnonP(fit.t), Lags: best, N: fit.n}, true
}

type olsFit struct {
	t   float64 // t statistic of the lagged level
	aic float64
	n   int
}

// adfOLS fits the ADF regression with lag difference terms on the rows
// after skip.
func adfOLS(x, dx []float64, skip, lag int) (olsFit, bool) {
	n := len(dx) - skip
	k := lag + 2
	if n <= k {
		return olsFit{}, false
	}
	X := mat.NewDense(n, k, nil)
	y := mat.NewVecDense(n, nil)
	for r := 0; r < n; r++ {
		t := skip + r
		y.SetVec(r, dx[t])
		X.Set(r, 0, x[t])
		for j := 1; j <= lag; j++ {
			X.Set(r, j, dx[t-j])
		}
		X.Set(r, k-1, 1)
	}
	var xtx mat.SymDense
	xtx.SymOuterK(1, X.T())
	var ch mat.Cholesky
	if !ch.Factorize(&xtx) {
		return olsFit{}, false
	}
	var xty, beta mat.VecDense
	xty.MulVec(X.T(), y)
	if err := ch.SolveVecTo(&beta, &xty); err != nil {
		return olsFit{}, false
	}
	var fitted mat.VecDense
	fitted.MulVec(X, &beta)
	ssr := 0.0
	for r := 0; r < n; r++ {
		e := y.AtVec(r) - fitted.AtVec(r)
		ssr += e * e
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return olsFit{}, false
	}
	s2 := ssr / float64(n-k)
	se := math.Sqrt(s2 * inv.At(0, 0))
	fn := float64(n)
	llf := -fn / 2 * (math.Log(2*math.Pi) + math.Log(ssr/fn) + 1)
	return olsFit{t: beta.AtVec(0) / se, aic: -2*llf + 2*float64(k), n: n}, true
}

// mackinnonP is MacKinnon's approximate p-value of a Dickey–Fuller τ with a
// constant and one series (statsmodels.tsa.adfvalues.mackinnonp, "c", N=1).
func mackinnonP(t float64) float64 {
	const tauMax, tauMin, tauStar = 2.74, -18.83, -1.61
	switch {
	case t > tauMax:
		return 1
	case t < tauMin:
		return 0
	}
	var z float64
	if t <= tauStar {
		z = 2.1659 + 1.4412*t + 3.8269e-2*t*t
	} else {
		z = 1.7339 + 0.93202*t - 0.12745*t*t - 0.010368*t*t*t
	}
	return distuv.UnitNormal.CDF(z)
}

// seasonalStrength is Wang, Smith & Hyndman's (2006) strength of
// seasonality, max(0, 1 − Var(R)/Var(S+R)) (Hyndman & Athanasopoulos,
// FPP3 §4.3), over a classical additive decomposition with period m
// (statsmodels' seasonal_decompose: a centred moving-average trend, the
// seasonal component the mean detrended value at each phase).
func seasonalStrength(x []float64, m int) float64 {
	n := len(x)
	if m < 2 || n < 2*m+1 {
		return math.NaN()
	}
	// Centred moving average: a 2×m MA for even m, an m-MA for odd m.
	trend := make([]float64, n)
	for i := range trend {
		trend[i] = math.NaN()
	}
	half := m / 2
	for i := half; i+half < n; i++ {
		s := 0.0
		if m%2 == 0 {
			s = 0.5*x[i-half] + 0.5*x[i+half]
			for j := i - half + 1; j < i+half; j++ {
				s += x[j]
			}
		} else {
			for j := i - half; j <= i+half; j++ {
				s += x[j]
			}
		}
		trend[i] = s / float64(m)
	}
	phase := make([]float64, m)
	cnt := make([]float64, m)
	for i := range x {
		if !math.IsNaN(trend[i]) {
			phase[i%m] += x[i] - trend[i]
			cnt[i%m]++
		}
	}
	mean := 0.0
	for p := range phase {
		phase[p] /= cnt[p]
		mean += phase[p]
	}
	mean /= float64(m)
	var r, sr []float64
	for i := range x {
		if math.IsNaN(trend[i]) {
			continue
		}
		s := phase[i%m] - mean
		res := x[i] - trend[i] - s
		r = append(r, res)
		sr = append(sr, s+res)
	}
	vr, vsr := variance(r), variance(sr)
	if vsr == 0 {
		return 0
	}
	return math.Max(0, 1-vr/vsr)
}

func variance(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s / float64(len(x)-1)
}

// seasonalPeriod picks the period for seasonalStrength: among the lags
// (2..n/3, at most 400) where the autocorrelation of the linearly detrended
// series has a local maximum above 0.3, the one of greatest seasonal
// strength, skipping multiples (±1) of a shorter lag already of strength
// 0.3 or more (a yearly cycle repeats at 24, 36, ... months, and a longer
// "period" always absorbs more variance). 0 when no lag qualifies.
func seasonalPeriod(x []float64) int {
	n := len(x)
	if n < 8 {
		return 0
	}
	// Residuals of the least-squares line through (i, x[i]).
	var st, sx, stt, stx float64
	for i, v := range x {
		t := float64(i)
		st, sx, stt, stx = st+t, sx+v, stt+t*t, stx+t*v
	}
	fn := float64(n)
	slope := (fn*stx - st*sx) / (fn*stt - st*st)
	icpt := (sx - slope*st) / fn
	d := make([]float64, n)
	c0 := 0.0
	for i, v := range x {
		d[i] = v - icpt - slope*float64(i)
		c0 += d[i] * d[i]
	}
	if c0 == 0 {
		return 0
	}
	maxLag := min(n/3, 400)
	acf := make([]float64, maxLag+2)
	for k := 1; k <= maxLag+1 && k < n; k++ {
		s := 0.0
		for i := k; i < n; i++ {
			s += d[i] * d[i-k]
		}
		acf[k] = s / c0
	}
	best, bestF := 0, 0.0
	var bases []int
	for k := 2; k <= maxLag; k++ {
		if !(acf[k] > acf[k-1] && acf[k] >= acf[k+1] && acf[k] > 0.3) {
			continue
		}
		harmonic := false
		for _, m := range bases {
			if r := k % m; r <= 1 || r == m-1 {
				harmonic = true
			}
		}
		if harmonic {
			continue
		}
		f := seasonalStrength(x, k)
		if f >= 0.3 {
			bases = append(bases, k)
		}
		if f > bestF {
			best, bestF = k, f
		}
	}
	return best
}

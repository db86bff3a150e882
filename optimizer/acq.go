package optimizer

import (
	"math"
	"sort"
)

const (
	ln2pi    = 1.8378770664093453 // ln 2π
	invSqrt2 = 0.7071067811865476
)

func normPDF(z float64) float64 { return math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi) }
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z*invSqrt2) }

// logNormCDF is log Φ(z), accurate in the far left tail (asymptotic series
// beyond the underflow of erfc).
func logNormCDF(z float64) float64 {
	if z > -30 {
		return math.Log(0.5 * math.Erfc(-z*invSqrt2))
	}
	// Φ(z) ≈ φ(z)/|z| (1 − 1/z² + 3/z⁴)
	z2 := z * z
	return -0.5*z2 - 0.5*ln2pi - math.Log(-z) + math.Log1p(-1/z2+3/(z2*z2))
}

// erfcx is the scaled complementary error function exp(x²)·erfc(x) for x >= 0.
func erfcx(x float64) float64 {
	if x < 25 {
		return math.Exp(x*x) * math.Erfc(x)
	}
	// asymptotic expansion (Abramowitz & Stegun 7.1.23)
	x2 := x * x
	return (1 - 1/(2*x2) + 3/(4*x2*x2) - 15/(8*x2*x2*x2)) / (x * math.SqrtPi)
}

// log1mexp is log(1 − eˣ) for x < 0 (Mächler 2012).
func log1mexp(x float64) float64 {
	if x > -math.Ln2 {
		return math.Log(-math.Expm1(x))
	}
	return math.Log1p(-math.Exp(x))
}

// logH is log h(z) with h(z) = φ(z) + zΦ(z), the expected improvement of a
// standard normal over −z; LogEI, Ament et al. 2023, eq. (9).
func logH(z float64) float64 {
	switch {
	case z > -1:
		return math.Log(normPDF(z) + z*normCDF(z))
	case z > -1e8:
		return -0.5*z*z - 0.5*ln2pi + log1mexp(math.Log(erfcx(-z*invSqrt2)*math.Abs(z))+0.5*math.Log(math.Pi/2))
	default:
		return -0.5*z*z - 0.5*ln2pi - 2*math.Log(math.Abs(z))
	}
}

// logEI is log E[max(best − f, 0)] for f ~ N(mu, sigma²) (minimization).
func logEI(mu, sigma, best float64) float64 {
	return logH((best-mu)/sigma) + math.Log(sigma)
}

// psi is E[max(b − Y, 0)] for Y ~ N(mu, sigma²).
func psi(b, mu, sigma float64) float64 {
	if math.IsInf(b, -1) {
		return 0
	}
	z := (b - mu) / sigma
	return (b-mu)*normCDF(z) + sigma*normPDF(z)
}

// box is an axis-aligned cell [lo, hi] of the non-dominated region.
type box struct{ lo, hi []float64 }

// boxes2D decomposes the region below ref that the 2-D (minimization) front
// does not dominate into disjoint strips, for exact EHVI (Emmerich et al.
// 2006; Yang et al. 2019 give the general cell form).
func boxes2D(front [][]float64, ref []float64) []box {
	pts := nondominated(front, ref)
	sort.Slice(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
	out := make([]box, 0, len(pts)+1)
	prevX, prevY := math.Inf(-1), ref[1]
	for _, p := range pts {
		out = append(out, box{lo: []float64{prevX, math.Inf(-1)}, hi: []float64{p[0], prevY}})
		prevX, prevY = p[0], p[1]
	}
	out = append(out, box{lo: []float64{prevX, math.Inf(-1)}, hi: []float64{ref[0], prevY}})
	return out
}

// ehvi2D is the exact expected hypervolume improvement for independent
// Gaussian objectives over a strip decomposition: Σ_boxes Π_j E[(u_j − max(l_j, Y_j))⁺].
func ehvi2D(boxes []box, mu, sigma []float64) float64 {
	var s float64
	for _, b := range boxes {
		p := 1.0
		for j := 0; j < 2; j++ {
			p *= psi(b.hi[j], mu[j], sigma[j]) - psi(b.lo[j], mu[j], sigma[j])
			if p <= 0 {
				break
			}
		}
		if p > 0 {
			s += p
		}
	}
	return s
}

// nondominated returns the points of pts that strictly dominate ref and no
// other point dominates (minimization); duplicates are kept once.
func nondominated(pts [][]float64, ref []float64) [][]float64 {
	var in [][]float64
	for _, p := range pts {
		ok := true
		for j := range p {
			if !(p[j] < ref[j]) {
				ok = false
			}
		}
		if ok {
			in = append(in, p)
		}
	}
	var out [][]float64
	for i, p := range in {
		dom := false
		for k, q := range in {
			if k == i {
				continue
			}
			if dominates(q, p) || (k < i && equal(q, p)) {
				dom = true
				break
			}
		}
		if !dom {
			out = append(out, p)
		}
	}
	return out
}

// dominates reports whether a Pareto-dominates b (minimization).
func dominates(a, b []float64) bool {
	strict := false
	for j := range a {
		if a[j] > b[j] {
			return false
		}
		if a[j] < b[j] {
			strict = true
		}
	}
	return strict
}

// hypervolume is the volume dominated by pts and bounded by ref
// (minimization). Exact: sweep for 2-D, recursive slicing (HSO, While et al.
// 2006) for more objectives.
func hypervolume(pts [][]float64, ref []float64) float64 {
	p := nondominated(pts, ref)
	if len(p) == 0 {
		return 0
	}
	m := len(ref)
	switch m {
	case 1:
		best := p[0][0]
		for _, q := range p {
			best = math.Min(best, q[0])
		}
		return ref[0] - best
	case 2:
		sort.Slice(p, func(i, j int) bool { return p[i][0] < p[j][0] })
		var hv float64
		prevY := ref[1]
		for _, q := range p {
			hv += (ref[0] - q[0]) * (prevY - q[1])
			prevY = q[1]
		}
		return hv
	}
	// slice along the last objective
	sort.Slice(p, func(i, j int) bool { return p[i][m-1] < p[j][m-1] })
	var hv float64
	for i := range p {
		top := ref[m-1]
		if i+1 < len(p) {
			top = p[i+1][m-1]
		}
		h := top - p[i][m-1]
		if h <= 0 {
			continue
		}
		sub := make([][]float64, 0, i+1)
		for _, q := range p[:i+1] {
			sub = append(sub, q[:m-1])
		}
		hv += h * hypervolume(sub, ref[:m-1])
	}
	return hv
}

// hvi is the hypervolume improvement of y over front: vol([y, ref]) minus the
// part of it the front already dominates, i.e. HV of {max(p, y)}.
func hvi(front [][]float64, y, ref []float64) float64 {
	vol := 1.0
	for j := range y {
		if y[j] >= ref[j] {
			return 0
		}
		vol *= ref[j] - y[j]
	}
	// A point some front member weakly dominates adds nothing; most Monte
	// Carlo samples are such points, and the check is O(front) against the
	// hypervolume's recursion.
	for _, p := range front {
		dom := true
		for j := range y {
			if p[j] > y[j] {
				dom = false
				break
			}
		}
		if dom {
			return 0
		}
	}
	cl := make([][]float64, 0, len(front))
	for _, p := range front {
		q := make([]float64, len(p))
		for j := range p {
			q[j] = math.Max(p[j], y[j])
		}
		cl = append(cl, q)
	}
	return vol - hypervolume(cl, ref)
}

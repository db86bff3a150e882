package optimizer

import "math"

// boxMinimize minimizes f over the box [lo, hi] from x0 by a projected
// L-BFGS: the quasi-Newton direction is computed on the free variables (those
// not held at a bound by the gradient), and a backtracking Armijo search runs
// along the projected path. It is the part of L-BFGS-B (Byrd et al. 1995)
// the acquisition search needs, without the generalized Cauchy point; lo[i]
// == hi[i] fixes a variable. f writes the gradient into g and returns the
// value.
func boxMinimize(f func(x, g []float64) float64, x0, lo, hi []float64, maxIter int) ([]float64, float64) {
	const mem = 8
	n := len(x0)
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Max(lo[i], math.Min(hi[i], x0[i]))
	}
	g := make([]float64, n)
	fx := f(x, g)
	if math.IsNaN(fx) || math.IsInf(fx, 0) {
		return x, fx
	}
	var ss, ys [][]float64
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	free := make([]bool, n)
	for it := 0; it < maxIter; it++ {
		var pg float64 // projected gradient norm (∞)
		for i := range x {
			free[i] = lo[i] < hi[i] && !(x[i] <= lo[i] && g[i] > 0) && !(x[i] >= hi[i] && g[i] < 0)
			if free[i] {
				pg = math.Max(pg, math.Abs(g[i]))
			}
		}
		if pg < 1e-7 {
			break
		}
		// two-loop recursion on the free variables
		for i := range d {
			d[i] = 0
			if free[i] {
				d[i] = -g[i]
			}
		}
		alpha := make([]float64, len(ss))
		for k := len(ss) - 1; k >= 0; k-- {
			rho := 1 / dotFree(ys[k], ss[k], free)
			alpha[k] = rho * dotFree(ss[k], d, free)
			for i := range d {
				if free[i] {
					d[i] -= alpha[k] * ys[k][i]
				}
			}
		}
		if k := len(ss) - 1; k >= 0 {
			gamma := dotFree(ss[k], ys[k], free) / dotFree(ys[k], ys[k], free)
			if gamma > 0 && !math.IsInf(gamma, 0) {
				for i := range d {
					d[i] *= gamma
				}
			}
		}
		for k := range ss {
			rho := 1 / dotFree(ys[k], ss[k], free)
			beta := rho * dotFree(ys[k], d, free)
			for i := range d {
				if free[i] {
					d[i] += ss[k][i] * (alpha[k] - beta)
				}
			}
		}
		if dotFree(g, d, free) >= 0 || anyNaN(d) { // not a descent direction: steepest descent
			ss, ys = nil, nil
			for i := range d {
				d[i] = 0
				if free[i] {
					d[i] = -g[i]
				}
			}
		}
		t := 1.0
		if len(ss) == 0 { // first step: at most 0.1 of the box
			var dm float64
			for i := range d {
				dm = math.Max(dm, math.Abs(d[i]))
			}
			t = math.Min(1, 0.1/dm)
		}
		var fn float64
		ok := false
		for ls := 0; ls < 20; ls++ {
			for i := range x {
				xn[i] = math.Max(lo[i], math.Min(hi[i], x[i]+t*d[i]))
			}
			fn = f(xn, gn)
			var dec float64
			for i := range x {
				dec += g[i] * (xn[i] - x[i])
			}
			if fn <= fx+1e-4*dec && !math.IsNaN(fn) {
				ok = true
				break
			}
			t /= 2
		}
		if !ok {
			break
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			s[i], y[i] = xn[i]-x[i], gn[i]-g[i]
		}
		if dot(s, y) > 1e-12 {
			ss, ys = append(ss, s), append(ys, y)
			if len(ss) > mem {
				ss, ys = ss[1:], ys[1:]
			}
		}
		improved := fx - fn
		copy(x, xn)
		copy(g, gn)
		fx = fn
		if improved <= 1e-9*(1+math.Abs(fx)) {
			break
		}
	}
	return x, fx
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func dotFree(a, b []float64, free []bool) float64 {
	var s float64
	for i := range a {
		if free[i] {
			s += a[i] * b[i]
		}
	}
	return s
}

func anyNaN(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

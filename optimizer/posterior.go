package optimizer

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// setHyper factorizes K for fixed hyperparameters, adding jitter until the
// Cholesky succeeds.
func (g *gp) setHyper(h hyper) {
	g.setHyperOnly(h)
	g.factor()
}

func (g *gp) setHyperOnly(h hyper) {
	g.h = h
	g.ls = make([]float64, g.d)
	for k := range g.ls {
		g.ls[k] = math.Exp(h.LogLS[k])
	}
	g.sig2, g.nois = math.Exp(h.LogSig2), math.Exp(h.LogNoise)
}

// factor computes the lower Cholesky factor of K (row-major, LAPACK's
// blocked dpotrf through gonum) and α = K⁻¹y.
func (g *gp) factor() {
	n := len(g.x)
	for jit := jitter; ; jit *= 10 {
		l := make([]float64, n*n)
		for i := 0; i < n; i++ {
			l[i*n+i] = g.sig2 + g.nois + jit
			for j := 0; j < i; j++ {
				l[i*n+j] = g.sig2 * matern52(math.Sqrt(scaledDist2(g.x[i], g.x[j], g.ls)))
			}
		}
		a := blas64.Symmetric{Uplo: blas.Lower, N: n, Stride: n, Data: l}
		if _, ok := lapack64.Potrf(a); !ok && jit < 1 {
			continue
		}
		for i := 0; i < n; i++ { // Potrf leaves the strict upper triangle as it was (zero)
			for j := i + 1; j < n; j++ {
				l[i*n+j] = 0
			}
		}
		g.l, g.jit = l, jit
		g.solveAlpha()
		return
	}
}

// solveAlpha computes α = K⁻¹y from the factor: two triangular solves.
func (g *gp) solveAlpha() {
	n := len(g.x)
	a := append([]float64{}, g.y...)
	t := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: n, Stride: n, Data: g.l}
	v := blas64.Vector{N: n, Inc: 1, Data: a}
	blas64.Trsv(blas.NoTrans, t, v)
	blas64.Trsv(blas.Trans, t, v)
	g.alpha = a
}

// extend returns a GP with the same hyperparameters and standardization on
// the points of g plus xs with standardized values zs, reusing g's Cholesky
// factor: each new row costs O(n²) instead of a new O(n³) factorization.
func (g *gp) extend(xs [][]float64, zs []float64) *gp {
	n0, n := len(g.x), len(g.x)+len(xs)
	c := &gp{d: g.d, mean: g.mean, std: g.std, h: g.h, ls: g.ls, sig2: g.sig2, nois: g.nois, jit: g.jit}
	c.x = append(append(make([][]float64, 0, n), g.x...), xs...)
	c.y = append(append(make([]float64, 0, n), g.y...), zs...)
	l := make([]float64, n*n)
	for i := 0; i < n0; i++ {
		copy(l[i*n:i*n+i+1], g.l[i*n0:i*n0+i+1])
	}
	for i := n0; i < n; i++ {
		row := l[i*n : i*n+i+1]
		for j := 0; j < i; j++ {
			row[j] = g.sig2 * matern52(math.Sqrt(scaledDist2(c.x[i], c.x[j], g.ls)))
		}
		// forward substitution: L[:i,:i] w = k
		t := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: i, Stride: n, Data: l}
		if i > 0 {
			blas64.Trsv(blas.NoTrans, t, blas64.Vector{N: i, Inc: 1, Data: row[:i]})
		}
		var q float64
		for _, w := range row[:i] {
			q += w * w
		}
		dg := g.sig2 + g.nois + g.jit - q
		if !(dg > 1e-12*g.sig2) {
			// numerically a duplicate point: refactor from scratch (with more jitter if needed)
			c.setHyper(g.h)
			return c
		}
		row[i] = math.Sqrt(dg)
	}
	c.l = l
	c.solveAlpha()
	return c
}

// withData returns a GP with g's hyperparameters on new data: the factor is
// extended when g's points are a prefix of x, else recomputed.
func (g *gp) withData(x [][]float64, z []float64, mean, std float64) *gp {
	if len(x) >= len(g.x) && g.l != nil && samePrefix(g.x, x) {
		c := *g
		c.y = z[:len(g.x)]
		c.mean, c.std = mean, std
		e := c.extend(x[len(g.x):], z[len(g.x):])
		return e
	}
	c := &gp{d: g.d, x: x, y: z, mean: mean, std: std}
	c.setHyper(g.h)
	return c
}

func samePrefix(a, b [][]float64) bool {
	for i := range a {
		if !equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// condition returns a GP with the same hyperparameters conditioned on extra
// (fantasized) observations in raw units; used for pending trials.
func (g *gp) condition(xs [][]float64, ys []float64) *gp {
	zs := make([]float64, len(ys))
	for i, v := range ys {
		zs[i] = (v - g.mean) / g.std
	}
	return g.extend(xs, zs)
}

// predictChunk bounds the points solved at once (n×chunk floats of scratch).
const predictChunk = 128

// predict returns the posterior mean and variance of the latent function at
// each point, in raw units. Points go in chunks through one triangular solve
// each (BLAS3), the chunks in parallel.
func (g *gp) predict(pts [][]float64) (mu, v []float64) {
	mu = make([]float64, len(pts))
	v = make([]float64, len(pts))
	nch := (len(pts) + predictChunk - 1) / predictChunk
	workers := min(nch, runtime.GOMAXPROCS(0))
	if workers <= 1 || len(g.x)*len(pts) < 20000 {
		for c := 0; c < nch; c++ {
			lo := c * predictChunk
			hi := min(len(pts), lo+predictChunk)
			g.predictInto(pts[lo:hi], mu[lo:hi], v[lo:hi])
		}
		return mu, v
	}
	var wg sync.WaitGroup
	next := make(chan int, nch)
	for c := 0; c < nch; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				lo := c * predictChunk
				hi := min(len(pts), lo+predictChunk)
				g.predictInto(pts[lo:hi], mu[lo:hi], v[lo:hi])
			}
		}()
	}
	wg.Wait()
	return mu, v
}

func (g *gp) predictInto(pts [][]float64, mu, v []float64) {
	n, m := len(g.x), len(pts)
	b := make([]float64, n*m) // row i: k(x_i, pts)
	for i := 0; i < n; i++ {
		row := b[i*m : i*m+m]
		for p, x := range pts {
			row[p] = g.sig2 * matern52(math.Sqrt(scaledDist2(x, g.x[i], g.ls)))
		}
	}
	bm := blas64.General{Rows: n, Cols: m, Stride: m, Data: b}
	blas64.Gemv(blas.Trans, 1, bm, blas64.Vector{N: n, Inc: 1, Data: g.alpha}, 0, blas64.Vector{N: m, Inc: 1, Data: mu})
	t := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: n, Stride: n, Data: g.l}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, t, bm)
	for p := range v {
		v[p] = 0
	}
	for i := 0; i < n; i++ {
		row := b[i*m : i*m+m]
		for p, w := range row {
			v[p] += w * w
		}
	}
	for p := range pts {
		va := math.Max(g.sig2-v[p], 1e-12*g.sig2)
		mu[p] = g.mean + g.std*mu[p]
		v[p] = va * g.std * g.std
	}
}

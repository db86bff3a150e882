package optimizer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The warping's CDF inverts, and warpNLP's analytic gradient (GP
// hyperparameters, log a, log b) matches central differences.
func TestWarpGradientAndInverse(t *testing.T) {
	w := &warping{Dims: []int{0, 2}, LogA: []float64{0.7, -0.4}, LogB: []float64{-0.3, 0.5}}
	for _, u := range [][]float64{{0.1, 0.5, 0.9}, {0.97, 0.2, 0.03}} {
		back := w.invert(w.apply(u))
		for k := range u {
			if math.Abs(back[k]-u[k]) > 1e-9 {
				t.Errorf("invert(apply(%v)) = %v", u, back)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n, d := 12, 3
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = []float64{rng.Float64(), rng.Float64(), rng.Float64()}
		y[i] = math.Sin(6*x[i][0]) + x[i][1]*x[i][2]
	}
	y, _, _ = standardize(y)
	dims := []int{0, 2}
	th := append(defaultHyper(d).vec(), 0.3, -0.2, 0.1, 0.4)
	th[d+1] = -6
	grad := make([]float64, len(th))
	warpNLP(x, y, th, grad, nil, nil, dims)
	for i := range th {
		const h = 1e-5
		a, b := append([]float64{}, th...), append([]float64{}, th...)
		a[i] += h
		b[i] -= h
		num := (warpNLP(x, y, a, nil, nil, nil, dims) - warpNLP(x, y, b, nil, nil, nil, dims)) / (2 * h)
		if math.Abs(num-grad[i]) > 1e-4*math.Max(1, math.Abs(num)) {
			t.Errorf("∂/∂t[%d]: analytic %.6g, numeric %.6g", i, grad[i], num)
		}
	}
}

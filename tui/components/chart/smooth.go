package chart

import "math"

// Smoothings are the EMA weights a view steps through, as W&B's and
// TensorBoard's smoothing slider is usually set: none, light, strong, very
// strong.
var Smoothings = []float64{0, 0.6, 0.9, 0.99}

// EMA smooths pts with an exponential moving average of weight w in [0, 1)
// (0: unchanged), debiased as TensorBoard does (its smoothing, after Adam's
// bias correction, Kingma & Ba 2015): m_i = w·m_{i-1} + (1-w)·y_i with
// m_{-1} = 0, shown as m_i / (1 - w^(n_i)) where n_i counts the finite points
// so far, so the curve starts at the first value instead of at 0.
// Non-finite values are kept as they are and left out of the average.
func EMA(pts []Point, w float64) []Point {
	out := make([]Point, len(pts))
	copy(out, pts)
	if w <= 0 || w >= 1 {
		return out
	}
	m, n := 0.0, 0
	for i, p := range pts {
		if math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
			continue
		}
		n++
		m = w*m + (1-w)*p.Y
		out[i].Y = m / (1 - math.Pow(w, float64(n)))
	}
	return out
}

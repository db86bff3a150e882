package explore

import (
	"cmp"
	"math"
	"slices"
)

// Quantiles, histograms and the uniformity test of a numeric column: exact
// from its distinct table or kept values, or from the KLL sketch.

// maxUniformBins caps numpy's "auto" bin count for the uniformity test
// (Freedman–Diaconis on a long-tailed column can ask for millions).
const maxUniformBins = 100000

// uniformP is the chi-squared p-value of the finite values' histogram with
// numpy's "auto" bins, as ydata-profiling's chi_square(finite_values).
func (a *colAcc) uniformP(q *Quantiles, hist func(bins int) *Histogram) float64 {
	bins := autoBins(a.n, a.fmin, a.fmax, float64(q.P75-q.P25))
	if bins < 2 || bins > maxUniformBins {
		return math.NaN()
	}
	return chiSquareUniformP(hist(bins).Counts)
}

// distribution returns quantiles, a histogram and the uniformity p-value:
// exact from the kept values, or from the KLL sketch past the budget (no
// p-value then).
func (a *colAcc) distribution(bins int) (*Quantiles, *Histogram, float64) {
	if !a.overflowed() {
		vs := make([]weighted, 0, len(a.nums))
		for k, c := range a.nums {
			if x := math.Float64frombits(k); !math.IsInf(x, 0) {
				vs = append(vs, weighted{x, c})
			}
		}
		for k, e := range a.strs {
			if e.k == kindInt {
				n, _ := parseInt([]byte(k))
				vs = append(vs, weighted{float64(n), e.n})
			}
		}
		slices.SortFunc(vs, func(x, y weighted) int { return cmp.Compare(x.v, y.v) })
		q := func(p float64) Num { return Num(quantileLinearWeighted(vs, a.n, p)) }
		qs := &Quantiles{P05: q(0.05), P25: q(0.25), P50: q(0.5), P75: q(0.75), P95: q(0.95), Method: "exact"}
		return qs, histogramWeighted(vs, a.fmin, a.fmax, bins),
			a.uniformP(qs, func(b int) *Histogram { return histogramWeighted(vs, a.fmin, a.fmax, b) })
	}
	if a.sketch == nil {
		xs := a.values
		slices.Sort(xs)
		q := func(p float64) Num { return Num(quantileLinear(xs, p)) }
		qs := &Quantiles{P05: q(0.05), P25: q(0.25), P50: q(0.5), P75: q(0.75), P95: q(0.95), Method: "exact"}
		return qs, histogramExact(xs, a.fmin, a.fmax, bins),
			a.uniformP(qs, func(b int) *Histogram { return histogramExact(xs, a.fmin, a.fmax, b) })
	}
	it := a.sketch.items()
	q := func(p float64) Num { return Num(quantileOfItems(it, p)) }
	qs := &Quantiles{P05: q(0.05), P25: q(0.25), P50: q(0.5), P75: q(0.75), P95: q(0.95), Method: "kll"}
	lo, hi := histRange(a.fmin, a.fmax)
	h := &Histogram{Edges: make([]Num, bins+1), Counts: make([]int64, bins)}
	prev := int64(0)
	for i := 0; i <= bins; i++ {
		e := lo + float64(i)*((hi-lo)/float64(bins))
		h.Edges[i] = Num(e)
		if i == 0 {
			continue
		}
		cum := int64(math.Round(rankOfItems(it, e, i == bins) * float64(a.n)))
		if i == bins {
			cum = a.n
		}
		h.Counts[i-1] = cum - prev
		prev = cum
	}
	return qs, h, math.NaN()
}

// quantileLinear is numpy/pandas' default "linear" quantile of sorted xs.
func quantileLinear(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := p * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	t := pos - float64(lo)
	a, b := xs[lo], xs[lo+1]
	// numpy's _lerp: symmetric form for t >= 0.5 keeps monotonicity.
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
}

func histRange(lo, hi float64) (float64, float64) {
	if lo == hi {
		return lo - 0.5, hi + 0.5 // numpy.histogram's range for a constant
	}
	return lo, hi
}

// quantileLinearWeighted is quantileLinear over sorted distinct values with
// counts (n in total), without expanding them.
func quantileLinearWeighted(vs []weighted, n int64, p float64) float64 {
	if n == 0 {
		return math.NaN()
	}
	pos := p * float64(n-1)
	lo := int64(math.Floor(pos))
	at := func(rank int64) float64 { // the value at 0-based rank
		var cum int64
		for _, w := range vs {
			cum += w.w
			if rank < cum {
				return w.v
			}
		}
		return vs[len(vs)-1].v
	}
	a := at(lo)
	if lo+1 >= n {
		return a
	}
	b := at(lo + 1)
	t := pos - float64(lo)
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
}

// histogramWeighted is histogramExact over distinct values with counts.
func histogramWeighted(vs []weighted, min, max float64, bins int) *Histogram {
	if len(vs) == 0 || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	h := newHistogram(min, max, bins)
	for _, w := range vs {
		h.Counts[h.bin(w.v)] += w.w
	}
	return &h.Histogram
}

type histBins struct {
	Histogram
	edges []float64
	lo    float64
	norm  float64
}

func newHistogram(min, max float64, bins int) *histBins {
	lo, hi := histRange(min, max)
	h := &histBins{Histogram: Histogram{Edges: make([]Num, bins+1), Counts: make([]int64, bins), Exact: true},
		edges: make([]float64, bins+1), lo: lo, norm: float64(bins) / (hi - lo)}
	step := (hi - lo) / float64(bins)
	for i := range h.edges {
		// numpy.linspace: start + i*step, with the last edge exactly stop.
		h.edges[i] = lo + float64(i)*step
	}
	h.edges[bins] = hi
	for i, e := range h.edges {
		h.Edges[i] = Num(e)
	}
	return h
}

// bin is numpy.histogram's bin index: computed, then corrected against the edges.
func (h *histBins) bin(x float64) int {
	bins := len(h.Counts)
	f := (x - h.lo) * h.norm
	if !(f >= 0) { // NaN: a range too narrow for float64 (a constant 1e99)
		return 0
	}
	i := int(min(f, float64(bins-1)))
	if i > 0 && x < h.edges[i] {
		i--
	} else if i < bins-1 && x >= h.edges[i+1] {
		i++
	}
	return i
}

// histogramExact bins sorted xs as numpy.histogram(xs, bins) does.
func histogramExact(xs []float64, min, max float64, bins int) *Histogram {
	if len(xs) == 0 || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	h := newHistogram(min, max, bins)
	for _, x := range xs {
		h.Counts[h.bin(x)]++
	}
	return &h.Histogram

}

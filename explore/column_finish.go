// The end of a column's profile: colAcc.finish turns the accumulator into a
// Column (distinct count, top values, imbalance, bounds for the JSON).

package explore

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

func (a *colAcc) distinct() (int64, bool) {
	if a.hll != nil {
		return int64(a.hll.Estimate()), false
	}
	return int64(a.tableLen()), true
}

func formatNumber(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "inf" // as pandas prints it
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func (a *colAcc) finish(name string, rows int64, opts ProfileOptions) Column {
	count := rows - a.missing
	col := Column{Name: name, Count: count, Missing: a.missing, minF: math.NaN(), maxF: math.NaN()}
	if rows > 0 {
		col.MissingShare = float64(a.missing) / float64(rows)
	}
	if a.kinds[kindFloat] > 0 && !a.texty {
		a.foldBigInts() // a float column: pandas holds float64, so neighbours merge
	}
	col.Distinct, col.DistinctExact = a.distinct()
	for k, e := range a.strs {
		if e.k == kindString {
			a.addLength([]byte(k), e.n)
			a.addTokens([]byte(k), e.n)
		}
	}
	meanTokens := 0.0
	if a.kinds[kindString] > 0 {
		meanTokens = float64(a.tokenN) / float64(a.kinds[kindString])
	}
	col.Type, col.TypeShares = decideType(a.kinds, col.Distinct, col.DistinctExact && col.Distinct == count && count > 1, meanTokens, opts.Alerts.MixedTypes)
	if len(col.TypeShares) == 1 {
		col.TypeShares = nil // one kind: the type says it all
	}
	col.dateCells = a.kinds[kindDate]
	tf := timeFormat{withTime: a.dateTimed, aware: a.zoneAware && !a.zoneNaive}
	if tf.aware && !a.zoneMixed {
		tf.offset = a.zoneOff
	}

	// Top values, by count then value.
	top := make([]ValueCount, 0, a.tableLen())
	for k, n := range a.nums {
		top = append(top, ValueCount{formatNumber(math.Float64frombits(k)), n})
	}
	for k, n := range a.dates {
		top = append(top, ValueCount{tf.format(math.Float64frombits(k)), n})
	}
	for k, e := range a.strs {
		top = append(top, ValueCount{k, e.n})
	}
	// Sorted first: the sums below then run in one order, whatever the
	// maps' iteration order, so a profile is reproducible to the bit.
	sortTop(top)
	if col.Type == TypeCategorical || col.Type == TypeBoolean {
		col.Imbalance = imbalance(top)
	}
	if col.Type == TypeCategorical && !a.overflowed() {
		counts := make([]int64, len(top))
		for i, t := range top {
			counts[i] = t.Count
		}
		if p := chiSquareUniformP(counts); !math.IsNaN(p) {
			col.UniformP = numPtr(p)
		}
	}
	col.Top = slices.Clone(top[:min(opts.TopK, len(top))])
	col.TopExact = !a.overflowed()

	switch {
	case col.Type.IsNumeric() && a.n+a.infinite > 0:
		col.Infinite = a.infinite
		col.Min, col.Max = bound(a.min), bound(a.max)
		if col.Type == TypeInteger {
			col.Min, col.Max = a.imin, a.imax // exact above 2^53
		}
		col.minF, col.maxF = a.fmin, a.fmax
		col.Zeros, col.Negatives = a.zeros, a.negatives
		if a.n == 0 {
			break // only infinities
		}
		n := float64(a.n)
		col.Mean = numPtr(a.mean)
		if a.n > 1 {
			col.Std = numPtr(math.Sqrt(a.m2 / (n - 1)))
		}
		if a.n > 2 {
			// Adjusted Fisher–Pearson skewness G1, as pandas' Series.skew.
			sk := 0.0
			if a.m2 > 0 {
				m2, m3 := a.m2/n, a.m3/n
				sk = math.Sqrt(n*(n-1)) / (n - 2) * m3 / math.Pow(m2, 1.5)
			}
			col.Skewness = numPtr(sk)
		}
		var up float64
		col.Quantiles, col.Histogram, up = a.distribution(opts.HistogramBins)
		if !math.IsNaN(up) {
			col.UniformP = numPtr(up)
		}
	case col.Type == TypeDatetime && a.kinds[kindDate] > 0:
		col.Min, col.Max = tf.format(a.dateMin), tf.format(a.dateMax)
		col.minF, col.maxF = a.dateMin, a.dateMax
		if !a.overflowed() {
			// Edges are Unix seconds (UTC); exact while the table holds every date.
			vs := make([]weighted, 0, len(a.dates))
			for k, c := range a.dates {
				vs = append(vs, weighted{math.Float64frombits(k), c})
			}
			col.Histogram = histogramWeighted(vs, a.dateMin, a.dateMax, opts.HistogramBins)
		}
	}
	col.ordered = a.ordered && a.ordStarted && a.kinds[kindInt]+a.kinds[kindDate] == count && count > 0
	if a.lenN > 0 {
		col.Length = &LengthStats{Min: a.lenMin, Max: a.lenMax, Mean: float64(a.lenSum) / float64(a.lenN)}
		var modal int64
		for _, c := range a.lenCounts {
			modal = max(modal, c)
		}
		col.Length.ModalShare = float64(modal) / float64(a.lenN)
	}
	if col.Type == TypeText || col.Type == TypeMixed || col.Type == TypeCategorical {
		toks := make([]ValueCount, 0, len(a.tokens))
		for k, n := range a.tokens {
			toks = append(toks, ValueCount{k, n})
		}
		col.TopTokens = topK(toks, opts.TopK)
	}
	return col
}

// bound is a numeric min or max for the JSON: a number, or "inf"/"-inf".
func bound(x float64) any {
	if math.IsInf(x, 0) {
		return formatNumber(x)
	}
	return x
}

// foldBigInts moves integers kept by their text into the number table by
// their float64 value.
func (a *colAcc) foldBigInts() {
	for k, e := range a.strs {
		if e.k != kindInt {
			continue
		}
		n, _ := parseInt([]byte(k))
		if a.nums == nil {
			a.nums = map[uint64]int64{}
		}
		a.nums[math.Float64bits(float64(n))] += e.n
		delete(a.strs, k)
	}
}

func topK(v []ValueCount, k int) []ValueCount {
	sortTop(v)
	if len(v) > k {
		v = v[:k]
	}
	return slices.Clip(v)
}

// sortTop orders values by count, then by value.
func sortTop(v []ValueCount) {
	slices.SortFunc(v, func(a, b ValueCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Value, b.Value)
	})
}

// imbalance is 1 − H(counts)/log2(k); ydata-profiling's imbalance score.
func imbalance(v []ValueCount) *Num {
	if len(v) < 2 {
		return nil
	}
	var total float64
	for _, x := range v {
		total += float64(x.Count)
	}
	h := 0.0
	for _, x := range v {
		p := float64(x.Count) / total
		h -= p * math.Log2(p)
	}
	return numPtr(1 - h/math.Log2(float64(len(v))))
}

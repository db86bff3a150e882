// Correlations over the row-wise stage: Pearson's r (streamed or on the
// sample), Spearman's rho by ranks and Cramér's V for categorical pairs.

package explore

import (
	"cmp"
	"maps"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// pairAcc holds co-moments for Pearson's r over pairwise-complete rows
// (Welford's update generalised to covariance, as pandas' nancorr).
type pairAcc struct {
	a, b                  int
	n                     int64
	ma, mb, caa, cbb, cab float64
}

func (p *pairAcc) add(x, y float64) {
	p.n++
	n := float64(p.n)
	dx := x - p.ma
	p.ma += dx / n
	dy := y - p.mb
	p.mb += dy / n
	p.cab += dx * (y - p.mb)
	p.caa += dx * (x - p.ma)
	p.cbb += dy * (y - p.mb)
}

func (p *pairAcc) r() float64 {
	if p.n < 2 || p.caa <= 0 || p.cbb <= 0 {
		return math.NaN()
	}
	return clamp1(p.cab / math.Sqrt(p.caa*p.cbb))
}

func clamp1(r float64) float64 { return math.Max(-1, math.Min(1, r)) }

// correlations computes Pearson (streamed over all rows when the table is
// narrow, else on the sample), Spearman and Cramér's V on the sample.
func (ra *rowAcc) correlations(cols []Column, opts ProfileOptions) ([]Correlation, int, []string) {
	var out []Correlation
	var numeric, categorical []int
	for c := range cols {
		switch {
		case cols[c].Type.IsNumeric():
			numeric = append(numeric, c)
		case (cols[c].Type == TypeCategorical || cols[c].Type == TypeBoolean) && cols[c].Distinct <= int64(opts.CramersMaxDistinct),
			cols[c].Type == TypeDatetime && cols[c].Distinct <= categoricalMaxDistinct:
			categorical = append(categorical, c)
		}
	}
	// Pairs grow with the square of the columns: correlate at most
	// CorrColumns of each kind, the named ones or the most variable.
	var chosen []string
	if len(numeric) > opts.CorrColumns || len(opts.CorrNames) > 0 {
		numeric = pickCorrColumns(cols, numeric, opts.CorrColumns, opts.CorrNames)
		for _, c := range numeric {
			chosen = append(chosen, cols[c].Name)
		}
	}
	if len(categorical) > opts.CorrColumns {
		categorical = categorical[:opts.CorrColumns]
	}
	isNum := map[int]bool{}
	for _, c := range numeric {
		isNum[c] = true
	}
	// Sample columns as numbers.
	m := len(ra.sample)
	vals := map[int][]float64{}
	for _, c := range numeric {
		v := make([]float64, m)
		for i := range ra.sample {
			s := &ra.sample[i]
			v[i] = math.NaN()
			if !s.miss[c] {
				if x, ok := numberValue(s.cell(c)); ok && !math.IsInf(x, 0) {
					v[i] = x
				}
			}
		}
		vals[c] = v
	}
	streamed := map[[2]int]*pairAcc{}
	for i := range ra.pairs {
		p := &ra.pairs[i]
		streamed[[2]int{p.a, p.b}] = p
	}
	ranks := map[int][]float64{}
	for _, c := range numeric {
		if !hasNaN(vals[c]) {
			ranks[c] = rankAvg(vals[c])
		}
	}
	// Wide tables: correlation matrices of the complete columns as one
	// symmetric product of unit-norm centred columns (x·xᵀ, gonum's Syrk).
	var pm, sm map[int]int
	var pmat, smat *mat.SymDense
	if len(numeric) > matrixCorrColumns {
		pm, pmat = corrMatrix(numeric, vals, ranks, false)
		sm, smat = corrMatrix(numeric, vals, ranks, true)
	}
	for x := 0; x < len(numeric); x++ {
		for y := x + 1; y < len(numeric); y++ {
			a, b := numeric[x], numeric[y]
			ia, oka := pm[a]
			ib, okb := pm[b]
			switch p, ok := streamed[[2]int{a, b}]; {
			case ok:
				out = append(out, Correlation{A: cols[a].Name, B: cols[b].Name, Method: "pearson", Value: p.r(), Rows: p.n})
			case oka && okb:
				out = append(out, Correlation{A: cols[a].Name, B: cols[b].Name, Method: "pearson", Value: clamp1(pmat.At(ia, ib)), Rows: int64(m)})
			default:
				r, n := pearsonComplete(vals[a], vals[b])
				out = append(out, Correlation{A: cols[a].Name, B: cols[b].Name, Method: "pearson", Value: r, Rows: n})
			}
			var r float64
			var n int64
			ia, oka = sm[a]
			ib, okb = sm[b]
			if oka && okb {
				r, n = clamp1(smat.At(ia, ib)), int64(m)
			} else if ra, rb := ranks[a], ranks[b]; ra != nil && rb != nil {
				r, n = pearsonComplete(ra, rb)
			} else {
				xa, xb := completePairs(vals[a], vals[b])
				r, n = pearsonComplete(rankAvg(xa), rankAvg(xb))
			}
			out = append(out, Correlation{A: cols[a].Name, B: cols[b].Name, Method: "spearman", Value: r, Rows: n})
		}
	}
	for x := 0; x < len(categorical); x++ {
		for y := x + 1; y < len(categorical); y++ {
			a, b := categorical[x], categorical[y]
			v, n := ra.cramersV(a, b)
			out = append(out, Correlation{A: cols[a].Name, B: cols[b].Name, Method: "cramers_v", Value: v, Rows: n})
		}
	}
	// A constant column has no correlation (pandas reports NaN): leave the pair out.
	out = slices.DeleteFunc(out, func(c Correlation) bool { return math.IsNaN(c.Value) })
	return out, m, chosen
}

// pickCorrColumns returns the named numeric columns, or the k with the
// largest variance (ties in file order), in file order.
func pickCorrColumns(cols []Column, numeric []int, k int, names []string) []int {
	if len(names) > 0 {
		return slices.DeleteFunc(slices.Clone(numeric), func(c int) bool { return !slices.Contains(names, cols[c].Name) })
	}
	byVar := slices.Clone(numeric)
	sd := func(c int) float64 {
		if s := cols[c].Std; s != nil && !math.IsNaN(float64(*s)) {
			return float64(*s)
		}
		return -1
	}
	slices.SortStableFunc(byVar, func(a, b int) int { return cmp.Compare(sd(b), sd(a)) })
	byVar = byVar[:k]
	slices.Sort(byVar)
	return byVar
}

// matrixCorrColumns: above this many numeric columns, complete columns are
// correlated by one matrix product instead of pair by pair.
const matrixCorrColumns = 16

// corrMatrix returns, for the complete columns (no NaN in the sample), their
// row in a correlation matrix; NaN where a column is constant.
func corrMatrix(numeric []int, vals, ranks map[int][]float64, useRanks bool) (map[int]int, *mat.SymDense) {
	idx := map[int]int{}
	var data []float64
	m := 0
	for _, c := range numeric {
		v := ranks[c] // complete columns have ranks
		if v == nil {
			continue
		}
		if !useRanks {
			v = vals[c]
		}
		idx[c] = len(idx)
		m = len(v)
		data = unitCentred(data, v)
	}
	if len(idx) == 0 || m == 0 {
		return idx, nil
	}
	var s mat.SymDense
	s.SymOuterK(1, mat.NewDense(len(idx), m, data))
	return idx, &s
}

// unitCentred appends v minus its mean, scaled to unit Euclidean norm, to dst.
func unitCentred(dst, v []float64) []float64 {
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	start := len(dst)
	dst = append(dst, v...)
	out := dst[start:]
	ss := 0.0
	for i, x := range v {
		out[i] = x - mean
		ss += out[i] * out[i]
	}
	inv := 1 / math.Sqrt(ss)
	for i := range out {
		out[i] *= inv // NaN for a constant column: no correlation
	}
	return dst
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if x != x {
			return true
		}
	}
	return false
}

func completePairs(a, b []float64) ([]float64, []float64) {
	var xa, xb []float64
	for i := range a {
		if a[i] == a[i] && b[i] == b[i] {
			xa = append(xa, a[i])
			xb = append(xb, b[i])
		}
	}
	return xa, xb
}

func pearsonComplete(a, b []float64) (float64, int64) {
	var p pairAcc
	for i := range a {
		if a[i] == a[i] && b[i] == b[i] {
			p.add(a[i], b[i])
		}
	}
	return p.r(), p.n
}

// rankAvg ranks v (1-based) with ties sharing their average rank, as
// pandas' rank(method="average"); NaN stays NaN.
func rankAvg(v []float64) []float64 {
	idx := make([]int, 0, len(v))
	for i, x := range v {
		if x == x {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(i, j int) int {
		switch {
		case v[i] < v[j]:
			return -1
		case v[i] > v[j]:
			return 1
		}
		return 0
	})
	out := make([]float64, len(v))
	for i := range out {
		out[i] = math.NaN()
	}
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = r
		}
		i = j + 1
	}
	return out
}

// cramersV is the bias-corrected Cramér's V over the sample's complete
// pairs (Bergsma 2013, J. Korean Stat. Soc. 42:323; ydata-profiling's
// _cramers_corrected_stat): φ²corr = max(0, χ²/n − (r−1)(k−1)/(n−1)),
// V = sqrt(φ²corr / min(k̃−1, r̃−1)) with r̃ = r − (r−1)²/(n−1). Without the
// correction, two high-cardinality columns of a small table look strongly
// associated by chance.
func (ra *rowAcc) cramersV(a, b int) (float64, int64) {
	type key struct{ x, y string }
	tab := map[key]float64{}
	rowT, colT := map[string]float64{}, map[string]float64{}
	var n float64
	for i := range ra.sample {
		s := &ra.sample[i]
		if s.miss[a] || s.miss[b] {
			continue
		}
		x, y := string(s.cell(a)), string(s.cell(b))
		tab[key{x, y}]++
		rowT[x]++
		colT[y]++
		n++
	}
	r, k := float64(len(rowT)), float64(len(colT))
	if n < 2 || r < 2 || k < 2 {
		return math.NaN(), int64(n)
	}
	// Summed in sorted key order: map order would change the last bits.
	xs, ys := slices.Sorted(maps.Keys(rowT)), slices.Sorted(maps.Keys(colT))
	chi2 := 0.0
	for _, x := range xs {
		rx := rowT[x]
		for _, y := range ys {
			e := rx * colT[y] / n
			o := tab[key{x, y}]
			chi2 += (o - e) * (o - e) / e
		}
	}
	phi2 := math.Max(0, chi2/n-(k-1)*(r-1)/(n-1))
	rc := r - (r-1)*(r-1)/(n-1)
	kc := k - (k-1)*(k-1)/(n-1)
	d := math.Min(kc-1, rc-1)
	if d <= 0 {
		return math.NaN(), int64(n)
	}
	return math.Min(1, math.Sqrt(phi2/d)), int64(n)
}

package explore

import (
	"cmp"
	"hash/maphash"
	"maps"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// rowAcc is the row-wise stage: duplicate rows, streaming Pearson over all
// rows, and a seeded reservoir sample for rank and categorical statistics.
type rowAcc struct {
	nc   int
	seed maphash.Seed
	// Row hashes for the duplicate count, partitioned by their top byte and
	// kept in fixed blocks (no append doubling). Past hashCap, the upper
	// half of the kept partitions is dropped, so duplicates are counted in
	// a hash-chosen sample of the rows (identical rows share a hash, so a
	// duplicate pair is kept or dropped whole) and scaled up.
	hashes    [256]hashBucket
	nhashes   int
	hashCap   int
	keepParts int // partitions still kept: 256 while exact
	total     int64
	pearCols  []int // candidate columns for streaming Pearson; nil until the first batch
	pairs     []pairAcc
	decided   bool
	pearLimit int

	// series: numeric columns' values in file order for the time-series
	// tests, every stride-th non-missing value, thinned when full.
	series    map[int]*seriesAcc
	seriesCap int

	sample    []sampleRow
	sampleCap int
	seen      int64
	next      int64   // Algorithm L: the next row to enter the sample
	w         float64 // Algorithm L's running weight
	rng       *rand.Rand
}

type sampleRow struct {
	text []byte
	off  []int32 // nc+1 offsets into text
	miss []bool
}

func (s *sampleRow) cell(c int) []byte { return s.text[s.off[c]:s.off[c+1]] }

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

// seriesAcc keeps one column's values in order within a budget.
type seriesAcc struct {
	v      []float64
	stride int
	seen   int
}

func (s *seriesAcc) add(x float64, cap int) {
	if s.seen%s.stride == 0 {
		if len(s.v) == cap {
			// Keep every other value, so the kept ones stay evenly spaced.
			for i := 0; i < len(s.v)/2; i++ {
				s.v[i] = s.v[2*i]
			}
			s.v = s.v[:len(s.v)/2]
			s.stride *= 2
			if s.seen%s.stride != 0 {
				s.seen++
				return
			}
		}
		s.v = append(s.v, x)
	}
	s.seen++
}

// maxSeriesColumns bounds the columns whose series are kept.
const maxSeriesColumns = 256

func newRowAcc(nc int, opts ProfileOptions) *rowAcc {
	return &rowAcc{nc: nc, seed: maphash.MakeSeed(), hashCap: opts.DuplicateRowsLimit, keepParts: 256, pearLimit: opts.PearsonColumns,
		seriesCap: opts.SeriesPoints,
		sampleCap: max(min(opts.SampleRows, (2<<20)/max(nc, 1)), 100),
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x5851f42d4c957f2d))}
}

func (ra *rowAcc) addBatch(j *job) {
	b := &j.b
	n := b.Len()
	nc := ra.nc
	if !ra.decided {
		ra.decided = true
		var cand []int
		for c := 0; c < nc; c++ {
			for r := 0; r < n; r++ {
				if !math.IsNaN(j.num[c*n+r]) {
					cand = append(cand, c)
					break
				}
			}
		}
		if ra.seriesCap > 0 {
			ra.series = map[int]*seriesAcc{}
			for _, c := range cand[:min(len(cand), maxSeriesColumns)] {
				ra.series[c] = &seriesAcc{stride: 1}
			}
		}
		if len(cand) <= ra.pearLimit {
			ra.pearCols = cand
			for x := 0; x < len(cand); x++ {
				for y := x + 1; y < len(cand); y++ {
					ra.pairs = append(ra.pairs, pairAcc{a: cand[x], b: cand[y]})
				}
			}
		}
	}
	for pi := range ra.pairs {
		p := &ra.pairs[pi]
		xs, ys := j.num[p.a*n:(p.a+1)*n], j.num[p.b*n:(p.b+1)*n]
		for r := 0; r < n; r++ {
			x, y := xs[r], ys[r]
			if x == x && y == y { // neither is NaN
				p.add(x, y)
			}
		}
	}
	for c, s := range ra.series {
		for _, x := range j.num[c*n : (c+1)*n] {
			if x == x && !math.IsInf(x, 0) {
				s.add(x, ra.seriesCap)
			}
		}
	}
	for r := 0; r < n; r++ {
		ra.total++
		ra.addHash(ra.rowHash(b, r))
		// Reservoir sampling, Li's Algorithm L (1994): random skips, so the
		// generator runs only for rows that enter the sample.
		ra.seen++
		switch {
		case len(ra.sample) < ra.sampleCap:
			ra.sample = append(ra.sample, ra.copyRow(b, r, nil))
			if len(ra.sample) == ra.sampleCap {
				ra.w = math.Exp(math.Log(ra.uniform()) / float64(ra.sampleCap))
				ra.skip()
			}
		case ra.seen == ra.next:
			k := ra.rng.IntN(ra.sampleCap)
			ra.sample[k] = ra.copyRow(b, r, &ra.sample[k])
			ra.w *= math.Exp(math.Log(ra.uniform()) / float64(ra.sampleCap))
			ra.skip()
		}
	}
}

// uniform is in (0, 1).
func (ra *rowAcc) uniform() float64 {
	for {
		if u := ra.rng.Float64(); u > 0 {
			return u
		}
	}
}

// skip sets the number of the next row to enter the sample.
func (ra *rowAcc) skip() {
	ra.next = ra.seen + int64(math.Floor(math.Log(ra.uniform())/math.Log1p(-ra.w))) + 1
}

func (ra *rowAcc) copyRow(b *Batch, r int, reuse *sampleRow) sampleRow {
	var s sampleRow
	if reuse != nil {
		s = *reuse
	}
	base := b.off[r*ra.nc]
	s.text = append(s.text[:0], b.rowBytes(r)...) // reuses the evicted row's memory
	s.off = s.off[:0]
	for c := 0; c <= ra.nc; c++ {
		s.off = append(s.off, b.off[r*ra.nc+c]-base)
	}
	s.miss = append(s.miss[:0], b.miss[r*ra.nc:(r+1)*ra.nc]...)
	return s
}

// hashBlock is the number of hashes per block: 64 KiB.
const hashBlock = 8192

type hashBucket struct{ blocks [][]uint64 }

func (hb *hashBucket) add(h uint64) {
	n := len(hb.blocks)
	if n == 0 || len(hb.blocks[n-1]) == hashBlock {
		hb.blocks = append(hb.blocks, make([]uint64, 0, hashBlock))
		n++
	}
	hb.blocks[n-1] = append(hb.blocks[n-1], h)
}

func (hb *hashBucket) len() int {
	n := 0
	for _, b := range hb.blocks {
		n += len(b)
	}
	return n
}

func (ra *rowAcc) addHash(h uint64) {
	part := int(h >> 56)
	if part >= ra.keepParts {
		return
	}
	ra.hashes[part].add(h)
	ra.nhashes++
	for ra.nhashes > ra.hashCap && ra.keepParts > 1 {
		half := ra.keepParts / 2
		for p := half; p < ra.keepParts; p++ {
			ra.nhashes -= ra.hashes[p].len()
			ra.hashes[p] = hashBucket{}
		}
		ra.keepParts = half
	}
}

// rowHash hashes the cells' bytes, their boundaries and missing flags.
func (ra *rowAcc) rowHash(b *Batch, r int) uint64 {
	h := maphash.Bytes(ra.seed, b.rowBytes(r))
	base := b.off[r*ra.nc]
	var m uint64 = 0xcbf29ce484222325
	for c := 0; c < ra.nc; c++ {
		i := r*ra.nc + c
		x := uint64(b.off[i+1]-base) << 1
		if b.miss[i] {
			x |= 1
		}
		m = (m ^ x) * 0x100000001b3
	}
	return h ^ (m * 0x9e3779b97f4a7c15)
}

// duplicates returns the number of rows that repeat an earlier row, and
// whether the count is exact (hash collisions aside: 64-bit hashes); past
// the hash budget it is the count in the kept partitions, scaled.
func (ra *rowAcc) duplicates() (int64, bool) {
	var d int64
	var table []uint64
	for p := 0; p < ra.keepParts; p++ {
		hb := &ra.hashes[p]
		n := hb.len()
		// A per-partition open-addressing set (linear probing) small enough
		// for cache; 0 marks an empty slot, so a zero hash is counted aside.
		size := 16
		for size < 2*n {
			size *= 2
		}
		if cap(table) < size {
			table = make([]uint64, size)
		}
		table = table[:size]
		clear(table)
		mask := uint64(size - 1)
		zero := false
		for _, blk := range hb.blocks {
			for _, h := range blk {
				if h == 0 {
					if zero {
						d++
					}
					zero = true
					continue
				}
				for i := h & mask; ; i = (i + 1) & mask {
					if table[i] == 0 {
						table[i] = h
						break
					}
					if table[i] == h {
						d++
						break
					}
				}
			}
		}
	}
	if ra.keepParts == 256 {
		return d, true
	}
	return int64(math.Round(float64(d) * 256 / float64(ra.keepParts))), false
}

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

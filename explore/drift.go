package explore

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
)

// DriftOptions configures Drift.
type DriftOptions struct {
	Read      ReadOptions
	Threshold float64 // a column drifts when its JSD exceeds this; default 0.1
	Bins      int     // numeric bins over the union range; default 10
	// SampleValues caps the values kept per column and file (a seeded
	// reservoir); default 200000.
	SampleValues int
	Seed         uint64
}

func (o *DriftOptions) defaults() {
	if o.Threshold <= 0 {
		o.Threshold = 0.1
	}
	if o.Bins <= 0 {
		o.Bins = 10
	}
	if o.SampleValues <= 0 {
		o.SampleValues = 200000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// ColumnDrift compares one column across two datasets. JSD is the
// Jensen–Shannon divergence (base 2, so 0..1) over shared numeric bins or
// category frequencies; PSI the population stability index over the same
// bins; LInf the largest category frequency difference (categoricals); KS the
// Kolmogorov–Smirnov statistic (numerics).
type ColumnDrift struct {
	Column  string  `json:"column"`
	Kind    string  `json:"kind"` // numeric or categorical
	JSD     float64 `json:"jsd"`
	PSI     float64 `json:"psi"`
	LInf    *Num    `json:"linf,omitempty"`
	KS      *Num    `json:"ks,omitempty"`
	Drifted bool    `json:"drifted"`
	Sampled bool    `json:"sampled"` // computed on a reservoir sample
}

// DriftReport is the per-column drift between a reference A and a current B.
type DriftReport struct {
	A         string        `json:"a"`
	B         string        `json:"b"`
	Threshold float64       `json:"threshold"`
	Columns   []ColumnDrift `json:"columns"`
	Missing   []string      `json:"missing_columns,omitempty"` // in A, not in B
	Added     []string      `json:"added_columns,omitempty"`   // in B, not in A
	Drifted   int           `json:"drifted"`
}

// colSample holds one column's values for drift: numbers and category counts.
type colSample struct {
	kinds  [numKinds]int64
	nums   []float64
	seen   int64
	cats   map[string]int64
	cap    int
	rng    *rand.Rand
	capped bool
}

const maxDriftCategories = 10000

func newColSample(cap int, seed uint64) *colSample {
	return &colSample{cats: map[string]int64{}, cap: cap, rng: rand.New(rand.NewPCG(seed, 11))}
}

func (s *colSample) add(v []byte, missing, quoted bool) {
	if missing {
		return
	}
	k, x := classifyValue(v)
	if quoted {
		k, x = classifyQuoted(v)
	}
	s.kinds[k]++
	if k == kindInt || k == kindFloat {
		// Reservoir sampling, Vitter's Algorithm R.
		s.seen++
		if len(s.nums) < s.cap {
			s.nums = append(s.nums, x)
		} else if j := s.rng.Int64N(s.seen); j < int64(s.cap) {
			s.nums[j] = x
			s.capped = true
		} else {
			s.capped = true
		}
	}
	if c, ok := s.cats[string(v)]; ok {
		s.cats[string(v)] = c + 1
	} else if len(s.cats) < maxDriftCategories {
		s.cats[string(v)] = 1
	} else {
		s.cats["\x00other"]++
	}
}

func (s *colSample) numeric() bool {
	var total int64
	for _, c := range s.kinds {
		total += c
	}
	return total > 0 && s.kinds[kindInt]+s.kinds[kindFloat] == total
}

// sampleFile reads every column of path into samples.
func sampleFile(ctx context.Context, path string, ro ReadOptions, cap int, seed uint64) ([]string, []*colSample, error) {
	r, err := Open(path, ro)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols := r.Columns()
	ss := make([]*colSample, len(cols))
	for i := range ss {
		ss[i] = newColSample(cap, seed+uint64(i))
	}
	var b Batch
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		err := r.Next(&b)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		for row := 0; row < b.Len(); row++ {
			for c := range ss {
				ss[c].add(b.Cell(row, c), b.Missing(row, c), b.Quoted(row, c))
			}
		}
	}
	return cols, ss, nil
}

// Drift compares every shared column of a (reference) and b (current).
func Drift(ctx context.Context, a, b string, opts DriftOptions) (*DriftReport, error) {
	opts.defaults()
	colsA, sa, err := sampleFile(ctx, a, opts.Read, opts.SampleValues, opts.Seed)
	if err != nil {
		return nil, err
	}
	colsB, sb, err := sampleFile(ctx, b, opts.Read, opts.SampleValues, opts.Seed)
	if err != nil {
		return nil, err
	}
	rep := compareSamples(colsA, sa, colsB, sb, opts)
	rep.A, rep.B = a, b
	return rep, nil
}

func compareSamples(colsA []string, sa []*colSample, colsB []string, sb []*colSample, opts DriftOptions) *DriftReport {
	rep := &DriftReport{Threshold: opts.Threshold, Columns: []ColumnDrift{}}
	idxB := map[string]int{}
	for i, c := range colsB {
		idxB[c] = i
	}
	inA := map[string]bool{}
	for i, name := range colsA {
		inA[name] = true
		j, ok := idxB[name]
		if !ok {
			rep.Missing = append(rep.Missing, name)
			continue
		}
		d := compareColumn(name, sa[i], sb[j], opts.Bins)
		d.Drifted = d.JSD > opts.Threshold
		if d.Drifted {
			rep.Drifted++
		}
		rep.Columns = append(rep.Columns, d)
	}
	for _, c := range colsB {
		if !inA[c] {
			rep.Added = append(rep.Added, c)
		}
	}
	return rep
}

func compareColumn(name string, a, b *colSample, bins int) ColumnDrift {
	d := ColumnDrift{Column: name, Sampled: a.capped || b.capped}
	if a.numeric() && b.numeric() && len(a.nums) > 0 && len(b.nums) > 0 {
		d.Kind = "numeric"
		xa, xb := slices.Clone(a.nums), slices.Clone(b.nums)
		slices.Sort(xa)
		slices.Sort(xb)
		lo, hi := histRange(min(xa[0], xb[0]), max(xa[len(xa)-1], xb[len(xb)-1]))
		pa := histogramExact(xa, lo, hi, bins)
		pb := histogramExact(xb, lo, hi, bins)
		fa, fb := freqs(pa.Counts), freqs(pb.Counts)
		d.JSD, d.PSI = jsd(fa, fb), psi(fa, fb)
		d.KS = numPtr(ksStatistic(xa, xb))
		return d
	}
	d.Kind = "categorical"
	keys := map[string]bool{}
	for k := range a.cats {
		keys[k] = true
	}
	for k := range b.cats {
		keys[k] = true
	}
	order := make([]string, 0, len(keys))
	for k := range keys {
		order = append(order, k)
	}
	slices.Sort(order)
	ca, cb := make([]int64, len(order)), make([]int64, len(order))
	for i, k := range order {
		ca[i], cb[i] = a.cats[k], b.cats[k]
	}
	fa, fb := freqs(ca), freqs(cb)
	d.JSD, d.PSI = jsd(fa, fb), psi(fa, fb)
	linf := 0.0
	for i := range fa {
		linf = math.Max(linf, math.Abs(fa[i]-fb[i]))
	}
	d.LInf = numPtr(linf)
	return d
}

func freqs(c []int64) []float64 {
	var t int64
	for _, x := range c {
		t += x
	}
	f := make([]float64, len(c))
	if t == 0 {
		return f
	}
	for i, x := range c {
		f[i] = float64(x) / float64(t)
	}
	return f
}

// jsd is the Jensen–Shannon divergence in bits (Lin 1991); identical inputs give exactly 0.
func jsd(p, q []float64) float64 {
	d := 0.0
	for i := range p {
		if p[i] == q[i] {
			continue // both terms vanish exactly
		}
		m := (p[i] + q[i]) / 2
		if p[i] > 0 {
			d += p[i] / 2 * math.Log2(p[i]/m)
		}
		if q[i] > 0 {
			d += q[i] / 2 * math.Log2(q[i]/m)
		}
	}
	return math.Max(d, 0)
}

// psi is the population stability index Σ (q−p)·ln(q/p), with empty bins
// floored at 1e-4 as is customary.
func psi(p, q []float64) float64 {
	const eps = 1e-4
	s := 0.0
	for i := range p {
		if p[i] == q[i] {
			continue
		}
		a, b := math.Max(p[i], eps), math.Max(q[i], eps)
		s += (b - a) * math.Log(b/a)
	}
	return s
}

// ksStatistic is sup |F_a − F_b| over the sorted samples (two-sample KS).
func ksStatistic(a, b []float64) float64 {
	i, j := 0, 0
	var d int64 // max |i·nb − j·na|, exact in integers
	na, nb := int64(len(a)), int64(len(b))
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		e := int64(i)*nb - int64(j)*na
		d = max(d, e, -e)
	}
	return float64(d) / float64(na*nb)
}

// String summarises a drift report in one line.
func (r *DriftReport) String() string {
	return fmt.Sprintf("%d of %d columns drifted (JSD > %g)", r.Drifted, len(r.Columns), r.Threshold)
}

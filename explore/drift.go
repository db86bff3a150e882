package explore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// DriftOptions configures Drift. Each column is judged by its type:
//
//	numeric    KS statistic > KS, or PSI > PSI, with the KS p-value < Alpha
//	datetime   the same, on the values as seconds (never as categories)
//	categorical JSD > Threshold, or L∞ > LInf, with the chi-squared
//	           homogeneity p-value < Alpha
//
// The p-value guard keeps sampling noise in a small split from reading as
// drift. Zero fields take the defaults noted.
type DriftOptions struct {
	Read      ReadOptions
	Threshold float64 // categorical: Jensen–Shannon divergence (bits); default 0.1
	LInf      float64 // categorical: largest frequency difference; default 0.1
	KS        float64 // numeric and datetime: two-sample Kolmogorov–Smirnov D; default 0.1
	PSI       float64 // numeric and datetime: population stability index; default 0.2
	Alpha     float64 // significance of the KS or chi-squared test; default 0.05
	Bins      int     // numeric bins over the union range for JSD and PSI; default 10
	// SampleValues caps the values kept per column and file (a seeded
	// reservoir); default 200000.
	SampleValues int
	Seed         uint64
}

func (o *DriftOptions) defaults() {
	def := func(p *float64, v float64) {
		if *p <= 0 || math.IsNaN(*p) {
			*p = v
		}
	}
	def(&o.Threshold, 0.1)
	def(&o.LInf, 0.1)
	def(&o.KS, 0.1)
	def(&o.PSI, 0.2)
	def(&o.Alpha, 0.05)
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
// Kolmogorov–Smirnov statistic (numeric and datetime), P the p-value of the
// test that decides (KS, or chi-squared for categoricals), Overlap the share
// of the union of the two ranges that both cover (numeric and datetime).
// DecidedBy names the statistic that crossed its threshold (ks, psi, jsd,
// linf), or, when none did, the kind's main one (ks or jsd).
type ColumnDrift struct {
	Column    string  `json:"column"`
	Kind      string  `json:"kind"` // numeric, datetime or categorical
	JSD       float64 `json:"jsd"`
	PSI       float64 `json:"psi"`
	LInf      *Num    `json:"linf,omitempty"`
	KS        *Num    `json:"ks,omitempty"`
	P         *Num    `json:"p_value,omitempty"`
	Overlap   *Num    `json:"range_overlap,omitempty"`
	Drifted   bool    `json:"drifted"`
	DecidedBy string  `json:"decided_by"`
	Sampled   bool    `json:"sampled"` // computed on a reservoir sample
}

// DriftThresholds are the limits a report was judged by; an infinite limit
// (a statistic that does not decide) is null in JSON.
type DriftThresholds struct {
	JSD   Num `json:"jsd"`
	LInf  Num `json:"linf"`
	KS    Num `json:"ks"`
	PSI   Num `json:"psi"`
	Alpha Num `json:"alpha"`
}

// DriftReport is the per-column drift between a reference A and a current B.
type DriftReport struct {
	A          string          `json:"a"`
	B          string          `json:"b"`
	Threshold  float64         `json:"threshold"` // the JSD threshold, as before per-type thresholds
	Thresholds DriftThresholds `json:"thresholds"`
	Columns    []ColumnDrift   `json:"columns"`
	Missing    []string        `json:"missing_columns,omitempty"` // in A, not in B
	Added      []string        `json:"added_columns,omitempty"`   // in B, not in A
	Drifted    int             `json:"drifted"`
}

// colSample holds one column's values for drift: numbers and category counts.
type colSample struct {
	kinds  [numKinds]int64
	nums   []float64 // finite numbers or datetimes (seconds), a reservoir
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
	if (k == kindInt || k == kindFloat || k == kindDate) && !math.IsInf(x, 0) {
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

func (s *colSample) total() int64 {
	var t int64
	for _, c := range s.kinds {
		t += c
	}
	return t
}

func (s *colSample) numeric() bool {
	t := s.total()
	return t > 0 && s.kinds[kindInt]+s.kinds[kindFloat] == t
}

func (s *colSample) datetime() bool {
	t := s.total()
	return t > 0 && s.kinds[kindDate] == t
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
	for b, err := range batches(ctx, r) {
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
	rep := &DriftReport{Threshold: opts.Threshold, Columns: []ColumnDrift{},
		Thresholds: DriftThresholds{JSD: Num(opts.Threshold), LInf: Num(opts.LInf), KS: Num(opts.KS), PSI: Num(opts.PSI), Alpha: Num(opts.Alpha)}}
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
		d := compareColumn(name, sa[i], sb[j], opts)
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

func compareColumn(name string, a, b *colSample, opts DriftOptions) ColumnDrift {
	d := ColumnDrift{Column: name, Sampled: a.capped || b.capped}
	num := a.numeric() && b.numeric()
	dt := a.datetime() && b.datetime()
	if (num || dt) && len(a.nums) > 0 && len(b.nums) > 0 {
		d.Kind = "numeric"
		if dt {
			d.Kind = "datetime"
		}
		xa, xb := slices.Clone(a.nums), slices.Clone(b.nums)
		slices.Sort(xa)
		slices.Sort(xb)
		loA, hiA, loB, hiB := xa[0], xa[len(xa)-1], xb[0], xb[len(xb)-1]
		lo, hi := histRange(min(loA, loB), max(hiA, hiB))
		fa, fb := freqs(histogramExact(xa, lo, hi, opts.Bins).Counts), freqs(histogramExact(xb, lo, hi, opts.Bins).Counts)
		d.JSD, d.PSI = jsd(fa, fb), psi(fa, fb)
		ks := ksStatistic(xa, xb)
		na, nb := float64(len(xa)), float64(len(xb))
		p := kolmogorovSF(math.Sqrt(na*nb/(na+nb)) * ks)
		d.KS, d.P = numPtr(ks), numPtr(p)
		overlap := 1.0
		if u := max(hiA, hiB) - min(loA, loB); u > 0 {
			overlap = max(0, min(hiA, hiB)-max(loA, loB)) / u
		} else if loA != loB {
			overlap = 0
		}
		d.Overlap = numPtr(overlap)
		d.DecidedBy = "ks"
		switch {
		case p >= opts.Alpha:
		case ks > opts.KS:
			d.Drifted = true
		case d.PSI > opts.PSI:
			d.Drifted, d.DecidedBy = true, "psi"
		}
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
	p := chiSquareHomogeneityP(ca, cb)
	if !math.IsNaN(p) {
		d.P = numPtr(p)
	}
	d.DecidedBy = "jsd"
	switch {
	case !(p < opts.Alpha):
	case d.JSD > opts.Threshold:
		d.Drifted = true
	case linf > opts.LInf:
		d.Drifted, d.DecidedBy = true, "linf"
	}
	return d
}

// chiSquareHomogeneityP is the p-value of Pearson's chi-squared test that
// two count vectors come from one distribution (a 2×k contingency table,
// scipy.stats.chi2_contingency without Yates' correction). NaN when only one
// category occurs.
func chiSquareHomogeneityP(a, b []int64) float64 {
	var na, nb float64
	for i := range a {
		na += float64(a[i])
		nb += float64(b[i])
	}
	n := na + nb
	if na == 0 || nb == 0 {
		return math.NaN()
	}
	stat, k := 0.0, 0
	for i := range a {
		col := float64(a[i] + b[i])
		if col == 0 {
			continue
		}
		k++
		ea, eb := na*col/n, nb*col/n
		stat += (float64(a[i])-ea)*(float64(a[i])-ea)/ea + (float64(b[i])-eb)*(float64(b[i])-eb)/eb
	}
	if k < 2 {
		return math.NaN()
	}
	return distuv.ChiSquared{K: float64(k - 1)}.Survival(stat)
}

// kolmogorovSF is the survival function of the Kolmogorov distribution, the
// limit law of sqrt(nm/(n+m))·D (scipy.stats.kstwobign.sf): for x < 1.18
// one minus the Jacobi-theta form of the CDF, else 2Σ(−1)^(k−1)e^(−2k²x²).
func kolmogorovSF(x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x < 1.18 {
		w := math.Pi * math.Pi / (8 * x * x)
		s := 0.0
		for k := 1; k <= 50; k++ {
			m := float64(2*k - 1)
			t := math.Exp(-m * m * w)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return 1 - math.Sqrt(2*math.Pi)/x*s
	}
	s := 0.0
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * x * x)
		if k%2 == 1 {
			s += t
		} else {
			s -= t
		}
		if t < 1e-300 {
			break
		}
	}
	return math.Min(1, math.Max(0, 2*s))
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
	t := r.Thresholds
	limit := func(name string, v Num) string {
		switch f := float64(v); {
		case math.IsInf(f, 1):
			return ""
		case f < 1e-300:
			return name + " > 0"
		}
		return fmt.Sprintf("%s > %g", name, float64(v))
	}
	either := func(a, b string) string {
		switch {
		case a == "":
			return b
		case b == "":
			return a
		}
		return a + " or " + b
	}
	alpha := ""
	if t.Alpha < 1 {
		alpha = fmt.Sprintf("; p < %g", float64(t.Alpha))
	}
	return fmt.Sprintf("%d of %d columns drifted (numeric, datetime: %s; categorical: %s%s)",
		r.Drifted, len(r.Columns), either(limit("KS", t.KS), limit("PSI", t.PSI)), either(limit("JSD", t.JSD), limit("L∞", t.LInf)), alpha)
}

package explore

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/axiomhq/hyperloglog"
)

// colAcc accumulates one column's statistics; one shard goroutine owns it.
type colAcc struct {
	kinds   [numKinds]int64
	missing int64

	// numeric cells: Welford/Terriberry running moments
	n                int64
	mean, m2, m3     float64
	min, max         float64 // over finite and infinite values
	fmin, fmax       float64 // over the finite values
	infinite         int64   // ±Inf cells: counted, kept out of the moments and quantiles
	imin, imax       int64   // exact integer range (floats lose integers above 2^53)
	ints             int64   // integer cells
	zeros, negatives int64
	values           []float64 // exact values until valueCap
	valueCap         int
	sketch           *kll
	seed             uint64
	dateMin, dateMax float64
	dateTimed        bool // some datetime is not at midnight (in its own zone)
	zoneNaive        bool // some datetime named no zone
	zoneAware        bool // some datetime named a zone
	zoneMixed        bool // zone-aware values with different offsets
	zoneOff          int  // the offset of the zone-aware values
	// order, for the time-series alerts: are the values non-decreasing
	// (datetimes) or increasing (integers) in file order?
	lastOrd    float64
	ordered    bool
	ordStarted bool
	// texty: the column has held a string, so every value is counted by its
	// text (pandas reads such a column as strings: "0E0" and "0E8" differ).
	texty   bool
	batches int

	// distinct values: exact tables until distinctCap, then HyperLogLog; the
	// tables keep counting the keys they hold, for the top-k.
	nums        map[uint64]int64     // by float64 bits
	dates       map[uint64]int64     // by float64 bits of epoch seconds
	strs        map[string]*strEntry // pointers: one hash per hit, no re-assignment
	distinctCap int
	strBytes    int // bytes of string keys in the table
	byteCap     int
	hll         *hyperloglog.Sketch

	// strings
	lenMin, lenMax, lenSum, lenN int64
	lenCounts                    map[int64]int64 // string lengths, up to lenCountCap of them
	tokens                       map[string]int64
	tokenN                       int64
}

const lenCountCap = 4096

const tokenCap = 50000

func newColAcc(distinctCap, byteCap, valueCap int, seed uint64) *colAcc {
	// Tables are made on first use: a 100,000-column file must not pay for
	// four empty maps per column.
	return &colAcc{min: math.Inf(1), max: math.Inf(-1), dateMin: math.Inf(1), dateMax: math.Inf(-1),
		fmin: math.Inf(1), fmax: math.Inf(-1), imin: math.MaxInt64, imax: math.MinInt64, ordered: true,
		byteCap: byteCap, distinctCap: distinctCap, valueCap: valueCap, seed: seed, lenMin: math.MaxInt64}
}

func (a *colAcc) overflowed() bool { return a.hll != nil }

func (a *colAcc) toHLL() {
	// The numbers seen so far live only in the table: copy them out first.
	for k, c := range a.nums {
		x := math.Float64frombits(k)
		if math.IsInf(x, 0) {
			continue
		}
		for i := int64(0); i < c; i++ {
			a.addValue(x)
		}
	}
	for k, e := range a.strs {
		if e.k == kindInt { // an integer beyond 2^53, kept by its text
			if n, ok := parseInt([]byte(k)); ok {
				for i := int64(0); i < e.n; i++ {
					a.addValue(float64(n))
				}
			}
		}
	}
	a.hll = hyperloglog.NewNoSparse() // dense 2^14 registers: fast inserts, 0.8% error
	var buf [8]byte
	for k := range a.nums {
		binary.LittleEndian.PutUint64(buf[:], k)
		a.hll.Insert(buf[:])
	}
	for k := range a.dates {
		binary.LittleEndian.PutUint64(buf[:], k^dateSalt)
		a.hll.Insert(buf[:])
	}
	for k := range a.strs {
		a.hll.Insert([]byte(k))
	}
	a.prune(keepAfterOverflow)
}

// keepAfterOverflow is how many of the most frequent values stay counted
// once a column overflows its exact table: the top-k candidates, in a table
// small enough to stay in cache.
const keepAfterOverflow = 1024

// prune keeps the keep most frequent table entries. Dropped strings have
// their lengths and tokens counted now, as later occurrences will be.
func (a *colAcc) prune(keep int) {
	if a.tableLen() <= keep {
		return
	}
	counts := make([]int64, 0, a.tableLen())
	for _, c := range a.nums {
		counts = append(counts, c)
	}
	for _, c := range a.dates {
		counts = append(counts, c)
	}
	for _, c := range a.strs {
		counts = append(counts, c.n)
	}
	slices.SortFunc(counts, func(x, y int64) int { return cmp.Compare(y, x) })
	thr := counts[keep-1]
	atThr := keep - slices.Index(counts, thr) // entries equal to thr that may stay
	drop := func(c int64) bool {
		if c > thr {
			return false
		}
		if c == thr && atThr > 0 {
			atThr--
			return false
		}
		return true
	}
	// Rebuild rather than delete: a map keeps its size and tombstones,
	// which would make every later miss probe the whole table.
	nums, dates, strs := make(map[uint64]int64, keep), make(map[uint64]int64, keep), make(map[string]*strEntry, keep)
	for k, c := range a.nums {
		if !drop(c) {
			nums[k] = c
		}
	}
	for k, c := range a.dates {
		if !drop(c) {
			dates[k] = c
		}
	}
	for k, c := range a.strs {
		if !drop(c.n) {
			strs[k] = c
		} else if c.k == kindString {
			a.addLength([]byte(k), c.n)
			a.addTokens([]byte(k), c.n)
		}
	}
	a.nums, a.dates, a.strs = nums, dates, strs
	a.strBytes = 0
	for k := range strs {
		a.strBytes += len(k)
	}
}

// addValue keeps x for quantiles: exactly up to valueCap, then in a KLL sketch.
// Until the distinct table overflows the table itself is exact, so values are
// kept only from then on (spill copies the table in).
func (a *colAcc) addValue(x float64) {
	switch {
	case a.sketch != nil:
		a.sketch.add(x)
	case len(a.values) < a.valueCap:
		a.values = append(a.values, x)
	default:
		a.sketch = newKLL(256, a.seed)
		for _, v := range a.values {
			a.sketch.add(v)
		}
		a.values = nil
		a.sketch.add(x)
	}
}

// strEntry counts one string and remembers its kind.
type strEntry struct {
	n int64
	k kind
}

// dateSalt keeps a datetime's hash apart from the number with the same bits.
const dateSalt = 0x5bd1e9955bd1e995

func (a *colAcc) tableLen() int { return len(a.nums) + len(a.dates) + len(a.strs) }

// addBits counts a number or datetime by its bits in table *mp.
func (a *colAcc) addBits(mp *map[uint64]int64, bits, salt uint64) {
	if *mp == nil {
		*mp = map[uint64]int64{}
	}
	m := *mp
	if !a.overflowed() {
		m[bits]++
		if a.tableLen() > a.distinctCap {
			a.toHLL() // bits is in the table, so it reaches the sketch
		}
		return
	}
	if c, ok := m[bits]; ok {
		m[bits] = c + 1
	}
	{
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], bits^salt)
		a.hll.Insert(buf[:])
	}
}

func (a *colAcc) addNumber(x float64) {
	if x < a.min {
		a.min = x
	}
	if x > a.max {
		a.max = x
	}
	if math.IsInf(x, 0) {
		// Counted and kept for distinct and top values; the moments,
		// quantiles and histogram are over the finite values.
		a.infinite++
		if x < 0 {
			a.negatives++
		}
		a.addBits(&a.nums, math.Float64bits(x), 0)
		return
	}
	if x == 0 {
		x = 0 // fold -0
		a.zeros++
	} else if x < 0 {
		a.negatives++
	}
	a.moments(x)
	if a.overflowed() {
		a.addValue(x)
	}
	a.addBits(&a.nums, math.Float64bits(x), 0)
}

// moments folds x into the running moments: Welford 1962 with
// Terriberry's third-moment update.
func (a *colAcc) moments(x float64) {
	a.fmin, a.fmax = min(a.fmin, x), max(a.fmax, x)
	a.n++
	n := float64(a.n)
	delta := x - a.mean
	dn := delta / n
	t1 := delta * dn * (n - 1)
	a.mean += dn
	a.m3 += t1*dn*(n-2) - 3*dn*a.m2
	a.m2 += t1
}

// bigInt is an integer outside ±2^53, where float64 keys would merge
// neighbours: it is counted by its canonical text instead.
func (a *colAcc) addBigInt(n int64) {
	x := float64(n)
	a.min, a.max = min(a.min, x), max(a.max, x)
	if n < 0 {
		a.negatives++
	}
	a.moments(x)
	if a.overflowed() {
		a.addValue(x)
	}
	a.addString(strconv.AppendInt(nil, n, 10), kindInt)
}

// addString counts v; it reports whether v went past the exact table, in
// which case its length and tokens must be counted now (table keys are
// counted once, weighted, at the end).
func (a *colAcc) addString(v []byte, k kind) bool {
	if c, ok := a.strs[string(v)]; ok {
		c.n++
		return false
	}
	if !a.overflowed() && a.tableLen() < a.distinctCap && a.strBytes+len(v) <= a.byteCap {
		if a.strs == nil {
			a.strs = map[string]*strEntry{}
		}
		a.strs[string(v)] = &strEntry{1, k}
		a.strBytes += len(v)
		return false
	}
	if !a.overflowed() {
		a.toHLL()
	}
	a.hll.Insert(v)
	return true
}

func (a *colAcc) addLength(v []byte, w int64) {
	l := int64(len(v))
	for _, c := range v {
		if c >= 0x80 {
			l = int64(utf8.RuneCount(v))
			break
		}
	}
	a.lenN += w
	a.lenSum += l * w
	a.lenMin = min(a.lenMin, l)
	a.lenMax = max(a.lenMax, l)
	if a.lenCounts == nil {
		a.lenCounts = map[int64]int64{}
	}
	if _, ok := a.lenCounts[l]; ok || len(a.lenCounts) < lenCountCap {
		a.lenCounts[l] += w
	}
}

// addTokens counts lower-cased words, for text columns' top tokens.
func (a *colAcc) addTokens(v []byte, w int64) {
	var word [64]byte
	i := 0
	for i < len(v) {
		for i < len(v) && !isWordByte(v, i) {
			_, sz := utf8.DecodeRune(v[i:])
			i += sz
		}
		n := 0
		long := false
		for i < len(v) && isWordByte(v, i) {
			c := v[i]
			if c < 0x80 {
				if n < len(word) {
					if c >= 'A' && c <= 'Z' {
						c += 'a' - 'A'
					}
					word[n] = c
					n++
				} else {
					long = true
				}
				i++
				continue
			}
			r, sz := utf8.DecodeRune(v[i:])
			r = unicode.ToLower(r)
			if n+utf8.RuneLen(r) <= len(word) {
				n += utf8.EncodeRune(word[n:], r)
			} else {
				long = true
			}
			i += sz
		}
		if n == 0 || long {
			continue
		}
		a.tokenN += w
		if a.tokens == nil {
			a.tokens = map[string]int64{}
		}
		if c, ok := a.tokens[string(word[:n])]; ok {
			a.tokens[string(word[:n])] = c + w
		} else if len(a.tokens) < tokenCap {
			a.tokens[string(word[:n])] = w
		}
	}
}

func isWordByte(v []byte, i int) bool {
	c := v[i]
	if c < 0x80 {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '\''
	}
	r, _ := utf8.DecodeRune(v[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// addBatch folds column c of b into the accumulator and writes each cell's
// numeric value (NaN if none) into num for the row-wise stage.
func (a *colAcc) addBatch(b *Batch, c int, num []float64) {
	nc := b.ncols
	if a.batches == 0 && !a.texty {
		// A column that starts with text is counted by text from its first
		// value (pandas reads it as strings); one that turns to text later
		// converts its table then (toText).
		for r := 0; r < len(b.lines); r++ {
			i := r*nc + c
			if !b.miss[i] {
				if k, _ := b.kindAt(i, b.buf[b.off[i]:b.off[i+1]]); k == kindString {
					a.texty = true
					break
				}
			}
		}
	}
	a.batches++
	for r := 0; r < len(b.lines); r++ {
		i := r*nc + c
		if b.miss[i] {
			a.missing++
			num[r] = math.NaN()
			continue
		}
		v := b.buf[b.off[i]:b.off[i+1]]
		k, x := b.kindAt(i, v)
		a.kinds[k]++
		if k == kindString && !a.texty {
			a.toText()
		}
		if a.texty {
			num[r] = math.NaN()
			if (k == kindInt || k == kindFloat) && !math.IsInf(x, 0) {
				num[r] = x
			}
			if a.addString(v, k) && k == kindString {
				a.addLength(v, 1)
				a.addTokens(v, 1)
			}
			continue
		}
		switch k {
		case kindInt:
			num[r] = x
			n := int64(x)
			if x >= 1<<53 || x <= -(1<<53) {
				n, _ = parseInt(v)
			}
			a.ints++
			a.imin, a.imax = min(a.imin, n), max(a.imax, n)
			a.order(x, true)
			if n >= 1<<53 || n <= -(1<<53) {
				a.addBigInt(n)
			} else {
				a.addNumber(x)
			}
			continue
		case kindFloat:
			num[r] = x
			if math.IsInf(x, 0) {
				num[r] = math.NaN() // pandas' corr leaves infinities out
			}
			a.ordered = false
			a.addNumber(x)
			continue
		case kindDate:
			num[r] = math.NaN()
			a.dateMin = min(a.dateMin, x)
			a.dateMax = max(a.dateMax, x)
			off, aware := dateZone(v)
			if aware {
				if a.zoneAware && off != a.zoneOff {
					a.zoneMixed = true
				}
				a.zoneAware, a.zoneOff = true, off
			} else {
				a.zoneNaive = true
			}
			if !a.dateTimed {
				d := (x + float64(off)) / 86400
				a.dateTimed = d != math.Trunc(d) // math.Mod per cell cost 10% of a flights profile
			}
			a.order(x, false)
			a.addBits(&a.dates, math.Float64bits(x), dateSalt)
			continue
		}
		num[r] = math.NaN()
		if a.addString(v, k) && k == kindString {
			a.addLength(v, 1)
			a.addTokens(v, 1)
		}
	}
}

// order tracks whether the column's values are sorted in file order:
// strictly increasing integers, or non-decreasing datetimes.
func (a *colAcc) order(x float64, strict bool) {
	if a.ordStarted && (x < a.lastOrd || (strict && x == a.lastOrd)) {
		a.ordered = false
	}
	a.lastOrd, a.ordStarted = x, true
}

// toText moves the column's numbers and datetimes into the string table by
// their canonical text, when a string first appears after them.
func (a *colAcc) toText() {
	a.texty = true
	if a.overflowed() {
		return
	}
	if a.strs == nil {
		a.strs = map[string]*strEntry{}
	}
	add := func(key string, n int64, k kind) {
		if e, ok := a.strs[key]; ok {
			e.n += n
			return
		}
		a.strs[key] = &strEntry{n, k}
		a.strBytes += len(key)
	}
	for bits, n := range a.nums {
		x := math.Float64frombits(bits)
		k := kindFloat
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			k = kindInt
		}
		add(formatNumber(x), n, k)
	}
	for bits, n := range a.dates {
		add(formatTime(math.Float64frombits(bits)), n, kindDate)
	}
	a.nums, a.dates = nil, nil
}

// classifyQuoted classifies a string from a typed format: a datetime or a string.
func classifyQuoted(v []byte) (kind, float64) {
	if t, ok := parseDate(v); ok {
		return kindDate, t
	}
	return kindString, 0
}

// classifyValue is classify that also returns the parsed number or time.
func classifyValue(v []byte) (kind, float64) {
	if len(v) == 0 {
		return kindString, 0
	}
	c := v[0]
	if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' {
		if n, ok := parseInt(v); ok {
			return kindInt, float64(n)
		}
		if f, ok := parseFloat(v); ok {
			return kindFloat, f
		}
		if t, ok := parseDate(v); ok {
			return kindDate, t
		}
		if f, ok := parseInf(v); ok {
			return kindFloat, f
		}
		return kindString, 0
	}
	if isBool(v) {
		return kindBool, 0
	}
	if c|0x20 == 'i' {
		if f, ok := parseInf(v); ok {
			return kindFloat, f
		}
	}
	if (c|0x20) >= 'a' && (c|0x20) <= 'z' {
		if t, ok := parseDate(v); ok {
			return kindDate, t
		}
	}
	return kindString, 0
}

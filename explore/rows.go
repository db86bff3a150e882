package explore

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
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

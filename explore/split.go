package explore

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lathe-ml/lathe/config"
)

// SplitOptions configures Split.
type SplitOptions struct {
	Read ReadOptions
	// Ratios are train, [val,] test shares, each > 0, summing to 1.
	Ratios   []float64
	Stratify string // keep each class's share in every split
	Group    string // rows sharing a value of this column stay in one split
	Seed     uint64
	OutDir   string // default: the input's directory
	Drift    DriftOptions
}

// SplitFile is one written split.
type SplitFile struct {
	Name string `json:"name"` // train, val or test
	Path string `json:"path"`
	Rows int64  `json:"rows"`
}

// ClassShare is one class's count and share within a split.
type ClassShare struct {
	Class string  `json:"class"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

// SplitStats describes one split in the integrity report.
type SplitStats struct {
	Name    string       `json:"name"`
	Rows    int64        `json:"rows"`
	Share   float64      `json:"share"`
	Classes []ClassShare `json:"classes,omitempty"`
}

// Leak counts rows of split B whose exact content also occurs in split A.
type Leak struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Rows int64  `json:"rows"`
}

// SplitReport is the split-integrity report.
type SplitReport struct {
	Rows     int64          `json:"rows"`
	Seed     uint64         `json:"seed"`
	Ratios   []float64      `json:"ratios"`
	Stratify string         `json:"stratify,omitempty"`
	Group    string         `json:"group,omitempty"`
	Splits   []SplitStats   `json:"splits"`
	Leakage  []Leak         `json:"leakage"`
	Drift    []*DriftReport `json:"drift"` // train vs each other split
}

// SplitResult is what Split wrote and found.
type SplitResult struct {
	Source string      `json:"source"`
	Format Format      `json:"format"`
	Files  []SplitFile `json:"files"`
	Report SplitReport `json:"report"`
}

// Split assigns every row of path to exactly one of train/[val/]test,
// deterministically for a seed, writes <stem>.<split>.<ext> in the input's
// format, and reports leakage, class balance and drift.
func Split(ctx context.Context, path string, opts SplitOptions) (*SplitResult, error) {
	names, err := splitNames(opts.Ratios)
	if err != nil {
		return nil, err
	}
	if opts.Stratify != "" && opts.Group != "" {
		return nil, &config.InputError{Field: "stratify", Msg: "use stratify or group, not both"}
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	// Pass 1: the key column per row.
	keyCol := opts.Stratify
	if opts.Group != "" {
		keyCol = opts.Group
	}
	keys, dict, format, cols, err := readKeys(ctx, path, opts.Read, keyCol)
	if err != nil {
		return nil, err
	}
	n := len(keys)
	rng := rand.New(rand.NewPCG(opts.Seed, 0xda3e39cb94b95bdb))
	assign := make([]uint8, n)
	switch {
	case opts.Group != "":
		assignGroups(keys, len(dict), opts.Ratios, rng, assign)
	case opts.Stratify != "":
		byClass := make([][]int, len(dict))
		for i, k := range keys {
			byClass[k] = append(byClass[k], i)
		}
		for _, idx := range byClass {
			assignShuffled(idx, opts.Ratios, rng, assign)
		}
	default:
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		assignShuffled(idx, opts.Ratios, rng, assign)
	}

	// Pass 2: write.
	dir := opts.OutDir
	if dir == "" {
		dir = filepath.Dir(path)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("split %s: %w", path, err)
	}
	stem, ext := splitStem(filepath.Base(path))
	res := &SplitResult{Source: path, Format: format}
	for _, nm := range names {
		res.Files = append(res.Files, SplitFile{Name: nm, Path: filepath.Join(dir, stem+"."+nm+"."+ext)})
	}
	hashes := make([][]uint64, len(names))
	samples := make([][]*colSample, len(names))
	for s := range samples {
		samples[s] = make([]*colSample, len(cols))
		for c := range cols {
			samples[s][c] = newColSample(max(opts.Drift.SampleValues, 200000), opts.Seed+uint64(c))
		}
	}
	classes := make([]map[string]int64, len(names))
	for s := range classes {
		classes[s] = map[string]int64{}
	}
	// Row contents for leakage and drift come from the text reader.
	seed := maphash.MakeSeed()
	counts, err := writeSplits(ctx, path, format, opts.Read, assign, res.Files, func(b *Batch, i, row int, split uint8) {
		h := maphash.Bytes(seed, b.rowBytes(row))
		var m uint64 = 0xcbf29ce484222325
		base := b.off[row*b.ncols]
		for c := 0; c < b.ncols; c++ {
			ci := row*b.ncols + c
			samples[split][c].add(b.Cell(row, c), b.Missing(row, c), b.Quoted(row, c))
			x := uint64(b.off[ci+1]-base) << 1
			if b.miss[ci] {
				x |= 1
			}
			m = (m ^ x) * 0x100000001b3
		}
		hashes[split] = append(hashes[split], h^(m*0x9e3779b97f4a7c15))
		if opts.Stratify != "" {
			classes[split][dict[keys[i]]]++
		}
	})
	if err != nil {
		return nil, err
	}
	rep := &res.Report
	rep.Rows, rep.Seed, rep.Ratios, rep.Stratify, rep.Group = int64(n), opts.Seed, opts.Ratios, opts.Stratify, opts.Group
	for s, nm := range names {
		res.Files[s].Rows = counts[s]
		st := SplitStats{Name: nm, Rows: counts[s]}
		if n > 0 {
			st.Share = float64(counts[s]) / float64(n)
		}
		if opts.Stratify != "" {
			for cl, c := range classes[s] {
				st.Classes = append(st.Classes, ClassShare{Class: cl, Count: c, Share: float64(c) / float64(max(counts[s], 1))})
			}
			slices.SortFunc(st.Classes, func(a, b ClassShare) int { return strings.Compare(a.Class, b.Class) })
		}
		rep.Splits = append(rep.Splits, st)
	}
	for s := range hashes {
		slices.Sort(hashes[s])
	}
	rep.Leakage = []Leak{}
	for a := 0; a < len(names); a++ {
		for b := a + 1; b < len(names); b++ {
			rep.Leakage = append(rep.Leakage, Leak{A: names[a], B: names[b], Rows: countShared(hashes[a], hashes[b])})
		}
	}
	dopts := opts.Drift
	dopts.defaults()
	for s := 1; s < len(names); s++ {
		d := compareSamples(cols, samples[0], cols, samples[s], dopts)
		d.A, d.B = res.Files[0].Path, res.Files[s].Path
		rep.Drift = append(rep.Drift, d)
	}
	return res, nil
}

func splitNames(ratios []float64) ([]string, error) {
	var names []string
	switch len(ratios) {
	case 2:
		names = []string{"train", "test"}
	case 3:
		names = []string{"train", "val", "test"}
	default:
		return nil, &config.InputError{Field: "ratios", Msg: fmt.Sprintf("got %d ratios; give 2 (train,test like 0.8,0.2) or 3 (train,val,test like 0.8,0.1,0.1)", len(ratios))}
	}
	sum := 0.0
	for _, r := range ratios {
		if !(r > 0) {
			return nil, &config.InputError{Field: "ratios", Msg: fmt.Sprintf("ratio %v must be > 0; give train,val,test like 0.8,0.1,0.1 or train,test like 0.8,0.2", r)}
		}
		sum += r
	}
	if math.Abs(sum-1) > 1e-6 {
		return nil, &config.InputError{Field: "ratios", Msg: fmt.Sprintf("the ratios sum to %v; they must sum to 1, like 0.8,0.1,0.1 (train,val,test) or 0.8,0.2 (train,test)", sum)}
	}
	return names, nil
}

// splitStem splits "data.csv.gz" into "data" and "csv.gz".
func splitStem(base string) (string, string) {
	ext := ""
	if strings.HasSuffix(strings.ToLower(base), ".gz") {
		ext = base[len(base)-3:]
		base = base[:len(base)-3]
	}
	e := filepath.Ext(base)
	stem := strings.TrimSuffix(base, e)
	return stem, strings.TrimPrefix(e, ".") + ext
}

// readKeys reads the key column (if any) of every row, as indexes into dict.
func readKeys(ctx context.Context, path string, ro ReadOptions, col string) ([]int32, []string, Format, []string, error) {
	r, err := Open(path, ro)
	if err != nil {
		return nil, nil, "", nil, err
	}
	defer r.Close()
	cols := r.Columns()
	ci := -1
	if col != "" {
		ci = slices.Index(cols, col)
		if ci < 0 {
			return nil, nil, "", nil, &config.InputError{File: path, Field: col, Msg: fmt.Sprintf("no column %q; columns are %s", col, strings.Join(cols, ", "))}
		}
	}
	var keys []int32
	var dict []string
	index := map[string]int32{}
	for b, err := range batches(ctx, r) {
		if err != nil {
			return nil, nil, "", nil, err
		}
		for row := 0; row < b.Len(); row++ {
			k := ""
			if ci >= 0 && !b.Missing(row, ci) {
				k = string(b.Cell(row, ci))
			}
			id, ok := index[k]
			if !ok {
				id = int32(len(dict))
				index[k] = id
				dict = append(dict, k)
			}
			keys = append(keys, id)
		}
	}
	return keys, dict, r.Format(), cols, nil
}

// quotas splits n into len(ratios) counts by largest remainder.
func quotas(n int, ratios []float64) []int {
	q := make([]int, len(ratios))
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left := n
	for i, r := range ratios {
		x := float64(n) * r
		q[i] = int(math.Floor(x))
		left -= q[i]
		rems = append(rems, rem{i, x - math.Floor(x)})
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return a.i - b.i
	})
	for k := 0; k < left; k++ {
		q[rems[k%len(rems)].i]++
	}
	return q
}

// assignShuffled shuffles idx (Fisher–Yates) and cuts it by quotas.
func assignShuffled(idx []int, ratios []float64, rng *rand.Rand, assign []uint8) {
	rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	q := quotas(len(idx), ratios)
	k := 0
	for s, c := range q {
		for _, i := range idx[k : k+c] {
			assign[i] = uint8(s)
		}
		k += c
	}
}

// assignGroups shuffles the groups and gives each to the split furthest
// below its target row count, so group sizes are respected.
func assignGroups(keys []int32, ngroups int, ratios []float64, rng *rand.Rand, assign []uint8) {
	size := make([]int, ngroups)
	for _, k := range keys {
		size[k]++
	}
	order := rng.Perm(ngroups)
	target := make([]float64, len(ratios))
	for i, r := range ratios {
		target[i] = r * float64(len(keys))
	}
	got := make([]float64, len(ratios))
	split := make([]uint8, ngroups)
	for _, g := range order {
		best, bestGap := 0, math.Inf(-1)
		for s := range ratios {
			gap := (target[s] - got[s]) / target[s]
			if gap > bestGap {
				best, bestGap = s, gap
			}
		}
		split[g] = uint8(best)
		got[best] += float64(size[g])
	}
	for i, k := range keys {
		assign[i] = split[k]
	}
}

func countShared(a, b []uint64) int64 {
	var n int64
	i := 0
	for _, x := range b {
		for i < len(a) && a[i] < x {
			i++
		}
		if i < len(a) && a[i] == x {
			n++
		}
	}
	return n
}

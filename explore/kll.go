package explore

import (
	"math/rand/v2"
	"slices"
)

// kll is a streaming quantile sketch; Karnin, Lang & Liberty, "Optimal
// Quantile Approximation in Streams", FOCS 2016 (arXiv:1603.05346). Level h
// holds items of weight 2^h; a full level is sorted and every other item
// (random offset) is promoted. With k = 256 the rank error is about 1%.
type kll struct {
	k      int
	caps   []int // capacity per level, recomputed when a level is added
	levels [][]float64
	n      int64
	rng    *rand.Rand
}

func newKLL(k int, seed uint64) *kll {
	s := &kll{k: k, levels: [][]float64{nil}, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	s.recap()
	return s
}

func (s *kll) recap() {
	s.caps = s.caps[:0]
	for h := range s.levels {
		s.caps = append(s.caps, s.capacity(h))
	}
}

// capacity of level h when the sketch has H levels: k·(2/3)^(H-1-h), at
// least 8 (64 at level 0, so that compactions sort batches, not pairs).
func (s *kll) capacity(h int) int {
	depth := len(s.levels) - 1 - h
	c := float64(s.k)
	for i := 0; i < depth; i++ {
		c *= 2.0 / 3.0
	}
	if h == 0 {
		return max(int(c), 64)
	}
	return max(int(c), 8)
}

func (s *kll) add(x float64) {
	s.levels[0] = append(s.levels[0], x)
	s.n++
	if len(s.levels[0]) >= s.caps[0] {
		s.compress()
	}
}

func (s *kll) compress() {
	for h := 0; h < len(s.levels); h++ {
		if len(s.levels[h]) < s.caps[h] {
			continue
		}
		if h+1 == len(s.levels) {
			s.levels = append(s.levels, nil)
			s.recap()
		}
		lv := s.levels[h]
		slices.Sort(lv)
		odd := len(lv) % 2
		keep := lv[len(lv)-odd:] // an odd item stays at this level
		off := int(s.rng.IntN(2))
		for i := off; i < len(lv)-odd; i += 2 {
			s.levels[h+1] = append(s.levels[h+1], lv[i])
		}
		s.levels[h] = append(lv[:0], keep...)
	}
}

type weighted struct {
	v float64
	w int64
}

// items returns the sketch's items with weights, sorted by value.
func (s *kll) items() []weighted {
	var out []weighted
	for h, lv := range s.levels {
		for _, v := range lv {
			out = append(out, weighted{v, int64(1) << h})
		}
	}
	slices.SortFunc(out, func(a, b weighted) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	return out
}

// quantile returns the value at rank q·(total weight).
func quantileOfItems(it []weighted, q float64) float64 {
	var total int64
	for _, x := range it {
		total += x.w
	}
	target := q * float64(total)
	var cum int64
	for _, x := range it {
		cum += x.w
		if float64(cum) >= target {
			return x.v
		}
	}
	return it[len(it)-1].v
}

// rankOfItems returns the weight share of items < v (or <= v when inclusive).
func rankOfItems(it []weighted, v float64, inclusive bool) float64 {
	var total, below int64
	for _, x := range it {
		total += x.w
		if x.v < v || (inclusive && x.v == v) {
			below += x.w
		}
	}
	return float64(below) / float64(total)
}

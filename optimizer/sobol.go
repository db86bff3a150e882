package optimizer

import (
	"math/rand/v2"
)

// sobolDir holds Joe and Kuo's direction numbers (new-joe-kuo-6.21201,
// https://web.maths.unsw.edu.au/~fkuo/sobol/, BSD licence) for dimensions
// 2..40: degree s, polynomial coefficients a and initial numbers m.
type sobolDir struct {
	s, a uint32
	m    []uint32
}

func sobolTable() []sobolDir {
	return []sobolDir{
		{1, 0, []uint32{1}}, {2, 1, []uint32{1, 3}}, {3, 1, []uint32{1, 3, 1}}, {3, 2, []uint32{1, 1, 1}},
		{4, 1, []uint32{1, 1, 3, 3}}, {4, 4, []uint32{1, 3, 5, 13}}, {5, 2, []uint32{1, 1, 5, 5, 17}},
		{5, 4, []uint32{1, 1, 5, 5, 5}}, {5, 7, []uint32{1, 1, 7, 11, 19}}, {5, 11, []uint32{1, 1, 5, 1, 1}},
		{5, 13, []uint32{1, 1, 1, 3, 11}}, {5, 14, []uint32{1, 3, 5, 5, 31}}, {6, 1, []uint32{1, 3, 3, 9, 7, 49}},
		{6, 13, []uint32{1, 1, 1, 15, 21, 21}}, {6, 16, []uint32{1, 3, 1, 13, 27, 49}}, {6, 19, []uint32{1, 1, 1, 15, 7, 5}},
		{6, 22, []uint32{1, 3, 1, 15, 13, 25}}, {6, 25, []uint32{1, 1, 5, 5, 19, 61}}, {7, 1, []uint32{1, 3, 7, 11, 23, 15, 103}},
		{7, 4, []uint32{1, 3, 7, 13, 13, 15, 69}}, {7, 7, []uint32{1, 1, 3, 13, 7, 35, 63}}, {7, 8, []uint32{1, 3, 5, 9, 1, 25, 53}},
		{7, 14, []uint32{1, 3, 1, 13, 9, 35, 107}}, {7, 19, []uint32{1, 3, 1, 5, 27, 61, 31}}, {7, 21, []uint32{1, 1, 5, 11, 19, 41, 61}},
		{7, 28, []uint32{1, 3, 5, 3, 3, 13, 69}}, {7, 31, []uint32{1, 1, 7, 13, 1, 19, 1}}, {7, 32, []uint32{1, 3, 7, 5, 13, 19, 59}},
		{7, 37, []uint32{1, 1, 3, 9, 25, 29, 41}}, {7, 41, []uint32{1, 3, 5, 13, 23, 1, 55}}, {7, 42, []uint32{1, 3, 7, 3, 13, 59, 17}},
		{7, 50, []uint32{1, 3, 1, 3, 5, 53, 69}}, {7, 55, []uint32{1, 1, 5, 5, 23, 33, 13}}, {7, 56, []uint32{1, 1, 7, 7, 1, 61, 123}},
		{7, 59, []uint32{1, 1, 7, 9, 13, 61, 49}}, {7, 62, []uint32{1, 3, 3, 5, 3, 55, 33}}, {8, 14, []uint32{1, 3, 1, 15, 31, 13, 49, 245}},
		{8, 21, []uint32{1, 3, 5, 15, 31, 59, 63, 97}}, {8, 22, []uint32{1, 3, 1, 11, 11, 11, 77, 249}},
	}
}

const sobolBits = 32

// sobol generates a scrambled Sobol sequence in [0,1)^d. Scrambling is
// Matoušek's random linear matrix scramble followed by a random digital shift
// (the scheme of scipy.stats.qmc.Sobol); it keeps the (t,m,s)-net property, so
// every first 2^k points still stratify each axis into 2^k cells.
// Dimensions beyond the table fall back to seeded uniform draws.
type sobol struct {
	d    int
	v    [][sobolBits]uint32 // scrambled direction numbers per dimension
	sh   []uint32            // digital shift per dimension
	seed uint64              // only for dimensions beyond the table
}

func newSobol(d int, seed uint64) *sobol {
	r := rand.New(rand.NewPCG(seed, 0x50b01))
	tab := sobolTable()
	q := &sobol{d: d, v: make([][sobolBits]uint32, d), sh: make([]uint32, d), seed: seed}
	for j := 0; j < d; j++ {
		var v [sobolBits]uint32
		switch {
		case j == 0:
			for k := 0; k < sobolBits; k++ {
				v[k] = 1 << (sobolBits - 1 - k)
			}
		case j-1 < len(tab):
			t := tab[j-1]
			s := int(t.s)
			for k := 0; k < s && k < sobolBits; k++ {
				v[k] = t.m[k] << (sobolBits - 1 - k)
			}
			for k := s; k < sobolBits; k++ {
				x := v[k-s] ^ (v[k-s] >> uint(s))
				for i := 1; i < s; i++ {
					if (t.a>>uint(s-1-i))&1 == 1 {
						x ^= v[k-i]
					}
				}
				v[k] = x
			}
		default:
			q.v[j] = v // zero: marks a fallback dimension
			q.sh[j] = 0
			continue
		}
		// Linear matrix scramble: a random lower-triangular binary matrix with a
		// unit diagonal, applied to each direction number's digits (MSB first).
		var lower [sobolBits]uint32 // row r: bits of L[r][0..r] as a mask over digit positions
		for rr := 0; rr < sobolBits; rr++ {
			mask := uint32(1) << (sobolBits - 1 - rr)
			above := ^(mask | (mask - 1)) // digits 0..rr-1 (MSB side)
			lower[rr] = (r.Uint32() & above) | mask
		}
		for k := 0; k < sobolBits; k++ {
			var out uint32
			for rr := 0; rr < sobolBits; rr++ {
				if parity(lower[rr]&v[k]) == 1 {
					out |= 1 << (sobolBits - 1 - rr)
				}
			}
			v[k] = out
		}
		q.v[j] = v
		q.sh[j] = r.Uint32()
	}
	return q
}

func parity(x uint32) uint32 {
	x ^= x >> 16
	x ^= x >> 8
	x ^= x >> 4
	x ^= x >> 2
	x ^= x >> 1
	return x & 1
}

// point returns the i-th point (i >= 0).
func (q *sobol) point(i uint32) []float64 {
	x := make([]float64, q.d)
	tab := len(sobolTable())
	for j := 0; j < q.d; j++ {
		if j > tab {
			x[j] = float64(splitmix(q.seed^uint64(i)<<20^uint64(j))>>11) / (1 << 53)
			continue
		}
		var b uint32
		for k := 0; k < sobolBits; k++ {
			if i>>uint(k)&1 == 1 {
				b ^= q.v[j][k]
			}
		}
		b ^= q.sh[j]
		x[j] = (float64(b) + 0.5) / (1 << sobolBits)
	}
	return x
}

// splitmix is SplitMix64's output function (Steele et al. 2014).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

package optimizer

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// effort scales the acquisition search down beyond 300 observations: every
// acquisition value then costs O(n²) per model (the variance's triangular
// solve), and a warm ask at 1,000 observations spent 5.7 s on 1,536
// candidates and ten 60-iteration local searches. Below 300 it is 1.
func (s *Study) effort() float64 {
	n := 0
	for _, t := range s.trials {
		if t.Status != StatusPending {
			n++
		}
	}
	return math.Min(1, 300/float64(max(1, n)))
}

type scored struct {
	u []float64
	v float64
}

// localSearch refines a start: L-BFGS with box bounds on the continuous
// coordinates (analytic gradients), then, in spaces with ints or
// categoricals, the pattern search over every coordinate.
func (s *Study) localSearch(ac *acquisition, u0 []float64, v0 float64) ([]float64, float64) {
	u, v := append([]float64{}, u0...), v0
	if s.sp.hasContinuous() && !ac.patternOnly {
		lo, hi := make([]float64, len(u)), make([]float64, len(u))
		cont := s.sp.continuousMask()
		act := s.sp.activeMask(u)
		for i := range u {
			if cont[i] && act[i] {
				lo[i], hi[i] = 0, 1
			} else {
				lo[i], hi[i] = u[i], u[i]
			}
		}
		x, f := boxMinimize(func(x, g []float64) float64 {
			f := -ac.valueGrad(x, g)
			for i := range g {
				g[i] = -g[i]
			}
			return f
		}, u, lo, hi, max(15, int(60*s.effort())))
		if -f > v && !math.IsNaN(f) {
			u, v = x, -f
		}
	}
	if s.sp.hasDiscrete() || ac.patternOnly {
		u, v = s.patternSearch(ac.values, u, v)
	}
	return u, v
}

// maximize scores scrambled-Sobol candidates plus perturbations of the
// incumbents, refines the best few by a local search (localSearch), and
// returns the best point not suggested before.
func (s *Study) maximize(ac *acquisition, rng *rand.Rand) ([]float64, error) {
	acq := ac.values
	d := s.sp.dim
	q := newSobol(d, rng.Uint64())
	var cands [][]float64
	f := s.effort()
	ncand := max(256, int(float64(s.opt.candidates)*f))
	for i := 0; i < ncand; i++ {
		u := q.point(uint32(i))
		s.sp.project(u)
		cands = append(cands, u)
	}
	// Around the incumbents: observed points that are feasible and on the
	// front, or the best few for one objective.
	nGlobal := len(cands)
	const ninc = 8
	nper := max(16, int(64*f))
	for _, x := range s.incumbents(ninc) {
		for k := 0; k < nper; k++ {
			sd := 0.02
			if k%2 == 1 {
				sd = 0.1
			}
			u := append([]float64{}, x...)
			for j := range u {
				if rng.Float64() < math.Max(0.3, 1/float64(d)) || k%4 == 0 {
					u[j] += sd * rng.NormFloat64()
				}
			}
			s.sp.project(u)
			cands = append(cands, u)
		}
	}
	vals := acq(cands)
	idx := make([]int, len(cands))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })

	// Starts: the best candidates around the incumbents (so local refinement
	// is not crowded out by global candidates) and the best overall.
	var starts []int
	started := map[string]bool{}
	try := func(j int) bool {
		k := s.sp.key(s.sp.decode(cands[j]))
		if started[k] {
			return false
		}
		started[k] = true
		starts = append(starts, j)
		return true
	}
	nloc := 0
	localStarts := max(2, int(math.Round(float64(s.opt.localStarts)*f)))
	restarts := max(2, int(math.Round(float64(s.opt.restarts)*f)))
	for _, j := range idx {
		if nloc >= localStarts {
			break
		}
		if j >= nGlobal && try(j) {
			nloc++
		}
	}
	for _, i := range idx {
		if len(starts) >= restarts+nloc {
			break
		}
		try(i)
	}
	results := make([]scored, len(starts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for r, j := range starts {
		wg.Add(1)
		sem <- struct{}{}
		go func(r, j int) {
			defer func() { <-sem; wg.Done() }()
			u, v := s.localSearch(ac, cands[j], vals[j])
			results[r] = scored{u, v}
		}(r, j)
	}
	wg.Wait()
	sort.SliceStable(results, func(a, b int) bool { return results[a].v > results[b].v })
	// Discrete neighbourhood of the best few local optima: the pattern search
	// moves one int cell or one category at a time and only uphill, so it
	// cannot cross a ridge in a discrete dimension (runs settled at an int
	// bound never tried the optimum's value). Jumps to far int values and to
	// every category, alone and in pairs, are scored by the acquisition and
	// re-refined (mixed alternation as in Ax's optimize_acqf_mixed_alternating
	// and CoCaBO, Ru et al. 2020).
	if s.sp.hasDiscrete() {
		const ndisc = 3
		for r := 0; r < len(results) && r < ndisc; r++ {
			nb := s.discreteNeighbours(results[r].u)
			if len(nb) == 0 {
				continue
			}
			vals := acq(nb)
			bi := argmax(vals)
			if vals[bi] > results[r].v+1e-3 {
				u, v := s.localSearch(ac, nb[bi], vals[bi])
				results = append(results, scored{u, v})
			}
		}
		sort.SliceStable(results, func(a, b int) bool { return results[a].v > results[b].v })
	}
	for _, r := range results {
		if !s.keys[s.sp.key(s.sp.decode(r.u))] {
			return r.u, nil
		}
	}
	for _, i := range idx {
		if !s.keys[s.sp.key(s.sp.decode(cands[i]))] {
			return cands[i], nil
		}
	}
	// Every candidate was seen before: try fresh uniform points before giving up.
	for k := 0; k < 4096; k++ {
		u := make([]float64, d)
		for j := range u {
			u[j] = rng.Float64()
		}
		s.sp.project(u)
		if !s.keys[s.sp.key(s.sp.decode(u))] {
			return u, nil
		}
	}
	return nil, ErrExhausted
}

// incumbents returns up to k encoded points worth searching around (in
// the warped space when the study warps its inputs).
func (s *Study) incumbents(k int) [][]float64 {
	var warp *warping
	if s.warping() {
		warp = s.warp
	}
	type cand struct {
		x []float64
		y []float64
	}
	var cs []cand
	for _, pt := range s.priors {
		if s.feasible(pt.t) {
			cs = append(cs, cand{pt.x, s.objVec(pt.t)})
		}
	}
	for t, x := range s.feasibleEncoded() {
		cs = append(cs, cand{x, s.objVec(t)})
	}
	for i := range cs {
		cs[i].x = warp.apply(cs[i].x)
	}
	if len(s.objs) == 1 {
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].y[0] < cs[b].y[0] })
		var out [][]float64
		for i := 0; i < len(cs) && i < k; i++ {
			out = append(out, cs[i].x)
		}
		return out
	}
	var out [][]float64
	for i := range cs {
		dom := false
		for j := range cs {
			if dominates(cs[j].y, cs[i].y) {
				dom = true
				break
			}
		}
		if !dom {
			out = append(out, cs[i].x)
		}
	}
	if len(out) > 2*k { // spread: keep every other point along the front
		step := float64(len(out)) / float64(2*k)
		var thin [][]float64
		for f := 0.0; int(f) < len(out); f += step {
			thin = append(thin, out[int(f)])
		}
		out = thin
	}
	return out
}

func (s *Study) patternSearch(acq acqFunc, u0 []float64, v0 float64) ([]float64, float64) {
	u, v := append([]float64{}, u0...), v0
	step := 0.1
	for it := 0; it < 40 && step > 1e-3; it++ {
		nb := s.neighbours(u, step)
		if len(nb) == 0 {
			break
		}
		vals := acq(nb)
		bi := argmax(vals)
		// Demand a real gain (in log-acquisition nats): accepting
		// vanishing gains let nearly flat directions drift to the bounds.
		if vals[bi] > v+1e-3 {
			u, v = nb[bi], vals[bi]
		} else {
			step /= 2
		}
	}
	return u, v
}

// neighbours lists the pattern-search moves from u.
func (s *Study) neighbours(u []float64, step float64) [][]float64 {
	var out [][]float64
	for i, p := range s.sp.params {
		o := s.sp.offset[i]
		switch p.Type {
		case TypeCategorical:
			if step < 0.1 { // categories are tried once per start
				continue
			}
			cur := argmax(u[o : o+len(p.CategoricalValues)])
			for k := range p.CategoricalValues {
				if k == cur {
					continue
				}
				w := append([]float64{}, u...)
				for j := range p.CategoricalValues {
					w[o+j] = 0
				}
				w[o+k] = 1
				s.sp.project(w) // conditional children switch on or off
				out = append(out, w)
			}
		case TypeInt:
			lo, hi := lohi(p)
			cell := 1 / (hi - lo)
			if p.Transformation == "log" {
				cell = step
			}
			for _, sgn := range []float64{-1, 1} {
				w := append([]float64{}, u...)
				w[o] += sgn * math.Max(cell, step)
				s.sp.project(w)
				if w[o] != u[o] {
					out = append(out, w)
				}
			}
		default:
			for _, sgn := range []float64{-1, 1} {
				w := append([]float64{}, u...)
				w[o] = clamp01(w[o] + sgn*step)
				if w[o] != u[o] {
					out = append(out, w)
				}
			}
		}
	}
	return out
}

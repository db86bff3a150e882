package optimizer

import (
	"math"
	"math/rand/v2"
	"sort"
)

// localStep is a trust-region step (as in TuRBO, Eriksson et al. 2019) for
// the end of a single-objective study: a GP fitted only to the observations
// nearest the incumbent, LogEI on it inside their bounding box. A global
// stationary GP compromises between the flat regions and the best basin, so
// the argmin of its mean sits off the basin's true minimum (Hartmann6 runs
// hovered 5e-4 above it); the local model has the basin's own length scales.
// ok is false when there is not enough data near the incumbent.
func (s *Study) localStep(ds dataset, global *gp, conModels []*model, front [][]float64, rng *rand.Rand) ([]float64, bool) {
	d := s.sp.dim
	inc := s.incumbents(1)
	if len(inc) == 0 {
		return nil, false
	}
	x0 := inc[0]
	k := min(len(ds.x), max(4*d, 12))
	if k < d+2 {
		return nil, false
	}
	idx := make([]int, len(ds.x))
	dist := make([]float64, len(ds.x))
	for i, x := range ds.x {
		idx[i] = i
		for j := range x {
			dist[i] += (x[j] - x0[j]) * (x[j] - x0[j])
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return dist[idx[a]] < dist[idx[b]] })
	var lx [][]float64
	var ly []float64
	lo, hi := append([]float64{}, x0...), append([]float64{}, x0...)
	for _, i := range idx[:k] {
		lx = append(lx, ds.x[i])
		ly = append(ly, ds.y[i])
		for j := range lo {
			lo[j] = math.Min(lo[j], ds.x[i][j])
			hi[j] = math.Max(hi[j], ds.x[i][j])
		}
	}
	cont := s.sp.continuousMask()
	for j := range lo {
		if !cont[j] {
			lo[j], hi[j] = x0[j], x0[j]
			continue
		}
		// the box of the neighbours, but no wider than 0.2 around the incumbent
		lo[j] = math.Max(math.Max(0, x0[j]-0.1), lo[j])
		hi[j] = math.Min(math.Min(1, x0[j]+0.1), hi[j])
	}
	caps := s.sp.lengthScaleCaps()
	if !global.h.Noisy {
		// the local data span a small range: with the global noise prior a
		// deterministic objective's last digits would be written off as noise
		caps = fixedNoise(caps, d, math.Log(1e-9))
	}
	g := fitGPCapped(lx, ly, nil, rand.New(rand.NewPCG(rng.Uint64(), 11)), caps, s.sp.catGroups()...)
	gps := []*gp{g}
	for _, m := range conModels {
		if m == nil {
			gps = append(gps, nil)
		} else {
			gps = append(gps, m.gp)
		}
	}
	best := s.incumbentValue(g, front)
	ac := &acquisition{gps: gps, score: func(mu, sd []float64) float64 {
		v := logEI(mu[0], sd[0], best)
		for j := 1; j < len(gps); j++ {
			if gps[j] != nil {
				v += logNormCDF(mu[j] / sd[j])
			}
		}
		return v
	}}
	// candidates: uniform in the box, plus the incumbent itself as a start
	cands := [][]float64{append([]float64{}, x0...)}
	for c := 0; c < 256; c++ {
		u := make([]float64, d)
		for j := range u {
			u[j] = lo[j] + rng.Float64()*(hi[j]-lo[j])
		}
		cands = append(cands, u)
	}
	vals := ac.values(cands)
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	var results []scored
	for _, i := range order[:min(4, len(order))] {
		x, f := boxMinimize(func(x, gr []float64) float64 {
			f := -ac.valueGrad(x, gr)
			for j := range gr {
				gr[j] = -gr[j]
			}
			return f
		}, cands[i], lo, hi, 60)
		results = append(results, scored{x, -f})
	}
	sort.SliceStable(results, func(a, b int) bool { return results[a].v > results[b].v })
	for _, r := range results {
		u := append([]float64{}, r.u...)
		s.sp.project(u)
		if !s.keys[s.sp.key(s.sp.decode(u))] {
			return u, true
		}
	}
	return nil, false
}

package optimizer

import (
	"fmt"
	"math"
	"sort"
)

// Importance is PED-ANOVA (Watanabe et al. 2023, "PED-ANOVA: efficiently
// quantifying hyperparameter importance in arbitrary subspaces", IJCAI;
// Optuna's PedAnovaImportanceEvaluator): for each parameter, the Pearson
// divergence between its marginal density among the best 10 % of the
// evaluated trials and among all of them, ∫ (p_top/p_all − 1)² p_all dx,
// normalized to sum to 1. A parameter whose good values are spread like all
// values scores 0; one where the best trials concentrate scores high. It
// needs no model, so a study rebuilt from its trials answers the same.
// Trials are ranked by objective (several objectives: by non-dominated front,
// then by the sum of ranks), infeasible ones after feasible ones; failed and
// pending trials are left out. Densities are Gaussian kernel estimates in
// the unit-cube encoding (Scott's bandwidth, at least 0.02) on a 128-point
// grid; a categorical's are smoothed frequencies. A conditional parameter is
// measured over the trials where it is active. With fewer than 10
// evaluated trials the top 10 % is too few to compare, and the importance is
// read off the fitted objective models instead (lengthScaleImportance);
// empty when there is none yet.
func (s *Study) Importance() map[string]float64 {
	order := s.rankedTrials()
	if len(order) < 10 {
		return s.lengthScaleImportance()
	}
	out := map[string]float64{}
	var total float64
	for i, p := range s.sp.params {
		var all, top []float64
		ntop := 0
		for r, t := range order {
			v, ok := t.Params[p.Name]
			if !ok {
				continue
			}
			x, err := s.sp.encode1Value(i, v)
			if err != nil {
				continue
			}
			all = append(all, x)
			if r < max(2, int(math.Ceil(0.1*float64(len(order))))) {
				top = append(top, x)
				ntop++
			}
		}
		if len(all) < 2 || ntop < 2 {
			out[p.Name] = 0
			continue
		}
		var d float64
		if p.Type == TypeCategorical {
			d = pearsonDiscrete(top, all, len(p.CategoricalValues))
		} else {
			d = pearsonKDE(top, all)
		}
		out[p.Name] = d
		total += d
	}
	if total <= 0 {
		for k := range out {
			out[k] = 0
		}
		return out
	}
	for k := range out {
		out[k] /= total
	}
	return out
}

// rankedTrials returns the completed and pruned trials, best first.
func (s *Study) rankedTrials() []Trial {
	type rt struct {
		t    Trial
		y    []float64
		feas bool
		viol float64
	}
	var ts []rt
	for _, t := range s.trials {
		if t.Status != StatusCompleted && t.Status != StatusPruned {
			continue
		}
		y := make([]float64, len(s.objs))
		ok := true
		for j, o := range s.objs {
			v, has := t.Metrics[o.name]
			if !has {
				ok = false
				break
			}
			y[j] = o.internal(v)
		}
		if !ok {
			continue
		}
		var viol float64
		for _, c := range s.cons {
			if v, has := t.Metrics[c.name]; has {
				viol += math.Max(0, -c.internal(v))
			} else {
				viol = math.Inf(1)
			}
		}
		ts = append(ts, rt{t: t, y: y, feas: viol == 0 && t.Status == StatusCompleted, viol: viol})
	}
	pts := make([][]float64, len(ts))
	for i := range ts {
		pts[i] = ts[i].y
	}
	front := frontRanks(pts)
	// sum of per-objective ranks breaks ties within a front
	rsum := make([]int, len(ts))
	for j := range s.objs {
		idx := make([]int, len(ts))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return ts[idx[a]].y[j] < ts[idx[b]].y[j] })
		for r, i := range idx {
			rsum[i] += r
		}
	}
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := ts[idx[a]], ts[idx[b]]
		if x.feas != y.feas {
			return x.feas
		}
		if !x.feas && x.viol != y.viol {
			return x.viol < y.viol
		}
		if front[idx[a]] != front[idx[b]] {
			return front[idx[a]] < front[idx[b]]
		}
		return rsum[idx[a]] < rsum[idx[b]]
	})
	out := make([]Trial, len(idx))
	for r, i := range idx {
		out[r] = ts[i].t
	}
	return out
}

// encode1Value maps one parameter value to [0,1] (a categorical to its
// index).
func (s *space) encode1Value(i int, v any) (float64, error) {
	p := s.params[i]
	if p.Type == TypeCategorical {
		str := fmt.Sprint(v)
		for k, c := range p.CategoricalValues {
			if c == str {
				return float64(k), nil
			}
		}
		return 0, fmt.Errorf("value %q is not one of %v", str, p.CategoricalValues)
	}
	x, err := toFloat(v)
	if err != nil {
		return 0, err
	}
	return s.encode1(p, x)
}

func pearsonKDE(top, all []float64) float64 {
	const grid = 128
	bw := func(xs []float64) float64 {
		var m, v float64
		for _, x := range xs {
			m += x
		}
		m /= float64(len(xs))
		for _, x := range xs {
			v += (x - m) * (x - m)
		}
		sd := math.Sqrt(v / float64(len(xs)))
		return math.Max(0.02, 1.06*sd*math.Pow(float64(len(xs)), -0.2))
	}
	dens := func(xs []float64, h float64) []float64 {
		out := make([]float64, grid)
		var z float64
		for g := range out {
			u := (float64(g) + 0.5) / grid
			for _, x := range xs {
				t := (u - x) / h
				out[g] += math.Exp(-0.5 * t * t)
			}
			z += out[g]
		}
		for g := range out {
			out[g] /= z
		}
		return out
	}
	pt, pa := dens(top, bw(top)), dens(all, bw(all))
	var d float64
	for g := range pa {
		if pa[g] > 1e-300 {
			r := pt[g]/pa[g] - 1
			d += r * r * pa[g]
		}
	}
	return d
}

func pearsonDiscrete(top, all []float64, k int) float64 {
	pt, pa := make([]float64, k), make([]float64, k)
	for _, x := range top {
		pt[int(x)]++
	}
	for _, x := range all {
		pa[int(x)]++
	}
	var d float64
	for c := 0; c < k; c++ {
		// add-one smoothing keeps unseen categories finite
		t := (pt[c] + 1) / (float64(len(top)) + float64(k))
		a := (pa[c] + 1) / (float64(len(all)) + float64(k))
		r := t/a - 1
		d += r * r * a
	}
	return d
}

// lengthScaleImportance is each parameter's inverse length scale in the
// objectives' last fitted GPs (averaged over objectives, normalized to sum to
// 1); empty before a model has been fitted.
func (s *Study) lengthScaleImportance() map[string]float64 {
	out := map[string]float64{}
	var total float64
	for _, o := range s.objs {
		h, ok := s.models[o.name]
		if !ok || len(h.LogLS) != s.sp.dim {
			continue
		}
		for i, p := range s.sp.params {
			off := s.sp.offset[i]
			w := 1 / math.Exp(h.LogLS[off])
			if p.Type == TypeCategorical {
				for k := range p.CategoricalValues {
					w = math.Max(w, 1/math.Exp(h.LogLS[off+k]))
				}
			}
			out[p.Name] += w
			total += w
		}
	}
	if total == 0 {
		return map[string]float64{}
	}
	for k := range out {
		out[k] /= total
	}
	return out
}

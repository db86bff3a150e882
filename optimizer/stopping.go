package optimizer

import (
	"math"
	"sort"
)

// ShouldStopMedian is the median stopping rule (Golovin et al. 2017, Google
// Vizier): stop a trial at step (0-based index into its curve) when its best
// value so far is worse than the median of the other trials' running averages
// up to the same step. curves are the other trials' curves; trials too short
// to reach step are ignored, and at least three must reach it. No decision
// before minSteps steps.
func ShouldStopMedian(curves [][]float64, trialCurve []float64, step, minSteps int, objective string) bool {
	if step < minSteps || step >= len(trialCurve) || step < 0 {
		return false
	}
	sign := 1.0 // internal: lower is better
	if objective == Maximize {
		sign = -1
	}
	best := math.Inf(1)
	for _, v := range trialCurve[:step+1] {
		best = math.Min(best, sign*v)
	}
	var avgs []float64
	for _, c := range curves {
		if len(c) <= step {
			continue
		}
		var sum float64
		for _, v := range c[:step+1] {
			sum += sign * v
		}
		avgs = append(avgs, sum/float64(step+1))
	}
	if len(avgs) < 3 {
		return false
	}
	sort.Float64s(avgs)
	n := len(avgs)
	med := avgs[n/2]
	if n%2 == 0 {
		med = 0.5 * (avgs[n/2-1] + avgs[n/2])
	}
	return best > med
}

// ShouldStop applies the spec's early-stopping rule to a trial's curve of
// metric (an optimize metric): false when the spec has no rule. For
// hyperband, whose brackets need trial numbers, use ShouldStopCurve; here
// every trial counts as bracket 0.
func (s *Study) ShouldStop(metric string, curves [][]float64, trialCurve []float64, step int) bool {
	others := make([]Curve, len(curves))
	for i, c := range curves {
		others[i] = Curve{Number: -1 - i, Values: c}
	}
	return s.ShouldStopCurve(metric, others, Curve{Number: 0, Values: trialCurve}, step)
}

// ShouldStopCurve is ShouldStop with trial numbers on the curves (Hyperband
// compares a trial only with the others of its bracket).
func (s *Study) ShouldStopCurve(metric string, others []Curve, trial Curve, step int) bool {
	es := s.spec.EarlyStopping
	if es == nil {
		return false
	}
	for _, o := range s.objs {
		if o.name != metric {
			continue
		}
		obj := Minimize
		if o.maximize {
			obj = Maximize
		}
		if a, ok := ASHAFor(es); ok {
			if trial.Number < 0 {
				trial.Number = 0
			}
			return a.ShouldStop(others, trial, step, obj)
		}
		if es.Rule == "median" {
			curves := make([][]float64, len(others))
			for i, c := range others {
				curves[i] = c.Values
			}
			return ShouldStopMedian(curves, trial.Values, step, es.MinSteps, obj)
		}
	}
	return false
}

// ShouldStopTrial applies the spec's rule to every objective at once: for
// asha and hyperband by non-dominated ranking at the rung (MO-ASHA); for
// median, the trial stops when it is worse than the median on every
// objective. trial and others map objective names to curves.
func (s *Study) ShouldStopTrial(others []map[string]Curve, trial map[string]Curve, step int) bool {
	es := s.spec.EarlyStopping
	if es == nil {
		return false
	}
	if len(s.objs) > 1 {
		if a, ok := ASHAFor(es); ok {
			objs := map[string]string{}
			for _, o := range s.objs {
				objs[o.name] = Minimize
				if o.maximize {
					objs[o.name] = Maximize
				}
			}
			return a.ShouldStopMulti(others, trial, step, objs)
		}
	}
	checked := 0
	for _, o := range s.objs {
		c, ok := trial[o.name]
		if !ok {
			continue
		}
		var oc []Curve
		for _, m := range others {
			if v, ok := m[o.name]; ok {
				oc = append(oc, v)
			}
		}
		checked++
		if !s.ShouldStopCurve(o.name, oc, c, step) {
			return false
		}
	}
	return checked > 0
}

package optimizer

import (
	"math"
	"sort"

	"github.com/lathe-ml/lathe/format"
)

// Curve is one trial's reported values of a metric, one per step (the
// stopping rules read them by 0-based step index).
type Curve struct {
	Number int
	Values []float64
}

// ASHA is asynchronous successive halving as a stopping rule (Li et al.
// 2020, "A System for Massively Parallel Hyperparameter Tuning"; Optuna's
// SuccessiveHalvingPruner). Rungs sit at MinSteps·η^k completed steps
// (MinSteps at least 1, η = ReductionFactor, default 3), below MaxSteps when
// it is set. A trial that reaches a rung continues only if its value there
// is among the best ⌊n/η⌋ of the n trials that have reached that rung so
// far, itself included (the best one when n < η: a trial cannot be paused
// and resumed later, so the first ones must be judged on little evidence).
// Hyperband (Li et al. 2018) runs several such brackets, bracket b starting
// its rungs at MinSteps·η^b, and spreads trials over them by number.
type ASHA struct {
	MinSteps, MaxSteps, ReductionFactor int
	// Brackets > 1 makes it Hyperband; 0 or 1 is plain ASHA.
	Brackets int
}

// ASHAFor returns the rule of an early_stopping spec with rule asha or
// hyperband; ok is false for other rules.
func ASHAFor(es *EarlyStopping) (ASHA, bool) {
	if es == nil || (es.Rule != "asha" && es.Rule != "hyperband") {
		return ASHA{}, false
	}
	a := ASHA{MinSteps: max(1, es.MinSteps), MaxSteps: es.MaxSteps, ReductionFactor: es.ReductionFactor}
	if a.ReductionFactor < 2 {
		a.ReductionFactor = 3
	}
	if es.Rule == "hyperband" {
		// as many brackets as rungs fit between min_steps and max_steps
		a.Brackets = 1
		for r := a.MinSteps * a.ReductionFactor; r < a.MaxSteps; r *= a.ReductionFactor {
			a.Brackets++
		}
	}
	return a, true
}

// Bracket is the Hyperband bracket of a trial (0 for plain ASHA).
func (a ASHA) Bracket(number int) int {
	if a.Brackets <= 1 || number < 0 {
		return 0
	}
	return number % a.Brackets
}

// rung returns k when steps completed steps (step index + 1) is rung k of
// bracket b, else −1.
func (a ASHA) rung(steps, b int) int {
	eta := max(2, a.ReductionFactor)
	r := max(1, a.MinSteps)
	for i := 0; i < b; i++ {
		r *= eta
	}
	for k := 0; r <= steps; k++ {
		if a.MaxSteps > 0 && r >= a.MaxSteps {
			return -1 // the last step is the end of training, not a rung
		}
		if r == steps {
			return k
		}
		r *= eta
	}
	return -1
}

// ShouldStop reports whether the trial should stop after its step-th step
// (0-based index into trial.Values) on one metric. others are the curves of
// the other trials, finished or running. objective is Maximize or Minimize.
func (a ASHA) ShouldStop(others []Curve, trial Curve, step int, objective string) bool {
	if step < 0 || step >= len(trial.Values) {
		return false
	}
	b := a.Bracket(trial.Number)
	if a.rung(step+1, b) < 0 {
		return false
	}
	sign := 1.0
	if objective == Maximize {
		sign = -1
	}
	mine := sign * trial.Values[step]
	if math.IsNaN(mine) {
		return true
	}
	vals := []float64{mine}
	for _, c := range others {
		if c.Number == trial.Number || a.Bracket(c.Number) != b || len(c.Values) <= step {
			continue
		}
		if v := sign * c.Values[step]; !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	k := max(1, len(vals)/max(2, a.ReductionFactor))
	sort.Float64s(vals)
	return mine > vals[k-1]
}

// ShouldStopMulti is ASHA for several objectives (MO-ASHA, Schmucker et al.
// 2021): the trials at a rung are ranked by non-dominated sorting of their
// values there, and a trial continues when fewer than ⌊n/η⌋ (at least 1)
// trials lie in fronts strictly before its own. trial and others map each
// objective to a curve; objectives gives each metric's direction.
func (a ASHA) ShouldStopMulti(others []map[string]Curve, trial map[string]Curve, step int, objectives map[string]string) bool {
	names := format.SortedKeys(objectives)
	var number int
	for _, n := range names {
		c, ok := trial[n]
		if !ok || step < 0 || step >= len(c.Values) {
			return false
		}
		number = c.Number
	}
	b := a.Bracket(number)
	if a.rung(step+1, b) < 0 {
		return false
	}
	point := func(m map[string]Curve) ([]float64, bool) {
		y := make([]float64, len(names))
		for j, n := range names {
			c, ok := m[n]
			if !ok || len(c.Values) <= step || math.IsNaN(c.Values[step]) {
				return nil, false
			}
			y[j] = c.Values[step]
			if objectives[n] == Maximize {
				y[j] = -y[j]
			}
		}
		return y, true
	}
	mine, _ := point(trial)
	pts := [][]float64{mine}
	for _, o := range others {
		var on int
		for _, c := range o {
			on = c.Number
			break
		}
		if on == number || a.Bracket(on) != b {
			continue
		}
		if y, ok := point(o); ok {
			pts = append(pts, y)
		}
	}
	rank := frontRanks(pts)
	k := max(1, len(pts)/max(2, a.ReductionFactor))
	better := 0
	for i := 1; i < len(pts); i++ {
		if rank[i] < rank[0] {
			better++
		}
	}
	return better >= k
}

// frontRanks returns each point's non-dominated front (0 = Pareto front),
// minimization.
func frontRanks(pts [][]float64) []int {
	rank := make([]int, len(pts))
	for i := range rank {
		rank[i] = -1
	}
	left := len(pts)
	for r := 0; left > 0; r++ {
		var cur []int
		for i := range pts {
			if rank[i] >= 0 {
				continue
			}
			dom := false
			for j := range pts {
				if j != i && rank[j] < 0 && dominates(pts[j], pts[i]) {
					dom = true
					break
				}
			}
			if !dom {
				cur = append(cur, i)
			}
		}
		for _, i := range cur {
			rank[i] = r
		}
		left -= len(cur)
	}
	return rank
}

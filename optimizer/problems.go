package optimizer

import (
	"fmt"
	"math"
	"slices"
)

// Problem is a benchmark test function in BoTorch's conventions: objectives
// are minimized, and a constraint slack >= 0 means feasible.
type Problem struct {
	Name        string
	Lower       []float64
	Upper       []float64
	Objectives  int
	Constraints int
	// Eval returns the objective values and the constraint slacks at x.
	Eval func(x []float64) (f, slack []float64)
	// Optimum is the best feasible value (single objective).
	Optimum float64
	// Ref and MaxHV are the reference point and the best attainable
	// hypervolume (multi-objective).
	Ref   []float64
	MaxHV float64
	// Params, when set, replaces the default double parameters x0..x(d-1)
	// (same names, Lower/Upper still give the box): Eval gets an int as its
	// whole-number value and a categorical as the index of its value.
	Params []Parameter
	// Unseen marks a problem added after the tuner's defaults were chosen, so
	// its row measures generalization (issue 5: "problems it was never tuned on").
	Unseen bool
	// NoiseSD, when > 0, is the standard deviation of Gaussian noise added to
	// each observed objective; such a problem is scored by the true value at
	// the trial the method recommends (Study.Best).
	NoiseSD float64
	// Class names the issue-13 problem class a v2 problem stands for.
	Class string
}

// Dim is the number of inputs.
func (p Problem) Dim() int { return len(p.Lower) }

// Spec returns a study spec for the problem: doubles x0..x(d-1), minimized
// objectives f0.. with the reference point as thresholds, and constraint
// metrics c0.. (slack, maximize, threshold 0).
func (p Problem) Spec(seed int64, budget int) Spec {
	s := Spec{Name: p.Name, ObservationBudget: budget, Seed: seed, Parameters: p.parameters()}
	for j := 0; j < p.Objectives; j++ {
		m := Metric{Name: fmt.Sprintf("f%d", j), Objective: Minimize, Strategy: StrategyOptimize}
		if p.Ref != nil {
			r := p.Ref[j]
			m.Threshold = &r
		}
		s.Metrics = append(s.Metrics, m)
	}
	for j := 0; j < p.Constraints; j++ {
		zero := 0.0
		s.Metrics = append(s.Metrics, Metric{Name: fmt.Sprintf("c%d", j), Objective: Maximize, Strategy: StrategyConstraint, Threshold: &zero})
	}
	return s
}

// Metrics evaluates the problem at a trial's parameters and names the values
// as Spec does.
func (p Problem) Metrics(params map[string]any) map[string]float64 {
	x := make([]float64, p.Dim())
	for i, par := range p.parameters() {
		if par.Type == TypeCategorical {
			x[i] = float64(slices.Index(par.CategoricalValues, fmt.Sprint(params[par.Name])))
			continue
		}
		x[i], _ = toFloat(params[par.Name])
	}
	f, c := p.Eval(x)
	out := map[string]float64{}
	for j, v := range f {
		out[fmt.Sprintf("f%d", j)] = v
	}
	for j, v := range c {
		out[fmt.Sprintf("c%d", j)] = v
	}
	return out
}

// parameters is the problem's search space: Params, or doubles x0.. over
// Lower..Upper.
func (p Problem) parameters() []Parameter {
	if p.Params != nil {
		return p.Params
	}
	ps := make([]Parameter, p.Dim())
	for i := range ps {
		ps[i] = Parameter{Name: fmt.Sprintf("x%d", i), Type: TypeDouble, Bounds: &Bounds{Min: p.Lower[i], Max: p.Upper[i]}}
	}
	return ps
}

func branin(x1, x2 float64) float64 {
	b, c := 5.1/(4*math.Pi*math.Pi), 5/math.Pi
	t := x2 - b*x1*x1 + c*x1 - 6
	return t*t + 10*(1-1/(8*math.Pi))*math.Cos(x1) + 10
}

func currin(x0, x1 float64) float64 {
	num := 2300*x0*x0*x0 + 1900*x0*x0 + 2092*x0 + 60
	den := 100*x0*x0*x0 + 500*x0*x0 + 4*x0 + 20
	return (1 - math.Exp(-1/(2*x1))) * num / den
}

func hartmann6(x []float64) float64 {
	alpha := [4]float64{1, 1.2, 3, 3.2}
	a := [4][6]float64{{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}}
	p := [4][6]float64{{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991}, {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}}
	var f float64
	for i := 0; i < 4; i++ {
		var s float64
		for j := 0; j < 6; j++ {
			t := x[j] - 1e-4*p[i][j]
			s += a[i][j] * t * t
		}
		f -= alpha[i] * math.Exp(-s)
	}
	return f
}

func dtlz2(x []float64, m int) []float64 {
	var g float64
	for _, v := range x[m-1:] {
		g += (v - 0.5) * (v - 0.5)
	}
	f := make([]float64, m)
	for i := 0; i < m; i++ {
		v := 1 + g
		for _, xi := range x[:m-1-i] {
			v *= math.Cos(xi * math.Pi / 2)
		}
		if i > 0 {
			v *= math.Sin(x[m-1-i] * math.Pi / 2)
		}
		f[i] = v
	}
	return f
}

// c2Slack is the C2-DTLZ2 constraint (Deb & Jain 2014) with r = 0.2.
func c2Slack(f []float64) float64 {
	const r = 0.2
	m := len(f)
	min1 := math.Inf(1)
	for i := range f {
		t := (f[i] - 1) * (f[i] - 1)
		for j := range f {
			if j != i {
				t += f[j]*f[j] - r*r
			}
		}
		min1 = math.Min(min1, t)
	}
	var min2 float64
	for i := range f {
		d := f[i] - 1/math.Sqrt(float64(m))
		min2 += d*d - r*r
	}
	return -math.Min(min1, min2)
}

// Problems returns the benchmark problems of issue 5 with BoTorch's reference
// values (botorch/test_functions).
func Problems() []Problem {
	unit := func(d int) ([]float64, []float64) {
		lo, hi := make([]float64, d), make([]float64, d)
		for i := range hi {
			hi[i] = 1
		}
		return lo, hi
	}
	var ps []Problem
	ps = append(ps, Problem{Name: "Branin", Lower: []float64{-5, 0}, Upper: []float64{10, 15}, Objectives: 1,
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{branin(x[0], x[1])}, nil },
		Optimum: 0.397887})
	lo, hi := unit(6)
	ps = append(ps, Problem{Name: "Hartmann6", Lower: lo, Upper: hi, Objectives: 1,
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{hartmann6(x)}, nil },
		Optimum: -3.32237})
	lo, hi = unit(2)
	ps = append(ps, Problem{Name: "ConstrainedGramacy", Lower: lo, Upper: hi, Objectives: 1, Constraints: 2,
		Eval: func(x []float64) ([]float64, []float64) {
			c1 := x[0] + 2*x[1] + 0.5*math.Sin(2*math.Pi*(x[0]*x[0]-2*x[1])) - 1.5
			c2 := 1.5 - x[0]*x[0] - x[1]*x[1]
			return []float64{x[0] + x[1]}, []float64{c1, c2}
		},
		Optimum: 0.5998})
	lo, hi = unit(2)
	ps = append(ps, Problem{Name: "BraninCurrin", Lower: lo, Upper: hi, Objectives: 2,
		Eval: func(x []float64) ([]float64, []float64) {
			return []float64{branin(15*x[0]-5, 15*x[1]), currin(x[0], x[1])}, nil
		},
		Ref: []float64{18, 6}, MaxHV: 59.36011874867746})
	lo, hi = unit(6)
	ps = append(ps, Problem{Name: "DTLZ2", Lower: lo, Upper: hi, Objectives: 2,
		Eval: func(x []float64) ([]float64, []float64) { return dtlz2(x, 2), nil },
		Ref:  []float64{1.1, 1.1}, MaxHV: 0.424602})
	lo, hi = unit(4)
	ps = append(ps, Problem{Name: "C2-DTLZ2", Lower: lo, Upper: hi, Objectives: 2, Constraints: 1,
		Eval: func(x []float64) ([]float64, []float64) {
			f := dtlz2(x, 2)
			return f, []float64{c2Slack(f)}
		},
		Ref: []float64{1.1, 1.1}, MaxHV: 0.3996406303723544})
	lo, hi = unit(2)
	ps = append(ps, Problem{Name: "ConstrainedBraninCurrin", Lower: lo, Upper: hi, Objectives: 2, Constraints: 1,
		Eval: func(x []float64) ([]float64, []float64) {
			u0, u1 := 15*x[0]-5, 15*x[1]
			return []float64{branin(u0, u1), currin(x[0], x[1])}, []float64{50 - (u0-2.5)*(u0-2.5) - (u1-7.5)*(u1-7.5)}
		},
		Ref: []float64{80, 12}, MaxHV: 608.4004237022673})
	ps = append(ps, unseenProblems()...)
	return append(ps, v2Problems()...)
}

// ProblemByName returns the named benchmark problem.
func ProblemByName(name string) (Problem, bool) {
	for _, p := range Problems() {
		if p.Name == name {
			return p, true
		}
	}
	return Problem{}, false
}

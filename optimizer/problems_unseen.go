package optimizer

import "math"

// Problems added after the tuner's defaults were fixed (issue 5's "problems it
// was never tuned on"): a mixed integer/categorical space, a problem with four
// constraints, and badly scaled bounds with a log parameter. Each has an
// optimum known in closed form or from the literature.

// mixedBranin shifts and offsets per category: the category picks a shift of
// x0, the best integer k and a constant (values chosen here, not from a paper).
func mixedBraninTerms() (shift, best, offset [3]float64) {
	return [3]float64{0, 2, -1}, [3]float64{3, 11, 6}, [3]float64{1, 0, 0.5}
}

// tensionSpring is the tension/compression spring design problem (Belegundu
// 1982; Arora 1989, "Introduction to Optimum Design"): minimize the weight
// (N+2)·D·d² of a spring with wire diameter d, coil diameter D and N active
// coils under shear stress, surge frequency, deflection and outer-diameter
// constraints g_i <= 0; slack = −g_i. Best known value 0.012665 at
// (0.051689, 0.356718, 11.288966) (Coello & Mezura-Montes 2002; Mezura-Montes &
// Coello 2005).
func tensionSpring(x []float64) (f, slack []float64) {
	d, dd, n := x[0], x[1], x[2]
	g1 := 1 - dd*dd*dd*n/(71785*d*d*d*d)
	g2 := (4*dd*dd-d*dd)/(12566*(dd*d*d*d-d*d*d*d)) + 1/(5108*d*d) - 1
	g3 := 1 - 140.45*d/(dd*dd*n)
	g4 := (d+dd)/1.5 - 1
	return []float64{(n + 2) * dd * d * d}, []float64{-g1, -g2, -g3, -g4}
}

// hartmann6Scaled maps badly scaled inputs back to Hartmann6's unit cube:
// linear maps for all but x2, which is log-transformed over six decades.
func hartmann6ScaledBox() (lo, hi []float64) {
	return []float64{1e-3, 1e3, 1e-6, -5e4, 0, 1e6 - 0.5}, []float64{1e-2, 1e5, 1e-1, 5e4, 1e-5, 1e6 + 0.5}
}

func hartmann6Unit(x []float64) []float64 {
	lo, hi := hartmann6ScaledBox()
	u := make([]float64, 6)
	for i := range u {
		if i == 2 {
			u[i] = (math.Log(x[i]) - math.Log(lo[i])) / (math.Log(hi[i]) - math.Log(lo[i]))
		} else {
			u[i] = (x[i] - lo[i]) / (hi[i] - lo[i])
		}
	}
	return u
}

func unseenProblems() []Problem {
	var ps []Problem

	// MixedBranin: f = Branin(x0 − s_c, x1) + (k − k*_c)²/8 + b_c over x0 ∈
	// [−5, 10], x1 ∈ [0, 15], k ∈ {0..15}, c ∈ {a, b, c}. For every category
	// at least one of Branin's three minimizers stays in the box after the
	// shift, so the optimum is Branin's 0.397887 + min b_c = 0.397887 at c = b,
	// k = 11, (x0, x1) = (±π + 2, 12.275 / 2.275).
	cats := []string{"a", "b", "c"}
	ps = append(ps, Problem{Name: "MixedBranin", Lower: []float64{-5, 0, 0, 0}, Upper: []float64{10, 15, 15, 2}, Objectives: 1,
		Params: []Parameter{
			{Name: "x0", Type: TypeDouble, Bounds: &Bounds{Min: -5, Max: 10}},
			{Name: "x1", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 15}},
			{Name: "x2", Type: TypeInt, Bounds: &Bounds{Min: 0, Max: 15}},
			{Name: "x3", Type: TypeCategorical, CategoricalValues: cats},
		},
		Eval: func(x []float64) ([]float64, []float64) {
			shift, best, offset := mixedBraninTerms()
			c := int(x[3])
			dk := x[2] - best[c]
			return []float64{branin(x[0]-shift[c], x[1]) + dk*dk/8 + offset[c]}, nil
		},
		Optimum: 0.397887, Unseen: true})

	ps = append(ps, Problem{Name: "TensionSpring", Lower: []float64{0.05, 0.25, 2}, Upper: []float64{2, 1.3, 15},
		Objectives: 1, Constraints: 4, Eval: tensionSpring, Optimum: 0.012665, Unseen: true})

	// Hartmann6Scaled: Hartmann6 with inputs on ranges 1e-3..1e-2, 1e3..1e5,
	// 1e-6..1e-1 (log), −5e4..5e4, 0..1e-5 and 1e6 ± 0.5; same optimum −3.32237.
	lo, hi := hartmann6ScaledBox()
	var params []Parameter
	for i := range lo {
		p := Parameter{Name: "x" + string(rune('0'+i)), Type: TypeDouble, Bounds: &Bounds{Min: lo[i], Max: hi[i]}}
		if i == 2 {
			p.Transformation = "log"
		}
		params = append(params, p)
	}
	ps = append(ps, Problem{Name: "Hartmann6Scaled", Lower: lo, Upper: hi, Objectives: 1, Params: params,
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{hartmann6(hartmann6Unit(x))}, nil },
		Optimum: -3.32237, Unseen: true})
	return ps
}

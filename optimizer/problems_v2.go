package optimizer

import "math"

// Problems added for tuner v2 (issue 13), one per class the issue names:
// high-dimensional, noisy, log-scaled, three objectives, six or more
// constraints, three categoricals. Each states its source and optimum;
// problems_test.go checks every definition at its optimum.

// ackley is Ackley's function (Ackley 1987; BoTorch's Ackley): 0 at x = 0.
func ackley(x []float64) float64 {
	d := float64(len(x))
	var s1, s2 float64
	for _, v := range x {
		s1 += v * v
		s2 += math.Cos(2 * math.Pi * v)
	}
	return -20*math.Exp(-0.2*math.Sqrt(s1/d)) - math.Exp(s2/d) + 20 + math.E
}

// weldedBeam is the welded beam design problem (Ragsdell & Phillips 1976;
// the formulation of Coello 2000 and Cagnina et al. 2008): minimize the
// fabrication cost of a beam welded to a support, x = (h, l, t, b) weld
// thickness and length, beam height and thickness, under seven constraints
// g_i <= 0 (shear stress, bending stress, h <= b, a cost cap, h >= 0.125,
// deflection, buckling load); slack = −g_i. Best known 1.724852 at
// (0.205730, 3.470489, 9.036624, 0.205730) (Cagnina et al. 2008).
func weldedBeam(x []float64) (f, slack []float64) {
	const p, l0, e, g = 6000.0, 14.0, 30e6, 12e6
	const tauMax, sigmaMax, deltaMax = 13600.0, 30000.0, 0.25
	h, l, t, b := x[0], x[1], x[2], x[3]
	tau1 := p / (math.Sqrt2 * h * l)
	m := p * (l0 + l/2)
	r := math.Sqrt(l*l/4 + (h+t)*(h+t)/4)
	j := 2 * (math.Sqrt2 * h * l * (l*l/12 + (h+t)*(h+t)/4))
	tau2 := m * r / j
	tau := math.Sqrt(tau1*tau1 + 2*tau1*tau2*l/(2*r) + tau2*tau2)
	sigma := 6 * p * l0 / (b * t * t)
	delta := 4 * p * l0 * l0 * l0 / (e * t * t * t * b)
	pc := 4.013 * e * math.Sqrt(t*t*math.Pow(b, 6)/36) / (l0 * l0) * (1 - t/(2*l0)*math.Sqrt(e/(4*g)))
	cost := 1.10471*h*h*l + 0.04811*t*b*(14+l)
	gs := []float64{
		tau - tauMax,
		sigma - sigmaMax,
		h - b,
		0.10471*h*h + 0.04811*t*b*(14+l) - 5,
		0.125 - h,
		delta - deltaMax,
		p - pc,
	}
	// Scaled so each slack is O(1): stresses in units of their limit.
	scale := []float64{tauMax, sigmaMax, 1, 1, 1, deltaMax, p}
	slack = make([]float64, len(gs))
	for i := range gs {
		slack[i] = -gs[i] / scale[i]
	}
	return []float64{cost}, slack
}

// logScaled4 is a training-like problem with two log-scaled parameters
// whose good regions sit near the low ends of their ranges (constructed
// here; optimum by construction): learning rate lr ∈ [1e-5, 1] and weight
// decay wd ∈ [1e-7, 1e-1] on log scales, momentum m ∈ [0, 0.99], dropout
// p ∈ [0, 0.5]. The loss depends on the effective step log10(lr/(1−m)),
// which must be −3, so lr and m form a curved valley:
// f = 0.5(log10 lr − log10(1−m) + 3)² + 0.05(log10 wd + 6.7)² + 0.5(m − 0.95)² + 2(p − 0.1)²,
// minimum 0 at lr = 10^−4.30103 (5e-5), wd = 10^−6.7, m = 0.95, p = 0.1.
func logScaled4(x []float64) float64 {
	u, v, m, p := math.Log10(x[0]), math.Log10(x[1]), x[2], x[3]
	eff := u - math.Log10(1-m)
	return 0.5*(eff+3)*(eff+3) + 0.05*(v+6.7)*(v+6.7) + 0.5*(m-0.95)*(m-0.95) + 2*(p-0.1)*(p-0.1)
}

// catBranin3Terms: per category, the shift of x0 (c1), of x1 (c2) and the
// offsets of all three (constructed here, as MixedBranin).
func catBranin3Terms() (s1 [3]float64, s2 [4]float64, o1 [3]float64, o2 [4]float64, o3 [3]float64) {
	return [3]float64{0, 1.5, -1}, [4]float64{0, 2, -2, 1},
		[3]float64{0.5, 0, 0.25}, [4]float64{0.4, 0.2, 0, 0.6}, [3]float64{0.6, 0, 0.3}
}

func v2Problems() []Problem {
	var ps []Problem
	// Ackley-10 on the asymmetric box [−5, 10]^10 of BoTorch's TuRBO
	// tutorial (the centre of the symmetric box is the optimum): 0 at x = 0.
	lo, hi := make([]float64, 10), make([]float64, 10)
	for i := range lo {
		lo[i], hi[i] = -5, 10
	}
	ps = append(ps, Problem{Name: "Ackley10", Lower: lo, Upper: hi, Objectives: 1,
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{ackley(x)}, nil },
		Optimum: 0, Class: "d ≥ 10"})

	// Hartmann6 observed with N(0, 0.1²) noise (the noisy case);
	// scored by the true value at the trial each method recommends.
	lo, hi = make([]float64, 6), make([]float64, 6)
	for i := range hi {
		hi[i] = 1
	}
	ps = append(ps, Problem{Name: "Hartmann6Noisy", Lower: lo, Upper: hi, Objectives: 1,
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{hartmann6(x)}, nil },
		Optimum: -3.32237, NoiseSD: 0.1, Class: "noisy"})

	ps = append(ps, Problem{Name: "LogScaled4", Lower: []float64{1e-5, 1e-7, 0, 0}, Upper: []float64{1, 1e-1, 0.99, 0.5}, Objectives: 1,
		Params: []Parameter{
			{Name: "lr", Type: TypeDouble, Bounds: &Bounds{Min: 1e-5, Max: 1}, Transformation: "log"},
			{Name: "wd", Type: TypeDouble, Bounds: &Bounds{Min: 1e-7, Max: 1e-1}, Transformation: "log"},
			{Name: "momentum", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 0.99}},
			{Name: "dropout", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 0.5}},
		},
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{logScaled4(x)}, nil },
		Optimum: 0, Class: "log-scaled"})

	// LogEnd2 (defined here, for input warping): a learning rate and a
	// weight decay on log ranges, f = (lr − 0.6)² + 10(wd − 0.02)², lr in
	// [1e−5, 1], wd in [1e−6, 0.1]. The optimum, 0 at lr = 0.6 and wd = 0.02,
	// sits at 96 % and 86 % of the log ranges, where f varies fast in the
	// log-scaled input and is flat over the decades below it.
	ps = append(ps, Problem{Name: "LogEnd2", Lower: []float64{1e-5, 1e-6}, Upper: []float64{1, 1e-1}, Objectives: 1,
		Params: []Parameter{
			{Name: "lr", Type: TypeDouble, Bounds: &Bounds{Min: 1e-5, Max: 1}, Transformation: "log"},
			{Name: "wd", Type: TypeDouble, Bounds: &Bounds{Min: 1e-6, Max: 1e-1}, Transformation: "log"},
		},
		Eval:    func(x []float64) ([]float64, []float64) { return []float64{logEnd2(x)}, nil },
		Optimum: 0, Class: "log end"})

	// DTLZ2 with three objectives on 6 inputs (Deb et al. 2005), reference
	// point 1.1: the front is the positive octant of the unit sphere, so the
	// best hypervolume is 1.1³ − π/6 = 0.807401.
	lo, hi = make([]float64, 6), make([]float64, 6)
	for i := range hi {
		hi[i] = 1
	}
	ps = append(ps, Problem{Name: "DTLZ2-3obj", Lower: lo, Upper: hi, Objectives: 3,
		Eval: func(x []float64) ([]float64, []float64) { return dtlz2(x, 3), nil },
		Ref:  []float64{1.1, 1.1, 1.1}, MaxHV: 1.331 - math.Pi/6, Class: "3 objectives"})

	ps = append(ps, Problem{Name: "WeldedBeam", Lower: []float64{0.1, 0.1, 0.1, 0.1}, Upper: []float64{2, 10, 10, 2},
		Objectives: 1, Constraints: 7, Eval: weldedBeam, Optimum: 1.724852, Class: "7 constraints"})

	// CatBranin3: Branin(x0 − s1[c1], x1 − s2[c2]) + o1[c1] + o2[c2] + o3[c3]
	// over x0 ∈ [−5, 10], x1 ∈ [0, 15] and three categoricals of 3, 4 and 3
	// values. Every shifted Branin keeps a minimizer in the box, so the
	// optimum is 0.397887 at c1 = b, c2 = c, c3 = b (offsets 0).
	ps = append(ps, Problem{Name: "CatBranin3", Lower: []float64{-5, 0, 0, 0, 0}, Upper: []float64{10, 15, 2, 3, 2}, Objectives: 1,
		Params: []Parameter{
			{Name: "x0", Type: TypeDouble, Bounds: &Bounds{Min: -5, Max: 10}},
			{Name: "x1", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 15}},
			{Name: "c1", Type: TypeCategorical, CategoricalValues: []string{"a", "b", "c"}},
			{Name: "c2", Type: TypeCategorical, CategoricalValues: []string{"a", "b", "c", "d"}},
			{Name: "c3", Type: TypeCategorical, CategoricalValues: []string{"a", "b", "c"}},
		},
		Eval: func(x []float64) ([]float64, []float64) {
			s1, s2, o1, o2, o3 := catBranin3Terms()
			a, b, c := int(x[2]), int(x[3]), int(x[4])
			return []float64{branin(x[0]-s1[a], x[1]-s2[b]) + o1[a] + o2[b] + o3[c]}, nil
		},
		Optimum: 0.397887, Class: "3 categoricals"})
	return ps
}

func logEnd2(x []float64) float64 { return (x[0]-0.6)*(x[0]-0.6) + 10*(x[1]-0.02)*(x[1]-0.02) }

package optimizer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The problems not tuned on match their known optima, through the same
// parameter names and types a study hands to Metrics.
func TestUnseenProblemsAtOptimum(t *testing.T) {
	mb, ok := ProblemByName("MixedBranin")
	if !ok || !mb.Unseen {
		t.Fatal("MixedBranin missing or not marked unseen")
	}
	// c = b: shift 2, best k 11, offset 0; both in-box Branin minimizers.
	for _, x := range [][2]float64{{-math.Pi + 2, 12.275}, {math.Pi + 2, 2.275}} {
		m := mb.Metrics(map[string]any{"x0": x[0], "x1": x[1], "x2": int64(11), "x3": "b"})
		if math.Abs(m["f0"]-0.397887) > 1e-5 {
			t.Errorf("MixedBranin at %v, 11, b = %.7f, want 0.397887", x, m["f0"])
		}
	}
	// Other categories are worse by their offset at their own best k
	// (a: shift 0, k 3, +1; c: shift −1, k 6, +0.5), and a wrong k costs (Δk)²/8.
	for _, c := range []struct {
		x0   float64
		k    int64
		cat  string
		want float64
	}{{math.Pi, 3, "a", 1.397887}, {math.Pi - 1, 6, "c", 0.897887}, {math.Pi + 2, 9, "b", 0.897887}} {
		m := mb.Metrics(map[string]any{"x0": c.x0, "x1": 2.275, "x2": c.k, "x3": c.cat})
		if math.Abs(m["f0"]-c.want) > 1e-5 {
			t.Errorf("MixedBranin at %.4f, %d, %s = %.7f, want %.6f", c.x0, c.k, c.cat, m["f0"], c.want)
		}
	}
	// A study spec carries the int and categorical types.
	if s := mb.Spec(0, 10); s.Parameters[2].Type != TypeInt || s.Parameters[3].Type != TypeCategorical {
		t.Errorf("MixedBranin spec parameters %+v", s.Parameters)
	}

	ts, _ := ProblemByName("TensionSpring")
	xs := []float64{0.051689061, 0.356717736, 11.288965}
	f, c := ts.Eval(xs)
	if math.Abs(f[0]-0.0126652) > 2e-7 {
		t.Errorf("TensionSpring at best known point = %.7f, want 0.0126652", f[0])
	}
	// g1 and g2 are active at the optimum, g3 and g4 slack (Coello 2000, table 6:
	// g3 = −4.0538, g4 = −0.7277).
	if math.Abs(c[0]) > 1e-5 || math.Abs(c[1]) > 1e-5 || math.Abs(c[2]-4.0538) > 1e-3 || math.Abs(c[3]-0.7277) > 1e-3 {
		t.Errorf("TensionSpring slacks at optimum %v", c)
	}
	// No feasible point near it is better by more than rounding: 20000 points
	// within ±2 % of each coordinate.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := make([]float64, 3)
		for j := range x {
			x[j] = xs[j] * (1 + 0.04*(rng.Float64()-0.5))
		}
		if f, c := ts.Eval(x); feasibleSlack(c) && f[0] < 0.0126652-1e-7 {
			t.Fatalf("TensionSpring feasible %v with %.7f below the best known value", x, f[0])
		}
	}

	hs, _ := ProblemByName("Hartmann6Scaled")
	lo, hi := hartmann6ScaledBox()
	u := []float64{0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}
	params := map[string]any{}
	for i, ui := range u {
		v := lo[i] + ui*(hi[i]-lo[i])
		if i == 2 {
			v = math.Exp(math.Log(lo[i]) + ui*(math.Log(hi[i])-math.Log(lo[i])))
		}
		params["x"+string(rune('0'+i))] = v
	}
	if m := hs.Metrics(params); math.Abs(m["f0"]+3.32237) > 1e-5 {
		t.Errorf("Hartmann6Scaled at optimum = %.6f", m["f0"])
	}
	if s := hs.Spec(0, 10); s.Parameters[2].Transformation != "log" || s.Parameters[1].Bounds.Max != 1e5 {
		t.Errorf("Hartmann6Scaled spec parameters %+v", s.Parameters)
	}
}

// The v2 problems match their known optima (issue 13: "sources and optima
// cited and their definitions tested at the known optima").
func TestV2ProblemsAtOptimum(t *testing.T) {
	get := func(n string) Problem {
		p, ok := ProblemByName(n)
		if !ok || p.Class == "" {
			t.Fatalf("%s missing or without a class", n)
		}
		return p
	}
	if f, _ := get("Ackley10").Eval(make([]float64, 10)); math.Abs(f[0]) > 1e-12 {
		t.Errorf("Ackley10 at 0 = %g", f[0])
	}
	if f, _ := get("Ackley10").Eval([]float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}); f[0] < 0.5 {
		t.Errorf("Ackley10 away from 0 = %g", f[0])
	}
	hn := get("Hartmann6Noisy")
	if f, _ := hn.Eval([]float64{0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}); math.Abs(f[0]+3.32237) > 1e-5 || hn.NoiseSD != 0.1 {
		t.Errorf("Hartmann6Noisy at optimum %g (noise %g)", f[0], hn.NoiseSD)
	}
	ls := get("LogScaled4")
	opt := []float64{math.Pow(10, -3+math.Log10(0.05)), math.Pow(10, -6.7), 0.95, 0.1}
	if f, _ := ls.Eval(opt); math.Abs(f[0]) > 1e-12 || math.Abs(opt[0]-5e-5) > 1e-12 {
		t.Errorf("LogScaled4 at %v = %g", opt, f[0])
	}
	// the valley: a larger rate with less momentum costs only the momentum term
	if f, _ := ls.Eval([]float64{math.Pow(10, -3+math.Log10(0.5)), math.Pow(10, -6.7), 0.5, 0.1}); math.Abs(f[0]-0.5*0.45*0.45) > 1e-12 {
		t.Errorf("LogScaled4 along the valley = %g", f[0])
	}
	if s := ls.Spec(0, 10); s.Parameters[0].Transformation != "log" || s.Parameters[1].Transformation != "log" {
		t.Errorf("LogScaled4 spec %+v", s.Parameters)
	}
	d3 := get("DTLZ2-3obj")
	// points on the front (g = 0) are on the unit sphere; HV of a dense front
	// approaches the closed form from below
	var front [][]float64
	for i := 0; i <= 60; i++ {
		for j := 0; j <= 60; j++ {
			f, _ := d3.Eval([]float64{float64(i) / 60, float64(j) / 60, 0.5, 0.5, 0.5, 0.5})
			front = append(front, f)
		}
	}
	if hv := hypervolume(front, d3.Ref); hv > d3.MaxHV || d3.MaxHV-hv > 0.015 || math.Abs(d3.MaxHV-0.807401) > 1e-6 {
		t.Errorf("DTLZ2-3obj dense-front HV %.5f, max %.6f", hv, d3.MaxHV)
	}
	wb := get("WeldedBeam")
	xs := []float64{0.205729631527588, 3.47048892954990, 9.03662399165770, 0.205729643343445}
	f, c := wb.Eval(xs)
	if math.Abs(f[0]-1.7248524) > 1e-6 || len(c) != 7 {
		t.Errorf("WeldedBeam at best known = %.7f (%d constraints)", f[0], len(c))
	}
	for i, v := range c {
		if v < -1e-6 {
			t.Errorf("WeldedBeam constraint %d violated at the best known point: slack %g", i+1, v)
		}
	}
	// shear, bending and buckling are active there
	for _, i := range []int{0, 1, 6} {
		if c[i] > 1e-4 {
			t.Errorf("WeldedBeam constraint %d not active at the optimum: slack %g", i+1, c[i])
		}
	}
	// no feasible point near it is better by more than rounding
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		x := make([]float64, 4)
		for j := range x {
			x[j] = xs[j] * (1 + 0.04*(rng.Float64()-0.5))
		}
		if f, c := wb.Eval(x); feasibleSlack(c) && f[0] < 1.7248524-1e-6 {
			t.Fatalf("WeldedBeam feasible %v with %.7f below the best known value", x, f[0])
		}
	}
	cb := get("CatBranin3")
	for _, x := range [][2]float64{{-math.Pi + 1.5, 12.275 - 2}, {math.Pi + 1.5, 2.275 - 2}} {
		m := cb.Metrics(map[string]any{"x0": x[0], "x1": x[1], "c1": "b", "c2": "c", "c3": "b"})
		if math.Abs(m["f0"]-0.397887) > 1e-5 {
			t.Errorf("CatBranin3 optimum at %v = %.6f", x, m["f0"])
		}
	}
	if m := cb.Metrics(map[string]any{"x0": math.Pi, "x1": 2.275, "c1": "a", "c2": "a", "c3": "a"}); math.Abs(m["f0"]-(0.397887+1.5)) > 1e-5 {
		t.Errorf("CatBranin3 at a, a, a = %.6f, want 1.897887", m["f0"])
	}
}

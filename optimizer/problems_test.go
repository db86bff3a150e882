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

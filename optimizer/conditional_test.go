package optimizer

import (
	"math"
	"testing"
)

func conditionalSpec(seed int64) Spec {
	return Spec{Name: "cond", Seed: seed, ObservationBudget: 40, Parameters: []Parameter{
		{Name: "optimizer", Type: TypeCategorical, CategoricalValues: []string{"sgd", "adam"}},
		{Name: "lr", Type: TypeDouble, Bounds: &Bounds{Min: 1e-4, Max: 1}, Transformation: "log"},
		{Name: "momentum", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 0.99}, Conditions: map[string]Values{"optimizer": {"sgd"}}},
		{Name: "beta1", Type: TypeDouble, Bounds: &Bounds{Min: 0.5, Max: 0.999}, Conditions: map[string]Values{"optimizer": {"adam"}}},
	}, Metrics: []Metric{{Name: "loss", Objective: Minimize}}}
}

// condLoss: adam is best with beta1 near 0.9 and lr near 1e-3; sgd needs
// momentum near 0.9 and lr near 1e-2 and is worse by 0.2 at its best.
func condLoss(p map[string]any) float64 {
	lr := math.Log10(p["lr"].(float64))
	if p["optimizer"] == "adam" {
		b := p["beta1"].(float64)
		return (lr+3)*(lr+3)/4 + 10*(b-0.9)*(b-0.9)
	}
	m := p["momentum"].(float64)
	return 0.2 + (lr+2)*(lr+2)/4 + 4*(m-0.9)*(m-0.9)
}

// Issue 13 item 7: a conditional parameter is suggested exactly when its
// condition holds, trials without it encode, and the study still optimizes.
func TestConditionalSpace(t *testing.T) {
	var bests []float64
	var s *Study
	for seed := int64(1); seed <= 3; seed++ {
		var err error
		s, err = NewStudy(conditionalSpec(seed))
		if err != nil {
			t.Fatal(err)
		}
		best := math.Inf(1)
		for i := 0; i < 40; i++ {
			ts, err := s.Ask(1)
			if err != nil {
				t.Fatal(err)
			}
			p := ts[0].Params
			_, hasM := p["momentum"]
			_, hasB := p["beta1"]
			if (p["optimizer"] == "sgd") != hasM || (p["optimizer"] == "adam") != hasB || len(p) != 3 {
				t.Fatalf("trial %d params %v: momentum must be there exactly for sgd, beta1 exactly for adam", i, p)
			}
			v := condLoss(p)
			best = math.Min(best, v)
			if err := s.Tell(ts[0].Number, map[string]float64{"loss": v}); err != nil {
				t.Fatal(err)
			}
		}
		bests = append(bests, best)
	}
	// optimum 0 (adam, lr 1e-3, beta1 0.9); sgd's best is 0.2
	if median(bests) > 0.01 {
		t.Fatalf("best losses %v over seeds 1..3; want a median ≤ 0.01", bests)
	}
	// A study rebuilt from the trials accepts them (inactive ones absent).
	if _, err := NewStudy(conditionalSpec(3), WithTrials(s.Trials())); err != nil {
		t.Fatal(err)
	}
	// A spec naming an unknown or non-categorical parent is refused.
	bad := conditionalSpec(1)
	bad.Parameters[2].Conditions = map[string]Values{"lr": {"x"}}
	if err := bad.Validate(); err == nil {
		t.Fatal("condition on a double accepted")
	}
}

package optimizer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// PED-ANOVA ranks a parameter that decides the objective far above ones that
// do not matter, a categorical included, and sums to 1 (issue 13 item 8).
func TestImportancePEDANOVA(t *testing.T) {
	spec := Spec{Name: "imp", Seed: 1, Parameters: []Parameter{
		{Name: "lr", Type: TypeDouble, Bounds: &Bounds{Min: 1e-4, Max: 1}, Transformation: "log"},
		{Name: "noise1", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}},
		{Name: "act", Type: TypeCategorical, CategoricalValues: []string{"relu", "tanh", "gelu"}},
		{Name: "noise2", Type: TypeInt, Bounds: &Bounds{Min: 1, Max: 8}},
	}, Metrics: []Metric{{Name: "loss", Objective: Minimize}}}
	rng := rand.New(rand.NewPCG(1, 2))
	var ts []Trial
	acts := []string{"relu", "tanh", "gelu"}
	for i := 0; i < 200; i++ {
		lr := math.Pow(10, -4+4*rng.Float64())
		act := acts[rng.IntN(3)]
		loss := math.Pow(math.Log10(lr)+2, 2) + map[string]float64{"relu": 0, "tanh": 0.6, "gelu": 0.3}[act]
		ts = append(ts, Trial{Number: i, Status: StatusCompleted, Metrics: map[string]float64{"loss": loss},
			Params: map[string]any{"lr": lr, "noise1": rng.Float64(), "act": act, "noise2": int64(1 + rng.IntN(8))}})
	}
	s, err := NewStudy(spec, WithTrials(ts))
	if err != nil {
		t.Fatal(err)
	}
	imp := s.Importance()
	var sum float64
	for _, v := range imp {
		sum += v
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("importances %v sum to %g", imp, sum)
	}
	if !(imp["lr"] > 3*imp["noise1"] && imp["lr"] > 3*imp["noise2"] && imp["act"] > imp["noise1"] && imp["act"] > imp["noise2"]) {
		t.Fatalf("importances %v: want lr ≫ noise1, noise2 and act above both", imp)
	}
	// fewer than 10 evaluated trials and no fitted model: nothing to say yet;
	// once a model is fitted, its length scales speak
	small, _ := NewStudy(spec, WithTrials(ts[:5]), WithInitialDesign(2))
	if len(small.Importance()) != 0 {
		t.Fatalf("5 trials: %v", small.Importance())
	}
	if _, err := small.Ask(1); err != nil {
		t.Fatal(err)
	}
	if imp := small.Importance(); len(imp) != 4 {
		t.Fatalf("5 trials and a fitted model: %v", imp)
	}
}

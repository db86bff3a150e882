package optimizer

import (
	"math"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// Issue 13 item 7: a study warm-started from a finished study's trials skips
// the design and starts from what the prior study learned; a prior study
// over a subset of the parameters works too, and one with a parameter this
// study lacks is refused.
func TestWarmStartFromPriorStudy(t *testing.T) {
	p, _ := ProblemByName("Branin")
	// the finished study: 30 trials
	old, err := NewStudy(p.Spec(5, 30))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		ts, _ := old.Ask(1)
		_ = old.Tell(ts[0].Number, p.Metrics(ts[0].Params))
	}
	bestOf := func(s *Study, n int) float64 {
		b := math.Inf(1)
		for i := 0; i < n; i++ {
			ts, err := s.Ask(1)
			if err != nil {
				t.Fatal(err)
			}
			m := p.Metrics(ts[0].Params)
			b = math.Min(b, m["f0"])
			_ = s.Tell(ts[0].Number, m)
		}
		return b
	}
	warm, err := NewStudy(p.Spec(6, 10), WithPriorTrials(old.Spec(), old.Trials()))
	if err != nil {
		t.Fatal(err)
	}
	cold, _ := NewStudy(p.Spec(6, 10))
	w, c := bestOf(warm, 5), bestOf(cold, 5)
	if !(w < 0.45 && w < c) {
		t.Fatalf("best of the first 5 trials: warm-started %.4f, cold %.4f; want warm < 0.45 and below cold", w, c)
	}
	if len(warm.Trials()) != 5 {
		t.Fatalf("prior trials counted as the study's own: %d trials", len(warm.Trials()))
	}

	// A subset space: the prior study had x0 only (x1 fixed at 12.275 there).
	sub := Spec{Name: "sub", Parameters: p.Spec(0, 0).Parameters[:1], Metrics: p.Spec(0, 0).Metrics}
	var ts []Trial
	for i := 0; i < 20; i++ {
		x0 := -5 + 15*float64(i)/19
		ts = append(ts, Trial{Number: i, Status: StatusCompleted, Params: map[string]any{"x0": x0},
			Metrics: map[string]float64{"f0": branin(x0, 12.275)}})
	}
	s, err := NewStudy(p.Spec(7, 10), WithPriorTrials(sub, ts))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.priors) != 20 || s.priors[0].x[1] != 0.5 {
		t.Fatalf("subset-space priors: %d, x1 imputed at %v", len(s.priors), s.priors[0].x)
	}
	if _, err := s.Ask(2); err != nil {
		t.Fatal(err)
	}

	// A prior study with a parameter this study lacks is refused.
	extra := p.Spec(0, 0)
	extra.Parameters = append(extra.Parameters, Parameter{Name: "z", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}})
	if _, err := NewStudy(p.Spec(7, 10), WithPriorTrials(extra, nil)); !config.IsInput(err) {
		t.Fatalf("superset prior: %v", err)
	}
}

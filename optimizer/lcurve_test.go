package optimizer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// lcTrial is one configuration of the learning-curve problem: validation
// error e(t) = c + a·t^(−α) after t steps (the pow3 family, which Domhan et
// al. 2015, "Speeding up automatic hyperparameter optimization of deep
// neural networks by extrapolation of learning curves", found among the
// best single fits to real learning curves), observed with N(0, 0.005²)
// noise. A configuration's learning rate sets both its asymptote and its
// speed: large rates learn fast and plateau high, small ones are slow
// starters that end best, so curves cross and a rule that judges too early
// loses the best configuration.
type lcTrial struct{ c, a, alpha float64 }

func lcConfig(rng *rand.Rand) lcTrial {
	lr := math.Pow(10, -4+3*rng.Float64()) // 1e-4 .. 1e-1
	width := 16 + rng.IntN(496)
	u := math.Log10(lr) + 2.5 // 0 at lr = 10^−2.5, the best asymptote
	c := 0.08 + 0.04*u*u + 0.02*math.Abs(math.Log2(float64(width)/128))
	alpha := 0.3 + 0.25*(math.Log10(lr)+4) // faster with a larger rate
	return lcTrial{c: c, a: 0.9 - c, alpha: alpha}
}

func (t lcTrial) at(step int) float64 { return t.c + t.a*math.Pow(float64(step+1), -t.alpha) }

// lcRun trains n random configurations one after another for up to steps
// steps each, asking stop after every step, and returns the total steps
// trained and the best final error (noiseless) of the trials that trained to
// the end.
func lcRun(seed int64, n, steps int, stop func(others []Curve, trial Curve, step int) bool) (total int, best float64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 5))
	noise := rand.New(rand.NewPCG(uint64(seed), 6))
	best = math.Inf(1)
	var done []Curve
	for i := 0; i < n; i++ {
		cfg := lcConfig(rng)
		c := Curve{Number: i}
		for t := 0; t < steps; t++ {
			c.Values = append(c.Values, cfg.at(t)+0.005*noise.NormFloat64())
			total++
			if t < steps-1 && stop != nil && stop(done, c, t) {
				break
			}
		}
		if len(c.Values) == steps {
			best = math.Min(best, cfg.at(steps-1))
		}
		done = append(done, c)
	}
	return total, best
}

// BenchmarkLearningCurve compares total training steps and the best final
// error for no stopping, the median rule, ASHA and Hyperband on the
// learning-curve problem: 81 configurations of up to 81 steps, 10 seeds
// (LATHE_BENCH_SEEDS), medians.
func BenchmarkLearningCurve(b *testing.B) {
	seeds := envInt("LATHE_BENCH_SEEDS", 10)
	const n, steps = 81, 81
	rules := []struct {
		name string
		es   *EarlyStopping
	}{
		{"none", nil},
		{"median (min_steps 5)", &EarlyStopping{Rule: "median", MinSteps: 5}},
		{"asha (η 3, 1..81)", &EarlyStopping{Rule: "asha", MinSteps: 1, MaxSteps: steps, ReductionFactor: 3}},
		{"asha (η 3, 3..81)", &EarlyStopping{Rule: "asha", MinSteps: 3, MaxSteps: steps, ReductionFactor: 3}},
		{"asha (η 3, 9..81)", &EarlyStopping{Rule: "asha", MinSteps: 9, MaxSteps: steps, ReductionFactor: 3}},
		{"hyperband (η 3, 3..81)", &EarlyStopping{Rule: "hyperband", MinSteps: 3, MaxSteps: steps, ReductionFactor: 3}},
		{"hyperband (η 3, 1..81)", &EarlyStopping{Rule: "hyperband", MinSteps: 1, MaxSteps: steps, ReductionFactor: 3}},
	}
	for i := 0; i < b.N; i++ {
		fmt.Printf("\nLearning-curve benchmark: %d configurations × up to %d steps, medians of %d seeds\n", n, steps, seeds)
		fmt.Println("| rule                   | total steps | vs none | best final error | gap to none's |")
		fmt.Println("|------------------------|-------------|---------|------------------|---------------|")
		var base []float64
		var baseBest []float64
		for _, r := range rules {
			var tot, best, gap []float64
			for sd := 0; sd < seeds; sd++ {
				var stop func([]Curve, Curve, int) bool
				if r.es != nil {
					spec := Spec{Name: "lc", Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
						Metrics: []Metric{{Name: "err", Objective: Minimize}}, EarlyStopping: r.es}
					s, err := NewStudy(spec)
					if err != nil {
						b.Fatal(err)
					}
					stop = func(o []Curve, c Curve, t int) bool { return s.ShouldStopCurve("err", o, c, t) }
				}
				t, bs := lcRun(int64(sd), n, steps, stop)
				tot, best = append(tot, float64(t)), append(best, bs)
				if r.es == nil {
					base, baseBest = append(base, float64(t)), append(baseBest, bs)
				}
				gap = append(gap, bs-baseBest[sd])
			}
			if os.Getenv("LATHE_BENCH_VERBOSE") != "" {
				fmt.Println(r.name, tot, best)
			}
			fmt.Printf("| %-22s | %11.0f | %6.2f× | %16.4f | %13.4f |\n", r.name, median(tot), median(base)/median(tot), median(best), median(gap))
		}
	}
}

// ASHA stops a hopeless run at its first rung, lets a promising one go on,
// and never judges between rungs or at the last step.
func TestASHAStopsHopeless(t *testing.T) {
	a := ASHA{MinSteps: 1, MaxSteps: 27, ReductionFactor: 3}
	var others []Curve
	for i := 0; i < 6; i++ {
		others = append(others, Curve{Number: i, Values: []float64{0.5 - 0.01*float64(i), 0.4, 0.3, 0.2}})
	}
	hopeless := Curve{Number: 9, Values: []float64{0.95}}
	if !a.ShouldStop(others, hopeless, 0, Minimize) {
		t.Fatal("a run far worse than every other at rung 1 was not stopped")
	}
	good := Curve{Number: 10, Values: []float64{0.3}}
	if a.ShouldStop(others, good, 0, Minimize) {
		t.Fatal("the best run at rung 1 was stopped")
	}
	// step 2 (3 steps done) is rung 1, step 1 is between rungs
	mid := Curve{Number: 11, Values: []float64{0.45, 0.9, 0.9}}
	if a.ShouldStop(others, mid, 1, Minimize) {
		t.Fatal("judged between rungs")
	}
	if !a.ShouldStop(others, mid, 2, Minimize) {
		t.Fatal("a run worst at rung 3 steps was not stopped")
	}
	// maximization flips the order
	if a.ShouldStop(others, Curve{Number: 12, Values: []float64{0.95}}, 0, Maximize) {
		t.Fatal("the best run (maximize) was stopped")
	}
	// rungs 1, 3, 9; 27 is the end of training
	for steps, want := range map[int]int{1: 0, 3: 1, 9: 2, 27: -1, 2: -1, 81: -1} {
		if got := a.rung(steps, 0); got != want {
			t.Errorf("rung(%d) = %d, want %d", steps, got, want)
		}
	}
	// Through a study spec, and for hyperband the brackets start later.
	s, err := NewStudy(Spec{Name: "a", Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
		Metrics:       []Metric{{Name: "err", Objective: Minimize}},
		EarlyStopping: &EarlyStopping{Rule: "hyperband", MinSteps: 1, MaxSteps: 27}})
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := ASHAFor(s.Spec().EarlyStopping)
	if hb.Brackets != 3 || hb.rung(1, 1) != -1 || hb.rung(3, 1) != 0 {
		t.Fatalf("hyperband %+v: rung(1, bracket 1) = %d, rung(3, 1) = %d", hb, hb.rung(1, 1), hb.rung(3, 1))
	}
}

// MO-ASHA ranks by non-dominated sorting: a run dominated by most others
// stops; one on the front continues even when it is worst on one objective.
func TestASHAMultiObjective(t *testing.T) {
	a := ASHA{MinSteps: 1, ReductionFactor: 3}
	objs := map[string]string{"err": Minimize, "speed": Maximize}
	mk := func(n int, err, speed float64) map[string]Curve {
		return map[string]Curve{"err": {Number: n, Values: []float64{err}}, "speed": {Number: n, Values: []float64{speed}}}
	}
	var others []map[string]Curve
	for i := 0; i < 6; i++ {
		others = append(others, mk(i, 0.2+0.05*float64(i), 10-float64(i)))
	}
	if !a.ShouldStopMulti(others, mk(7, 0.6, 2), 0, objs) {
		t.Fatal("a dominated run was not stopped")
	}
	if a.ShouldStopMulti(others, mk(8, 0.9, 20), 0, objs) {
		t.Fatal("a run on the front (fastest, worst error) was stopped")
	}
}

// On the learning-curve problem ASHA (first rung at 9 of 81 steps) and
// Hyperband reach the final error of training every configuration fully
// with at least 2× fewer steps (issue 13 item 6). ASHA from step 1 saves 20×
// but stops the slow starters that end best (see BENCHMARKS.md).
func TestASHAHalvesTrainingSteps(t *testing.T) {
	for _, es := range []*EarlyStopping{
		{Rule: "asha", MinSteps: 9, MaxSteps: 81, ReductionFactor: 3},
		{Rule: "hyperband", MinSteps: 1, MaxSteps: 81, ReductionFactor: 3},
	} {
		s, err := NewStudy(Spec{Name: "lc", Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
			Metrics: []Metric{{Name: "err", Objective: Minimize}}, EarlyStopping: es})
		if err != nil {
			t.Fatal(err)
		}
		var ratios, gaps []float64
		for sd := int64(0); sd < 5; sd++ {
			full, fb := lcRun(sd, 81, 81, nil)
			part, pb := lcRun(sd, 81, 81, func(o []Curve, c Curve, st int) bool { return s.ShouldStopCurve("err", o, c, st) })
			ratios, gaps = append(ratios, float64(full)/float64(part)), append(gaps, pb-fb)
		}
		if median(ratios) < 2 || median(gaps) > 0.001 {
			t.Errorf("%s: steps saved %.2f×, final error gap %.4f (seeds: %v, %v); want ≥ 2× with a gap ≤ 0.001", es.Rule, median(ratios), median(gaps), ratios, gaps)
		}
	}
}

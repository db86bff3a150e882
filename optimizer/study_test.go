package optimizer

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func mixedSpec(seed int64) Spec {
	thr := 100.0
	return Spec{Name: "mixed", Seed: seed, ObservationBudget: 40,
		Parameters: []Parameter{
			{Name: "lr", Type: TypeDouble, Bounds: &Bounds{Min: 1e-4, Max: 0.3}, Transformation: "log"},
			{Name: "hidden", Type: TypeInt, Bounds: &Bounds{Min: 4, Max: 256}},
			{Name: "act", Type: TypeCategorical, CategoricalValues: []string{"relu", "tanh", "gelu"}},
		},
		Metrics: []Metric{
			{Name: "acc", Objective: Maximize},
			{Name: "ms", Objective: Minimize, Strategy: StrategyConstraint, Threshold: &thr},
		}}
}

// mixedEval is a made-up response: best near lr=0.01, hidden=64, gelu;
// inference time grows with hidden.
func mixedEval(p map[string]any) map[string]float64 {
	lr := p["lr"].(float64)
	h := float64(p["hidden"].(int64))
	a := map[string]float64{"relu": 0, "tanh": 0.05, "gelu": -0.02}[p["act"].(string)]
	acc := 0.95 - 0.02*math.Pow(math.Log10(lr)+2, 2) - 0.05*math.Pow(math.Log2(h/64), 2)/4 - a
	return map[string]float64{"acc": acc, "ms": h * 0.6}
}

func TestSpaceRoundTrip(t *testing.T) {
	sp := newSpace(mixedSpec(1).Parameters)
	if sp.dim != 5 {
		t.Fatalf("dim %d, want 5 (lr, hidden, 3 one-hot)", sp.dim)
	}
	vals := map[string]any{"lr": 0.01, "hidden": int64(64), "act": "tanh"}
	u, err := sp.encode(vals)
	if err != nil {
		t.Fatal(err)
	}
	// log scale: (ln 0.01 − ln 1e-4)/(ln 0.3 − ln 1e-4); int widened: (64 − 3.5)/(256.5 − 3.5)
	want := []float64{(math.Log(0.01) - math.Log(1e-4)) / (math.Log(0.3) - math.Log(1e-4)), (64 - 3.5) / 253.0, 0, 1, 0}
	for i := range want {
		if math.Abs(u[i]-want[i]) > 1e-12 {
			t.Fatalf("encode %v, want %v", u, want)
		}
	}
	back := sp.decode(u)
	if math.Abs(back["lr"].(float64)-0.01) > 1e-12 || back["hidden"] != int64(64) || back["act"] != "tanh" {
		t.Fatalf("decode %v", back)
	}
	// ints: every integer owns an equal cell; the ends round inward
	for _, c := range []struct {
		u    float64
		want int64
	}{{0, 4}, {1, 256}, {0.5 / 253, 4}, {1.5 / 253, 5}} {
		u := []float64{0.5, c.u, 1, 0, 0}
		if got := sp.decode(u)["hidden"]; got != c.want {
			t.Errorf("decode hidden at %g = %v, want %d", c.u, got, c.want)
		}
	}
	if _, err := sp.encode(map[string]any{"lr": 0.5, "hidden": int64(64), "act": "tanh"}); err == nil {
		t.Fatal("out-of-bounds lr accepted")
	}
}

// The same seed gives the same suggestions, a different seed different ones,
// and MarshalState/RestoreStudy continues exactly where the study was.
func TestReproducibleAndRestore(t *testing.T) {
	run := func(seed int64, n int) (*Study, []Trial) {
		s, err := NewStudy(mixedSpec(seed), WithInitialDesign(5))
		if err != nil {
			t.Fatal(err)
		}
		var all []Trial
		for i := 0; i < n; i++ {
			ts, err := s.Ask(1)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Tell(ts[0].Number, mixedEval(ts[0].Params)); err != nil {
				t.Fatal(err)
			}
			all = append(all, ts[0])
		}
		return s, all
	}
	_, a := run(7, 9)
	sb, b := run(7, 9)
	_, c := run(8, 9)
	for i := range a {
		if fmt.Sprint(a[i].Params) != fmt.Sprint(b[i].Params) {
			t.Fatalf("trial %d differs for the same seed: %v vs %v", i, a[i].Params, b[i].Params)
		}
	}
	if fmt.Sprint(a[0].Params) == fmt.Sprint(c[0].Params) {
		t.Fatalf("seeds 7 and 8 gave the same first trial %v", a[0].Params)
	}
	state, err := sb.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := RestoreStudy(state)
	if err != nil {
		t.Fatal(err)
	}
	x, err1 := sb.Ask(2)
	y, err2 := rs.Ask(2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i := range x {
		if fmt.Sprint(x[i]) != fmt.Sprint(y[i]) {
			t.Fatalf("restored study suggests %v, original %v", y[i], x[i])
		}
	}
}

// No assignment is suggested twice; a finite space runs out with ErrExhausted.
func TestNeverDuplicate(t *testing.T) {
	spec := Spec{Name: "tiny", Seed: 1,
		Parameters: []Parameter{
			{Name: "n", Type: TypeInt, Bounds: &Bounds{Min: 1, Max: 3}},
			{Name: "c", Type: TypeCategorical, CategoricalValues: []string{"a", "b"}},
		},
		Metrics: []Metric{{Name: "y", Objective: Minimize}}}
	s, err := NewStudy(spec, WithInitialDesign(2))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 6; i++ {
		ts, err := s.Ask(1)
		if err != nil {
			t.Fatalf("ask %d: %v", i, err)
		}
		k := fmt.Sprint(ts[0].Params)
		if seen[k] {
			t.Fatalf("duplicate suggestion %s", k)
		}
		seen[k] = true
		n := float64(ts[0].Params["n"].(int64))
		_ = s.Tell(ts[0].Number, map[string]float64{"y": (n - 2) * (n - 2)})
	}
	if _, err := s.Ask(1); !errors.Is(err, ErrExhausted) {
		t.Fatalf("7th ask in a 6-point space: %v", err)
	}
	// Batches never repeat within themselves either.
	s2, _ := NewStudy(mixedSpec(3), WithInitialDesign(4))
	for i := 0; i < 3; i++ {
		ts, err := s2.Ask(4)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			k := fmt.Sprint(tr.Params)
			if seen[k] {
				t.Fatalf("duplicate in batch: %s", k)
			}
			seen[k] = true
			_ = s2.Tell(tr.Number, mixedEval(tr.Params))
		}
	}
}

// A study learns from failures: when every run with hidden > 128 fails, most
// model-based suggestions stay out of that half.
func TestFailuresTeachTheModel(t *testing.T) {
	s, _ := NewStudy(mixedSpec(5), WithInitialDesign(8))
	inFailed := 0
	for i := 0; i < 24; i++ {
		ts, err := s.Ask(1)
		if err != nil {
			t.Fatal(err)
		}
		p := ts[0].Params
		if p["hidden"].(int64) > 128 {
			if i >= 8 {
				inFailed++
			}
			_ = s.TellFailed(ts[0].Number)
			continue
		}
		_ = s.Tell(ts[0].Number, mixedEval(p))
	}
	// The failing half is half the space; blind sampling would land there ~8 times.
	if inFailed > 3 {
		t.Fatalf("%d of 16 model-based suggestions were in the failing region", inFailed)
	}
}

func TestTellValidation(t *testing.T) {
	s, _ := NewStudy(mixedSpec(1))
	ts, _ := s.Ask(1)
	if err := s.Tell(ts[0].Number, map[string]float64{"acc": 1, "bogus": 2}); err == nil {
		t.Fatal("unknown metric accepted")
	}
	if err := s.Tell(ts[0].Number, map[string]float64{"ms": 2}); err == nil {
		t.Fatal("missing objective accepted")
	}
	if err := s.Tell(ts[0].Number, map[string]float64{"acc": math.NaN()}); err == nil {
		t.Fatal("NaN accepted")
	}
	if err := s.Tell(5, map[string]float64{"acc": 1}); err == nil {
		t.Fatal("unknown trial accepted")
	}
	if err := s.Tell(ts[0].Number, map[string]float64{"acc": 0.9, "ms": 150}); err != nil {
		t.Fatal(err)
	}
	if err := s.Tell(ts[0].Number, map[string]float64{"acc": 0.9}); err == nil {
		t.Fatal("told twice")
	}
	if s.Feasible(0) {
		t.Fatal("ms 150 > threshold 100 but feasible")
	}
	if !s.ViolatesConstraint("ms", 101) || s.ViolatesConstraint("ms", 99) || s.ViolatesConstraint("acc", -5) {
		t.Fatal("ViolatesConstraint")
	}
}

// Pareto, Best and Hypervolume on hand-made values.
func TestParetoBestHypervolume(t *testing.T) {
	r0, r1 := 10.0, 10.0
	spec := Spec{Name: "mo", Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
		Metrics: []Metric{{Name: "a", Objective: Minimize, Threshold: &r0}, {Name: "b", Objective: Maximize, Threshold: &r1}}}
	trials := []Trial{
		{Number: 0, Params: map[string]any{"x": 0.1}, Status: StatusCompleted, Metrics: map[string]float64{"a": 2, "b": 18}},
		{Number: 1, Params: map[string]any{"x": 0.2}, Status: StatusCompleted, Metrics: map[string]float64{"a": 5, "b": 15}}, // dominated by 0
		{Number: 2, Params: map[string]any{"x": 0.3}, Status: StatusCompleted, Metrics: map[string]float64{"a": 6, "b": 20}},
		{Number: 3, Params: map[string]any{"x": 0.4}, Status: StatusFailed},
		{Number: 4, Params: map[string]any{"x": 0.5}, Status: StatusPruned, Metrics: map[string]float64{"a": 0, "b": 30}},
	}
	s, err := NewStudy(spec, WithTrials(trials))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.Pareto()); got != "[0 2]" {
		t.Fatalf("Pareto %s, want [0 2]", got)
	}
	// minimized form: (2, −18), (6, −20) with reference (10, −10):
	// 8·8 + (10 − 6)·(−18 − (−20)) = 64 + 8 = 72
	if hv := s.Hypervolume(); math.Abs(hv-72) > 1e-12 {
		t.Fatalf("hypervolume %v, want 72", hv)
	}
	if got := s.Trials()[4]; got.Status != StatusPruned || got.Metrics["b"] != 30 {
		t.Fatalf("pruned trial lost its partial values: %+v", got)
	}
	if b, ok := s.Best(); !ok || b != 0 {
		t.Fatalf("best %d %v, want 0 (closest to the ideal point)", b, ok)
	}
}

// A two-point front must not tie: each objective is scaled to the reference
// point (the threshold here), so one extra parameter out of a 2000 budget
// does not outweigh accuracy from 0.29 to 1.0.
func TestBestScalesToReferencePoint(t *testing.T) {
	limit := 2000.0
	spec := Spec{Name: "mo", Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
		Metrics: []Metric{{Name: "acc", Objective: Maximize}, {Name: "params", Objective: Minimize, Threshold: &limit}}}
	trials := []Trial{
		{Number: 0, Params: map[string]any{"x": 0.1}, Status: StatusCompleted, Metrics: map[string]float64{"acc": 0.29, "params": 29}},
		{Number: 1, Params: map[string]any{"x": 0.2}, Status: StatusCompleted, Metrics: map[string]float64{"acc": 1.0, "params": 30}},
	}
	s, err := NewStudy(spec, WithTrials(trials))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := s.Best(); !ok || b != 1 {
		t.Fatalf("best %d %v, want 1 (accuracy 1.0 for one more parameter)", b, ok)
	}
}

func TestShouldStopMedian(t *testing.T) {
	others := [][]float64{{1.0, 0.8, 0.6, 0.5}, {1.1, 0.9, 0.7, 0.6}, {0.9, 0.7, 0.5, 0.4}}
	// running averages at step 2: 0.8, 0.9, 0.7 → median 0.8
	if !ShouldStopMedian(others, []float64{1.2, 1.1, 0.95}, 2, 2, Minimize) {
		t.Fatal("a curve worse than the median was not stopped")
	}
	if ShouldStopMedian(others, []float64{1.0, 0.8, 0.75}, 2, 2, Minimize) {
		t.Fatal("a curve better than the median was stopped")
	}
	if ShouldStopMedian(others, []float64{1.2, 1.1, 0.95}, 2, 3, Minimize) {
		t.Fatal("stopped before min_steps")
	}
	if ShouldStopMedian(others[:2], []float64{1.2, 1.1, 0.95}, 2, 0, Minimize) {
		t.Fatal("stopped with fewer than three reference curves")
	}
	acc := [][]float64{{0.5, 0.6, 0.7}, {0.4, 0.5, 0.6}, {0.6, 0.7, 0.8}}
	if !ShouldStopMedian(acc, []float64{0.3, 0.35, 0.4}, 2, 1, Maximize) || ShouldStopMedian(acc, []float64{0.6, 0.7, 0.75}, 2, 1, Maximize) {
		t.Fatal("maximize orientation")
	}
}

// Sobol: the first 2^k points put exactly one point in each of 2^k equal
// cells of every axis (the net property survives the scrambling), the same
// seed repeats and a different seed differs.
func TestSobol(t *testing.T) {
	q := newSobol(8, 42)
	for _, k := range []int{4, 6, 8} {
		n := 1 << k
		for j := 0; j < 8; j++ {
			cells := make([]int, n)
			for i := 0; i < n; i++ {
				x := q.point(uint32(i))[j]
				if x <= 0 || x >= 1 {
					t.Fatalf("point %d dim %d = %v outside (0,1)", i, j, x)
				}
				cells[int(x*float64(n))]++
			}
			for c, cnt := range cells {
				if cnt != 1 {
					t.Fatalf("k=%d dim %d: cell %d holds %d points", k, j, c, cnt)
				}
			}
		}
	}
	// two-dimensional stratification: 2^4 points, 4×4 grid, one per cell (t = 0 for dims 0,1)
	grid := map[[2]int]int{}
	for i := 0; i < 16; i++ {
		p := q.point(uint32(i))
		grid[[2]int{int(p[0] * 4), int(p[1] * 4)}]++
	}
	for c, n := range grid {
		if n != 1 {
			t.Fatalf("2-D cell %v holds %d of 16 points", c, n)
		}
	}
	if a, b := fmt.Sprint(newSobol(3, 42).point(5)), fmt.Sprint(newSobol(3, 42).point(5)); a != b {
		t.Fatal("same seed differs")
	}
	if fmt.Sprint(newSobol(3, 42).point(5)) == fmt.Sprint(newSobol(3, 43).point(5)) {
		t.Fatal("different seeds agree")
	}
}

// The test problems match their closed-form values.
func TestProblems(t *testing.T) {
	br, _ := ProblemByName("Branin")
	for _, x := range [][]float64{{-math.Pi, 12.275}, {math.Pi, 2.275}, {9.42478, 2.475}} {
		if f, _ := br.Eval(x); math.Abs(f[0]-0.397887) > 1e-5 {
			t.Errorf("Branin%v = %.7f", x, f[0])
		}
	}
	h6, _ := ProblemByName("Hartmann6")
	if f, _ := h6.Eval([]float64{0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}); math.Abs(f[0]+3.32237) > 1e-5 {
		t.Errorf("Hartmann6 at optimum = %.6f", f[0])
	}
	cg, _ := ProblemByName("ConstrainedGramacy")
	f, c := cg.Eval([]float64{0.1954, 0.4044})
	if math.Abs(f[0]-0.5998) > 1e-9 || math.Abs(c[0]) > 2e-3 || c[1] < 0 {
		t.Errorf("Gramacy optimum f=%v slack=%v", f, c)
	}
	bc, _ := ProblemByName("BraninCurrin")
	// Currin(0.5, 0.5) = (1 − e⁻¹)·1868.5/159.5
	if f, _ := bc.Eval([]float64{0.5, 0.5}); math.Abs(f[1]-(1-math.Exp(-1))*1868.5/159.5) > 1e-12 {
		t.Errorf("Currin(0.5,0.5) = %v", f[1])
	}
	// C2-DTLZ2 (d=4): 21.8 % of the box is feasible (tuner.md, 2·10⁵ samples).
	c2, _ := ProblemByName("C2-DTLZ2")
	q := newSobol(4, 9)
	feas := 0
	const n = 1 << 14
	for i := 0; i < n; i++ {
		if _, c := c2.Eval(q.point(uint32(i))); c[0] >= 0 {
			feas++
		}
	}
	if fr := float64(feas) / n; math.Abs(fr-0.218) > 0.01 {
		t.Errorf("C2-DTLZ2 feasible fraction %.4f, want 0.218", fr)
	}
	// ConstrainedBraninCurrin: 69.8 % feasible.
	cbc, _ := ProblemByName("ConstrainedBraninCurrin")
	q = newSobol(2, 9)
	feas = 0
	for i := 0; i < n; i++ {
		if _, c := cbc.Eval(q.point(uint32(i))); c[0] >= 0 {
			feas++
		}
	}
	if fr := float64(feas) / n; math.Abs(fr-0.698) > 0.01 {
		t.Errorf("ConstrainedBraninCurrin feasible fraction %.4f, want 0.698", fr)
	}
}

// In a fast budget (Branin, 25 evaluations, one seed), BO beats random search
// and gets close to the optimum.
func TestBOBeatsRandomBranin(t *testing.T) {
	p, _ := ProblemByName("Branin")
	fs, cs := runBO(t, p, 0, 25, 8)
	bo := score(p, fs, cs, math.Inf(1))
	fs, cs = runRandom(p, 0, 25)
	rs := score(p, fs, cs, math.Inf(1))
	if !(bo < rs) || bo-p.Optimum > 0.05 {
		t.Fatalf("BO best %.4f, random %.4f, optimum %.4f", bo, rs, p.Optimum)
	}
}

// Rebuilding from stored trials alone (no model state) is deterministic:
// two rebuilds suggest the same next batch.
func TestRebuildFromTrialsDeterministic(t *testing.T) {
	s, _ := NewStudy(mixedSpec(11), WithInitialDesign(5))
	for i := 0; i < 8; i++ {
		ts, _ := s.Ask(1)
		_ = s.Tell(ts[0].Number, mixedEval(ts[0].Params))
	}
	pending, _ := s.Ask(1) // stays pending across the rebuild
	trials := s.Trials()
	a, err := NewStudy(mixedSpec(11), WithInitialDesign(5), WithTrials(trials))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewStudy(mixedSpec(11), WithInitialDesign(5), WithTrials(trials))
	x, err1 := a.Ask(2)
	y, err2 := b.Ask(2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if fmt.Sprint(x) != fmt.Sprint(y) {
		t.Fatalf("rebuilds disagree: %v vs %v", x, y)
	}
	if x[0].Number != pending[0].Number+1 || a.Trials()[pending[0].Number].Status != StatusPending {
		t.Fatalf("pending trial not kept: %+v", a.Trials()[pending[0].Number])
	}
}

// Before any trial is feasible the study maximizes the probability of
// feasibility: with a constraint only a corner satisfies, model-based
// suggestions move toward it.
func TestSeeksFeasibility(t *testing.T) {
	zero := 0.0
	spec := Spec{Name: "corner", Seed: 2,
		Parameters: []Parameter{{Name: "a", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}, {Name: "b", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
		Metrics: []Metric{{Name: "y", Objective: Minimize},
			{Name: "slack", Objective: Maximize, Strategy: StrategyConstraint, Threshold: &zero}}}
	eval := func(p map[string]any) map[string]float64 {
		a, b := p["a"].(float64), p["b"].(float64)
		return map[string]float64{"y": a + b, "slack": a + b - 1.8} // feasible only where a+b >= 1.8 (2 % of the box)
	}
	s, _ := NewStudy(spec, WithInitialDesign(6))
	first := -1
	for i := 0; i < 20; i++ {
		ts, _ := s.Ask(1)
		m := eval(ts[0].Params)
		_ = s.Tell(ts[0].Number, m)
		if m["slack"] >= 0 && first < 0 {
			first = i
		}
	}
	t.Logf("first feasible trial: %d", first)
	if first < 0 || first > 12 {
		t.Fatalf("first feasible trial at %d (random search needs ~50 on average)", first)
	}
	if b, ok := s.Best(); !ok || !s.Feasible(b) {
		t.Fatalf("best %d %v not feasible", b, ok)
	}
}

// A batch from Ask(4) spreads out instead of piling on one optimum.
func TestBatchSpreads(t *testing.T) {
	p, _ := ProblemByName("Branin")
	s, _ := NewStudy(p.Spec(4, 30), WithInitialDesign(8))
	for i := 0; i < 8; i++ {
		ts, _ := s.Ask(1)
		_ = s.Tell(ts[0].Number, p.Metrics(ts[0].Params))
	}
	ts, err := s.Ask(4)
	if err != nil {
		t.Fatal(err)
	}
	minDist := math.Inf(1)
	for i := range ts {
		for j := 0; j < i; j++ {
			dx := (ts[i].Params["x0"].(float64) - ts[j].Params["x0"].(float64)) / 15
			dy := (ts[i].Params["x1"].(float64) - ts[j].Params["x1"].(float64)) / 15
			minDist = math.Min(minDist, math.Hypot(dx, dy))
		}
	}
	if minDist < 1e-3 {
		t.Fatalf("batch points nearly coincide (min scaled distance %g): %v", minDist, ts)
	}
}

// Three objectives take the Monte Carlo EHVI path; it must run, stay fast
// and improve on the Sobol design. 16 model-based steps: with the
// Optuna-style length-scale prior (lsPrior) the first 8 go to the box's
// corners (HV 0.2151 → 0.2153 at 16 evaluations, against 0.327 with the
// previous prior); by 24 the models have found the front.
func TestThreeObjectives(t *testing.T) {
	p := Problem{Name: "DTLZ2-3", Lower: make([]float64, 4), Upper: []float64{1, 1, 1, 1}, Objectives: 3,
		Eval: func(x []float64) ([]float64, []float64) { return dtlz2(x, 3), nil },
		Ref:  []float64{1.1, 1.1, 1.1}}
	const n = 24
	fs, cs := runBO(t, p, 1, n, 8)
	bo := score(p, fs, cs, 0)
	init := score(p, fs[:8], cs[:8], 0)
	fs, cs = runRandom(p, 1, n)
	rs := score(p, fs, cs, 0)
	t.Logf("HV: BO %.4f (after design %.4f), random %.4f; max %.4f", bo, init, rs, 1.331-math.Pi/6)
	if !(bo > init && bo > rs) {
		t.Fatalf("BO HV %.4f not above design %.4f and random %.4f", bo, init, rs)
	}
}

// On a mixed log-double / int / categorical space with a constraint, BO finds
// a better feasible trial than random search with the same budget.
func TestMixedSpaceBeatsRandom(t *testing.T) {
	const n = 25
	s, _ := NewStudy(mixedSpec(21), WithInitialDesign(8))
	for i := 0; i < n; i++ {
		ts, err := s.Ask(1)
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Tell(ts[0].Number, mixedEval(ts[0].Params))
	}
	b, ok := s.Best()
	if !ok {
		t.Fatal("no feasible trial")
	}
	bo := s.Trials()[b].Metrics["acc"]
	sp := newSpace(mixedSpec(21).Parameters)
	rng := rand.New(rand.NewPCG(21, 0))
	rs := math.Inf(-1)
	for i := 0; i < n; i++ {
		u := make([]float64, sp.dim)
		for j := range u {
			u[j] = rng.Float64()
		}
		sp.project(u)
		m := mixedEval(sp.decode(u))
		if m["ms"] <= 100 {
			rs = math.Max(rs, m["acc"])
		}
	}
	// the optimum: lr = 0.01, hidden = 64, gelu → 0.97
	t.Logf("best feasible acc: BO %.4f (%v), random %.4f, optimum 0.97", bo, s.Trials()[b].Params, rs)
	if !(bo > rs) || bo < 0.96 {
		t.Fatalf("BO %.4f, random %.4f", bo, rs)
	}
}

// A multi-objective study whose trials were all pruned (no completed trial,
// so no front and no inferred reference point) still suggests.
func TestOnlyPrunedTrials(t *testing.T) {
	spec := Spec{Name: "pr", Seed: 1, Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: 0, Max: 1}}},
		Metrics: []Metric{{Name: "a", Objective: Minimize}, {Name: "b", Objective: Minimize}}}
	s, _ := NewStudy(spec, WithInitialDesign(3))
	for i := 0; i < 6; i++ {
		ts, err := s.Ask(1)
		if err != nil {
			t.Fatal(err)
		}
		x := ts[0].Params["x"].(float64)
		if err := s.TellPruned(ts[0].Number, map[string]float64{"a": x, "b": 1 - x}); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.Pareto()) != 0 || s.Hypervolume() != 0 {
		t.Fatalf("pruned trials counted: pareto %v hv %v", s.Pareto(), s.Hypervolume())
	}
}

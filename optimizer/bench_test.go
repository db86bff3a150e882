package optimizer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// score is the benchmark figure: best feasible objective (worst feasible
// value if none) for one objective, hypervolume of the feasible evaluated
// points w.r.t. the problem's reference point for several.
func score(p Problem, fs, cs [][]float64, worst float64) float64 {
	if p.Objectives == 1 {
		best := math.Inf(1)
		for i, f := range fs {
			if feasibleSlack(cs[i]) {
				best = math.Min(best, f[0])
			}
		}
		if math.IsInf(best, 1) {
			return worst
		}
		return best
	}
	var ys [][]float64
	for i, f := range fs {
		if feasibleSlack(cs[i]) {
			ys = append(ys, f)
		}
	}
	return hypervolume(ys, p.Ref)
}

func feasibleSlack(c []float64) bool {
	for _, v := range c {
		if v < 0 {
			return false
		}
	}
	return true
}

// runBO runs a sequential study of evals evaluations, initial of them Sobol.
func runBO(tb testing.TB, p Problem, seed int64, evals, initial int) (fs, cs [][]float64) {
	return runBatchBO(tb, p, seed, evals, initial, 1)
}

// runBatchBO asks q trials at a time and tells them all before asking again.
func runBatchBO(tb testing.TB, p Problem, seed int64, evals, initial, q int) (fs, cs [][]float64) {
	s, err := NewStudy(p.Spec(seed, evals), WithInitialDesign(initial))
	if err != nil {
		tb.Fatal(err)
	}
	for len(fs) < evals {
		ts, err := s.Ask(min(q, evals-len(fs)))
		if err != nil {
			tb.Fatal(err)
		}
		for _, tr := range ts {
			m := p.Metrics(tr.Params)
			if err := s.Tell(tr.Number, m); err != nil {
				tb.Fatal(err)
			}
			f, c := splitMetrics(p, m)
			fs, cs = append(fs, f), append(cs, c)
		}
	}
	return fs, cs
}

func splitMetrics(p Problem, m map[string]float64) (f, c []float64) {
	for j := 0; j < p.Objectives; j++ {
		f = append(f, m[fmt.Sprintf("f%d", j)])
	}
	for j := 0; j < p.Constraints; j++ {
		c = append(c, m[fmt.Sprintf("c%d", j)])
	}
	return f, c
}

// runRandom evaluates evals uniform random points: uniform over each double
// (log-uniform where the spec says log), each integer and each category, as
// a random search over the same spec would draw them.
func runRandom(p Problem, seed int64, evals int) (fs, cs [][]float64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 99))
	params := p.parameters()
	for i := 0; i < evals; i++ {
		x := make([]float64, p.Dim())
		for j, par := range params {
			switch {
			case par.Type == TypeCategorical:
				x[j] = float64(rng.IntN(len(par.CategoricalValues)))
			case par.Type == TypeInt:
				x[j] = par.Bounds.Min + float64(rng.IntN(int(par.Bounds.Max-par.Bounds.Min)+1))
			case par.Transformation == "log":
				lo, hi := math.Log(par.Bounds.Min), math.Log(par.Bounds.Max)
				x[j] = math.Exp(lo + rng.Float64()*(hi-lo))
			default:
				x[j] = p.Lower[j] + rng.Float64()*(p.Upper[j]-p.Lower[j])
			}
		}
		f, c := p.Eval(x)
		fs, cs = append(fs, f), append(cs, c)
	}
	return fs, cs
}

func median(xs []float64) float64 {
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return 0.5 * (s[n/2-1] + s[n/2])
}

// worstFeasible is the score of a constrained single-objective run without a
// feasible point (BoTorch PR #3016).
func worstFeasible(p Problem) float64 {
	if p.Name == "ConstrainedGramacy" {
		return 1.732051
	}
	return math.Inf(1)
}

// BenchmarkTuner prints the benchmark table of issue 5. Environment:
// LATHE_BENCH_SEEDS (default 10), LATHE_BENCH_EVALS (60), LATHE_BENCH_PROBLEMS
// (comma-separated names; default all), LATHE_BENCH_VERBOSE (non-empty: print
// each seed's scores).
func BenchmarkTuner(b *testing.B) {
	seeds := envInt("LATHE_BENCH_SEEDS", 10)
	evals := envInt("LATHE_BENCH_EVALS", 60)
	want := os.Getenv("LATHE_BENCH_PROBLEMS")
	verbose := os.Getenv("LATHE_BENCH_VERBOSE") != ""
	targets := map[string]string{"Branin": "", "Hartmann6": "<= -3.25", "ConstrainedGramacy": "<= 0.61",
		"BraninCurrin": ">= 57", "DTLZ2": ">= 0.39", "C2-DTLZ2": ">= 0.37", "ConstrainedBraninCurrin": ">= 580",
		"Hartmann6Scaled": "<= -3.25"} // Hartmann6's target: the same problem rescaled
	for i := 0; i < b.N; i++ {
		var rows []string
		for _, p := range Problems() {
			if want != "" && !strings.Contains(","+want+",", ","+p.Name+",") {
				continue
			}
			var bo, rs []float64
			start := time.Now()
			for sd := 0; sd < seeds; sd++ {
				fs, cs := runBO(b, p, int64(sd), evals, 10)
				bo = append(bo, score(p, fs, cs, worstFeasible(p)))
				fs, cs = runRandom(p, int64(sd), evals)
				rs = append(rs, score(p, fs, cs, worstFeasible(p)))
				if verbose {
					fmt.Printf("%s seed %d: BO %.6g, random %.6g\n", p.Name, sd, bo[sd], rs[sd])
				}
			}
			ref := p.Optimum
			if p.Objectives > 1 {
				ref = p.MaxHV
			}
			name := p.Name
			if p.Unseen {
				name += " (not tuned on)"
			}
			rows = append(rows, fmt.Sprintf("| %-31s | %10.4f | %10.4f | %9.4f–%-9.4f | %10.4f | %-8s | %-4s | %5.1fs |",
				name, ref, median(bo), quantile(bo, 0.25), quantile(bo, 0.75), median(rs), targets[p.Name],
				met(median(bo), targets[p.Name]), time.Since(start).Seconds()/float64(seeds)))
		}
		// Batches of 4 (parallel_bandwidth 4, Kriging-believer fantasies).
		for _, name := range []string{"BraninCurrin", "C2-DTLZ2"} {
			p, _ := ProblemByName(name)
			if want != "" && !strings.Contains(","+want+",", ","+p.Name+",") {
				continue
			}
			var bo []float64
			start := time.Now()
			for sd := 0; sd < seeds; sd++ {
				fs, cs := runBatchBO(b, p, int64(sd), evals, 10, 4)
				bo = append(bo, score(p, fs, cs, worstFeasible(p)))
			}
			rows = append(rows, fmt.Sprintf("| %-31s | %10.4f | %10.4f | %9.4f–%-9.4f | %10s | %-8s | %-4s | %5.1fs |",
				p.Name+" (q=4)", p.MaxHV, median(bo), quantile(bo, 0.25), quantile(bo, 0.75), "", targets[p.Name],
				met(median(bo), targets[p.Name]), time.Since(start).Seconds()/float64(seeds)))
		}
		t60, t200 := suggestTimes(b)
		fmt.Printf("\nTuner benchmark: %d sequential evaluations (10 Sobol), median of %d seeds (0..%d); objectives minimized;\n", evals, seeds, seeds-1)
		fmt.Printf("single objective: best feasible value; multi-objective: feasible hypervolume at the reference point\n")
		fmt.Println("| problem                         |  reference |   Lathe BO | BO interquartile    |     random | target   | met  | s/seed |")
		fmt.Println("|---------------------------------|------------|------------|---------------------|------------|----------|------|--------|")
		for _, r := range rows {
			fmt.Println(r)
		}
		fmt.Printf("suggestion time, 6-d, 2 objectives + 1 constraint: median %.3fs at 60 observations, %.3fs at 200\n", t60, t200)
	}
}

// met checks a median against a target such as ">= 57".
func met(v float64, target string) string {
	var op string
	var x float64
	if _, err := fmt.Sscan(target, &op, &x); err != nil {
		return ""
	}
	if (op == ">=" && v >= x) || (op == "<=" && v <= x) {
		return "yes"
	}
	return "no"
}

func quantile(xs []float64, q float64) float64 {
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	// linear interpolation between order statistics
	h := q * float64(len(s)-1)
	lo := int(h)
	if lo+1 >= len(s) {
		return s[lo]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

func envInt(k string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(k), &v); err == nil && v > 0 {
		return v
	}
	return def
}

// suggestTimes measures Ask(1) on a 6-d problem with three modelled metrics
// (C2-DTLZ2 objectives and constraint on 6 inputs) after 60 and 200
// observations of random points (median of 5 asks each, warm-started as in a
// running study).
func suggestTimes(tb testing.TB) (t60, t200 float64) {
	p := Problem{Name: "C2-DTLZ2-6", Lower: make([]float64, 6), Upper: []float64{1, 1, 1, 1, 1, 1}, Objectives: 2, Constraints: 1,
		Eval: func(x []float64) ([]float64, []float64) { f := dtlz2(x, 2); return f, []float64{c2Slack(f)} },
		Ref:  []float64{1.1, 1.1}}
	measure := func(n int) float64 {
		s, err := NewStudy(p.Spec(1, n+10), WithInitialDesign(n))
		if err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < n; i++ {
			ts, _ := s.Ask(1)
			_ = s.Tell(ts[0].Number, p.Metrics(ts[0].Params))
		}
		var ds []float64
		for k := 0; k < 6; k++ {
			start := time.Now()
			ts, err := s.Ask(1)
			if err != nil {
				tb.Fatal(err)
			}
			if k > 0 { // the first fit is cold; later ones are warm-started
				ds = append(ds, time.Since(start).Seconds())
			}
			_ = s.Tell(ts[0].Number, p.Metrics(ts[0].Params))
		}
		return median(ds)
	}
	return measure(60), measure(200)
}

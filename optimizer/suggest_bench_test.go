package optimizer

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"
)

// suggestProblem is the latency benchmark's problem: C2-DTLZ2 on 6 inputs,
// two objectives and one constraint, so every ask fits three GPs.
func suggestProblem() Problem {
	return Problem{Name: "C2-DTLZ2-6", Lower: make([]float64, 6), Upper: []float64{1, 1, 1, 1, 1, 1}, Objectives: 2, Constraints: 1,
		Eval: func(x []float64) ([]float64, []float64) { f := dtlz2(x, 2); return f, []float64{c2Slack(f)} },
		Ref:  []float64{1.1, 1.1}}
}

// observedTrials returns n completed trials at uniform random points.
func observedTrials(p Problem, n int) []Trial {
	rng := rand.New(rand.NewPCG(3, 4))
	ts := make([]Trial, n)
	for i := range ts {
		params := map[string]any{}
		for j := 0; j < p.Dim(); j++ {
			params[fmt.Sprintf("x%d", j)] = rng.Float64()
		}
		ts[i] = Trial{Number: i, Params: params, Status: StatusCompleted, Metrics: p.Metrics(params)}
	}
	return ts
}

// heapPeak samples the live heap every millisecond until stop is closed and
// returns the largest value seen, in bytes.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// cpuTime is the process's user+system CPU time: on the shared 2-core
// machine wall time per ask moved 3× with the load of other jobs, CPU time
// much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSuggest measures Ask(1) with 50, 200, 500 and 1,000 observations:
// cold (a study rebuilt from its trials, fitting from the default starting
// points) and warm (the next ask of a running study, warm-started from the
// previous fit, one new observation told in between). It reports wall
// seconds per ask (s/ask), CPU seconds per ask (cpu-s/ask; both cores count)
// and the peak live heap during the asks (peak-MB).
func BenchmarkSuggest(b *testing.B) {
	p := suggestProblem()
	for _, n := range []int{50, 200, 500, 1000} {
		all := observedTrials(p, n+1)
		for _, mode := range []string{"cold", "warm"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) { benchAsk(b, p, p.Spec(1, 0), all, n, mode) })
		}
	}
}

// BenchmarkSuggestWarp is BenchmarkSuggest on a single-objective problem
// (Hartmann6, one GP) at 200 observations, with input warping off and on:
// what the warping fit costs per ask.
func BenchmarkSuggestWarp(b *testing.B) {
	p, _ := ProblemByName("Hartmann6")
	n := 200
	all := observedTrials(p, n+1)
	for _, warp := range []bool{false, true} {
		for _, mode := range []string{"cold", "warm"} {
			b.Run(fmt.Sprintf("n=%d/warp=%v/%s", n, warp, mode), func(b *testing.B) {
				spec := p.Spec(1, 0)
				spec.InputWarping = warp
				benchAsk(b, p, spec, all, n, mode)
			})
		}
	}
}

// benchAsk times Ask(1) after n of the observations all, cold or warm, and
// reports s/ask, cpu-s/ask and peak-MB.
func benchAsk(b *testing.B, p Problem, spec Spec, all []Trial, n int, mode string) {
	var mu sync.Mutex
	var peak uint64
	runtime.GC()
	stop := make(chan struct{})
	pk := heapPeak(stop)
	var s *Study
	var err error
	if mode == "warm" {
		// one cold ask on n−1 observations, then tell one more
		s, err = NewStudy(spec, WithTrials(all[:n-1]), WithInitialDesign(1))
		if err != nil {
			b.Fatal(err)
		}
		ts, err := s.Ask(1)
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Tell(ts[0].Number, p.Metrics(ts[0].Params))
	}
	b.ResetTimer()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		if mode == "cold" {
			b.StopTimer()
			s, err = NewStudy(spec, WithTrials(all[:n]), WithInitialDesign(1))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		c0 := cpuTime()
		ts, err := s.Ask(1)
		cpu += cpuTime() - c0
		if err != nil {
			b.Fatal(err)
		}
		if mode == "warm" {
			b.StopTimer()
			_ = s.Tell(ts[0].Number, p.Metrics(ts[0].Params))
			b.StartTimer()
		}
	}
	b.StopTimer()
	close(stop)
	mu.Lock()
	peak = <-pk
	mu.Unlock()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/ask")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/ask")
}

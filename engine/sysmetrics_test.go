package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// fakeGPUInventoryAndUsage puts a fake nvidia-smi on PATH (no GPU here):
// two GPUs for the scheduler's inventory, and their use for the sampler.
func fakeGPUInventoryAndUsage(t *testing.T) {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
case "$1" in
-L) exit 0;;
` + runners.GPUQueryArgs[0] + `) printf '0, NVIDIA H100, GPU-a, 81559, 100, 0\n1, NVIDIA H100, GPU-b, 81559, 100, 0\n';;
` + runners.GPUUsageArgs[0] + `) printf '0, 11, 100\n1, 88, 2048\n';;
*) exit 9;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

const burnScript = `yes > /dev/null & sleep 1.6; kill $!`

// A local run's CPU and memory (its process group, from /proc) and its
// allocated GPU (from the fake nvidia-smi) are stored as sys/ metrics while
// it runs; sampling ends with the run, and sys/ metrics are not results.
func TestSystemMetricsOfALocalRun(t *testing.T) {
	fakeGPUInventoryAndUsage(t)
	e := engineWith(t, "name: test\ndefault_runner: gpu\nruns:\n  system_interval: 200ms\nrunners:\n  - name: gpu\n    type: local\n    gpus: all\n")
	ctx := context.Background()
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(burnScript + `; echo '{"loss": 1}'`), GPUs: "1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Wait(ctx)
	if err != nil || res.Status != runstatus.Completed {
		t.Fatalf("run: %+v %v", res, err)
	}
	series, err := e.MetricSeries(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := e.GetRun(ctx, r.ID)
	gpu := run.GPUIDs[0]
	cpu, mem := series[runners.SysCPU], series[runners.SysMemRSS]
	if len(cpu) < 3 || len(mem) < 3 {
		t.Fatalf("%d cpu and %d memory samples in 1.6 s at 200 ms; series %v", len(cpu), len(mem), keys(series))
	}
	peak := 0.0
	for i, p := range cpu {
		peak = max(peak, p.Value)
		if i > 0 && p.Step < cpu[i-1].Step {
			t.Errorf("steps go back: %+v", cpu)
		}
	}
	if peak < 20 {
		t.Errorf("peak sys/cpu %v while yes spins a core", peak)
	}
	if mem[0].Value <= 0 {
		t.Errorf("sys/mem_rss %v", mem[0].Value)
	}
	if g := series["sys/gpu"+gpu+"_util"]; len(g) == 0 || (g[0].Value != 11 && g[0].Value != 88) {
		t.Errorf("GPU %s samples from the fake nvidia-smi: %v (series %v)", gpu, g, keys(series))
	}
	for k := range series {
		if strings.HasPrefix(k, "sys/gpu") && !strings.HasPrefix(k, "sys/gpu"+gpu+"_") {
			t.Errorf("%s sampled; the run has GPU %s only", k, gpu)
		}
	}
	rec, err := e.RunRecord(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Metrics[runners.SysCPU]; ok || rec.Metrics["loss"] == nil || rec.System[runners.SysMemRSS] == nil {
		t.Errorf("record metrics %v system %v; want loss in metrics, sys/ in system", rec.Metrics, rec.System)
	}
	// Sampling stopped with the run.
	n := len(cpu) + len(mem)
	time.Sleep(600 * time.Millisecond)
	series, _ = e.MetricSeries(ctx, r.ID)
	if m := len(series[runners.SysCPU]) + len(series[runners.SysMemRSS]); m != n {
		t.Errorf("%d system samples after the run ended, %d at its end", m, n)
	}
}

// A run whose lathe exits is sampled by the one that takes it over, and
// by nobody in between.
func TestSystemMetricsAfterTakeover(t *testing.T) {
	e := engineWith(t, "name: test\ndefault_runner: local\nruns:\n  system_interval: 200ms\nrunners:\n  - name: local\n    type: local\n")
	ctx := context.Background()
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(`sleep 0.6; ` + burnScript)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		s, _ := e.ws.Store.MetricSeriesKey(ctx, r.ID, runners.SysMemRSS, -1)
		return len(s)
	}
	time.Sleep(500 * time.Millisecond)
	e.Close() // detach: the run goes on, nobody samples it
	before := count()
	if before == 0 {
		t.Fatal("no sample while the first lathe ingested the run")
	}
	time.Sleep(500 * time.Millisecond)
	if n := count(); n != before {
		t.Fatalf("%d samples while nobody ingested the run, %d before", n, before)
	}
	e2 := New(e.ws, e.cfg, Options{})
	defer e2.Close()
	if _, err := e2.Reconcile(ctx, ReconcileOptions{Settle: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if run, _ := e2.GetRun(ctx, r.ID); run.Status != runstatus.Completed {
		t.Fatalf("status %s", run.Status)
	}
	cpu, _ := e2.ws.Store.MetricSeriesKey(ctx, r.ID, runners.SysCPU, -1)
	if n := count(); n < before+3 || len(cpu) < 2 {
		t.Errorf("%d memory samples (%d before the takeover), %d cpu: the new lathe did not sample", n, before, len(cpu))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// engineWith makes a workspace whose lathe.yaml is yaml, and an engine on it.
func engineWith(t *testing.T, yaml string) *Engine {
	t.Helper()
	return openTestEngine(t, yaml, "", Options{})
}

// GPUs here are fake: an nvidia-smi script on PATH prints a recorded
// two-H100 inventory. The scheduler gives each run a free device, the store
// records which, and a third run waits for one to free up.
func TestGPUAllocationIsRecorded(t *testing.T) {
	bin := t.TempDir()
	csv, _ := filepath.Abs("testdata/h100x2.csv")
	script := "#!/bin/sh\ncase \"$1\" in -L) exit 0;; esac\ncat " + csv + "\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	e := engineWith(t, "name: test\ndefault_runner: gpu\nrunners:\n  - name: gpu\n    type: local\n    gpus: all\n    max_concurrent: 3\n")
	ctx := context.Background()
	var rs []*Run
	for i := 0; i < 3; i++ {
		r, err := e.Launch(ctx, LaunchRequest{Command: sh(`echo "$CUDA_VISIBLE_DEVICES"; sleep 0.4`), GPUs: "1"})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	var runs []experiments.Run
	for _, r := range rs {
		run, err := r.Wait(ctx)
		if err != nil || run.Status != runstatus.Completed {
			t.Fatalf("%+v %v", run, err)
		}
		runs = append(runs, run)
	}
	if len(runs[0].GPUIDs) != 1 || len(runs[1].GPUIDs) != 1 || runs[0].GPUIDs[0] == runs[1].GPUIDs[0] {
		t.Errorf("GPU ids %v and %v: want two distinct devices", runs[0].GPUIDs, runs[1].GPUIDs)
	}
	logs, _ := e.ws.Store.Logs(ctx, runs[0].ID, 0, 1)
	if len(logs) != 1 || logs[0].Line != runs[0].GPUIDs[0] {
		t.Errorf("CUDA_VISIBLE_DEVICES %v, recorded %v", logs, runs[0].GPUIDs)
	}
	// Both devices busy: the third run started only when one was released.
	first := runs[0].Ended
	if runs[1].Ended.Before(first) {
		first = runs[1].Ended
	}
	if runs[2].Started.Before(first) {
		t.Errorf("third run started at %v, before a GPU was free at %v", runs[2].Started, first)
	}
}

// A run another lathe process is running holds its runner's slot here too:
// with max_concurrent 1, a launch waits for it.
func TestSlotsHoldAcrossProcesses(t *testing.T) {
	a := engineWith(t, "name: test\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n")
	ctx := context.Background()
	ra, err := a.Launch(ctx, LaunchRequest{Command: sh("sleep 0.8")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ra.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	// b is another process as far as locks go: flock locks belong to open files.
	b := New(a.ws, a.cfg, Options{})
	defer b.Close()
	rep, err := b.Reconcile(ctx, ReconcileOptions{Settle: -1})
	if err != nil || len(rep.Elsewhere) != 1 {
		t.Fatalf("reconcile %+v %v", rep, err)
	}
	rb, err := b.Launch(ctx, LaunchRequest{Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	runB, _ := rb.Wait(ctx)
	runA, _ := a.ws.Store.GetRun(ctx, ra.ID)
	if runB.Status != runstatus.Completed || runB.Started.Before(runA.Ended) {
		t.Errorf("b's run started %v, before a's ended %v", runB.Started, runA.Ended)
	}
	if d := runB.Started.Sub(runA.Ended); d > 3*time.Second {
		t.Errorf("b's run waited %v after the slot freed", d)
	}
}

// fakeSMI puts an nvidia-smi script on PATH that prints csv (the GPUs here
// are fake; nothing else is).
func fakeSMI(t *testing.T, csv string) {
	t.Helper()
	bin := t.TempDir()
	script := "#!/bin/sh\ncase \"$1\" in -L) exit 0;; esac\ncat <<'EOF'\n" + csv + "EOF\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// --gpus 1 goes to the freest GPU (issue 10 item 3): GPU 0 is 97 % busy
// with 60 GB used by something else, GPU 1 idle.
func TestGPUChoiceFollowsLoad(t *testing.T) {
	fakeSMI(t, "0, NVIDIA H100 80GB HBM3, GPU-aaaaaaaa-0000-0000-0000-000000000000, 81559, 60211, 97\n"+
		"1, NVIDIA H100 80GB HBM3, GPU-bbbbbbbb-0000-0000-0000-000000000000, 81559, 412, 0\n")
	e := engineWith(t, "name: test\ndefault_runner: gpu\nrunners:\n  - name: gpu\n    type: local\n    gpus: all\n    max_concurrent: 2\n")
	ctx := context.Background()
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(`echo "$CUDA_VISIBLE_DEVICES"`), GPUs: "1"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := r.Wait(ctx)
	if err != nil || run.Status != runstatus.Completed {
		t.Fatalf("%+v %v", run, err)
	}
	if len(run.GPUIDs) != 1 || run.GPUIDs[0] != "1" {
		t.Errorf("run got GPUs %v, want the idle GPU 1", run.GPUIDs)
	}
}

// min_free_memory keeps runs off a GPU something else fills: with GPU 1
// taken by a lathe run, a second run waits rather than land on busy GPU 0.
func TestMinFreeMemoryKeepsRunsOffABusyGPU(t *testing.T) {
	fakeSMI(t, "0, NVIDIA H100 80GB HBM3, GPU-aaaaaaaa-0000-0000-0000-000000000000, 81559, 60211, 97\n"+
		"1, NVIDIA H100 80GB HBM3, GPU-bbbbbbbb-0000-0000-0000-000000000000, 81559, 412, 0\n")
	e := engineWith(t, "name: test\ndefault_runner: gpu\nrunners:\n  - name: gpu\n    type: local\n    gpus: all\n    max_concurrent: 2\n    min_free_memory: 30g\n")
	ctx := context.Background()
	first, err := e.Launch(ctx, LaunchRequest{Command: sh("sleep 0.8"), GPUs: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := e.Launch(ctx, LaunchRequest{Command: sh("true"), GPUs: "1"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := first.Wait(ctx)
	b, err := second.Wait(ctx)
	if err != nil || b.Status != runstatus.Completed {
		t.Fatalf("%+v %v", b, err)
	}
	if len(a.GPUIDs) != 1 || a.GPUIDs[0] != "1" || len(b.GPUIDs) != 1 || b.GPUIDs[0] != "1" {
		t.Errorf("GPUs %v and %v: both runs belong on GPU 1 (GPU 0 has 21 GB free, under 30g)", a.GPUIDs, b.GPUIDs)
	}
	if b.Started.Before(a.Ended) {
		t.Errorf("the second run started %v before the first ended: it went to busy GPU 0", a.Ended.Sub(b.Started))
	}
}

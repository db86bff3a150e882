package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// Queues and GPUs hold across processes (issue 10 items 1 and 2): several
// real lathe processes launch runs on one runner at once; the store's slot
// claims let only max_concurrent of them run at a time and never give one GPU
// to two runs at once. Start and end times are the store's records.

// queueWorkspace writes a workspace with a one-slot runner q1 and a runner g
// of two GPUs; the GPUs are fake (an nvidia-smi script on PATH prints two
// idle H100s), everything else is real.
func queueWorkspace(t *testing.T) (ws string, env []string) {
	t.Helper()
	ws = filepath.Join(t.TempDir(), "ws")
	if code, _, errs := run(t, "init", ws); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	yaml := "name: q\ndefault_runner: q1\nrunners:\n" +
		"  - {name: q1, type: local, max_concurrent: 1}\n" +
		"  - {name: g, type: local, gpus: all, max_concurrent: 4}\n"
	if err := os.WriteFile(filepath.Join(ws, "lathe.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	smi := "#!/bin/sh\ncase \"$1\" in -L) exit 0;; esac\n" +
		"echo '0, NVIDIA H100 80GB HBM3, GPU-aaaaaaaa-0000-0000-0000-000000000000, 81559, 400, 0'\n" +
		"echo '1, NVIDIA H100 80GB HBM3, GPU-bbbbbbbb-0000-0000-0000-000000000000, 81559, 400, 0'\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(smi), 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "LATHE_WORKSPACE="+ws)
	return ws, env
}

// launchMany runs procs concurrent workers, each launching perProc runs one
// after the other as separate `lathe run` processes.
func launchMany(t *testing.T, bin string, env []string, procs, perProc int, args ...string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, procs*perProc)
	for w := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perProc {
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				cmd := exec.CommandContext(ctx, bin, append([]string{"run", "--name", fmt.Sprintf("w%d-%d", w, i)}, args...)...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				cancel()
				if err != nil {
					errs <- fmt.Errorf("worker %d run %d: %v\n%s", w, i, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func finishedRuns(t *testing.T, ws, runner string) []experiments.Run {
	t.Helper()
	st, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), experiments.RunFilter{Runner: runner})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status != runstatus.Completed {
			t.Errorf("run %s (%s) ended %s: %s", r.ID, r.Name, r.Status, r.Error)
		}
	}
	slices.SortFunc(runs, func(a, b experiments.Run) int { return a.Started.Compare(b.Started) })
	return runs
}

func TestMaxConcurrentHoldsAcrossProcesses(t *testing.T) {
	bin := lathePath(t) // before isolate leaves the package directory
	isolate(t)
	ws, env := queueWorkspace(t)
	launchMany(t, bin, env, 4, 5, "--runner", "q1", "--", "sh", "-c", "sleep 0.2")
	runs := finishedRuns(t, ws, "q1")
	if len(runs) != 20 {
		t.Fatalf("%d runs recorded, want 20", len(runs))
	}
	for i := 1; i < len(runs); i++ {
		a, b := runs[i-1], runs[i]
		if b.Started.Before(a.Ended) {
			t.Errorf("runs %s (%s) and %s (%s) overlap: %s started %v before %s ended",
				a.ID, a.Name, b.ID, b.Name, b.ID, a.Ended.Sub(b.Started), a.ID)
		}
	}
}

func TestGPUsAreNeverSharedAcrossProcesses(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws, env := queueWorkspace(t)
	launchMany(t, bin, env, 4, 3, "--runner", "g", "--gpus", "1", "--", "sh", "-c", `echo "gpu=$CUDA_VISIBLE_DEVICES"; sleep 0.4`)
	runs := finishedRuns(t, ws, "g")
	if len(runs) != 12 {
		t.Fatalf("%d runs recorded, want 12", len(runs))
	}
	st, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	concurrent := false
	for i, a := range runs {
		if len(a.GPUIDs) != 1 {
			t.Fatalf("run %s holds GPUs %v, want one", a.ID, a.GPUIDs)
		}
		logs, err := st.Logs(context.Background(), a.ID, 0, 0)
		if err != nil || len(logs) == 0 || logs[0].Line != "gpu="+a.GPUIDs[0] {
			t.Errorf("run %s saw %v, recorded GPU %v", a.ID, logs, a.GPUIDs)
		}
		for _, b := range runs[i+1:] {
			if b.Started.Before(a.Ended) { // they overlap
				concurrent = true
				if a.GPUIDs[0] == b.GPUIDs[0] {
					t.Errorf("runs %s and %s overlap on GPU %s", a.ID, b.ID, a.GPUIDs[0])
				}
			}
		}
	}
	if !concurrent {
		t.Error("no two runs ran at once: the test did not exercise two GPUs")
	}
	// Two GPUs: never three runs at once.
	for _, a := range runs {
		n := 0
		for _, b := range runs {
			if !b.Started.After(a.Started) && b.Ended.After(a.Started) {
				n++
			}
		}
		if n > 2 {
			t.Errorf("%d runs were running when %s started, on 2 GPUs", n, a.ID)
		}
	}
}

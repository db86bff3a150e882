package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// These tests run against the real one-node Slurm cluster that .ci/slurm.sh
// starts (slurmctld, slurmd, munge from Debian). Only the node's two GPUs
// are fake: gres.conf points at device files with /dev/null's numbers.

// needSlurm fails (never skips) when the cluster's commands are missing.
func needSlurm(t *testing.T) {
	t.Helper()
	for _, c := range []string{"sbatch", "squeue", "scontrol", "scancel", "sinfo"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is not on PATH: these tests need the Slurm cluster of .ci/slurm.sh (source .ci/services.sh): %v", c, err)
		}
	}
	if out, err := exec.Command("sinfo", "-h", "-o", "%t").Output(); err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("sinfo does not answer (%v, %q): start the cluster with .ci/slurm.sh", err, out)
	}
}

// slurmWorkspace is a workspace with a slurm runner "cluster" (extra
// lines are added to its entry) and the local runner.
func slurmWorkspace(t *testing.T, extra string) string {
	t.Helper()
	needSlurm(t)
	ws := newWorkspace(t)
	writeFile(t, filepath.Join(ws, "lathe.yaml"), "name: sw\ndefault_runner: local\nruns:\n  stop_grace: 3s\nrunners:\n"+
		"  - name: local\n    type: local\n"+
		"  - name: cluster\n    type: slurm\n    partition: debug\n    time_limit: 10\n"+extra)
	return ws
}

func TestSlurmTrainerFollowedLive(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := slurmWorkspace(t, "")
	code, out, errs := run(t, "--workspace", ws, "run", "--runner", "cluster", "--gpus", "1", "--", bin, "trainer", "--epochs", "12", "--epoch-pause", "50ms")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, out, errs)
	}
	// Every metric line arrives once, in order, while the job runs.
	var steps []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "{") {
			steps = append(steps, l)
		}
	}
	if len(steps) != 12 {
		t.Fatalf("%d metric lines, want 12:\n%s", len(steps), out)
	}
	for i, l := range steps {
		if !strings.Contains(l, fmt.Sprintf(`"step":%d,`, i+1)) {
			t.Fatalf("line %d is %q", i, l)
		}
	}
	recs, _ := listRuns(t, ws)
	if len(recs) != 1 {
		t.Fatalf("%d runs", len(recs))
	}
	r := recs[0]
	if r.Status != runstatus.Completed || r.ContainerID == "" || r.Error != "" || len(r.GPUIDs) != 1 {
		t.Fatalf("run record: status %s, job %q, error %q, gpu ids %v", r.Status, r.ContainerID, r.Error, r.GPUIDs)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", r.ID)
	if len(series["val_accuracy"]) != 12 {
		t.Fatalf("%d val_accuracy samples, want 12", len(series["val_accuracy"]))
	}
	// Outputs under $LATHE_OUTPUT_DIR are the run's artifacts.
	var show experiments.RunRecord
	runJSON(t, &show, "--workspace", ws, "--json", "runs", "show", r.ID)
	if !strings.Contains(fmt.Sprint(show.Outputs), "model.json") {
		t.Errorf("outputs %v, want model.json", show.Outputs)
	}
}

func TestSlurmRunsStopWithinGrace(t *testing.T) {
	isolate(t)
	ws := slurmWorkspace(t, "")
	w := []string{"--workspace", ws}
	script := `trap 'echo got TERM; exit 3' TERM; echo up; while :; do sleep 0.1; done`
	code, out, errs := run(t, append(w, "run", "--detach", "--runner", "cluster", "--", "bash", "-c", script)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	id := lastWord(out)
	waitLog(t, ws, id, "up")
	start := time.Now()
	code, out, errs = run(t, append(w, "runs", "stop", id)...)
	if code != 0 || strings.TrimSpace(out) != id+" stopped" {
		t.Fatalf("stop: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if d := time.Since(start); d > 3*time.Second+5*time.Second {
		t.Errorf("stop took %v; the grace period is 3s", d)
	}
	var rec experiments.RunRecord
	runJSON(t, &rec, append(w, "--json", "runs", "show", id)...)
	if rec.Status != runstatus.Stopped || rec.ExitCode == nil || *rec.ExitCode != 3 {
		t.Fatalf("after stop: status %s exit %v error %q", rec.Status, rec.ExitCode, rec.Error)
	}
	if _, out, _ := run(t, append(w, "runs", "logs", id)...); !strings.Contains(out, "got TERM") {
		t.Errorf("the program did not see SIGTERM: %q", out)
	}
}

// waitLog waits until a run's logs hold want.
func waitLog(t *testing.T, ws, id, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, _, _ = run(t, "--workspace", ws, "runs", "ls") // reconciles: an orphan is followed
		if _, out, _ := run(t, "--workspace", ws, "runs", "logs", id); strings.Contains(out, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("run %s never printed %q", id, want)
}

func TestSlurmKill9ThenReattach(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := slurmWorkspace(t, "")
	cmd := exec.Command(bin, "--workspace", ws, "run", "--runner", "cluster", "--", bin, "trainer", "--epochs", "40", "--epoch-pause", "60ms")
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	store, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	var id string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if runs, _ := store.ListRuns(ctx, experiments.RunFilter{}); len(runs) == 1 {
			id = runs[0].ID
			if s, _ := store.MetricSeriesKey(ctx, id, "val_accuracy", -1); len(s) >= 5 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if id == "" {
		t.Fatal("lathe run never recorded its run")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stored, _ := store.MetricSeriesKey(ctx, id, "val_accuracy", -1)
	if len(stored) >= 40 {
		t.Fatalf("the run finished before lathe was killed; the test proves nothing")
	}
	// Any command reattaches; logs -f follows the job to its end.
	if code, _, errs := run(t, "--workspace", ws, "runs", "logs", "-f", id); code != 0 {
		t.Fatalf("logs -f: exit %d: %s", code, errs)
	}
	var rec experiments.RunRecord
	runJSON(t, &rec, "--workspace", ws, "--json", "runs", "show", id)
	if rec.Status != runstatus.Completed || rec.ExitCode == nil || *rec.ExitCode != 0 {
		t.Fatalf("after reattach: %s exit %v %q", rec.Status, rec.ExitCode, rec.Error)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", id)
	acc := series["val_accuracy"]
	if len(acc) != 40 {
		t.Fatalf("%d samples, want 40 (had %d when lathe was killed)", len(acc), len(stored))
	}
	for i, s := range acc {
		if s.Step != int64(i+1) {
			t.Fatalf("sample %d has step %d", i, s.Step)
		}
	}
}

// Two runs asking for both (fake) GPUs of the one node run one after the
// other: the second pends with Slurm's reason, shown by runs ls.
func TestSlurmTwoGPURunsQueue(t *testing.T) {
	isolate(t)
	ws := slurmWorkspace(t, "")
	w := []string{"--workspace", ws}
	var ids []string
	for range 2 {
		code, out, errs := run(t, append(w, "run", "--detach", "--runner", "cluster", "--gpus", "2", "--", "sh", "-c", `echo "gpus=$CUDA_VISIBLE_DEVICES"; sleep 3`)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		ids = append(ids, lastWord(out))
	}
	sawPending, sawText := false, false
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		recs, text := listRuns(t, ws)
		if strings.Contains(text, "PENDING (Resources)") {
			sawText = true
		}
		done := 0
		for _, r := range recs {
			if r.ID == ids[1] && r.Status == runstatus.Queued && strings.Contains(r.Error, "PENDING (Resources)") {
				sawPending = true
			}
			if r.Status.Terminal() {
				done++
			}
		}
		if done == 2 {
			break
		}
		time.Sleep(150 * time.Millisecond)
	}
	if !sawPending || !sawText {
		t.Errorf("the second run was never seen PENDING (Resources): in the record %v, in runs ls %v", sawPending, sawText)
	}
	var a, b experiments.RunRecord
	runJSON(t, &a, append(w, "--json", "runs", "show", ids[0])...)
	runJSON(t, &b, append(w, "--json", "runs", "show", ids[1])...)
	if a.Status != runstatus.Completed || b.Status != runstatus.Completed {
		t.Fatalf("statuses %s, %s", a.Status, b.Status)
	}
	if b.Started.Before(a.Ended.Add(-500 * time.Millisecond)) {
		t.Errorf("the second run started at %v, before the first ended at %v", b.Started, a.Ended)
	}
	for _, r := range []experiments.RunRecord{a, b} {
		if strings.Join(r.GPUIDs, ",") != "0,1" {
			t.Errorf("run %s: gpu ids %v, want both", r.ID, r.GPUIDs)
		}
		if _, out, _ := run(t, append(w, "runs", "logs", r.ID)...); !strings.Contains(out, "gpus=0,1") {
			t.Errorf("run %s saw %q", r.ID, out)
		}
	}
}

func TestSlurmBadPartitionAndImageExit2(t *testing.T) {
	isolate(t)
	ws := slurmWorkspace(t, "  - name: nopart\n    type: slurm\n    partition: nosuch\n")
	code, _, errs := run(t, "--workspace", ws, "run", "--runner", "nopart", "--", "true")
	if code != 2 || !strings.Contains(errs, "lathe.yaml:14") || !strings.Contains(errs, `partition "nosuch" does not exist`) || !strings.Contains(errs, "debug") {
		t.Errorf("bad partition: exit %d: %s", code, errs)
	}
	code, _, errs = run(t, "--workspace", ws, "run", "--runner", "cluster", "--image", "pytorch.sif", "--", "true")
	if code != 2 || !strings.Contains(errs, "apptainer") {
		t.Errorf("image without a container runtime: exit %d: %s", code, errs)
	}
	if recs, _ := listRuns(t, ws); len(recs) != 0 {
		t.Errorf("refused runs were recorded: %v", recs)
	}
}

func TestSlurmUnreachableLoginNode(t *testing.T) {
	isolate(t)
	needSlurm(t)
	ws := newWorkspace(t)
	// 192.0.2.1 is TEST-NET-1 (RFC 5737): nothing answers there.
	writeFile(t, filepath.Join(ws, "lathe.yaml"), "name: sw\nrunners:\n  - name: far\n    type: slurm\n    host: ssh://ml@192.0.2.1\n    work_dir: /scratch/lathe\n")
	start := time.Now()
	code, _, errs := run(t, "--workspace", ws, "run", "--runner", "far", "--", "true")
	if d := time.Since(start); d > 12*time.Second {
		t.Errorf("took %v; the connect timeout is 5s", d)
	}
	if code != 1 || !strings.Contains(errs, "ssh://ml@192.0.2.1") || !strings.Contains(errs, "unreachable") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// A study over a pool of the local runner and the Slurm runner: 12 trials,
// 4 at a time, each trial once, trials on both runners.
func TestSlurmStudyOverPool(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := slurmWorkspace(t, "    max_concurrent: 3\n  - name: mixed\n    type: pool\n    members: [local, cluster]\n")
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), fmt.Sprintf(`name: pooled
runner: [local, cluster]
command: [%q, "trainer", "--lr={lr}", "--epochs=4", "--epoch-pause=30ms"]
parameters:
  - {name: lr, type: double, bounds: {min: 1.0e-3, max: 1.0}, transformation: log}
metrics:
  - {name: val_accuracy, objective: maximize}
observation_budget: 12
parallel_bandwidth: 4
seed: 5
`, bin))
	code, out, errs := run(t, "-w", ws, "--json", "tune", "run", spec)
	if code != 0 {
		t.Fatalf("tune run: exit %d: %s", code, errs)
	}
	_ = out
	on := pooledTrials(t, ws, "pooled", 12)
	if on["local"] == 0 || on["cluster"] == 0 || on["local"]+on["cluster"] != 12 {
		t.Errorf("trials per runner: %v, want some on each", on)
	}
	recs, _ := listRuns(t, ws)
	if len(recs) != 12 {
		t.Errorf("%d runs for 12 trials", len(recs))
	}
	// A named pool works for lathe run too.
	code, _, errs = run(t, "-w", ws, "run", "--runner", "mixed", "--", "true")
	if code != 0 {
		t.Errorf("run on the pool: exit %d: %s", code, errs)
	}
}

func TestSlurmRunnersCheck(t *testing.T) {
	isolate(t)
	ws := slurmWorkspace(t, "")
	code, out, errs := run(t, "--workspace", ws, "runners", "check", "cluster")
	if code != 0 || !strings.Contains(out, "ok    cluster: slurm") || !strings.Contains(out, "partition debug: 1 nodes") || !strings.Contains(out, "/2 allocated") {
		t.Errorf("check: exit %d: %s%s", code, out, errs)
	}
	var sts []engine.RunnerStatus
	runJSON(t, &sts, "--workspace", ws, "--json", "runners", "ls")
	for _, st := range sts {
		if st.Name == "cluster" && (st.Cluster == nil || len(st.Cluster.Partitions) != 1 || st.Cluster.Partitions[0].GPUs != 2) {
			t.Errorf("cluster status %+v", st)
		}
	}
}

// pooledTrials checks that study name completed with n trials, numbered
// 1..n, each with a run of its own, and counts its trials per runner.
func pooledTrials(t *testing.T, ws, name string, n int) map[string]int {
	t.Helper()
	var rep struct {
		Status string `json:"status"`
		Trials []struct {
			Number int    `json:"number"`
			Status string `json:"status"`
			RunID  string `json:"run_id"`
		} `json:"trials"`
	}
	runJSON(t, &rep, "-w", ws, "--json", "tune", "status", name)
	if rep.Status != "completed" || len(rep.Trials) != n {
		t.Fatalf("study %s with %d trials, want completed with %d", rep.Status, len(rep.Trials), n)
	}
	on := map[string]int{}
	seen := map[string]bool{}
	for i, tr := range rep.Trials {
		if tr.Number != i+1 || tr.Status != "completed" || seen[tr.RunID] {
			t.Errorf("trial %d: %+v", i+1, tr)
		}
		seen[tr.RunID] = true
		var rec experiments.RunRecord
		runJSON(t, &rec, "-w", ws, "--json", "runs", "show", tr.RunID)
		on[rec.Runner]++
	}
	return on
}

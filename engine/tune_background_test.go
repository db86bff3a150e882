package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// slowSpec is a study whose trials report one loss and then run for a
// minute: only a stop ends them in time.
const slowSpec = `name: slow
runner: local
command: ["/bin/sh", "-c", "echo \"{\\\"loss\\\": $LATHE_PARAM_X}\"; sleep 60"]
parameters:
  - {name: x, type: double, bounds: {min: 0, max: 1}}
metrics:
  - {name: loss, objective: minimize}
observation_budget: 6
parallel_bandwidth: 2
seed: 3
`

// A study started in the background from its spec file runs its trials;
// Stop stops them cleanly (runs stopped, trials told pruned with the
// reason, no new trials, the study left stopped) and StartSpecFile of the
// same file then resumes it.
func TestStudyInBackgroundStopsAndResumes(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(e.ws.Root, "slow.yaml"), []byte(slowSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := e.StartSpecFile(ctx, "slow.yaml", TuneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Resumed || e.StudyRun("slow") != run {
		t.Fatalf("run %+v, want a new study this engine drives", run)
	}
	if _, err := e.StartSpecFile(ctx, "slow.yaml", TuneOptions{}); !config.IsInput(err) || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("a second start: %v, want refused as already running", err)
	}
	// The first trial reports its loss (the second waits for the local
	// runner's one slot) before the stop.
	waitFor(t, 30*time.Second, func() bool {
		rep, err := e.StudyStatus(ctx, "slow")
		if err != nil || len(rep.Trials) != 2 || rep.Trials[0].RunID == "" {
			return false
		}
		last, _ := e.ws.Store.LastMetrics(ctx, rep.Trials[0].RunID)
		return len(last) > 0
	})
	run.Stop()
	select {
	case <-run.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the study did not stop within 30 s")
	}
	rep, err := run.Result()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != experiments.StudyStopped || len(rep.Trials) != 2 {
		t.Fatalf("study %s with %d trials, want stopped with 2", rep.Status, len(rep.Trials))
	}
	for _, tr := range rep.Trials {
		r, err := e.ws.Store.GetRun(ctx, tr.RunID)
		if err != nil {
			t.Fatal(err)
		}
		// The one that reported is pruned; the queued one, with nothing
		// reported, failed.
		want := experiments.TrialPruned
		if tr.Number == 2 {
			want = experiments.TrialFailed
		}
		if tr.Status != want || !strings.Contains(tr.Error, StopReason) || r.Status != runstatus.Stopped {
			t.Errorf("trial %d: %s %q, run %s; want %s %q with its run stopped", tr.Number, tr.Status, tr.Error, r.Status, want, StopReason)
		}
	}
	// Resuming goes on with new trials (and is stopped again).
	again, err := e.StartSpecFile(ctx, "slow.yaml", TuneOptions{})
	if err != nil || !again.Resumed {
		t.Fatalf("resume: %+v, %v", again, err)
	}
	waitFor(t, 30*time.Second, func() bool {
		rep, err := e.StudyStatus(ctx, "slow")
		return err == nil && len(rep.Trials) == 4
	})
	again.Stop()
	<-again.Done()
	if rep, _ := again.Result(); rep.Status != experiments.StudyStopped {
		t.Errorf("resumed study %s, want stopped", rep.Status)
	}
}

// The workspace's spec files are found, parsed and checked: a good one, a
// bad one reported with its file and line, a spec whose runner is unknown;
// data files and lathe.yaml are not specs.
func TestStudySpecFiles(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	write := func(rel, text string) {
		p := filepath.Join(e.ws.Root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("studies/slow.yaml", slowSpec)
	write("studies/bad.yaml", strings.Replace(slowSpec, "type: double", "type: float", 1))
	write("other.yml", strings.Replace(slowSpec, "runner: local", "runner: nowhere", 1))
	write("data/rows.json", `[{"parameters": 1, "metrics": 2}]`)
	write(".hidden/x.yaml", slowSpec)
	files, err := e.StudySpecFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if strings.Join(paths, " ") != "other.yml studies/bad.yaml studies/slow.yaml" {
		t.Fatalf("spec files %v", paths)
	}
	var ie *config.InputError
	if f := files[0]; !errors.As(f.Err, &ie) || ie.File != "other.yml" || !strings.Contains(f.Err.Error(), "nowhere") {
		t.Errorf("unknown runner: %v", f.Err)
	}
	if f := files[1]; !errors.As(f.Err, &ie) || ie.File != "studies/bad.yaml" || ie.Line != 5 {
		t.Errorf("bad spec: %#v, want studies/bad.yaml line 5", f.Err)
	}
	if f := files[2]; f.Err != nil || f.Name != "slow" || f.Study != nil {
		t.Errorf("good spec: %+v", f)
	}
	if _, err := e.StartSpecFile(ctx, "studies/bad.yaml", TuneOptions{}); !config.IsInput(err) {
		t.Errorf("starting a bad spec: %v, want an input error", err)
	}
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// A detached container run of about 1 s, harvested 10 s later by the next
// lathe command, reports the container's own duration, not the time until
// someone looked. Needs the local dockerd.
func TestDetachedDockerRunDuration(t *testing.T) {
	tag := trainerImage(t)
	isolate(t)
	ws := newWorkspace(t)
	code, out, errs := run(t, "--workspace", ws, "run", "--detach", "--runner", "docker", "--image", tag, "--",
		"/trainer", "--epochs", "10", "--epoch-pause", "100ms")
	if code != 0 {
		t.Fatalf("run --detach: exit %d: %s", code, errs)
	}
	id := lastWord(out)
	time.Sleep(11 * time.Second)
	var rec experiments.RunRecord
	deadline := time.Now().Add(30 * time.Second)
	for {
		runJSON(t, &rec, "--workspace", ws, "--json", "runs", "show", id)
		if rec.Status.Terminal() || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rec.Status != runstatus.Completed {
		t.Fatalf("status %s (%s)", rec.Status, rec.Error)
	}
	if d := rec.Ended.Sub(rec.Started); d <= 0 || d >= 2*time.Second {
		t.Fatalf("duration %v (started %v, ended %v), want under 2 s", d, rec.Started, rec.Ended)
	}
}

// lathe gc --containers is a dry run unless --yes; --yes alone is bad input.
func TestGCContainersFlags(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	if code, _, errs := run(t, "--workspace", ws, "gc", "--yes"); code != 2 || !strings.Contains(errs, "--containers") {
		t.Fatalf("gc --yes: exit %d %q", code, errs)
	}
	var rep struct {
		DryRun    bool  `json:"dry_run"`
		Leftovers []any `json:"leftovers"`
	}
	runJSON(t, &rep, "--workspace", ws, "--json", "gc", "--containers")
	if !rep.DryRun || rep.Leftovers == nil {
		t.Fatalf("gc --containers: %+v", rep)
	}
	runJSON(t, &rep, "--workspace", ws, "--json", "gc", "--containers", "--yes")
	if rep.DryRun {
		t.Fatalf("gc --containers --yes was a dry run: %+v", rep)
	}
}

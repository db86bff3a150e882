package engine

import (
	"context"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/internal/pgtest"
	"github.com/lathe-ml/lathe/runstatus"
)

// Two engines in two workspaces on one shared store, as two hosts: a run
// launched by one is followed by the other through the store's
// notifications alone (its polling is set to an hour), and the follower
// cannot take it over (its process and files are the other workspace's).
func TestFollowAcrossWorkspacesByNotification(t *testing.T) {
	url := pgtest.URL(t)
	a, b := newSharedEngine(t, url), newSharedEngine(t, url)
	if a.ws.ID == b.ws.ID {
		t.Fatal("the two workspaces share an id")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := a.Launch(ctx, LaunchRequest{Runner: "local",
		Command: sh(`for i in 1 2 3 4 5; do echo "{\"step\": $i, \"loss\": $i}"; sleep 0.2; done`)})
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	var statuses []runstatus.Status
	start := time.Now()
	err = b.FollowWith(ctx, r.ID, FollowOptions{Poll: time.Hour, NoLogs: true}, func(ev Event) {
		switch ev.Kind {
		case EventStatus:
			statuses = append(statuses, ev.Run.Status)
		case EventMetrics:
			for _, p := range ev.Samples {
				steps = append(steps, p.Step)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("following took %v", time.Since(start))
	}
	if len(steps) != 5 || steps[0] != 1 || steps[4] != 5 {
		t.Errorf("followed steps %v, want 1..5", steps)
	}
	if statuses[len(statuses)-1] != runstatus.Completed {
		t.Errorf("statuses %v, want completed last", statuses)
	}
	if b.ingests(r.ID) {
		t.Error("the other workspace's engine took the run over")
	}
	got, _ := b.GetRun(ctx, r.ID)
	if got.Workspace != a.ws.ID {
		t.Errorf("run recorded workspace %q, want the launcher's %q", got.Workspace, a.ws.ID)
	}
	// Reconcile in the other workspace leaves a foreign unfinished run alone.
	stuck := experiments.Run{Status: runstatus.Running, Runner: "local", Workspace: a.ws.ID, User: "x"}
	if err := a.ws.Store.CreateRun(ctx, &stuck); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Reconcile(ctx, ReconcileOptions{Settle: -1})
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := b.GetRun(ctx, stuck.ID); after.Status != runstatus.Running {
		t.Errorf("another workspace's running run was changed by Reconcile: %s (%+v)", after.Status, rep)
	}
}

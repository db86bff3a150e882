package engine

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// Reconcile on runs nobody follows: a queued run whose launcher is gone is
// queued here (requeue.go; TestQueuedRunOutlivesItsProcess), a run on a runner no longer configured and a local run with no
// trace are lost, and a run on an unreachable host is left alone while the
// others are handled within the connect timeout.
func TestReconcileOrphans(t *testing.T) {
	// A host that accepts connections and never answers: only the connect
	// timeout ends the probe.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	e := engineWith(t, "name: test\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n  - name: gone\n    type: docker\n    host: tcp://127.0.0.1:1\n  - name: blackhole\n    type: docker\n    host: tcp://"+ln.Addr().String()+"\n")
	e.opts.ConnectTimeout = 2 * time.Second
	ctx := context.Background()
	mk := func(status runstatus.Status, runner string) string {
		r := experiments.Run{Status: status, Runner: runner, Command: []string{"x"}}
		if err := e.ws.Store.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	queued := mk(runstatus.Queued, "local")
	unconfigured := mk(runstatus.Running, "old-gpu-box")
	vanished := mk(runstatus.Running, "local")
	remote := mk(runstatus.Running, "gone")
	silent := mk(runstatus.Running, "blackhole")

	start := time.Now()
	rep, err := e.Reconcile(ctx, ReconcileOptions{Settle: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second || d < 1900*time.Millisecond {
		t.Errorf("reconcile took %v; the silent host should cost the 2 s connect timeout, no more", d)
	}
	if rep.Unreachable["blackhole"] == "" {
		t.Errorf("silent runner not reported: %+v", rep)
	}
	if why := rep.Unreachable["gone"]; why == "" || !strings.Contains(why, "127.0.0.1:1") {
		t.Errorf("unreachable runner not reported: %+v", rep)
	}
	if len(rep.Requeued) != 1 || rep.Requeued[0] != queued {
		t.Errorf("queued run %s not requeued: %+v", queued, rep)
	}
	want := map[string]runstatus.Status{unconfigured: runstatus.Lost,
		vanished: runstatus.Lost, remote: runstatus.Running, silent: runstatus.Running}
	for id, st := range want {
		r, _ := e.ws.Store.GetRun(ctx, id)
		if r.Status != st {
			t.Errorf("run on %s (%s): %s, want %s (%s)", r.Runner, id, r.Status, st, r.Error)
		}
		if st.Terminal() && r.Error == "" {
			t.Errorf("run %s ended %s without saying why", id, st)
		}
	}
	// The unreachable runner's run is not locked: a later reconcile retries.
	if _, ok, _ := e.lockRun(remote); !ok {
		t.Error("the unreachable runner's run stayed locked")
	}
}

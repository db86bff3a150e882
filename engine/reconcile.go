package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// ReconcileOptions tune Reconcile.
type ReconcileOptions struct {
	// Settle is how long Reconcile waits for the runs it took over to catch up
	// or end before returning (they go on being followed afterwards, until
	// Close). 0 means 1 s; a negative value does not wait.
	Settle time.Duration
	// RunIDs limits reconciliation to these runs; nil means every unfinished run.
	RunIDs []string
}

// ReconcileReport says what Reconcile did.
type ReconcileReport struct {
	Followed    []string          `json:"followed"`    // still running, followed by this process now
	Ended       []string          `json:"ended"`       // harvested, or marked stopped or lost
	Requeued    []string          `json:"requeued"`    // queued by a process that ended; queued here now
	Elsewhere   []string          `json:"elsewhere"`   // ingested by another lathe process
	Unreachable map[string]string `json:"unreachable"` // runner -> why; its runs are left as they are
}

type orphan struct {
	run  experiments.Run
	lock experiments.Lock
}

// Reconcile brings the store up to date with the runners: every unfinished
// run that no live lathe process is ingesting is reattached (running),
// harvested (finished while nobody watched), marked lost (no trace), or
// queued here (queued by a process that ended before it started:
// requeue.go). Runners are probed in parallel with the connect timeout; an
// unreachable one leaves its runs untouched and is named in the report.
func (e *Engine) Reconcile(ctx context.Context, o ReconcileOptions) (ReconcileReport, error) {
	rep := ReconcileReport{Unreachable: map[string]string{}}
	runs, err := e.ws.Store.ListRuns(ctx, experiments.RunFilter{Status: []runstatus.Status{runstatus.Queued, runstatus.Running}})
	if err != nil {
		return rep, err
	}
	var only map[string]bool
	if o.RunIDs != nil {
		only = map[string]bool{}
		for _, id := range o.RunIDs {
			only[id] = true
		}
	}
	groups := map[string][]orphan{}
	var waitFor []*storeSink
	for _, r := range runs {
		if only != nil && !only[r.ID] {
			continue
		}
		e.mu.Lock()
		_, mine := e.sinks[r.ID]
		e.mu.Unlock()
		if mine {
			continue
		}
		if !e.reachable(r) {
			// Launched from another workspace of a shared store: its output
			// and process are on that host; only that workspace can reattach.
			rep.Elsewhere = append(rep.Elsewhere, r.ID)
			continue
		}
		lock, ok, err := e.lockRun(r.ID)
		if err != nil {
			return rep, err
		}
		if !ok {
			// Another process ingests it; its slot and GPUs count in the
			// store's claims (claims.go).
			rep.Elsewhere = append(rep.Elsewhere, r.ID)
			continue
		}
		// It may have ended between the listing and the lock.
		cur, err := e.ws.Store.GetRun(ctx, r.ID)
		if err != nil || cur.Status.Terminal() {
			unlock(lock)
			continue
		}
		rc, known := e.cfg.Runner(cur.Runner)
		switch {
		case cur.Status == runstatus.Queued && known && cur.ContainerID != "":
			// Handed to a cluster's queue (a pending Slurm job): follow it.
			groups[rc.Name] = append(groups[rc.Name], orphan{run: cur, lock: lock})
		case cur.Status == runstatus.Queued && known && cur.StudyID == 0:
			// Its process ended before it started: queue it here (requeue.go).
			why, err := e.requeue(ctx, cur, rc, lock)
			switch {
			case err != nil:
				unlock(lock)
				rep.Unreachable[cur.Runner] = err.Error()
			case why != "":
				s := e.newSink(cur.ID, cur.Runner, lock)
				s.Status(runners.StatusUpdate{RunID: cur.ID, Status: runstatus.Stopped, Time: time.Now(), Message: why})
				rep.Ended = append(rep.Ended, cur.ID)
			default:
				rep.Requeued = append(rep.Requeued, cur.ID)
			}
		case cur.Status == runstatus.Queued:
			s := e.newSink(cur.ID, cur.Runner, lock)
			s.Status(runners.StatusUpdate{RunID: cur.ID, Status: runstatus.Stopped, Time: time.Now(),
				Message: "it was queued in a lathe process that ended before it started; launch it again"})
			rep.Ended = append(rep.Ended, cur.ID)
		case !known:
			s := e.newSink(cur.ID, cur.Runner, lock)
			s.Status(runners.StatusUpdate{RunID: cur.ID, Status: runstatus.Lost, Time: time.Now(),
				Message: fmt.Sprintf("runner %q is no longer configured", cur.Runner)})
			rep.Ended = append(rep.Ended, cur.ID)
		default:
			groups[rc.Name] = append(groups[rc.Name], orphan{run: cur, lock: lock})
		}
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, orphans := range groups {
		rc, _ := e.cfg.Runner(name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sinks, err := e.reattach(ctx, rc, orphans)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rep.Unreachable[name] = err.Error()
				return
			}
			waitFor = append(waitFor, sinks...)
		}()
	}
	wg.Wait()

	settle := o.Settle
	if settle == 0 {
		settle = time.Second
	}
	if settle > 0 {
		deadline := time.NewTimer(settle)
		defer deadline.Stop()
	wait:
		for _, s := range waitFor {
			select {
			case <-s.done:
			case <-deadline.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
	}
	for _, s := range waitFor {
		select {
		case <-s.done:
			rep.Ended = append(rep.Ended, s.runID)
		default:
			rep.Followed = append(rep.Followed, s.runID)
		}
	}
	sort.Strings(rep.Followed)
	sort.Strings(rep.Ended)
	return rep, nil
}

// reattach hands one runner's orphans to its Reconcile. On an unreachable
// runner it releases their locks and leaves them as they are.
func (e *Engine) reattach(ctx context.Context, rc config.Runner, orphans []orphan) ([]*storeSink, error) {
	release := func() {
		for _, o := range orphans {
			unlock(o.lock)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, e.connectTimeout(rc))
	defer cancel()
	en, err := e.entry(pctx, rc)
	if err != nil {
		release()
		return nil, err
	}
	if d, ok := en.r.(*runners.Docker); ok {
		if _, err := d.Probe(pctx); err != nil {
			release()
			return nil, err
		}
	}
	tracked := make([]runners.Tracked, 0, len(orphans))
	sinks := map[string]*storeSink{}
	var all []*storeSink
	for _, o := range orphans {
		cur, err := e.cursor(ctx, o.run.ID)
		if err != nil {
			release()
			return nil, err
		}
		tracked = append(tracked, runners.Tracked{RunID: o.run.ID, Cursor: cur})
	}
	for _, o := range orphans {
		s := e.newSink(o.run.ID, rc.Name, o.lock)
		sinks[o.run.ID] = s
		all = append(all, s)
	}
	// Handles follow runs for the engine's lifetime, not this call's.
	hs, err := en.r.Reconcile(e.ctx, tracked, func(id string) runners.Sink { return sinks[id] })
	if err != nil {
		for _, s := range all {
			s.detach()
		}
		return nil, err
	}
	if d, ok := en.r.(*runners.Docker); ok {
		// Retry removing what earlier harvests left (a removal that failed,
		// a lathe that died between removal and status): the daemon answers.
		_, _ = e.sweep(ctx, d, false, map[string]bool{})
	}
	byID := map[string]experiments.Run{}
	for _, o := range orphans {
		byID[o.run.ID] = o.run
	}
	for _, h := range hs {
		run := byID[h.ID()]
		en.sched.Adopt(e.ctx, runners.Spec{ID: run.ID, GPUs: runners.GPURequest{DeviceIDs: run.GPUIDs}}, h)
		s := sinks[h.ID()]
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			_, _ = h.Wait(e.ctx)
			if s != nil && e.ctx.Err() == nil {
				s.detach() // the handle gave up without a final status: let a later lathe retry
			}
		}()
	}
	return all, nil
}

// cursor says how much of a run's output the store already has: lines per
// stream (the runners number lines per stream from 1), the time of the last
// one, and per metric the step after the last stored one.
func (e *Engine) cursor(ctx context.Context, runID string) (runners.Cursor, error) {
	o, err := e.ws.Store.StoredOutput(ctx, runID)
	if err != nil {
		return runners.Cursor{}, err
	}
	c := runners.Cursor{Stdout: o.Stdout, Stderr: o.Stderr, Time: o.Last, NextStep: map[string]int64{}}
	for k, step := range o.MaxStep {
		c.NextStep[k] = step + 1
	}
	return c, nil
}

// reachable reports whether this workspace can reattach the run: it was
// launched here (or before runs recorded their workspace).
func (e *Engine) reachable(r experiments.Run) bool {
	return r.Workspace == "" || r.Workspace == e.ws.ID
}

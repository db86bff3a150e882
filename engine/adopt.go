package engine

import (
	"context"
	"time"
)

// Following from any process. A run's output reaches the store only while
// some lathe ingests it (holds its lock); a run detached from a shell whose
// lathe then exited has nobody. Whoever looks takes it over: Follow (the
// TUI's detail, `lathe runs logs -f`) checks the run it follows, the
// watcher of a long-lived front end (the TUI, `lathe serve`) checks every
// unfinished run, and a scheduler waiting for a slot checks the runs that
// hold it, so a slot is not kept by a run that ended while nobody watched.

// adoptEvery is how often one run is checked for takeover at most.
const adoptEvery = 2 * time.Second

// ingests reports whether this process is ingesting the run.
func (e *Engine) ingests(runID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.sinks[runID]
	return ok
}

// takeOver reattaches the run when nobody ingests it, at most once per
// adoptEvery per run. It does not wait for the run.
func (e *Engine) takeOver(ctx context.Context, runID string) {
	if e.ws == nil || e.ingests(runID) {
		return
	}
	e.mu.Lock()
	if time.Since(e.tried[runID]) < adoptEvery {
		e.mu.Unlock()
		return
	}
	e.tried[runID] = time.Now()
	e.mu.Unlock()
	if e.runAlive(runID) {
		return
	}
	_, _ = e.Reconcile(ctx, ReconcileOptions{Settle: -1, RunIDs: []string{runID}})
}

// takeOverSoon is takeOver in the background, owned by the engine.
func (e *Engine) takeOverSoon(runID string) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.takeOver(e.ctx, runID)
	}()
}

// WatchOrphans makes the engine take over, every interval (0 means 2 s),
// every unfinished run that no process ingests, until Close: a run
// launched with --detach from another shell is followed live, and ends,
// without any other command. Long-lived front ends (the TUI, lathe serve)
// call it once.
func (e *Engine) WatchOrphans(interval time.Duration) {
	if e.ws == nil {
		return
	}
	if interval <= 0 {
		interval = adoptEvery
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-e.ctx.Done():
				return
			case <-t.C:
			}
			_, _ = e.Reconcile(e.ctx, ReconcileOptions{Settle: -1})
		}
	}()
}

package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// Stop ends a run: a queued run leaves the queue, a running one gets SIGTERM
// and, after runs.stop_grace, SIGKILL. It works on runs launched by other
// lathe processes too (their ingester records the end; with none, this
// engine reconciles the run itself). Stopping a run that already ended does
// nothing.
func (e *Engine) Stop(ctx context.Context, runID string) error {
	if err := permit(ctx, "stop", fmt.Sprintf("%q", runID)); err != nil {
		return err
	}
	run, err := e.ws.Store.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	if run.Status.Terminal() {
		return nil
	}
	rc, err := e.runnerConfig(run.Runner, "runner")
	if err != nil {
		return err
	}
	e.mu.Lock()
	sink, mine := e.sinks[runID]
	e.mu.Unlock()
	en, err := e.entry(ctx, rc)
	if err != nil {
		return err
	}
	if mine && en.sched.Cancel(ctx, runID, e.grace()) == nil {
		// This process ingests the run: return once its end is stored.
		select {
		case <-sink.done:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.grace() + 10*time.Second):
		}
		return nil
	}
	if run.Status == runstatus.Queued && run.ContainerID == "" { // not yet handed to a cluster's queue
		return fmt.Errorf("run %s is queued in another lathe process; stop it there (if that process exits first, the next lathe queues the run again)", runID)
	}
	if err := en.r.Stop(ctx, runID, e.grace()); err != nil {
		return err
	}
	if !mine {
		// Nobody here ingests it: record the end now if nobody else does.
		_, err = e.Reconcile(ctx, ReconcileOptions{RunIDs: []string{runID}, Settle: 5 * time.Second})
	}
	return err
}

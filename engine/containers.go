package engine

import (
	"context"
	"errors"
	"sort"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
)

// ContainerGCReport is what GCContainers found (and removed): `lathe gc
// --containers --json`.
type ContainerGCReport struct {
	DryRun      bool                `json:"dry_run"`
	Leftovers   []LeftoverContainer `json:"leftovers"`   // containers of finished (or unknown) runs
	Unreachable map[string]string   `json:"unreachable"` // runner -> why it was not asked
}

// LeftoverContainer is one container of a run that has ended.
type LeftoverContainer struct {
	runners.Leftover
	RunStatus string `json:"run_status"`      // the run's status in the store; "" when the store has no such run
	Removed   bool   `json:"removed"`         // removed by this call
	Error     string `json:"error,omitempty"` // why removing it failed
}

// GCContainers lists the lathe-labelled containers of this workspace whose
// run has ended (or that no run of the store claims) on every docker
// runner's daemon, and removes them unless dryRun. Containers of runs that
// are still queued or running are never touched. Harvesting removes a run's
// container before its final status; this collects the ones whose removal
// failed or whose lathe died in between.
func (e *Engine) GCContainers(ctx context.Context, dryRun bool) (ContainerGCReport, error) {
	if err := permit(ctx, "gc", "containers"); err != nil {
		return ContainerGCReport{}, err
	}
	if err := e.need(); err != nil {
		return ContainerGCReport{}, err
	}
	rep := ContainerGCReport{DryRun: dryRun, Leftovers: []LeftoverContainer{}, Unreachable: map[string]string{}}
	seen := map[string]bool{} // container ids: several runner entries can share a daemon
	for _, name := range e.cfg.RunnerNames() {
		rc, _ := e.cfg.Runner(name)
		if rc.Type != config.RunnerDocker {
			continue
		}
		found, err := e.sweepRunner(ctx, rc, dryRun, seen)
		if err != nil {
			rep.Unreachable[name] = err.Error()
		}
		rep.Leftovers = append(rep.Leftovers, found...)
	}
	sort.Slice(rep.Leftovers, func(i, j int) bool { return rep.Leftovers[i].Name < rep.Leftovers[j].Name })
	return rep, nil
}

// sweepRunner finds (and unless dryRun removes) one runner's leftovers.
func (e *Engine) sweepRunner(ctx context.Context, rc config.Runner, dryRun bool, seen map[string]bool) ([]LeftoverContainer, error) {
	r, err := runners.FromConfig(rc, runners.Options{WorkspaceID: e.ws.ID, Version: e.opts.Version})
	if err != nil {
		return nil, err
	}
	d := r.(*runners.Docker)
	defer d.Close()
	return e.sweep(ctx, d, dryRun, seen)
}

// sweep is sweepRunner on a connected runner.
func (e *Engine) sweep(ctx context.Context, d *runners.Docker, dryRun bool, seen map[string]bool) ([]LeftoverContainer, error) {
	all, err := d.Leftovers(ctx)
	if err != nil {
		return nil, err
	}
	var out []LeftoverContainer
	for _, l := range all {
		if seen[l.ContainerID] {
			continue
		}
		seen[l.ContainerID] = true
		run, err := e.ws.Store.GetRun(ctx, l.RunID)
		switch {
		case errors.Is(err, experiments.ErrNotFound):
		case err != nil:
			return out, err
		case !run.Status.Terminal():
			continue
		}
		lc := LeftoverContainer{Leftover: l, RunStatus: string(run.Status)}
		if !dryRun {
			if err := d.RemoveLeftover(ctx, l); err != nil {
				lc.Error = err.Error()
			} else {
				lc.Removed = true
			}
		}
		out = append(out, lc)
	}
	return out, nil
}

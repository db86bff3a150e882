package engine

import (
	"context"
	"fmt"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// pickRunner chooses the member of a pool (a pool runner, or a study's
// runners: list) that a run goes to: among members with a free slot the
// one with the largest free share of its max_concurrent, config order
// breaking ties; when all are full, the least loaded one, where the run
// queues. Any runners.Runner can be a member.
func (e *Engine) pickRunner(ctx context.Context, rc config.Runner, names []string) (config.Runner, error) {
	var members []config.Runner
	if len(names) > 0 {
		for _, n := range names {
			m, err := e.runnerConfig(n, "runners")
			if err != nil {
				return config.Runner{}, err
			}
			if m.Type == config.RunnerPool {
				return config.Runner{}, &config.InputError{Field: "runners", Msg: fmt.Sprintf("%s is a pool; list runners, not pools", n)}
			}
			members = append(members, m)
		}
	} else {
		var err error
		if members, err = e.cfg.PoolMembers(rc); err != nil {
			return config.Runner{}, err
		}
	}
	active, err := e.ws.Store.ListRuns(ctx, experiments.RunFilter{Status: []runstatus.Status{runstatus.Queued, runstatus.Running}})
	if err != nil {
		return config.Runner{}, err
	}
	used := map[string]int{}
	for _, r := range active {
		used[r.Runner]++
	}
	best, bestFree, bestLoad := -1, false, 0.0
	for i, m := range members {
		slots := max(1, m.MaxConcurrent)
		free := used[m.Name] < slots
		load := float64(used[m.Name]) / float64(slots)
		if best < 0 || (free && !bestFree) || (free == bestFree && load < bestLoad) {
			best, bestFree, bestLoad = i, free, load
		}
	}
	return members[best], nil
}

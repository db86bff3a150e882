package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// storeClaims are a runner's slot and GPU claims in the store
// (experiments.Store.Claim): one write transaction sees every process's runs
// of the runner and applies the scheduler's rules (runners.Decide) to the
// whole queue, so max_concurrent and GPUs hold across processes, and FIFO
// with priorities holds across them too.
type storeClaims struct {
	e    *Engine
	rc   config.Runner
	gpus []string // the devices the runner allows
	// cluster: the runner's cluster picks GPUs (Slurm), so claims count slots only.
	cluster bool

	mu    sync.Mutex
	inv   runners.Inventory
	invAt time.Time
	probe func(ctx context.Context) (runners.Inventory, error)
}

// inventoryTTL is how long a GPU load reading is trusted when choosing the
// freest GPUs: nvidia-smi on this host takes tens of milliseconds; a Docker
// host's reading takes a throwaway container, so it is read less often.
func (c *storeClaims) inventoryTTL() time.Duration {
	if c.rc.Type == config.RunnerDocker {
		return 30 * time.Second
	}
	return 3 * time.Second
}

func (c *storeClaims) Claim(ctx context.Context, spec runners.Spec) ([]string, bool, error) {
	devices := c.gpus
	if !spec.GPUs.None() && len(c.gpus) > 0 {
		devices = runners.PreferFreest(c.gpus, c.inventory(ctx), c.rc.MinFreeMemory>>20)
	}
	max := c.rc.MaxConcurrent
	var stale []string // running runs this process does not ingest
	defer func() {
		// A slot held by a run nobody ingests may belong to a run that ended
		// while nobody watched: take it over (outside the transaction).
		for _, id := range stale {
			if !c.e.runAlive(id) {
				c.e.takeOverSoon(id)
			}
		}
	}()
	return c.e.ws.Store.Claim(ctx, experiments.ClaimRequest{Runner: c.rc.Name, Host: c.e.claimHost(c.rc), RunID: spec.ID, Owner: c.e.owner, Alive: c.e.runAlive},
		func(rows []experiments.ClaimRow) ([]string, bool) {
			var held [][]string
			var waiting []runners.Contender
			for _, r := range rows {
				if r.Holds() {
					held = append(held, r.GPUIDs)
					if r.Status == runstatus.Running && !c.e.ingests(r.ID) {
						stale = append(stale, r.ID)
					}
					continue
				}
				g, err := config.ParseGPUSpec(r.GPUs)
				if err != nil {
					continue // a record no lathe wrote; it cannot compete
				}
				if c.cluster {
					g = config.GPUSpec{}
				}
				waiting = append(waiting, runners.Contender{ID: r.ID, GPUs: runners.GPURequestFrom(g)})
			}
			gpus, ok := runners.Decide(held, waiting, max, devices)[spec.ID]
			return gpus, ok
		})
}

func (c *storeClaims) Release(ctx context.Context, runID string) error {
	return c.e.ws.Store.ReleaseClaim(ctx, runID)
}

// inventory is a recent reading of the host's GPU load (the last one when a
// new reading fails).
func (c *storeClaims) inventory(ctx context.Context) runners.Inventory {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probe != nil && time.Since(c.invAt) > c.inventoryTTL() {
		if inv, err := c.probe(ctx); err == nil {
			c.inv = inv
		}
		c.invAt = time.Now()
	}
	return c.inv
}

// runAlive reports whether some process holds run id's ingest lock: the
// launching process of a queued run holds it until the run ends or it dies,
// on whichever host it runs (the lock is the store's). A store that cannot
// answer counts the run as alive: nothing is taken from a run on a guess.
func (e *Engine) runAlive(id string) bool {
	held, err := e.ws.Store.Locks().Held(e.ctx, id)
	return held || err != nil
}

// processOwner names this engine in the claims it writes.
func processOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// claimHost narrows a local runner's slot pool to this host: in a shared
// store, two members' "local" runners are two machines, while the workspaces
// of one machine share its slots. A docker runner's runs are one pool per
// runner name (its endpoint, which the team's runners file names).
func (e *Engine) claimHost(rc config.Runner) string {
	if rc.Type == config.RunnerDocker {
		return ""
	}
	return e.host
}

package runners

import (
	"context"
	"slices"
	"strconv"
)

// Claims make a runner's slots and GPUs one pool for every lathe process
// sharing a store: the engine implements them as one write transaction in
// the store (BEGIN IMMEDIATE in SQLite), so two processes waiting for the
// slot a run just freed cannot both take it, and a GPU is never handed out
// twice. Without Claims a Scheduler counts only its own process's runs.
type Claims interface {
	// Claim takes a slot (and the GPUs spec asks for) for spec if the
	// runner's whole queue, every process's, says it is spec's turn. ok is
	// false when it must wait; gpus are the devices it got.
	Claim(ctx context.Context, spec Spec) (gpus []string, ok bool, err error)
	// Release gives back a claim whose run was not started.
	Release(ctx context.Context, runID string) error
}

// Contender is one run of a runner's queue as Decide sees it.
type Contender struct {
	ID   string
	GPUs GPURequest
}

// Decide applies the scheduler's rules to one runner's queue: at most max
// runs at once (held counts those holding a slot, with the devices each
// holds), waiting runs in order (higher priority first, then first come),
// a GPU run never overtaken by a later GPU run, runs needing no GPU free to
// go ahead of a head that waits for GPUs. devices are the runner's
// allocatable GPUs in order of preference (the freest first). It returns
// the runs that may start now with the devices each gets.
func Decide(held [][]string, waiting []Contender, max int, devices []string) map[string][]string {
	if max <= 0 {
		max = 1
	}
	used := map[string]bool{}
	for _, h := range held {
		for _, g := range h {
			used[g] = true
		}
	}
	free := make([]string, 0, len(devices))
	for _, g := range devices {
		if !used[g] {
			free = append(free, g)
		}
	}
	slots := max - len(held)
	out := map[string][]string{}
	headBlocked := false
	for _, c := range waiting {
		if slots <= 0 {
			break
		}
		if headBlocked && !c.GPUs.None() {
			continue
		}
		gpus, ok := allocate(c.GPUs, free, devices)
		if !ok {
			headBlocked = true
			continue
		}
		out[c.ID] = gpus
		slots--
		free = slices.DeleteFunc(free, func(g string) bool { return slices.Contains(gpus, g) })
	}
	return out
}

// PreferFreest orders the allocatable devices ids by how free they are on
// the host right now (inv, a fresh nvidia-smi reading): most free memory
// first, then lowest utilization, so a run asking for one GPU does not land
// on the one something else is using. A GPU with less than minFreeMiB free
// memory is left out (0: no floor). MIG devices and GPUs the reading does
// not describe keep their order, after the described ones.
func PreferFreest(ids []string, inv Inventory, minFreeMiB int64) []string {
	type load struct {
		known      bool
		free, util int64
	}
	loads := map[string]load{}
	for _, g := range inv.GPUs {
		if g.MemoryTotalMiB == nil || g.MemoryUsedMiB == nil {
			continue
		}
		l := load{known: true, free: *g.MemoryTotalMiB - *g.MemoryUsedMiB}
		if g.UtilizationPct != nil {
			l.util = *g.UtilizationPct
		}
		loads[strconv.Itoa(g.Index)] = l
		if g.UUID != "" {
			loads[g.UUID] = l
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if l := loads[id]; l.known && minFreeMiB > 0 && l.free < minFreeMiB {
			continue
		}
		out = append(out, id)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		la, lb := loads[a], loads[b]
		switch {
		case la.known != lb.known:
			if la.known {
				return -1
			}
			return 1
		case la.free != lb.free:
			if la.free > lb.free {
				return -1
			}
			return 1
		case la.util != lb.util:
			if la.util < lb.util {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}

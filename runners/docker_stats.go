package runners

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// SystemProbe implements SystemSampler: the container's CPU and memory from
// the daemon's stats API (one-shot reads, the rate computed between them),
// and, when the daemon is this machine's, the allocated GPUs from
// nvidia-smi here. GPUs of a remote daemon are not sampled: nvidia-smi
// would have to run on that host.
func (d *Docker) SystemProbe(t SysTarget) (Probe, error) {
	p := &containerProbe{d: d, runID: t.RunID, id: t.ContainerID}
	if d.sharedFS {
		p.gpu = newGPUProbe(t.GPUs)
	}
	return p, nil
}

// containerProbe reads one container's stats.
type containerProbe struct {
	d     *Docker
	runID string
	id    string // found by the run's label when the record has none yet
	gpu   *gpuProbe
	cpu   cpuRate
}

// Sample implements Probe.
func (p *containerProbe) Sample(ctx context.Context, now time.Time) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if p.id == "" {
		cs, err := p.d.findContainers(ctx, p.runID)
		if err != nil {
			return nil, err
		}
		c, ok := cs[p.runID]
		if !ok {
			return nil, fmt.Errorf("runner %s: no container for run %s", p.d.name, p.runID)
		}
		p.id = c.ID
	}
	st, err := p.stats(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	if st.Read.IsZero() || st.CPUStats.CPUUsage.TotalUsage == 0 && st.MemoryStats.Usage == 0 {
		// A container that is not running answers with zeros.
		return out, nil
	}
	at := st.Read // the daemon's clock, so the rate does not include the request's latency
	if pct, ok := p.cpu.rate(float64(st.CPUStats.CPUUsage.TotalUsage)/1e9, at); ok {
		out[SysCPU] = pct
	}
	out[SysMemRSS] = float64(memUsed(st.MemoryStats))
	if p.gpu != nil {
		if err := p.gpu.sample(ctx, now, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (p *containerProbe) stats(ctx context.Context) (container.StatsResponse, error) {
	var st container.StatsResponse
	res, err := p.d.cli.ContainerStats(ctx, p.id, client.ContainerStatsOptions{})
	if err != nil {
		return st, fmt.Errorf("runner %s: stats of %.12s: %w", p.d.name, p.id, err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("runner %s: stats of %.12s: %w", p.d.name, p.id, err)
	}
	return st, nil
}

// memUsed is the memory docker stats shows: usage less the inactive page
// cache (cgroup v2 "inactive_file", v1 "total_inactive_file"), which the
// kernel drops before it kills for memory.
func memUsed(m container.MemoryStats) uint64 {
	cache := m.Stats["inactive_file"]
	if v, ok := m.Stats["total_inactive_file"]; ok {
		cache = v
	}
	if cache > m.Usage {
		return m.Usage
	}
	return m.Usage - cache
}

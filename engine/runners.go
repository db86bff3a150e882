package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// RunnerStatus is one runner's health and load, for `lathe runners ls` and
// the Runners screen.
type RunnerStatus struct {
	Name          string               `json:"name"`
	Type          string               `json:"type"`
	Host          string               `json:"host,omitempty"`
	Origin        string               `json:"origin,omitempty"` // where the config entry comes from
	Reachable     bool                 `json:"reachable"`
	Error         string               `json:"error,omitempty"`
	Daemon        *runners.DaemonInfo  `json:"daemon,omitempty"`
	Cluster       *runners.ClusterInfo `json:"cluster,omitempty"` // a Slurm runner's partitions and queue
	Members       []string             `json:"members,omitempty"` // a pool's runners
	Kube          *runners.KubeInfo    `json:"kubernetes,omitempty"`
	GPUs          []runners.GPU        `json:"gpus"`
	NoGPU         string               `json:"no_gpu,omitempty"`
	MaxConcurrent int                  `json:"max_concurrent"`
	Running       []string             `json:"running"`
	Queued        []string             `json:"queued"`
}

// Runners probes every configured runner in parallel, each within the
// connect timeout, so an unreachable host does not delay the others.
func (e *Engine) Runners(ctx context.Context) []RunnerStatus {
	names := e.cfg.RunnerNames()
	out := make([]RunnerStatus, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		rc, _ := e.cfg.Runner(name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = e.probe(ctx, rc)
		}()
	}
	wg.Wait()
	return out
}

// CheckRunner probes one runner; an unknown name is an input error.
func (e *Engine) CheckRunner(ctx context.Context, name string) (RunnerStatus, error) {
	rc, err := e.runnerConfig(name, "NAME")
	if err != nil {
		return RunnerStatus{}, err
	}
	return e.probe(ctx, rc), nil
}

func (e *Engine) probe(ctx context.Context, rc config.Runner) RunnerStatus {
	max := rc.MaxConcurrent
	if max <= 0 {
		max = 1
	}
	st := RunnerStatus{Name: rc.Name, Type: rc.Type, Host: rc.Host, MaxConcurrent: max, GPUs: []runners.GPU{},
		Running: []string{}, Queued: []string{}, Origin: e.cfg.Origin("runners." + rc.Name).Source()}
	if runs, err := e.ws.Store.ListRuns(ctx, experiments.RunFilter{Runner: rc.Name, Status: []runstatus.Status{runstatus.Running, runstatus.Queued}}); err == nil {
		for i := len(runs) - 1; i >= 0; i-- { // oldest first
			if runs[i].Status == runstatus.Running {
				st.Running = append(st.Running, runs[i].ID)
			} else {
				st.Queued = append(st.Queued, runs[i].ID)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.connectTimeout(rc))
	defer cancel()
	if rc.Type == config.RunnerPool {
		st.Members = rc.Members
		_, err := e.cfg.PoolMembers(rc)
		st.Reachable = err == nil
		if err != nil {
			st.Error = err.Error()
		}
		return st
	}
	r, err := runners.FromConfig(rc, e.runnerOptions())
	if err != nil {
		st.Error = err.Error()
		return st
	}
	var inv runners.Inventory
	switch d := r.(type) {
	case *runners.Docker:
		defer d.Close()
		st.Host = d.Host()
		info, err := d.Probe(ctx)
		if err != nil {
			st.Error = err.Error()
			return st
		}
		st.Reachable, st.Daemon = true, &info
		if rc.GPUs.IsZero() {
			st.NoGPU = "no GPU: none configured for this runner (gpus:)"
			return st
		}
		inv, err = e.inventory(ctx, rc, d)
		if err != nil {
			st.Error = err.Error()
			return st
		}
	case *runners.Slurm:
		st.Host = d.Host()
		if st.Host == "" {
			st.Host = e.host
		}
		info, err := d.Probe(ctx)
		if err != nil {
			st.Error = err.Error()
			return st
		}
		// The queue of this workspace's jobs only.
		jobs := info.Jobs[:0]
		for _, j := range info.Jobs {
			if run, err := e.ws.Store.GetRun(ctx, j.RunID); err == nil && e.reachable(run) {
				jobs = append(jobs, j)
			}
		}
		info.Jobs = jobs
		st.Reachable, st.Cluster = true, &info
		st.NoGPU = "GPUs: Slurm allocates them per job (gpus_per_run, --gpus N)"
		return st
	case *runners.Kube:
		st.Host = d.Server()
		info, err := d.Probe(ctx)
		if err != nil {
			st.Error = err.Error()
			return st
		}
		if err := d.Cluster(ctx, &info); err != nil {
			st.Error = err.Error()
			return st
		}
		st.Kube = &info
		if miss := info.MissingPermission(); miss != "" {
			st.Error = fmt.Sprintf("runner %s: %s", rc.Name, miss)
			return st
		}
		st.Reachable = true
		st.NoGPU = "GPUs: the cluster's (nvidia.com/gpu per run: gpus_per_run)"
		return st
	default:
		st.Reachable = true
		st.Host = e.host
		inv, err = runners.LocalInventory(ctx)
		if err != nil {
			st.Error = err.Error()
			return st
		}
	}
	if inv.GPUs != nil {
		st.GPUs = inv.GPUs
	}
	st.NoGPU = inv.NoGPU
	return st
}

// connectTimeout is how long a runner's probe may take: its connect_timeout
// when the config sets one, else the engine's.
func (e *Engine) connectTimeout(rc config.Runner) time.Duration {
	if rc.ConnectTimeout > 0 {
		return rc.ConnectTimeout
	}
	return e.opts.ConnectTimeout
}

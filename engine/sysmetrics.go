package engine

import (
	"context"
	"time"

	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// System metrics (runners.SysPrefix) are sampled by whoever ingests the
// run: the sampler lives as long as the run's store sink, so it starts with
// a launch or a takeover (a later lathe that adopts the run samples it from
// then on), and ends with the run's final status or when this process lets
// the run go. Its step is whole seconds since the run started, the same
// across processes, so a takeover continues the curve.

// defaultSysInterval is used when the config leaves runs.system_interval unset.
const defaultSysInterval = 2 * time.Second

// sysInterval is the sampling period; 0 turns sampling off.
func (e *Engine) sysInterval() time.Duration {
	if e.cfg == nil {
		return 0
	}
	return e.cfg.Runs.SystemInterval
}

// startSysSampler starts sampling the run of s in the background; the
// returned function stops it without waiting (it is called with s.mu held,
// and the sampler takes s.mu to store).
func (e *Engine) startSysSampler(s *storeSink) context.CancelFunc {
	every := e.sysInterval()
	if every <= 0 || e.ws == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(e.ctx)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		e.sampleSystem(ctx, s, every)
	}()
	return cancel
}

func (e *Engine) sampleSystem(ctx context.Context, s *storeSink, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var (
		probe   runners.Probe
		started time.Time
	)
	for {
		if probe == nil {
			var stop bool
			probe, started, stop = e.sysProbe(ctx, s)
			if stop {
				return
			}
		}
		if probe != nil {
			now := time.Now()
			vals, _ := probe.Sample(ctx, now) // a failed read (the run just ended) leaves a gap
			if len(vals) > 0 && ctx.Err() == nil {
				s.sysSamples(vals, int64(now.Sub(started)/time.Second), now)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sysProbe returns the run's probe once it runs; stop is true when it
// never will be sampled (ended, or its runner cannot measure it).
func (e *Engine) sysProbe(ctx context.Context, s *storeSink) (p runners.Probe, started time.Time, stop bool) {
	run, err := e.ws.Store.GetRun(ctx, s.runID)
	if err != nil || run.Status.Terminal() {
		return nil, time.Time{}, err == nil
	}
	if run.Status != runstatus.Running {
		return nil, time.Time{}, false
	}
	e.mu.Lock()
	en := e.entries[s.runner]
	e.mu.Unlock()
	if en == nil {
		return nil, time.Time{}, false // the runner is being set up
	}
	ss, ok := en.r.(runners.SystemSampler)
	if !ok {
		return nil, time.Time{}, true
	}
	p, err = ss.SystemProbe(runners.SysTarget{RunID: run.ID, PID: run.PID, ContainerID: run.ContainerID, GPUs: run.GPUIDs})
	if err != nil {
		return nil, time.Time{}, true
	}
	started = run.Started
	if started.IsZero() {
		started = time.Now()
	}
	return p, started, false
}

// sysSamples stores one round of system metrics, unless the sink ended.
func (s *storeSink) sysSamples(vals map[string]float64, step int64, t time.Time) {
	samples := make([]runners.Sample, 0, len(vals))
	for k, v := range vals {
		samples = append(samples, runners.Sample{Key: k, Step: step, Value: v, Time: t})
	}
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if !ended {
		s.Metrics(samples)
	}
}

// SystemPrefix starts the keys of the system metrics (sys/cpu, sys/mem_rss,
// sys/gpu<i>_util, sys/gpu<i>_mem), which front ends show apart from a run's
// own metrics.
const SystemPrefix = runners.SysPrefix

// IsSystemMetric reports whether key is a system metric.
func IsSystemMetric(key string) bool { return runners.IsSysMetric(key) }

package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
)

// Options tune an Engine; the zero value is usable.
type Options struct {
	// Version is lathe's version, written on Docker labels.
	Version string
	// Getenv reads the launching environment (runner pass_env); nil means os.Getenv.
	Getenv func(string) string
	// ConnectTimeout bounds each runner's probe in Reconcile, Runners and
	// CheckRunner; 0 means 5 s.
	ConnectTimeout time.Duration
	// FlushInterval and FlushItems bound how long and how much a run's sink
	// buffers before writing to the store; 0 means 100 ms and 1,000 items
	// (6,000 on PostgreSQL: see flushItems).
	FlushInterval time.Duration
	FlushItems    int
}

// Engine is an open workspace with its config and runners.
type Engine struct {
	ws      *experiments.Workspace
	ownWS   bool
	cfg     *config.Config
	opts    Options
	host    string
	owner   string          // names this process in slot claims
	ctx     context.Context // lifetime of everything the engine starts
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once

	mu      sync.Mutex
	entries map[string]*runnerEntry
	sinks   map[string]*storeSink // runs this process is ingesting
	changed chan struct{}         // closed and replaced whenever something is stored
	tried   map[string]time.Time  // last takeover attempt per run (adopt.go)
	watch   bool                  // the store's change notifications are bridged (watchStore)
	poolMu  sync.Mutex            // one pool launch at a time picks its runner (pools.go)

	studyRuns  map[string]*StudyRun // studies driven in the background (tune_background.go)
	worker     string               // this process as a tuning worker (tune_workers.go)
	workerLock experiments.Lock     // held while the engine lives
}

type runnerEntry struct {
	rc    config.Runner
	r     runners.Runner
	sched *runners.Scheduler
	gpus  []string // the device ids the scheduler allocates from
}

// Open opens the workspace at root and returns an engine that owns it (Close
// closes it).
func Open(root string, cfg *config.Config, opts Options) (*Engine, error) {
	oo := openOptions(cfg, false)
	oo.Getenv = opts.Getenv
	ws, err := experiments.OpenWith(root, oo)
	if err != nil {
		return nil, err
	}
	e := New(ws, cfg, opts)
	e.ownWS = true
	return e, nil
}

// New returns an engine on an open workspace, which the caller keeps owning.
func New(ws *experiments.Workspace, cfg *config.Config, opts Options) *Engine {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 100 * time.Millisecond
	}
	host, _ := os.Hostname()
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{ws: ws, cfg: cfg, opts: opts, host: host, owner: processOwner(), ctx: ctx, cancel: cancel,
		entries: map[string]*runnerEntry{}, sinks: map[string]*storeSink{}, tried: map[string]time.Time{}, changed: make(chan struct{})}
	e.wg.Add(1)
	go e.flusher()
	return e
}

// Config is the merged configuration.
func (e *Engine) Config() *config.Config { return e.cfg }

// Close stops following runs (they go on; a later Reconcile finds them),
// writes what was read, releases the runs' ingest locks and closes the
// workspace when the engine opened it.
func (e *Engine) Close() error {
	var err error
	e.closeMu.Do(func() {
		e.cancel()
		e.wg.Wait()
		e.mu.Lock()
		sinks := make([]*storeSink, 0, len(e.sinks))
		for _, s := range e.sinks {
			sinks = append(sinks, s)
		}
		e.mu.Unlock()
		for _, s := range sinks {
			s.detach()
		}
		e.mu.Lock()
		for _, en := range e.entries {
			if c, ok := en.r.(interface{ Close() error }); ok {
				_ = c.Close()
			}
		}
		unlock(e.workerLock)
		e.workerLock = nil
		e.mu.Unlock()
		if e.ownWS && e.ws != nil {
			err = e.ws.Close()
		}
	})
	return err
}

// flusher writes every live sink's buffer at the flush interval, so the last
// lines of a quiet run do not wait for the next batch to fill.
func (e *Engine) flusher() {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		sinks := make([]*storeSink, 0, len(e.sinks))
		for _, s := range e.sinks {
			sinks = append(sinks, s)
		}
		e.mu.Unlock()
		for _, s := range sinks {
			s.flushIfDue()
		}
	}
}

// notify wakes every follower waiting for a change.
func (e *Engine) notify() {
	e.mu.Lock()
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

// changes returns a channel closed at the next stored change: one this
// process made, or, where the store announces them (a shared store's
// LISTEN/NOTIFY), one any process on any host made.
func (e *Engine) changes() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.watch && e.ws != nil && e.ctx.Err() == nil {
		e.watch = true
		if ch := e.ws.Store.Changes(); ch != nil {
			e.wg.Add(1)
			go e.watchStore(ch)
		}
	}
	return e.changed
}

// watchStore turns the store's change notifications into the engine's.
func (e *Engine) watchStore(ch <-chan struct{}) {
	defer e.wg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-ch:
		}
		ch = e.ws.Store.Changes()
		e.notify()
	}
}

// pollEvery is how often a watcher re-reads the store for changes nobody
// announced: often where nothing announces them (SQLite: other processes'
// writes), seldom where LISTEN/NOTIFY is delivering, as a safety net.
func (e *Engine) pollEvery(short time.Duration) time.Duration {
	if e.ws != nil && e.ws.Store.Live() {
		return max(short, 2*time.Second)
	}
	return short
}

// runnerConfig resolves a runner name ("" = default_runner); an unknown name
// is an input error listing the valid ones.
func (e *Engine) runnerConfig(name, field string) (config.Runner, error) {
	if name == "" {
		name = e.cfg.DefaultRunner
	}
	if rc, ok := e.cfg.Runner(name); ok {
		return rc, nil
	}
	return config.Runner{}, &config.InputError{Field: field, Msg: fmt.Sprintf("unknown runner %q; valid runners: %s", name, strings.Join(e.cfg.RunnerNames(), ", "))}
}

// RunnerNames lists the configured runners, in config order.
func (e *Engine) RunnerNames() []string { return e.cfg.RunnerNames() }

// entry returns the runner and scheduler of rc, building them on first use.
// A runner whose config allows GPUs gets its inventory first (so the
// scheduler can allocate devices); that may take a throwaway container.
func (e *Engine) entry(ctx context.Context, rc config.Runner) (*runnerEntry, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	if en, ok := e.entries[rc.Name]; ok {
		e.mu.Unlock()
		return en, nil
	}
	e.mu.Unlock()
	r, err := runners.FromConfig(rc, e.runnerOptions())
	if err != nil {
		return nil, err
	}
	var inv runners.Inventory
	if !runners.GPUsOf(rc).IsZero() {
		inv, err = e.inventory(ctx, rc, r)
		switch {
		case err != nil && rc.GPUs.IsZero():
			// A local runner's implicit "all GPUs": an unreadable inventory
			// means none, not a runner that cannot launch.
			inv = runners.Inventory{NoGPU: "no GPU: " + err.Error()}
		case err != nil:
			return nil, fmt.Errorf("runner %s: GPU inventory: %w", rc.Name, err)
		}
	}
	so := runners.SchedulerOptionsFor(rc, inv)
	claims := &storeClaims{e: e, rc: rc, gpus: so.GPUs, inv: inv, invAt: time.Now()}
	if a, ok := r.(runners.GPUAllocator); ok {
		claims.cluster = a.AllocatesGPUs()
	}
	if len(so.GPUs) > 0 {
		claims.probe = func(ctx context.Context) (runners.Inventory, error) { return e.inventory(ctx, rc, r) }
	}
	so.Claims = claims
	en := &runnerEntry{rc: rc, r: r, sched: runners.NewScheduler(r, so), gpus: so.GPUs}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.entries[rc.Name]; ok { // another goroutine won the race
		if c, ok := r.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		return old, nil
	}
	if e.ctx.Err() != nil {
		return nil, errors.New("engine closed")
	}
	e.entries[rc.Name] = en
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		_ = en.sched.Run(e.ctx)
	}()
	return en, nil
}

// runnerOptions are what every runner built from config gets.
func (e *Engine) runnerOptions() runners.Options {
	return runners.Options{RunsDir: filepath.Join(e.ws.StateDir, "runs"), WorkspaceID: e.ws.ID, Version: e.opts.Version,
		ConnectTimeout: e.opts.ConnectTimeout, Origin: e.cfg.Origin}
}

func (e *Engine) inventory(ctx context.Context, rc config.Runner, r runners.Runner) (runners.Inventory, error) {
	switch d := r.(type) {
	case *runners.Docker:
		if rc.Image == "" {
			return runners.Inventory{NoGPU: "set image: on the runner (an image with a libc) to query its GPUs"}, nil
		}
		return d.Inventory(ctx, rc.Image)
	default:
		return runners.LocalInventory(ctx)
	}
}

// ResolveRun expands a unique prefix of a run id.
func (e *Engine) ResolveRun(ctx context.Context, prefix string) (string, error) {
	if err := e.need(); err != nil {
		return "", err
	}
	return e.ws.Store.ResolveRun(ctx, prefix)
}

// CompleteRunIDs lists run ids starting with prefix, newest first, for shell
// completion.
func (e *Engine) CompleteRunIDs(ctx context.Context, prefix string, limit int) []string {
	if e.ws == nil {
		return nil
	}
	runs, err := e.ws.Store.ListRuns(ctx, experiments.RunFilter{})
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range runs {
		if strings.HasPrefix(r.ID, prefix) {
			out = append(out, r.ID)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out
}

// grace is the configured stop grace period.
func (e *Engine) grace() time.Duration {
	if g := e.cfg.Runs.StopGrace; g > 0 {
		return g
	}
	return 10 * time.Second
}

// parseOptions turns runs.metric_formats into the parser's opt-in formats.
func (e *Engine) parseOptions() runners.ParseOptions {
	return runners.ParseOptions{
		KeyValue:   slices.Contains(e.cfg.Runs.MetricFormats, "equals"),
		StepSuffix: slices.Contains(e.cfg.Runs.MetricFormats, "colon"),
	}
}

// feasible says, before anything is recorded, whether the runner can ever
// give a run the GPUs it asks for (the scheduler checks again on Submit).
func (en *runnerEntry) feasible(g runners.GPURequest) error {
	if a, ok := en.r.(runners.GPUAllocator); ok && a.AllocatesGPUs() {
		if g.Count < 0 || len(g.DeviceIDs) > 0 {
			return &config.InputError{Field: "--gpus", Msg: fmt.Sprintf("runner %s is a cluster that picks the devices: give a number of GPUs, such as --gpus 2", en.rc.Name)}
		}
		return nil
	}
	switch {
	case g.None():
		return nil
	case len(en.gpus) == 0:
		return &config.InputError{Field: "--gpus", Msg: fmt.Sprintf("runner %s has no GPUs for runs (its gpus: setting, or the host has none)", en.rc.Name)}
	case g.Count > len(en.gpus):
		return &config.InputError{Field: "--gpus", Msg: fmt.Sprintf("asks for %d GPUs; runner %s has %d", g.Count, en.rc.Name, len(en.gpus))}
	}
	for _, id := range g.DeviceIDs {
		if !slices.Contains(en.gpus, id) {
			return &config.InputError{Field: "--gpus", Msg: fmt.Sprintf("GPU %q is not on runner %s (it has %s)", id, en.rc.Name, strings.Join(en.gpus, ", "))}
		}
	}
	return nil
}

// flushItems is how many items a run's sink buffers at most before it
// writes. A flush to PostgreSQL is a transaction of two COPYs over the
// network, so it pays to send more at once: BenchmarkIngest (5 metrics a
// line, quiet 2-core machine) gives 37k lines/s with 1,000 items and 57-60k
// with 6,000, while SQLite ingests alike (68-75k) and keeps its write lock
// shorter with 1,000. The interval still bounds how stale the store is.
func (e *Engine) flushItems() int {
	switch {
	case e.opts.FlushItems > 0:
		return e.opts.FlushItems
	case e.ws != nil && e.ws.Store != nil && e.ws.Store.Backend() == experiments.BackendPostgres:
		return 6000
	}
	return 1000
}

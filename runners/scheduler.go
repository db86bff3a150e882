package runners

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// SchedulerOptions bound what one runner's host runs at once.
type SchedulerOptions struct {
	MaxConcurrent int      // runs at once; 0 means 1
	GPUs          []string // device ids of the host's GPUs (from Inventory); empty = no GPUs
	// Claims, when set, makes slots and GPUs one pool across processes (the
	// engine's store); the scheduler then asks it before starting a run and
	// polls every Poll (default 250 ms) while runs wait, since another
	// process's run ending does not wake this one.
	Claims Claims
	Poll   time.Duration
}

// Scheduler is the queue of one runner: at most MaxConcurrent runs at once,
// each run asking for N GPUs gets N free device ids of the host and waits
// queued while they are not free. Order: higher Spec.Priority first, then
// submission order. The head of the queue is never overtaken by a run that
// needs GPUs (so a big GPU run is not starved by small ones); runs that need
// no GPU may go ahead of a head that waits for GPUs when a slot is free.
//
// Run owns the scheduler's goroutines; Submit, Cancel and Snapshot may be
// called from any goroutine.
type Scheduler struct {
	runner Runner
	max    int
	gpus   []string
	claims Claims
	poll   time.Duration

	mu      sync.Mutex
	seq     int64
	queue   []*queued
	running map[string]*running
	wake    chan struct{}
}

type queued struct {
	spec Spec
	sink Sink
	seq  int64
	at   time.Time
}

type running struct {
	spec   Spec
	gpus   []string
	handle Handle // nil while the runner is still starting it
	since  time.Time
	// A Cancel that came while the run was starting; applied once it has.
	cancelled bool
	grace     time.Duration
}

// NewScheduler returns the queue for runner r.
func NewScheduler(r Runner, opts SchedulerOptions) *Scheduler {
	max := opts.MaxConcurrent
	if max <= 0 {
		max = 1
	}
	poll := opts.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	return &Scheduler{runner: r, max: max, gpus: slices.Clone(opts.GPUs), claims: opts.Claims, poll: poll,
		running: map[string]*running{}, wake: make(chan struct{}, 1)}
}

// Submit queues a run and tells sink it is queued. A GPU request the host can
// never satisfy is an input error.
func (s *Scheduler) Submit(spec Spec, sink Sink) error {
	if err := validateSpec(spec); err != nil {
		return err
	}
	if err := s.feasible(spec.GPUs); err != nil {
		return err
	}
	s.mu.Lock()
	if s.known(spec.ID) {
		s.mu.Unlock()
		return &config.InputError{Field: "id", Msg: fmt.Sprintf("run %s is already queued or running on %s", spec.ID, s.runner.Name())}
	}
	s.seq++
	s.queue = append(s.queue, &queued{spec: spec, sink: sink, seq: s.seq, at: time.Now()})
	slices.SortStableFunc(s.queue, func(a, b *queued) int {
		if a.spec.Priority != b.spec.Priority {
			return b.spec.Priority - a.spec.Priority
		}
		return int(a.seq - b.seq)
	})
	s.mu.Unlock()
	sink.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Queued, Time: time.Now()})
	s.poke()
	return nil
}

func (s *Scheduler) known(id string) bool {
	if _, ok := s.running[id]; ok {
		return true
	}
	for _, q := range s.queue {
		if q.spec.ID == id {
			return true
		}
	}
	return false
}

// GPUAllocator is a runner whose cluster picks the GPUs itself (Slurm):
// its runs' GPU requests pass through the scheduler to the runner.
type GPUAllocator interface {
	AllocatesGPUs() bool
}

// ownGPUs reports whether this scheduler allocates its runner's GPUs.
func (s *Scheduler) ownGPUs() bool {
	a, ok := s.runner.(GPUAllocator)
	return !ok || !a.AllocatesGPUs()
}

// asked is the GPU request this scheduler has to satisfy for spec.
func (s *Scheduler) asked(spec Spec) GPURequest {
	if s.ownGPUs() {
		return spec.GPUs
	}
	return GPURequest{}
}

func (s *Scheduler) feasible(g GPURequest) error {
	switch {
	case g.None() || !s.ownGPUs():
		return nil
	case len(s.gpus) == 0:
		return &config.InputError{Field: "gpus", Msg: fmt.Sprintf("runner %s has no GPUs", s.runner.Name())}
	case g.Count > len(s.gpus):
		return &config.InputError{Field: "gpus", Msg: fmt.Sprintf("asks for %d GPUs; runner %s has %d", g.Count, s.runner.Name(), len(s.gpus))}
	}
	for _, id := range g.DeviceIDs {
		if !slices.Contains(s.gpus, id) {
			return &config.InputError{Field: "gpus", Msg: fmt.Sprintf("GPU %q is not on runner %s (it has %s)", id, s.runner.Name(), strings.Join(s.gpus, ", "))}
		}
	}
	return nil
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Cancel removes a queued run (reported stopped) or stops a running one
// (SIGTERM, SIGKILL after grace; the runner reports the end).
func (s *Scheduler) Cancel(ctx context.Context, runID string, grace time.Duration) error {
	s.mu.Lock()
	for i, q := range s.queue {
		if q.spec.ID == runID {
			s.queue = slices.Delete(s.queue, i, i+1)
			s.mu.Unlock()
			q.sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Stopped, Message: "cancelled while queued", Time: time.Now()})
			s.poke()
			return nil
		}
	}
	r, ok := s.running[runID]
	if ok && r.handle == nil {
		r.cancelled, r.grace = true, grace
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("run %s is neither queued nor running on %s", runID, s.runner.Name())
	}
	return s.runner.Stop(ctx, runID, grace)
}

// Adopt counts a run that Reconcile found still running (started by an
// earlier lathe): it holds a slot and its GPUs until h ends. Its watcher
// goroutine ends when h does or when ctx is done.
func (s *Scheduler) Adopt(ctx context.Context, spec Spec, h Handle) {
	s.mu.Lock()
	s.running[spec.ID] = &running{spec: spec, gpus: slices.Clone(spec.GPUs.DeviceIDs), handle: h, since: time.Now()}
	s.mu.Unlock()
	go func() {
		_, _ = h.Wait(ctx)
		s.release(spec.ID)
	}()
}

// QueueState is a snapshot for `lathe runners ls` and the Runners screen.
type QueueState struct {
	Running  []RunSlot `json:"running"`
	Queued   []RunSlot `json:"queued"`
	FreeGPUs []string  `json:"free_gpus"`
}

// RunSlot is one run in a QueueState.
type RunSlot struct {
	ID       string    `json:"id"`
	Priority int       `json:"priority"`
	GPUs     []string  `json:"gpus,omitempty"`
	Since    time.Time `json:"since"`
}

// Snapshot returns the current queue, running runs by start time and queued
// runs in the order they will be considered.
func (s *Scheduler) Snapshot() QueueState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st QueueState
	for _, r := range s.running {
		st.Running = append(st.Running, RunSlot{ID: r.spec.ID, Priority: r.spec.Priority, GPUs: r.gpus, Since: r.since})
	}
	slices.SortFunc(st.Running, func(a, b RunSlot) int { return a.Since.Compare(b.Since) })
	for _, q := range s.queue {
		st.Queued = append(st.Queued, RunSlot{ID: q.spec.ID, Priority: q.spec.Priority, Since: q.at})
	}
	st.FreeGPUs = s.freeGPUs()
	return st
}

func (s *Scheduler) freeGPUs() []string {
	used := map[string]bool{}
	for _, r := range s.running {
		for _, g := range r.gpus {
			used[g] = true
		}
	}
	var free []string
	for _, g := range s.gpus {
		if !used[g] {
			free = append(free, g)
		}
	}
	return free
}

// allocate picks the GPUs for req from free, or reports that it must wait.
func allocate(req GPURequest, free, all []string) ([]string, bool) {
	switch {
	case req.None():
		return nil, true
	case len(req.DeviceIDs) > 0:
		for _, id := range req.DeviceIDs {
			if !slices.Contains(free, id) {
				return nil, false
			}
		}
		return slices.Clone(req.DeviceIDs), true
	case req.Count < 0: // all of the host's GPUs
		if len(free) < len(all) {
			return nil, false
		}
		return slices.Clone(all), true
	case len(free) >= req.Count:
		return slices.Clone(free[:req.Count]), true
	}
	return nil, false
}

// Run starts queued runs as slots and GPUs free up, until ctx ends. When it
// returns, it has stopped following its runs (the runs themselves go on, and
// a later Reconcile finds them).
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	var poll <-chan time.Time
	if s.claims != nil {
		t := time.NewTicker(s.poll)
		defer t.Stop()
		poll = t.C
	}
	for {
		for _, st := range s.next(ctx) {
			if ctx.Err() != nil {
				// Shutting down: leave the run queued rather than start it
				// with nobody to follow it.
				s.mu.Lock()
				delete(s.running, st.spec.ID)
				s.queue = append([]*queued{st}, s.queue...)
				s.mu.Unlock()
				if s.claims != nil {
					_ = s.claims.Release(context.WithoutCancel(ctx), st.spec.ID)
				}
				continue
			}
			h, err := s.runner.Start(ctx, st.spec, st.sink)
			if err != nil {
				// The runner has reported the failure to the sink.
				s.release(st.spec.ID)
				continue
			}
			s.mu.Lock()
			var stop bool
			var grace time.Duration
			if r := s.running[st.spec.ID]; r != nil {
				r.handle = h
				stop, grace = r.cancelled, r.grace
			}
			s.mu.Unlock()
			wg.Add(1)
			go func(id string) {
				defer wg.Done()
				if stop {
					_ = s.runner.Stop(ctx, id, grace)
				}
				_, _ = h.Wait(ctx)
				s.release(id)
			}(st.spec.ID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-poll:
		}
	}
}

func (s *Scheduler) release(id string) {
	s.mu.Lock()
	delete(s.running, id)
	s.mu.Unlock()
	s.poke()
}

// next removes from the queue the runs that can start now and reserves their
// slots and GPUs: from this process's own count (Decide), or, with Claims,
// from the store's, for every process at once.
func (s *Scheduler) next(ctx context.Context) []*queued {
	if s.claims != nil {
		return s.nextClaimed(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	held := make([][]string, 0, len(s.running))
	for _, r := range s.running {
		held = append(held, r.gpus)
	}
	waiting := make([]Contender, len(s.queue))
	for i, q := range s.queue {
		waiting[i] = Contender{ID: q.spec.ID, GPUs: s.asked(q.spec)}
	}
	starts := Decide(held, waiting, s.max, s.gpus)
	var start []*queued
	s.queue = slices.DeleteFunc(s.queue, func(q *queued) bool {
		gpus, ok := starts[q.spec.ID]
		if !ok {
			return false
		}
		s.reserve(q, gpus)
		start = append(start, q)
		return true
	})
	return start
}

// nextClaimed asks the store for this process's queued runs in order: after
// a refusal only runs that need no GPU are tried (they may go ahead of a GPU
// run waiting for devices), so a poll costs a claim or two, not one per
// queued run.
func (s *Scheduler) nextClaimed(ctx context.Context) []*queued {
	s.mu.Lock()
	cands := slices.Clone(s.queue)
	room := s.max - len(s.running)
	s.mu.Unlock()
	var start []*queued
	gpuBlocked := false
	for _, q := range cands {
		if room <= 0 || ctx.Err() != nil {
			break
		}
		if gpuBlocked && !s.asked(q.spec).None() {
			continue
		}
		cs := q.spec
		cs.GPUs = s.asked(q.spec)
		gpus, ok, err := s.claims.Claim(ctx, cs)
		if err != nil {
			break // the store is busy or gone: try again at the next poll
		}
		if !ok {
			if cs.GPUs.None() {
				break
			}
			gpuBlocked = true
			continue
		}
		s.mu.Lock()
		i := slices.Index(s.queue, q)
		if i >= 0 {
			s.queue = slices.Delete(s.queue, i, i+1)
			s.reserve(q, gpus)
		}
		s.mu.Unlock()
		if i < 0 { // cancelled while we claimed
			_ = s.claims.Release(context.WithoutCancel(ctx), q.spec.ID)
			continue
		}
		start = append(start, q)
		room--
	}
	return start
}

// reserve records q as running with gpus; s.mu is held.
func (s *Scheduler) reserve(q *queued, gpus []string) {
	if gpus != nil {
		q.spec.GPUs = GPURequest{DeviceIDs: gpus}
	}
	s.running[q.spec.ID] = &running{spec: q.spec, gpus: gpus, since: time.Now()}
}

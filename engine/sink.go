package engine

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// storeSink writes one run's events into the store in batches. The runner
// serializes its calls; the flusher goroutine and Close call flushIfDue and
// detach concurrently, hence the mutex.
type storeSink struct {
	e      *Engine
	runID  string
	runner string           // config name, to read the scheduler's GPU allocation
	lock   experiments.Lock // the run's ingest lock, held while this sink lives

	mu        sync.Mutex
	batch     experiments.Batch
	items     int
	last      time.Time // of the last flush
	ended     bool
	done      chan struct{} // closed once the final status is stored (or the sink detached)
	err       error         // first store error, reported on the run
	outputDir string
	stopSys   context.CancelFunc // ends the system-metrics sampler (sysmetrics.go)
}

// newSink registers the ingesting sink of a run whose lock the caller holds.
func (e *Engine) newSink(runID, runner string, lock experiments.Lock) *storeSink {
	s := &storeSink{e: e, runID: runID, runner: runner, lock: lock, last: time.Now(), done: make(chan struct{}),
		outputDir: filepath.Join(e.ws.RunDir(runID), "outputs")}
	e.mu.Lock()
	e.sinks[runID] = s
	e.mu.Unlock()
	s.stopSys = e.startSysSampler(s)
	return s
}

// Line implements runners.LineSink: a line and what was parsed from it join
// the batch together, so no flush (by size, by time, or the flusher's tick)
// can store the line without its metrics. The resume cursor is derived from
// stored lines; a line stored alone would lose its metrics at a reattach.
func (s *storeSink) Line(l runners.LogLine, samples []runners.Sample, props []runners.Property) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batch.Logs = append(s.batch.Logs, experiments.LogLine{RunID: s.runID, Stream: l.Stream, Time: l.Time, Line: l.Text})
	for _, m := range samples {
		s.batch.Metrics = append(s.batch.Metrics, experiments.MetricSample{RunID: s.runID, Key: m.Key, Step: m.Step, Value: m.Value, Time: m.Time})
	}
	for _, p := range props {
		s.setProp(p.Key, p.Value)
	}
	s.added(1 + len(samples) + len(props))
}

// Log implements runners.Sink.
func (s *storeSink) Log(l runners.LogLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batch.Logs = append(s.batch.Logs, experiments.LogLine{RunID: s.runID, Stream: l.Stream, Time: l.Time, Line: l.Text})
	s.added(1)
}

// Metrics implements runners.Sink.
func (s *storeSink) Metrics(samples []runners.Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range samples {
		s.batch.Metrics = append(s.batch.Metrics, experiments.MetricSample{RunID: s.runID, Key: m.Key, Step: m.Step, Value: m.Value, Time: m.Time})
	}
	s.added(len(samples))
}

// Property implements runners.Sink. The parser hands strings unquoted and
// booleans, objects and arrays as JSON text.
func (s *storeSink) Property(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setProp(k, v)
	s.added(1)
}

func (s *storeSink) setProp(k, v string) {
	if s.batch.Props == nil {
		s.batch.Props = map[string]map[string]any{}
	}
	if s.batch.Props[s.runID] == nil {
		s.batch.Props[s.runID] = map[string]any{}
	}
	var val any = v
	if len(v) > 0 && (v[0] == '{' || v[0] == '[' || v == "true" || v == "false") && json.Valid([]byte(v)) {
		val = json.RawMessage(v)
	}
	s.batch.Props[s.runID][k] = val
}

// added flushes on a full batch, and on the leading edge: the first item
// after a quiet interval goes out at once (a run's first line shows without
// waiting for the flusher's tick); the flusher sends the trailing items.
func (s *storeSink) added(n int) {
	s.items += n
	if s.items >= s.e.flushItems() || time.Since(s.last) >= s.e.opts.FlushInterval {
		s.flushLocked()
	}
}

func (s *storeSink) flushIfDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.items > 0 && time.Since(s.last) >= s.e.opts.FlushInterval {
		s.flushLocked()
	}
}

func (s *storeSink) flushLocked() {
	s.last = time.Now()
	if s.items == 0 {
		return
	}
	b := s.batch
	s.batch, s.items = experiments.Batch{}, 0
	// Store writes outlive a cancelled caller: what was read must be kept.
	if err := s.e.ws.Store.Ingest(context.Background(), b); err != nil && s.err == nil {
		s.err = err
	}
	s.e.notify()
}

// Status implements runners.Sink: flush, then record the change; a final
// status harvests the outputs first and ends the sink.
func (s *storeSink) Status(u runners.StatusUpdate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.flushLocked()
	final := u.Status.Terminal()
	if final {
		s.harvest()
	}
	ctx := context.Background()
	_, err := s.e.ws.Store.UpdateRun(ctx, s.runID, func(r *experiments.Run) error {
		if r.Status.Terminal() {
			return errAlreadyEnded // a stale update must not reopen a finished run
		}
		was := r.Status
		r.Status = u.Status
		t := u.Time
		if t.IsZero() {
			t = time.Now()
		}
		switch {
		case u.Status == runstatus.Running:
			if r.Started.IsZero() {
				r.Started = t
			}
			if ids := s.e.allocatedGPUs(s.runner, s.runID); len(ids) > 0 {
				r.GPUIDs = ids
			}
		case final:
			r.Ended = t
			if !u.Started.IsZero() {
				r.Started = u.Started // the source's start, not when lathe saw it
			}
			if r.Ended.Before(r.Started) {
				// File times are the kernel's coarse clock (a few ms behind),
				// so a program quicker than that can seem to end before it began.
				r.Ended = r.Started
			}
			if r.Started.IsZero() && u.ExitCode != nil { // it ran, but its start was never recorded
				r.Started = t
			}
		}
		if u.ExitCode != nil {
			c := *u.ExitCode
			r.ExitCode = &c
		}
		switch {
		case u.Message != "" && (final || u.Status == runstatus.Failed || u.Status == runstatus.Queued):
			// A queued run's message says why it waits (Slurm's pending reason).
			r.Error = u.Message
		case (u.Status == runstatus.Running || final) && was == runstatus.Queued:
			r.Error = ""
		}
		if final && s.err != nil && r.Error == "" {
			r.Error = "storing output: " + s.err.Error()
		}
		if v := u.Info["pid"]; v != "" {
			r.PID, _ = strconv.Atoi(v)
		}
		if v := u.Info["gpu_ids"]; v != "" { // devices a cluster picked (Slurm)
			r.GPUIDs = strings.Split(v, ",")
		}
		if v := u.Info["container_id"]; v != "" {
			r.ContainerID = v
		}
		if v := u.Info["image_digest"]; v != "" {
			r.ImageDigest = v
		}
		if v := u.Info["host"]; v != "" {
			r.Host = v
		}
		return nil
	})
	_ = err // errAlreadyEnded, or a store failure nobody can act on here
	if final {
		s.endLocked()
	}
	s.e.notify()
}

// allocatedGPUs are the device ids the runner's scheduler gave the run (the
// store keeps them, so a later lathe that adopts the run reserves them).
func (e *Engine) allocatedGPUs(runner, runID string) []string {
	e.mu.Lock()
	en := e.entries[runner]
	e.mu.Unlock()
	if en == nil {
		return nil
	}
	for _, slot := range en.sched.Snapshot().Running {
		if slot.ID == runID {
			return slot.GPUs
		}
	}
	return nil
}

// errAlreadyEnded aborts an UpdateRun on a run that already ended.
var errAlreadyEnded = &endedError{}

type endedError struct{}

func (*endedError) Error() string { return "run already ended" }

// harvest stores every file under the run's output dir in the object store
// and records it as an artifact of the run (with its `produced` edge).
func (s *storeSink) harvest() {
	ctx := context.Background()
	_ = filepath.WalkDir(s.outputDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		rel, rerr := filepath.Rel(s.outputDir, p)
		if rerr != nil {
			return nil
		}
		sha, size, perr := s.e.ws.Objects.PutFile(p)
		if perr != nil {
			if s.err == nil {
				s.err = perr
			}
			return nil
		}
		if _, aerr := s.e.ws.Store.AddArtifact(ctx, experiments.Artifact{RunID: s.runID, Path: filepath.ToSlash(rel), SHA256: sha, Size: size}); aerr != nil && s.err == nil {
			s.err = aerr
		}
		return nil
	})
}

// endLocked unregisters the sink and releases the run's lock.
func (s *storeSink) endLocked() {
	s.ended = true
	s.stopSys()
	close(s.done)
	s.e.mu.Lock()
	if s.e.sinks[s.runID] == s {
		delete(s.e.sinks, s.runID)
	}
	s.e.mu.Unlock()
	unlock(s.lock)
	s.lock = nil
}

// detach ends ingestion without a final status (the engine is closing): what
// was read is written, and the lock goes to the next lathe.
func (s *storeSink) detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.flushLocked()
	s.endLocked()
}

// lockRun takes the exclusive ingest lock of a run without waiting; ok is
// false when another process (or another sink here) holds it. The store
// provides it (experiments.Locks), so it excludes processes on every host
// that shares the store, and it dies with its holder.
func (e *Engine) lockRun(runID string) (l experiments.Lock, ok bool, err error) {
	return e.ws.Store.Locks().TryLock(e.ctx, runID)
}

func unlock(l experiments.Lock) {
	if l != nil {
		l.Unlock()
	}
}

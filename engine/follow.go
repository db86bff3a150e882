package engine

import (
	"context"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// EventKind says what an Event carries.
type EventKind int

const (
	EventStatus  EventKind = iota // Run holds the current record
	EventLogs                     // Logs holds new lines, in order
	EventMetrics                  // Samples holds new samples, in arrival order
)

// Event is one change of a followed run.
type Event struct {
	RunID   string
	Kind    EventKind
	Run     experiments.Run
	Logs    []experiments.LogLine
	Samples []Point
}

// Point is one metric sample of a followed run.
type Point struct {
	Key   string    `json:"key"`
	Step  int64     `json:"step"`
	Value float64   `json:"value"`
	Time  time.Time `json:"time"`
}

// FollowOptions choose what Follow delivers.
type FollowOptions struct {
	// LogsAfter skips stored lines up to this seq; a negative value skips
	// every line stored before Follow started (a live tail).
	LogsAfter int64
	NoLogs    bool
	NoMetrics bool
	// Poll is the store polling period for changes made by other processes;
	// 0 means 100 ms, or 2 s while the store announces changes (a shared
	// store's LISTEN/NOTIFY), when polling is only the safety net.
	Poll time.Duration
}

// Follow calls fn with the run's status, then its stored logs and metrics,
// then every change, until the run has ended and everything it produced was
// delivered (nil), or ctx ends (ctx.Err()). It reads the store, so it follows
// runs ingested by this process, by another lathe, or (after a Reconcile)
// by nobody yet. fn runs on the caller's goroutine.
func (e *Engine) Follow(ctx context.Context, runID string, fn func(Event)) error {
	return e.FollowWith(ctx, runID, FollowOptions{}, fn)
}

// FollowWith is Follow with options.
func (e *Engine) FollowWith(ctx context.Context, runID string, o FollowOptions, fn func(Event)) error {
	if err := e.need(); err != nil {
		return err
	}
	st := e.ws.Store
	poll := o.Poll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	afterSeq := o.LogsAfter
	if afterSeq < 0 {
		var err error
		if afterSeq, err = st.LastLogSeq(ctx, runID); err != nil {
			return err
		}
	}
	var afterRow int64
	var last runstatus.Status
	var lastErr string
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		ch := e.changes()
		if o.Poll <= 0 {
			tick.Reset(e.pollEvery(poll))
		}
		// Status first: a final status is written after the run's last
		// lines, so reading them after seeing it gets everything.
		run, err := st.GetRun(ctx, runID)
		if err != nil {
			return err
		}
		// A final status is delivered after the lines and samples read
		// below, so a printer's last line is always the status line.
		changed := run.Status != last || run.Error != lastErr
		if changed {
			last, lastErr = run.Status, run.Error
			if !run.Status.Terminal() {
				fn(Event{RunID: runID, Kind: EventStatus, Run: run})
			}
		}
		for !o.NoLogs {
			lines, err := st.Logs(ctx, runID, afterSeq, 5000)
			if err != nil {
				return err
			}
			if len(lines) == 0 {
				break
			}
			afterSeq = lines[len(lines)-1].Seq
			fn(Event{RunID: runID, Kind: EventLogs, Logs: lines})
			if len(lines) < 5000 {
				break
			}
		}
		for !o.NoMetrics {
			pts, next, err := e.metricsAfter(ctx, runID, afterRow, 20000)
			if err != nil {
				return err
			}
			if len(pts) == 0 {
				break
			}
			afterRow = next
			fn(Event{RunID: runID, Kind: EventMetrics, Samples: pts})
			if len(pts) < 20000 {
				break
			}
		}
		if run.Status.Terminal() {
			if changed {
				fn(Event{RunID: runID, Kind: EventStatus, Run: run})
			}
			return nil
		}
		// Nobody ingesting it (its lathe exited or died): take it over.
		e.takeOver(ctx, runID)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-tick.C:
		}
	}
}

// metricsAfter returns the run's samples stored after the one with id
// after, in arrival order, and the id of the last one.
func (e *Engine) metricsAfter(ctx context.Context, runID string, after int64, limit int) ([]Point, int64, error) {
	ks, next, err := e.ws.Store.MetricsAfter(ctx, runID, after, limit)
	if err != nil {
		return nil, after, err
	}
	out := make([]Point, len(ks))
	for i, k := range ks {
		out[i] = Point{Key: k.Key, Step: k.Step, Value: k.Value, Time: k.Time}
	}
	return out, next, nil
}

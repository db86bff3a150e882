package runs

import (
	"slices"
	"sync"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
)

// feed is where follow goroutines leave events for the next tick. It is
// bounded: beyond maxPendingPts points or maxLogLines lines between two
// ticks, the oldest are dropped (a chart shows at most maxSeriesPts per
// series anyway, and the log view only a tail).
type feed struct {
	mu     sync.Mutex
	pts    []pendingPoint
	logs   []string
	status map[string]experiments.Run
	err    error
}

type pendingPoint struct {
	run string
	engine.Point
}

func newFeed() *feed { return &feed{status: map[string]experiments.Run{}} }

func (f *feed) push(run string, ev engine.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch ev.Kind {
	case engine.EventStatus:
		f.status[run] = ev.Run
	case engine.EventLogs:
		for _, l := range ev.Logs {
			f.logs = append(f.logs, l.Line)
		}
		if n := len(f.logs) - maxLogLines; n > 0 {
			f.logs = slices.Delete(f.logs, 0, n)
		}
	case engine.EventMetrics:
		for _, p := range ev.Samples {
			f.pts = append(f.pts, pendingPoint{run: run, Point: p})
		}
		if n := len(f.pts) - maxPendingPts; n > 0 {
			f.pts = slices.Delete(f.pts, 0, n)
		}
	}
}

func (f *feed) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *feed) error() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *feed) take() ([]pendingPoint, []string, map[string]experiments.Run) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pts, logs, status := f.pts, f.logs, f.status
	f.pts, f.logs, f.status = nil, nil, map[string]experiments.Run{}
	return pts, logs, status
}

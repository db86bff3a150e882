package runs

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// systemDetail is the detail of a running run with two minutes of samples
// every 2 s: a loss curve, and CPU, memory and one GPU in the system pane
// (the values are made up here, so the frames are fixed; where they come
// from is tested in engine and runners).
func systemDetail(gpu bool) *detail {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	r := experiments.Run{ID: "r00000system", Status: runstatus.Running, Runner: "local", Started: at, Params: map[string]any{"lr": 0.1}}
	d := newDetail([]experiments.Run{r})
	d.feed = newFeed()
	var pts []engine.Point
	for i := 0; i <= 60; i++ {
		sec, x := int64(2*i), float64(i)
		pts = append(pts,
			engine.Point{Key: "loss", Step: int64(i + 1), Value: 2 / (1 + 0.15*x)},
			engine.Point{Key: "sys/cpu", Step: sec, Value: 80 + 15*math.Sin(x/5)},
			engine.Point{Key: "sys/mem_rss", Step: sec, Value: 1.2e9 + 1e7*x})
		if gpu {
			pts = append(pts,
				engine.Point{Key: "sys/gpu1_util", Step: sec, Value: 60 + 30*math.Cos(x/4)},
				engine.Point{Key: "sys/gpu1_mem", Step: sec, Value: 30e9 + 2e8*x})
		}
	}
	d.feed.push(r.ID, engine.Event{Kind: engine.EventMetrics, Samples: pts})
	d.drain()
	return d
}

// The system pane: below the curves at 80x24, a column beside them at
// 160x48; `go test ./tui/runs -run Golden -update` after an intended change.
func TestGoldenSystemPane(t *testing.T) {
	s, _ := newScreen(t, 80, 24)
	s.SetClock(func() time.Time { return time.Date(2026, 11, 25, 9, 2, 0, 0, time.UTC) })
	for _, gpu := range []bool{false, true} {
		s.detail = systemDetail(gpu)
		if v := s.detail.views(); len(v) != 1 || len(v[0]) != 1 || v[0][0] != "loss" {
			t.Fatalf("metric views %v: system metrics must not be among them", v)
		}
		name := "system"
		if gpu {
			name += "_gpu"
		}
		for _, sz := range [][2]int{{80, 24}, {160, 48}} {
			s.SetSize(sz[0], sz[1])
			checkBox(t, s, sz[0], sz[1])
			tuitest.Golden(t, fmt.Sprintf("%s_%dx%d", name, sz[0], sz[1]), plain(s)+"\n")
		}
	}
	s.detail = nil
}

package runs

import (
	"fmt"
	"math"
	"testing"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/styles"
)

// liveDetail is a detail view of 4 runs with 5 metrics each whose feed got
// 10,000 points per series, as after a long run.
func liveDetail(tb testing.TB) *Screen {
	s, _ := newScreen(tb, 120, 40)
	var runs []experiments.Run
	for r := 0; r < 4; r++ {
		runs = append(runs, experiments.Run{ID: fmt.Sprintf("r%011d", r), Status: runstatus.Running, Runner: "local"})
	}
	d := newDetail(runs)
	d.feed = newFeed()
	names := []string{"train_loss", "val_loss", "val_loss_ema", "test_loss", "aux_loss"}
	for _, r := range runs {
		var pts []engine.Point
		for step := 0; step < 10000; step++ {
			for k, n := range names {
				pts = append(pts, engine.Point{Key: n, Step: int64(step), Value: math.Exp(-float64(step)/2000) + float64(k)/10})
			}
		}
		d.feed.push(r.ID, engine.Event{Kind: engine.EventMetrics, Samples: pts})
		d.drain()
	}
	s.detail = d
	return s
}

// The detail view shows all 20 series of its first view (every loss), each
// bounded to maxSeriesPts points.
func TestDetailWith20Series(t *testing.T) {
	s := liveDetail(t)
	if got := len(s.detail.currentView()) * len(s.detail.runs); got != 20 {
		t.Fatalf("%d series in view", got)
	}
	for _, byKey := range s.detail.series {
		for k, ser := range byKey {
			if ser.Len() > maxSeriesPts {
				t.Errorf("%s holds %d points", k, ser.Len())
			}
			if last, _ := ser.Last(); last.X != 9999 {
				t.Errorf("%s last step %v", k, last.X)
			}
		}
	}
	checkBox(t, s, 120, 40)
}

// BenchmarkDetailFrame20Series is the target: a frame of the Runs
// screen with 20 live series in under 10 ms.
func BenchmarkDetailFrame20Series(b *testing.B) {
	for _, colour := range []bool{false, true} {
		b.Run(fmt.Sprintf("colour=%v", colour), func(b *testing.B) {
			s := liveDetail(b)
			if colour {
				s.c.Styles = styles.New(true)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = s.View()
			}
		})
	}
}

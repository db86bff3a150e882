package runs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/components/chart"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// pinRun gives a finished run fixed times and host, since the frames show
// how long it took and where (the wall clock and the machine would change
// them from one test run to the next); the rest of the record is the run's.
func pinRun(t *testing.T, root, id string) {
	t.Helper()
	ws, err := experiments.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := ws.Store.UpdateRun(context.Background(), id, func(r *experiments.Run) error {
		r.Created, r.Started, r.Ended, r.Host = at, at, at.Add(3*time.Minute+4*time.Second), "box"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The detail of a real run on the local runner (a script printing 40 steps
// of two loss curves and a log line every 10 steps; a metrics line is a log
// line too), its curves and log tail, pinned at 80x24 and 160x48; the run's random id is masked. Run
// `go test ./tui/runs -run Golden -update` after an intended change.
func TestGoldenDetail(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	s.SetClock(func() time.Time { return time.Date(2026, 11, 25, 9, 5, 0, 0, time.UTC) })
	script := `awk 'BEGIN { for (i = 1; i <= 40; i++) {
		printf "{\"step\":%d,\"loss\":%.4f,\"val_loss\":%.4f}\n", i, 2/(1+0.15*i), 0.4+1.8/(1+0.1*i)
		if (i % 10 == 0) printf "epoch %d: loss %.3f\n", i/10, 2/(1+0.15*i) } }'`
	r := run(t, s, e, script, map[string]string{"lr": "0.3"}, nil)
	pinRun(t, e.Info().Root, r.ID)
	drive(t, s, s.load(true))
	hit(t, s, "enter")
	deadline := time.Now().Add(20 * time.Second)
	for {
		d := s.detail
		loss, val := d.series[r.ID]["loss"], d.series[r.ID]["val_loss"]
		if loss != nil && val != nil && loss.Len() == 40 && val.Len() == 40 && len(d.logs) == 44 && d.runs[0].Status.Terminal() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the detail did not fill in 20s:\n%s", plain(s))
		}
		time.Sleep(20 * time.Millisecond)
		tick(t, s)
	}
	s.detail.sys = map[string]map[string]*chart.Series{} // what the run's processes used varies; TestGoldenSystemPane pins the pane
	mask := strings.NewReplacer(r.ID, "r00000golden")
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
		tuitest.Golden(t, fmt.Sprintf("detail_%dx%d", sz[0], sz[1]), mask.Replace(plain(s))+"\n")
	}
}

package lineage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/demo"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// The lineage of a real run: the demo penguins split by the engine (the
// file and its splits registered, derived_from edges), a run on the local
// runner reading the train split and writing a model into its output
// directory (used and produced edges), and its rerun. The tree around the
// run, with its detail, pinned at 80x24 and 160x48. The run's times and
// host are pinned (the wall clock and the machine would change them) and
// its random ids masked. Run `go test ./tui/lineage -run Golden -update`
// after an intended change.
func TestGoldenRealLineage(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ws")
	if err := demo.Ensure(dir); err != nil {
		t.Fatal(err)
	}
	e := tuitest.Engine(t, dir, "", engine.Options{})
	res, err := e.Split(ctx, engine.SplitRequest{Path: filepath.Join(dir, "data", "penguins.json"), Options: explore.SplitOptions{
		Ratios: []float64{0.8, 0.2}, Stratify: "Species", Seed: 7, OutDir: filepath.Join(dir, "data", "splits")}})
	if err != nil {
		t.Fatal(err)
	}
	script := `wc -l < "$LATHE_INPUT_TRAIN" > "$LATHE_OUTPUT_DIR/model.txt"; echo '{"val_acc":0.9}'`
	launch := func(req engine.LaunchRequest) string {
		t.Helper()
		r, err := e.Launch(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Wait(ctx)
		if err != nil || rec.Status != runstatus.Completed {
			t.Fatalf("run %s: %s %s %v", r.ID, rec.Status, rec.Error, err)
		}
		return r.ID
	}
	run := launch(engine.LaunchRequest{Name: "mlp", Runner: "local", Command: []string{"sh", "-c", script},
		Params: map[string]string{"lr": "0.2"}, Inputs: map[string]string{"train": res.Files[0].Path}, WorkDir: dir})
	rerun, _, err := e.Rerun(ctx, run, engine.RerunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rerun.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	ws, err := experiments.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{run, rerun.ID} {
		at := time.Date(2026, 11, 25, 9, 10*i, 0, 0, time.UTC)
		if _, err := ws.Store.UpdateRun(ctx, id, func(r *experiments.Run) error {
			r.Created, r.Started, r.Ended, r.Host = at, at, at.Add(3*time.Minute+4*time.Second), "box"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	ws.Close()
	mask := strings.NewReplacer(run, "r00000golden", rerun.ID, "r000golden02")
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s := New(tuitest.Context(t, e))
		s.SetLocation(time.UTC)
		s.SetPoll(0)
		s.SetSize(sz[0], sz[1])
		settle(t, s, s.Open(experiments.Node{Kind: experiments.KindRun, ID: run}))
		checkBounds(t, s.View(), sz[0], sz[1])
		tuitest.Golden(t, fmt.Sprintf("real_%dx%d", sz[0], sz[1]), mask.Replace(view(s))+"\n")
	}
}

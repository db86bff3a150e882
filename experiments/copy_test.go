package experiments

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// copySource builds a workspace history: two dataset versions and a derived
// one, a study with three trials (one of them with an unfinished run), ten
// finished runs with inputs, metrics, logs, properties and artifacts (one a
// rerun of another), and an unfinished run.
func copySource(t *testing.T) (*Store, *Objects, []Run) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenStoreWith(ctx, StoreOptions{Path: filepath.Join(dir, "store.db"),
		Identity: Identity{Workspace: "1111222233334444", WorkspaceName: "mine", Host: "laptop", User: "dana"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	objs, err := NewObjects(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	src, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("a", 64), Path: "data/all.csv", Rows: 100})
	train, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("b", 64), Path: "data/train.csv", Rows: 80})
	if err := s.AddEdge(ctx, Edge{From: Node{KindDataset, itoa(src.ID)}, To: Node{KindDataset, itoa(train.ID)}, Kind: EdgeDerivedFrom, Operation: "split"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.CreateStudy(ctx, Study{Name: "mlp", Spec: []byte(`{"name":"mlp"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var runs []Run
	for i := range 10 {
		r := Run{Name: fmt.Sprintf("r%d", i), Status: runstatus.Completed, Command: []string{"train"}, Params: map[string]any{"i": float64(i)},
			Created: time.Unix(1_700_000_000+int64(i), 0).UTC(), Ended: time.Unix(1_700_000_100+int64(i), 0).UTC()}
		if i == 5 {
			r.RerunOf = runs[1].ID
		}
		if i < 2 {
			r.StudyID, r.TrialNumber = st.ID, i+1
		}
		if err := s.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRunInput(ctx, r.ID, "train", train.ID); err != nil {
			t.Fatal(err)
		}
		var b Batch
		for step := range 500 {
			b.Logs = append(b.Logs, LogLine{RunID: r.ID, Line: fmt.Sprintf(`{"step":%d}`, step), Time: r.Created})
			b.Metrics = append(b.Metrics, MetricSample{RunID: r.ID, Key: "loss", Step: int64(step), Value: 1 / float64(step+1), Time: r.Created},
				MetricSample{RunID: r.ID, Key: "acc", Step: int64(step), Value: float64(step) / 500, Time: r.Created})
		}
		b.Props = map[string]map[string]any{r.ID: {"phase": "done", "i": i}}
		if err := s.Ingest(ctx, b); err != nil {
			t.Fatal(err)
		}
		sha, size, err := objs.Put(strings.NewReader(fmt.Sprintf("model %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddArtifact(ctx, Artifact{RunID: r.ID, Path: "model.bin", SHA256: sha, Size: size}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	live := Run{Name: "live", Status: runstatus.Running}
	if err := s.CreateRun(ctx, &live); err != nil {
		t.Fatal(err)
	}
	for i, runID := range []string{runs[0].ID, runs[1].ID, live.ID} {
		tr := Trial{Status: TrialCompleted, Params: map[string]any{"i": float64(i)}, Metrics: map[string]float64{"loss": 0.1}, RunID: runID}
		if runID == live.ID {
			tr.Status, tr.Metrics = TrialRunning, nil
		}
		if err := s.CreateTrial(ctx, st.ID, &tr); err != nil {
			t.Fatal(err)
		}
	}
	return s, objs, runs
}

// A copy cancelled midway leaves whole runs; the next copy completes it and
// a third adds nothing; the target then holds the same history.
func TestCopyIsIdempotentAndResumable(t *testing.T) {
	forEachBackend(t, testCopyIsIdempotentAndResumable)
}

func testCopyIsIdempotentAndResumable(t *testing.T, be testBackend) {
	ctx := context.Background()
	src, srcObjs, runs := copySource(t)
	o := be.opts
	o.Identity = src.Identity()
	dst := be.openWith(t, o)
	dstObjs, err := NewObjects(filepath.Join(t.TempDir(), "team-objects"))
	if err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	_, err = src.CopyTo(cctx, dst, srcObjs, dstObjs, func(done, total int) {
		if done == 4 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled copy: %v", err)
	}
	partial, _ := dst.ListRuns(ctx, RunFilter{})
	if len(partial) == 0 || len(partial) >= len(runs) {
		t.Fatalf("cancelled copy left %d runs; want some of %d", len(partial), len(runs))
	}
	for _, r := range partial { // whole runs only
		ms, _ := dst.MetricSeries(ctx, r.ID)
		logs, _ := dst.Logs(ctx, r.ID, 0, 0)
		if len(ms["loss"]) != 500 || len(ms["acc"]) != 500 || len(logs) != 500 {
			t.Errorf("run %s copied in part: %d/%d samples, %d lines", r.ID, len(ms["loss"]), len(ms["acc"]), len(logs))
		}
	}

	rep, err := src.CopyTo(ctx, dst, srcObjs, dstObjs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs+rep.RunsThere != len(runs) || rep.RunsThere != len(partial) || len(rep.Unfinished) != 1 {
		t.Errorf("second copy: %+v (had %d of %d)", rep, len(partial), len(runs))
	}
	again, err := src.CopyTo(ctx, dst, srcObjs, dstObjs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Runs != 0 || again.Datasets != 0 || again.Studies != 0 || again.Trials != 0 || again.Edges != 0 || again.Objects != 0 {
		t.Errorf("third copy added %+v", again)
	}

	for _, r := range runs {
		a, err := src.GetRunRecord(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := dst.GetRunRecord(ctx, r.ID)
		if err != nil {
			t.Fatalf("run %s not copied: %v", r.ID, err)
		}
		if b.User != "dana" || b.Workspace != "1111222233334444" || b.RerunOf != a.RerunOf || b.Name != a.Name || !b.Ended.Equal(a.Ended) {
			t.Errorf("run %s: %+v, want %+v", r.ID, b.Run, a.Run)
		}
		if !reflect.DeepEqual(a.Metrics, b.Metrics) || !reflect.DeepEqual(a.Properties, b.Properties) {
			t.Errorf("run %s: metrics %v props %v, want %v %v", r.ID, b.Metrics, b.Properties, a.Metrics, a.Properties)
		}
		if len(b.Inputs) != 1 || b.Inputs["train"].SHA256 != a.Inputs["train"].SHA256 || len(b.Outputs) != 1 || b.Outputs[0].SHA256 != a.Outputs[0].SHA256 {
			t.Errorf("run %s: inputs %v outputs %v", r.ID, b.Inputs, b.Outputs)
		}
		if !dstObjs.Has(b.Outputs[0].SHA256) {
			t.Errorf("run %s: artifact object %s not in the team's objects", r.ID, b.Outputs[0].SHA256)
		}
		sa, _ := src.MetricSeries(ctx, r.ID)
		sb, _ := dst.MetricSeries(ctx, r.ID)
		if !reflect.DeepEqual(sa, sb) {
			t.Errorf("run %s: series differ", r.ID)
		}
		// Lineage: the run's upstream is the same graph.
		ua, _ := src.Walk(ctx, Node{KindRun, r.ID}, true, 0)
		ub, _ := dst.Walk(ctx, Node{KindRun, r.ID}, true, 0)
		if len(ua) != len(ub) || len(ub) < 2 {
			t.Errorf("run %s: %d upstream edges, want %d", r.ID, len(ub), len(ua))
		}
	}
	if _, err := dst.GetRun(ctx, rep.Unfinished[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("the unfinished run was copied: %v", err)
	}
	st, err := dst.GetStudy(ctx, "mlp")
	if err != nil || st.User != "dana" {
		t.Fatalf("study: %+v %v", st, err)
	}
	ts, _ := dst.ListTrials(ctx, st.ID)
	if len(ts) != 3 || ts[0].RunID != runs[0].ID || ts[1].RunID != runs[1].ID || ts[2].RunID != "" || ts[2].Status != TrialRunning {
		t.Errorf("trials: %+v", ts)
	}
	ws, _ := dst.ListWorkspaces(ctx)
	if len(ws) != 1 || ws[0].Name != "mine" || ws[0].User != "dana" {
		t.Errorf("workspaces: %+v", ws)
	}

	// A study of the same name made elsewhere is kept; ours arrives renamed.
	other := be.open(t)
	if _, err := other.CreateStudy(ctx, Study{Name: "taken", Spec: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CreateStudy(ctx, Study{Name: "taken", Spec: []byte(`{"mine":true}`)}); err != nil {
		t.Fatal(err)
	}
	rep, err = src.CopyTo(ctx, dst, srcObjs, dstObjs, nil)
	if err != nil || rep.RenamedStudies["taken"] != "taken@11112222" {
		t.Fatalf("copy with a taken name: %+v %v", rep, err)
	}
	if got, err := dst.GetStudy(ctx, "taken@11112222"); err != nil || string(got.Spec) != `{"mine":true}` {
		t.Errorf("renamed study: %+v %v", got, err)
	}
}

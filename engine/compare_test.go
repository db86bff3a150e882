package engine

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runstatus"
)

// compareRun stores a finished run with params and metric series (step ->
// value), as the sink would have.
func compareRun(t *testing.T, e *Engine, id string, params map[string]any, series map[string][]float64, study int64) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	r := experiments.Run{ID: id, Status: runstatus.Completed, Runner: "local", Command: []string{"true"}, Params: params,
		Created: at, Started: at, Ended: at.Add(time.Minute), StudyID: study}
	if err := e.ws.Store.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	var batch []experiments.MetricSample
	for k, vs := range series {
		for i, v := range vs {
			batch = append(batch, experiments.MetricSample{RunID: id, Key: k, Step: int64(i + 1), Value: v, Time: at.Add(time.Duration(i) * time.Second)})
		}
	}
	if err := e.ws.Store.AppendMetrics(ctx, batch); err != nil {
		t.Fatal(err)
	}
}

// CompareRuns: final values are the last sample; best follows the study's
// objective over the name (a "loss" the study maximizes), the name
// otherwise (val_loss min, acc max), and is left out without a direction;
// what differs is flagged; --metric filters and returns series; an unknown
// metric is an input error naming those there are.
func TestCompareRuns(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	spec := optimizer.Spec{Name: "s", Parameters: []optimizer.Parameter{{Name: "lr", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0, Max: 1}}},
		Metrics: []optimizer.Metric{{Name: "loss", Objective: optimizer.Maximize}}, ObservationBudget: 4}
	st, err := e.CreateStudy(ctx, StudySpec{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	compareRun(t, e, "ra", map[string]any{"lr": "0.1", "hidden": "64"},
		map[string][]float64{"val_loss": {0.9, 0.5, 0.6}, "acc": {0.5, 0.8, 0.7}, "loss": {1, 3, 2}, "epoch_time": {4, 4, 4}}, st.ID)
	compareRun(t, e, "rb", map[string]any{"lr": "0.3", "hidden": "64"},
		map[string][]float64{"val_loss": {0.8, 0.4, math.NaN()}, "acc": {0.6, 0.9, 0.85}, "loss": {2, 1, 1}, "epoch_time": {4, 4, 4}}, 0)
	c, err := e.CompareRuns(ctx, []string{"ra", "rb", "ra"}, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Runs) != 2 || c.Runs[0].ID != "ra" || c.Runs[1].ID != "rb" || c.Series != nil {
		t.Fatalf("runs %+v, series %v", c.Runs, c.Series != nil)
	}
	params := map[string]bool{}
	for _, p := range c.Params {
		params[p.Name] = p.Differs
	}
	if len(params) != 2 || !params["lr"] || params["hidden"] {
		t.Errorf("params %+v: want lr differing, hidden the same", c.Params)
	}
	want := map[string]struct {
		dir, from, bestRun string
		differs, bestDiff  bool
		bestA, bestB       float64
		bestStepB          int64
	}{
		"acc":        {DirMax, "name", "rb", true, true, 0.8, 0.9, 2},
		"loss":       {DirMax, "study", "ra", true, true, 3, 2, 1},
		"val_loss":   {DirMin, "name", "rb", true, true, 0.5, 0.4, 2},
		"epoch_time": {"", "", "", false, false, 0, 0, 0},
	}
	for _, m := range c.Metrics {
		w, ok := want[m.Name]
		if !ok {
			t.Fatalf("unexpected metric %q", m.Name)
		}
		if m.Direction != w.dir || m.DirectionFrom != w.from || m.BestRun != w.bestRun || m.Differs != w.differs || m.BestDiffers != w.bestDiff {
			t.Errorf("%s: %+v, want %+v", m.Name, m, w)
		}
		a, b := c.Runs[0].Best[m.Name], c.Runs[1].Best[m.Name]
		if w.dir == "" {
			if _, has := c.Runs[0].Best[m.Name]; has {
				t.Errorf("%s: a best without a direction", m.Name)
			}
			continue
		}
		if a.Value != w.bestA || b.Value != w.bestB || b.Step != w.bestStepB {
			t.Errorf("%s best: %+v %+v, want %v and %v at %d", m.Name, a, b, w.bestA, w.bestB, w.bestStepB)
		}
	}
	if f := c.Runs[1].Final["val_loss"]; !math.IsNaN(f.Value) || f.Step != 3 {
		t.Errorf("final val_loss of rb %+v: want the last sample, NaN", f)
	}
	if c.Runs[0].Final["acc"].Value != 0.7 {
		t.Errorf("final acc of ra %+v", c.Runs[0].Final["acc"])
	}
	if _, err := json.Marshal(c); err != nil { // NaN as null
		t.Fatal(err)
	}

	c, err = e.CompareRuns(ctx, []string{"ra", "rb"}, CompareOptions{Metrics: []string{"acc"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Metrics) != 1 || len(c.Series["ra"]["acc"]) != 3 || len(c.Series["rb"]) != 1 {
		t.Errorf("--metric acc: metrics %+v, series %v", c.Metrics, c.Series)
	}
	_, err = e.CompareRuns(ctx, []string{"ra", "rb"}, CompareOptions{Metrics: []string{"f1"}})
	var ie *config.InputError
	if !errors.As(err, &ie) || ie.Field != "--metric" {
		t.Fatalf("unknown metric: %v", err)
	}
	if _, err := e.CompareRuns(ctx, []string{"ra", "nope"}, CompareOptions{}); err == nil {
		t.Fatal("an unknown run compared")
	}
}

func TestMetricDirection(t *testing.T) {
	for name, want := range map[string]string{
		"val_loss": DirMin, "train/loss": DirMin, "top1_error": DirMin, "val_acc": DirMax, "accuracy": DirMax,
		"F1": DirMax, "inference_ms": DirMin, "lr": "", "epoch": "", "val_auc": DirMax, "crossentropyloss": DirMin,
	} {
		if got := MetricDirection(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

package experiments

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestDiffRuns(t *testing.T) { forEachBackend(t, testDiffRuns) }

func testDiffRuns(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	v1, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("1", 64), Path: "train.csv", Rows: 100})
	v2, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("2", 64), Path: "train.csv", Rows: 120})
	val, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("3", 64), Path: "val.csv", Rows: 30})
	base := func() Run {
		return Run{Runner: "docker", Image: "trainer:dev", ImageDigest: "sha256:aaa", Command: []string{"/trainer", "--lr={lr}"},
			Params: map[string]any{"lr": 0.1, "hidden": 64.0},
			Env:    map[string]string{"LATHE_RUN_ID": "differs", "OMP_NUM_THREADS": "4", "LATHE_PARAM_LR": "0.1"},
			Code:   CodeVersion{Commit: "c1"}}
	}
	a, b := base(), base()
	b.Params["lr"] = 0.01
	b.Env["LATHE_RUN_ID"], b.Env["LATHE_PARAM_LR"] = "other", "0.01"
	b.Env["CUDA_VISIBLE_DEVICES"] = "0"
	b.Code.Commit = "c2"
	for _, r := range []*Run{&a, &b} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	s.AddRunInput(ctx, a.ID, "train", v1.ID)
	s.AddRunInput(ctx, b.ID, "train", v2.ID)
	s.AddRunInput(ctx, a.ID, "val", val.ID)
	s.AddRunInput(ctx, b.ID, "val", val.ID)
	s.AppendMetrics(ctx, []MetricSample{
		{RunID: a.ID, Key: "val_accuracy", Step: 1, Value: 0.80}, {RunID: a.ID, Key: "val_accuracy", Step: 2, Value: 0.90},
		{RunID: b.ID, Key: "val_accuracy", Step: 1, Value: 0.85},
		{RunID: a.ID, Key: "epochs", Step: 1, Value: 2}, {RunID: b.ID, Key: "epochs", Step: 1, Value: 2},
	})

	d, err := s.DiffRuns(ctx, a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.Category+"/"+c.Key)
	}
	want := "data/input train code/commit params/lr env/CUDA_VISIBLE_DEVICES metrics/val_accuracy"
	if strings.Join(got, " ") != want {
		t.Fatalf("changes = %v\nwant %s", got, want)
	}
	if da := d.Changes[0].A.(Dataset); da.Rows != 100 || d.Changes[0].B.(Dataset).Rows != 120 {
		t.Errorf("data change = %+v", d.Changes[0])
	}
	if d.Changes[2].A != 0.1 || d.Changes[2].B != 0.01 || d.Changes[3].A != nil || d.Changes[4].A != 0.9 || d.Changes[4].B != 0.85 {
		t.Errorf("values: %+v", d.Changes)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Error(err)
	}
	rec, err := s.GetRunRecord(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rec)
	var shape map[string]any
	json.Unmarshal(js, &shape)
	for _, k := range []string{"id", "name", "status", "runner", "image", "command", "params", "metrics", "exit_code", "inputs", "outputs"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("run JSON lacks %q: %s", k, js)
		}
	}
	if m := shape["metrics"].(map[string]any); m["val_accuracy"] != 0.9 || m["epochs"] != 2.0 {
		t.Errorf("record metrics = %v", m)
	}
	if in := shape["inputs"].(map[string]any)["train"].(map[string]any); in["sha256"] != strings.Repeat("1", 64) {
		t.Errorf("record inputs = %v", shape["inputs"])
	}
	same, _ := s.DiffRuns(ctx, a.ID, a.ID)
	if len(same.Changes) != 0 {
		t.Errorf("a run differs from itself: %+v", same.Changes)
	}
	if _, err := s.DiffRuns(ctx, a.ID, "rmissing"); err == nil {
		t.Error("diff with a missing run succeeded")
	}
}

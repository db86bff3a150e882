package experiments

import (
	"context"
	"encoding/json"
	"testing"
)

func TestIngestStoresLogsMetricsAndPropsTogether(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	r := Run{Command: []string{"x"}}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	b := Batch{
		Logs:    []LogLine{{RunID: r.ID, Stream: StreamStdout, Line: `{"step":1,"loss":0.5,"phase":"warm"}`}, {RunID: r.ID, Stream: StreamStderr, Line: "warn"}},
		Metrics: []MetricSample{{RunID: r.ID, Key: "loss", Step: 1, Value: 0.5}},
		Props:   map[string]map[string]any{r.ID: {"phase": "warm"}},
	}
	if err := s.Ingest(ctx, b); err != nil {
		t.Fatal(err)
	}
	logs, err := s.Logs(ctx, r.ID, 0, 0)
	if err != nil || len(logs) != 2 || logs[0].Seq != 1 || logs[1].Stream != StreamStderr || logs[1].Line != "warn" {
		t.Fatalf("logs %+v, %v", logs, err)
	}
	m, err := s.MetricSeries(ctx, r.ID)
	if err != nil || len(m["loss"]) != 1 || m["loss"][0].Value != 0.5 || m["loss"][0].Step != 1 {
		t.Fatalf("metrics %+v, %v", m, err)
	}
	p, err := s.Properties(ctx, r.ID)
	if err != nil || string(p["phase"]) != `"warm"` {
		t.Fatalf("props %v, %v", p, err)
	}
	// A failing part rolls back the whole batch: an unknown stream violates
	// the logs table's CHECK, so the metric of the same batch is not kept.
	bad := Batch{Logs: []LogLine{{RunID: r.ID, Stream: "bogus", Line: "x"}}, Metrics: []MetricSample{{RunID: r.ID, Key: "loss", Step: 2, Value: 1}}}
	if err := s.Ingest(ctx, bad); err == nil {
		t.Fatal("bad stream accepted")
	}
	m, _ = s.MetricSeries(ctx, r.ID)
	if len(m["loss"]) != 1 {
		b, _ := json.Marshal(m)
		t.Fatalf("partial batch kept: %s", b)
	}
}

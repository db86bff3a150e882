package experiments

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"
)

func TestIngestStoresLogsMetricsAndPropsTogether(t *testing.T) {
	forEachBackend(t, testIngestStoresLogsMetricsAndPropsTogether)
}

func testIngestStoresLogsMetricsAndPropsTogether(t *testing.T, be testBackend) {
	s := be.open(t)
	ctx := context.Background()
	r := ingestRun(t, s)
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

// TestAppendMetricsAcrossStatementSizes crosses the multi-row INSERT sizes
// (1 to 128 rows a statement): 300 samples of three series, with repeated
// steps and NaN and ±Inf, must read back exactly as written, in arrival order
// among equal steps.
func TestAppendMetricsAcrossStatementSizes(t *testing.T) {
	forEachBackend(t, testAppendMetricsAcrossStatementSizes)
}

func testAppendMetricsAcrossStatementSizes(t *testing.T, be testBackend) {
	s := be.open(t)
	ctx := context.Background()
	r := ingestRun(t, s)
	t0 := time.Unix(1_700_000_000, 0).UTC()
	keys := []string{"a", "b", "c"}
	want := map[string][]Sample{}
	var all []MetricSample
	for _, n := range []int{1, 127, 128, 129, 300} {
		var batch []MetricSample
		for i := range n {
			k := keys[i%len(keys)]
			// Steps repeat (i/6): each series gets every step twice, the
			// second write being the later arrival.
			smp := Sample{Step: int64(len(all)+i) / 6, Value: float64(len(all) + i), Time: t0.Add(time.Duration(len(all)+i) * time.Millisecond)}
			switch i % 7 {
			case 3:
				smp.Value = math.NaN()
			case 5:
				smp.Value = math.Inf(1 - 2*(i%2))
			}
			batch = append(batch, MetricSample{RunID: r.ID, Key: k, Step: smp.Step, Value: smp.Value, Time: smp.Time})
			want[k] = append(want[k], smp)
		}
		if err := s.AppendMetrics(ctx, batch); err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		all = append(all, batch...)
	}
	// Arrival order within a series is already step order here, so want is
	// the exact expected series.
	got, err := s.MetricSeries(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !sameSamples(got[k], want[k]) {
			t.Fatalf("series %s: got %d samples, want %d; first difference %s", k, len(got[k]), len(want[k]), firstDiff(got[k], want[k]))
		}
	}
	after := want["b"][100].Step
	tail, err := s.MetricSeriesKey(ctx, r.ID, "b", after)
	if err != nil {
		t.Fatal(err)
	}
	var wantTail []Sample
	for _, smp := range want["b"] {
		if smp.Step > after {
			wantTail = append(wantTail, smp)
		}
	}
	if len(wantTail) == 0 || !sameSamples(tail, wantTail) {
		t.Fatalf("after step %d: %s", after, firstDiff(tail, wantTail))
	}
	last, err := s.LastMetrics(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if w := want[k][len(want[k])-1]; !sameSamples([]Sample{last[k]}, []Sample{w}) {
			t.Fatalf("last %s = %+v, want %+v", k, last[k], w)
		}
	}
}

// TestAppendLogsAcrossStatementSizes numbers 300 lines written in batches of
// 1, 129 and 170 (crossing the statement sizes) 1..300 in order.
func TestAppendLogsAcrossStatementSizes(t *testing.T) {
	forEachBackend(t, testAppendLogsAcrossStatementSizes)
}

func testAppendLogsAcrossStatementSizes(t *testing.T, be testBackend) {
	s := be.open(t)
	ctx := context.Background()
	r := ingestRun(t, s)
	t0 := time.Unix(1_700_000_000, 0).UTC()
	n := 0
	for _, size := range []int{1, 129, 170} {
		batch := make([]LogLine, size)
		for i := range batch {
			n++
			batch[i] = LogLine{RunID: r.ID, Line: fmt.Sprintf("line %d", n), Time: t0.Add(time.Duration(n) * time.Second)}
			if n%3 == 0 {
				batch[i].Stream = StreamStderr
			}
		}
		if err := s.AppendLogs(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if batch[size-1].Seq != int64(n) {
			t.Fatalf("last seq of the batch = %d, want %d", batch[size-1].Seq, n)
		}
	}
	logs, err := s.Logs(ctx, r.ID, 0, 0)
	if err != nil || len(logs) != 300 {
		t.Fatalf("%d lines, %v", len(logs), err)
	}
	for i, l := range logs {
		n := i + 1
		stream := StreamStdout
		if n%3 == 0 {
			stream = StreamStderr
		}
		if l.Seq != int64(n) || l.Line != fmt.Sprintf("line %d", n) || l.Stream != stream || !l.Time.Equal(t0.Add(time.Duration(n)*time.Second)) {
			t.Fatalf("line %d = %+v", n, l)
		}
	}
	got, err := s.GetRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(300 * time.Second); !got.LogTime.Equal(want) {
		t.Fatalf("log_time %v, want %v", got.LogTime, want)
	}
}

// TestMigrationKeepsVersion1Metrics opens a store written by schema version
// 1 (built here with that migration's SQL) and checks that migration 2 keeps
// every sample, NaN included, in arrival order, that new samples arrive
// after the old ones, and that deleting a run still deletes its samples.
func TestMigrationKeepsVersion1Metrics(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	v1 := []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		migrations[0].sql,
		`INSERT INTO schema_migrations VALUES (1, 'initial schema', 0)`,
		`PRAGMA user_version = 1`,
		`INSERT INTO runs (id, status, created) VALUES ('r1', 'running', 0), ('r2', 'completed', 0)`,
		`INSERT INTO metric_series (id, run_id, key) VALUES (1, 'r1', 'loss'), (2, 'r1', 'acc'), (3, 'r2', 'loss')`,
		// Step 2 of loss arrives twice; the later value (0.25) is its last.
		`INSERT INTO metrics (series_id, step, value, time) VALUES
			(1, 1, 0.5, 10), (2, 1, NULL, 11), (1, 2, 0.3, 12), (3, 1, 9, 13), (1, 2, 0.25, 14), (2, 2, 0.9, 15)`,
	}
	for _, q := range v1 {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != SchemaLatest || v < 2 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	m, err := s.MetricSeries(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	ts := func(n int64) time.Time { return time.Unix(0, n).UTC() }
	wantLoss := []Sample{{1, 0.5, ts(10)}, {2, 0.3, ts(12)}, {2, 0.25, ts(14)}}
	wantAcc := []Sample{{1, math.NaN(), ts(11)}, {2, 0.9, ts(15)}}
	if !sameSamples(m["loss"], wantLoss) || !sameSamples(m["acc"], wantAcc) || len(m) != 2 {
		t.Fatalf("migrated series %+v", m)
	}
	last, err := s.LastMetrics(ctx, "r1")
	if err != nil || last["loss"].Value != 0.25 {
		t.Fatalf("last %+v, %v", last, err)
	}
	// A follower resumes after a row id: the old ids are kept, new rows
	// come after them.
	if err := s.AppendMetrics(ctx, []MetricSample{{RunID: "r1", Key: "loss", Step: 2, Value: 0.125, Time: ts(16)}}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.DB().QueryContext(ctx, `SELECT m.rowid, m.value FROM metric_series s JOIN metrics m ON m.series_id = s.id
		WHERE s.run_id = 'r1' AND s.key = 'loss' ORDER BY m.rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var vals []float64
	for rows.Next() {
		var id int64
		var v float64
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		ids, vals = append(ids, id), append(vals, v)
	}
	rows.Close()
	if fmt.Sprint(ids, vals) != "[1 3 5 7] [0.5 0.3 0.25 0.125]" {
		t.Fatalf("row ids and values %v %v", ids, vals)
	}
	last, _ = s.LastMetrics(ctx, "r1")
	if last["loss"].Value != 0.125 {
		t.Fatalf("last after append %+v", last["loss"])
	}
	// Deleting a run cascades to its series (foreign key) and from them to
	// the samples (trigger).
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM runs WHERE id = 'r1'`); err != nil {
		t.Fatal(err)
	}
	var left, other int
	s.DB().QueryRowContext(ctx, `SELECT count(*) FROM metrics WHERE series_id IN (1, 2)`).Scan(&left)
	s.DB().QueryRowContext(ctx, `SELECT count(*) FROM metrics WHERE series_id = 3`).Scan(&other)
	if left != 0 || other != 1 {
		t.Fatalf("after deleting r1: %d of its samples left, %d of r2's (want 0, 1)", left, other)
	}
}

// sameSamples compares exactly, NaN equal to NaN.
// ingestRun stores a run for the ingestion tests to write to.
func ingestRun(t *testing.T, s *Store) Run {
	t.Helper()
	r := Run{Command: []string{"x"}}
	if err := s.CreateRun(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func sameSamples(a, b []Sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if firstDiff(a[i:i+1], b[i:i+1]) != "" {
			return false
		}
	}
	return true
}

func firstDiff(a, b []Sample) string {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		sameValue := x.Value == y.Value || (math.IsNaN(x.Value) && math.IsNaN(y.Value))
		if x.Step != y.Step || !sameValue || !x.Time.Equal(y.Time) {
			return fmt.Sprintf("at %d: %+v != %+v", i, x, y)
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("lengths %d != %d", len(a), len(b))
	}
	return ""
}

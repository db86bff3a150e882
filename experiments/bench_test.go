package experiments

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchStoreRun opens a store in b's temporary directory, closed when b
// ends, holding one run.
func benchStoreRun(b *testing.B) (*Store, Run) {
	s, err := OpenStore(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	r := Run{}
	if err := s.CreateRun(context.Background(), &r); err != nil {
		b.Fatal(err)
	}
	return s, r
}

// benchSeries stores 5 series (a to e) of 20,000 steps for run id, each
// step's value from value, and returns the samples.
func benchSeries(b *testing.B, s *Store, id string, value func(step int) float64) []MetricSample {
	keys := []string{"a", "b", "c", "d", "e"}
	batch := make([]MetricSample, 0, 100000)
	for step := range 20000 {
		for _, k := range keys {
			batch = append(batch, MetricSample{RunID: id, Key: k, Step: int64(step), Value: value(step)})
		}
	}
	if err := s.AppendMetrics(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	return batch
}

// BenchmarkAppendMetrics measures ingestion into one run in batches of the
// size a runner's coalescing ingester would flush (1,000 samples), across 5
// metric keys, and reports samples/s. Target: >= 50,000 samples/s.
func BenchmarkAppendMetrics(b *testing.B) {
	for _, batchSize := range []int{100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batchSize), func(b *testing.B) {
			ctx := context.Background()
			s, r := benchStoreRun(b)
			keys := []string{"train_loss", "val_loss", "val_accuracy", "lr", "grad_norm"}
			batch := make([]MetricSample, batchSize)
			now := time.Now()
			step := int64(0)
			b.ResetTimer()
			for b.Loop() {
				for j := range batch {
					batch[j] = MetricSample{RunID: r.ID, Key: keys[j%len(keys)], Step: step, Value: float64(step) * 0.001, Time: now}
					if j%len(keys) == len(keys)-1 {
						step++
					}
				}
				if err := s.AppendMetrics(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkMetricSeries reads back a run's 100,000 samples (5 series of
// 20,000 steps), what a Runs screen loads when it opens a long run.
func BenchmarkMetricSeries(b *testing.B) {
	ctx := context.Background()
	s, r := benchStoreRun(b)
	batch := benchSeries(b, s, r.ID, func(int) float64 { return 1 })
	b.ResetTimer()
	for b.Loop() {
		m, err := s.MetricSeries(ctx, r.ID)
		if err != nil || len(m["e"]) != 20000 {
			b.Fatal(err, len(m["e"]))
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkAppendLogs measures log ingestion in batches of 1,000 lines of 80
// bytes and reports lines/s.
func BenchmarkAppendLogs(b *testing.B) {
	ctx := context.Background()
	s, r := benchStoreRun(b)
	line := fmt.Sprintf("%-80s", "epoch 3 batch 120/500 loss=0.4312 lr=0.001")
	batch := make([]LogLine, 1000)
	b.ResetTimer()
	for b.Loop() {
		for j := range batch {
			batch[j] = LogLine{RunID: r.ID, Line: line}
		}
		if err := s.AppendLogs(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkLastMetrics reads the final values of a run with 5 series of
// 20,000 steps: what the runs list shows per row, and what a study reads
// per trial.
func BenchmarkLastMetrics(b *testing.B) {
	ctx := context.Background()
	s, r := benchStoreRun(b)
	benchSeries(b, s, r.ID, func(step int) float64 { return float64(step) })
	b.ResetTimer()
	for b.Loop() {
		m, err := s.LastMetrics(ctx, r.ID)
		if err != nil || len(m) != 5 || m["e"].Value != 19999 {
			b.Fatal(err, m)
		}
	}
}

// BenchmarkMigrateMetrics times migration 2 (the metrics table rebuilt
// without its foreign key) on a version-1 store holding 200,000 samples: the
// one-time cost an upgrade pays when it first opens a big store.
func BenchmarkMigrateMetrics(b *testing.B) {
	ctx := context.Background()
	const samples = 200_000
	var total time.Duration
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), "store.db")
		db, err := sql.Open("sqlite", dsn(path))
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{
			`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
			migrations[0].sql,
			`INSERT INTO schema_migrations VALUES (1, 'initial schema', 0)`,
			`INSERT INTO runs (id, status, created) VALUES ('r', 'completed', 0)`,
			`INSERT INTO metric_series (id, run_id, key) VALUES (1, 'r', 'a'), (2, 'r', 'b'), (3, 'r', 'c'), (4, 'r', 'd'), (5, 'r', 'e')`,
			fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d)
				INSERT INTO metrics (series_id, step, value, time) SELECT 1 + i %% 5, i / 5, i * 0.5, i FROM n`, samples),
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
		t0 := time.Now()
		s, err := OpenStore(path)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		last, err := s.LastMetrics(ctx, "r")
		s.Close()
		if err != nil || len(last) != 5 || last["e"].Step != samples/5-1 {
			b.Fatal(err, last)
		}
	}
	b.ReportMetric(float64(samples*b.N)/total.Seconds(), "samples/s")
}

package experiments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Sample is one point of a metric series.
type Sample struct {
	Step  int64     `json:"step"`
	Value float64   `json:"value"` // NaN survives the round trip
	Time  time.Time `json:"time"`
}

// MarshalJSON writes NaN and ±Inf, which JSON cannot express, as null.
func (s Sample) MarshalJSON() ([]byte, error) {
	type plain struct {
		Step  int64     `json:"step"`
		Value *float64  `json:"value"`
		Time  time.Time `json:"time"`
	}
	p := plain{Step: s.Step, Time: s.Time}
	if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
		p.Value = &s.Value
	}
	return json.Marshal(p)
}

// MetricSample is a Sample addressed to a run and a metric key, for batches.
type MetricSample struct {
	RunID string
	Key   string
	Step  int64
	Value float64
	Time  time.Time // zero: now
}

// AppendMetrics stores a batch of samples in one transaction with one
// prepared statement; batching is what makes ingestion fast (one commit per
// batch, not per sample), so callers should coalesce lines before calling.
func (s *Store) AppendMetrics(ctx context.Context, batch []MetricSample) error {
	if len(batch) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return appendMetricsTx(ctx, tx, batch) })
	if err != nil {
		return fmt.Errorf("append %d metric samples: %w", len(batch), err)
	}
	return nil
}

// MetricSeries returns every series of the run, each ordered by step (and by
// arrival for repeated steps).
func (s *Store) MetricSeries(ctx context.Context, runID string) (map[string][]Sample, error) {
	return s.metricQuery(ctx, `SELECT s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.series_id = s.id
		WHERE s.run_id = ? ORDER BY s.key, m.step, m.rowid`, runID)
}

// MetricSeriesKey returns one series of the run, ordered by step, starting
// after step afterStep (use math.MinInt64 for all): a live chart polls with
// the last step it has.
func (s *Store) MetricSeriesKey(ctx context.Context, runID, key string, afterStep int64) ([]Sample, error) {
	m, err := s.metricQuery(ctx, `SELECT s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.series_id = s.id
		WHERE s.run_id = ? AND s.key = ? AND m.step > ? ORDER BY m.step, m.rowid`, runID, key, afterStep)
	return m[key], err
}

// LastMetrics returns the last reported value of each metric of the run
// (highest step; the latest arrival among equal steps), which is what a
// study reads as a trial's final value.
func (s *Store) LastMetrics(ctx context.Context, runID string) (map[string]Sample, error) {
	// One index seek per series for its last sample.
	all, err := s.metricQuery(ctx, `SELECT s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.rowid = (
			SELECT rowid FROM metrics WHERE series_id = s.id ORDER BY step DESC, rowid DESC LIMIT 1)
		WHERE s.run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Sample, len(all))
	for k, v := range all {
		out[k] = v[len(v)-1]
	}
	return out, nil
}

func (s *Store) metricQuery(ctx context.Context, q string, args ...any) (map[string][]Sample, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer rows.Close()
	out := map[string][]Sample{}
	for rows.Next() {
		var key string
		var smp Sample
		var v sql.NullFloat64
		var t int64
		if err := rows.Scan(&key, &smp.Step, &v, &t); err != nil {
			return nil, err
		}
		smp.Value = math.NaN()
		if v.Valid {
			smp.Value = v.Float64
		}
		smp.Time = time.Unix(0, t).UTC()
		out[key] = append(out[key], smp)
	}
	return out, rows.Err()
}

// SetProperties stores non-numeric values reported by a run (strings,
// booleans, objects); a key set again is overwritten.
func (s *Store) SetProperties(ctx context.Context, runID string, props map[string]any, t time.Time) error {
	if len(props) == 0 {
		return nil
	}
	if t.IsZero() {
		t = time.Now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return setPropertiesTx(ctx, tx, runID, props, t) })
	if err != nil {
		return fmt.Errorf("set properties of run %s: %w", runID, err)
	}
	return nil
}

// Properties returns the run's properties as raw JSON values.
func (s *Store) Properties(ctx context.Context, runID string) (map[string]json.RawMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM run_properties WHERE run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = json.RawMessage(v)
	}
	return out, rows.Err()
}

// Log streams.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	StreamSystem = "system" // lathe's own notes: pulled image, reattached, ...
)

// LogLine is one line of a run's output.
type LogLine struct {
	RunID  string    `json:"run_id"`
	Seq    int64     `json:"seq"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
	Line   string    `json:"line"`
}

// AppendLogs stores lines in one transaction, numbering them after the last
// stored line of their run (Seq on input is ignored and set on return). It
// also advances each run's log_time, so a reattaching runner knows where to
// resume docker's `logs --since`.
func (s *Store) AppendLogs(ctx context.Context, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return appendLogsTx(ctx, tx, lines) })
	if err != nil {
		return fmt.Errorf("append %d log lines: %w", len(lines), err)
	}
	return nil
}

// Logs returns the run's lines with seq > afterSeq, in order, at most limit
// of them (0: all). A follower passes the last seq it has.
func (s *Store) Logs(ctx context.Context, runID string, afterSeq int64, limit int) ([]LogLine, error) {
	q := `SELECT seq, stream, time, line FROM logs WHERE run_id = ? AND seq > ? ORDER BY seq`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.QueryContext(ctx, q, runID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("logs of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []LogLine
	for rows.Next() {
		l := LogLine{RunID: runID}
		var t int64
		if err := rows.Scan(&l.Seq, &l.Stream, &t, &l.Line); err != nil {
			return nil, err
		}
		l.Time = time.Unix(0, t).UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

func appendMetricsTx(ctx context.Context, tx *sql.Tx, batch []MetricSample) error {
	if len(batch) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO metrics (series_id, step, value, time) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	type runKey struct{ run, key string }
	series := map[runKey]int64{}
	for _, m := range batch {
		id, ok := series[runKey{m.RunID, m.Key}]
		if !ok {
			err := tx.QueryRowContext(ctx, `SELECT id FROM metric_series WHERE run_id = ? AND key = ?`, m.RunID, m.Key).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.QueryRowContext(ctx, `INSERT INTO metric_series (run_id, key) VALUES (?, ?) RETURNING id`, m.RunID, m.Key).Scan(&id)
			}
			if err != nil {
				return fmt.Errorf("%s/%s: %w", m.RunID, m.Key, err)
			}
			series[runKey{m.RunID, m.Key}] = id
		}
		var v any = m.Value
		if math.IsNaN(m.Value) {
			v = nil // SQLite has no NaN; NULL stands for it
		}
		t := now
		if !m.Time.IsZero() {
			t = m.Time.UnixNano()
		}
		if _, err := stmt.ExecContext(ctx, id, m.Step, v, t); err != nil {
			return fmt.Errorf("%s/%s step %d: %w", m.RunID, m.Key, m.Step, err)
		}
	}
	return nil
}

func appendLogsTx(ctx context.Context, tx *sql.Tx, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	now := time.Now().UTC()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO logs (run_id, seq, stream, time, line) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	next := map[string]int64{}
	last := map[string]time.Time{}
	for i := range lines {
		l := &lines[i]
		seq, ok := next[l.RunID]
		if !ok {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?`, l.RunID).Scan(&seq); err != nil {
				return err
			}
		}
		seq++
		next[l.RunID] = seq
		l.Seq = seq
		if l.Time.IsZero() {
			l.Time = now
		}
		if l.Stream == "" {
			l.Stream = StreamStdout
		}
		if _, err := stmt.ExecContext(ctx, l.RunID, seq, l.Stream, l.Time.UnixNano(), l.Line); err != nil {
			return fmt.Errorf("log line of run %s: %w", l.RunID, err)
		}
		if l.Time.After(last[l.RunID]) {
			last[l.RunID] = l.Time
		}
	}
	for id, t := range last {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET log_time = MAX(COALESCE(log_time, 0), ?) WHERE id = ?`, t.UnixNano(), id); err != nil {
			return err
		}
	}
	return nil
}

func setPropertiesTx(ctx context.Context, tx *sql.Tx, runID string, props map[string]any, t time.Time) error {
	if len(props) == 0 {
		return nil
	}
	if t.IsZero() {
		t = time.Now()
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO run_properties (run_id, key, value, time) VALUES (?, ?, ?, ?)
		ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, time = excluded.time`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for k, v := range props {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("property %s: %w", k, err)
		}
		if _, err := stmt.ExecContext(ctx, runID, k, string(b), t.UnixNano()); err != nil {
			return err
		}
	}
	return nil
}

// Batch is what a run reported since the last write: log lines, metric
// samples and properties, all of one run or several.
type Batch struct {
	Logs    []LogLine
	Metrics []MetricSample
	// Props are per run id: key -> value (a JSON-marshalable value).
	Props map[string]map[string]any
}

// Ingest stores a batch in one transaction. A reattaching ingester derives
// its resume point from the stored log lines, so a line and the metrics parsed
// from it must be committed together: with two transactions a crash between
// them would either lose the metrics (logs first) or store them twice
// (metrics first, then the line re-read).
func (s *Store) Ingest(ctx context.Context, b Batch) error {
	if len(b.Logs) == 0 && len(b.Metrics) == 0 && len(b.Props) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := appendMetricsTx(ctx, tx, b.Metrics); err != nil {
			return err
		}
		for id, props := range b.Props {
			if err := setPropertiesTx(ctx, tx, id, props, time.Time{}); err != nil {
				return err
			}
		}
		return appendLogsTx(ctx, tx, b.Logs)
	})
	if err != nil {
		return fmt.Errorf("ingest %d log lines and %d samples: %w", len(b.Logs), len(b.Metrics), err)
	}
	return nil
}

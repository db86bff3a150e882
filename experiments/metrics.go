package experiments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
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

// AppendMetrics stores a batch of samples in one transaction with
// multi-row prepared statements; batching is what makes ingestion fast (one
// commit per batch, not per sample), so callers should coalesce lines before
// calling.
func (s *Store) AppendMetrics(ctx context.Context, batch []MetricSample) error {
	if len(batch) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return appendMetricsTx(ctx, s, tx, batch) })
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

// LastMetricsOf is LastMetrics for many runs in one query: run id → key →
// last sample. Runs without metrics are absent.
func (s *Store) LastMetricsOf(ctx context.Context, runIDs []string) (map[string]map[string]Sample, error) {
	out := make(map[string]map[string]Sample, len(runIDs))
	for len(runIDs) > 0 {
		n := min(len(runIDs), 500) // well under SQLite's bound on variables
		chunk := runIDs[:n]
		runIDs = runIDs[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT s.run_id, s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.rowid = (
				SELECT rowid FROM metrics WHERE series_id = s.id ORDER BY step DESC, rowid DESC LIMIT 1)
			WHERE s.run_id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		for rows.Next() {
			var run, key string
			var smp Sample
			var v sql.NullFloat64
			var t int64
			if err := rows.Scan(&run, &key, &smp.Step, &v, &t); err != nil {
				rows.Close()
				return nil, err
			}
			smp.Value = math.NaN()
			if v.Valid {
				smp.Value = v.Float64
			}
			smp.Time = time.Unix(0, t).UTC()
			if out[run] == nil {
				out[run] = map[string]Sample{}
			}
			out[run][key] = smp
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
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
	err := s.write(ctx, func(tx *sql.Tx) error { return appendLogsTx(ctx, s, tx, lines) })
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

func appendMetricsTx(ctx context.Context, s *Store, tx *sql.Tx, batch []MetricSample) error {
	if len(batch) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	type runKey struct{ run, key string }
	series := map[runKey]int64{}
	ids := make([]int64, len(batch))
	for i, m := range batch {
		id, ok := series[runKey{m.RunID, m.Key}]
		if !ok {
			find, err := s.stmt(ctx, tx, `SELECT id FROM metric_series WHERE run_id = ? AND key = ?`)
			if err != nil {
				return err
			}
			err = find.QueryRowContext(ctx, m.RunID, m.Key).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.QueryRowContext(ctx, `INSERT INTO metric_series (run_id, key) VALUES (?, ?) RETURNING id`, m.RunID, m.Key).Scan(&id)
			}
			if err != nil {
				return fmt.Errorf("%s/%s: %w", m.RunID, m.Key, err)
			}
			series[runKey{m.RunID, m.Key}] = id
		}
		ids[i] = id
	}
	err := s.insertRows(ctx, tx, "metrics (series_id, step, value, time)", 4, len(batch), func(i int, row []any) {
		m := &batch[i]
		var v any = m.Value
		if math.IsNaN(m.Value) {
			v = nil // SQLite has no NaN; NULL stands for it
		}
		t := now
		if !m.Time.IsZero() {
			t = m.Time.UnixNano()
		}
		row[0], row[1], row[2], row[3] = ids[i], m.Step, v, t
	})
	if err != nil {
		return fmt.Errorf("metric samples: %w", err)
	}
	return nil
}

// insertRowsMax is the most rows one INSERT statement carries. Measured with
// BenchmarkIngest (5 metrics a line): 64, 128 and 256 ingest alike; one row
// per statement spends as much time in database/sql and the driver as in
// SQLite. 128 rows of 5 columns stay far below SQLite's 32,766 parameters.
const insertRowsMax = 128

// insertRows inserts n rows into table ("name (col, ...)") with multi-row
// INSERTs of power-of-two sizes, so that a handful of statements, prepared
// once per connection and reused by every flush, cover any batch. fill sets
// row i's ncols values. A multi-row VALUES list inserts in list order, so
// rowids still follow arrival order.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, ncols, n int, fill func(i int, row []any)) error {
	args := make([]any, insertRowsMax*ncols)
	for i := 0; i < n; {
		size := insertRowsMax
		for size > n-i {
			size /= 2
		}
		st, err := s.stmt(ctx, tx, insertSQL(table, ncols, size))
		if err != nil {
			return err
		}
		for r := range size {
			fill(i+r, args[r*ncols:(r+1)*ncols])
		}
		if _, err := st.ExecContext(ctx, args[:size*ncols]...); err != nil {
			return err
		}
		i += size
	}
	return nil
}

// insertSQL is "INSERT INTO table VALUES (?, ...), ..." with rows rows.
func insertSQL(table string, ncols, rows int) string {
	row := "(?" + strings.Repeat(", ?", ncols-1) + ")"
	var b strings.Builder
	b.Grow(len("INSERT INTO  VALUES ") + len(table) + rows*(len(row)+2))
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" VALUES ")
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// stmtCache holds the store's hot statements, prepared once: re-preparing
// a 128-row INSERT in every flush cost a tenth of the ingestion time.
// database/sql keeps one driver statement per connection under each Stmt.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the cached statement for q bound to tx.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	st := c.m[q]
	if st == nil {
		var err error
		if st, err = s.db.PrepareContext(ctx, q); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[q] = st
	}
	c.mu.Unlock()
	return tx.StmtContext(ctx, st), nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

func appendLogsTx(ctx context.Context, s *Store, tx *sql.Tx, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	now := time.Now().UTC()
	next := map[string]int64{}
	last := map[string]time.Time{}
	for i := range lines {
		l := &lines[i]
		seq, ok := next[l.RunID]
		if !ok {
			maxSeq, err := s.stmt(ctx, tx, `SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?`)
			if err != nil {
				return err
			}
			if err := maxSeq.QueryRowContext(ctx, l.RunID).Scan(&seq); err != nil {
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
		if l.Time.After(last[l.RunID]) {
			last[l.RunID] = l.Time
		}
	}
	err := s.insertRows(ctx, tx, "logs (run_id, seq, stream, time, line)", 5, len(lines), func(i int, row []any) {
		l := &lines[i]
		row[0], row[1], row[2], row[3], row[4] = l.RunID, l.Seq, l.Stream, l.Time.UnixNano(), l.Line
	})
	if err != nil {
		return fmt.Errorf("log lines of run %s: %w", lines[0].RunID, err)
	}
	for id, t := range last {
		upd, err := s.stmt(ctx, tx, `UPDATE runs SET log_time = MAX(COALESCE(log_time, 0), ?) WHERE id = ?`)
		if err != nil {
			return err
		}
		if _, err := upd.ExecContext(ctx, t.UnixNano(), id); err != nil {
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
		if err := appendMetricsTx(ctx, s, tx, b.Metrics); err != nil {
			return err
		}
		for id, props := range b.Props {
			if err := setPropertiesTx(ctx, tx, id, props, time.Time{}); err != nil {
				return err
			}
		}
		return appendLogsTx(ctx, s, tx, b.Logs)
	})
	if err != nil {
		return fmt.Errorf("ingest %d log lines and %d samples: %w", len(b.Logs), len(b.Metrics), err)
	}
	return nil
}

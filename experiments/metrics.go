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
	err := s.writeIngest(ctx, func(tx *txn) error { return appendMetricsTx(ctx, s, tx, batch) })
	if err != nil {
		return fmt.Errorf("append %d metric samples: %w", len(batch), err)
	}
	return nil
}

// MetricSeries returns every series of the run, each ordered by step (and by
// arrival for repeated steps).
func (s *Store) MetricSeries(ctx context.Context, runID string) (map[string][]Sample, error) {
	return s.metricQuery(ctx, `SELECT s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.series_id = s.id
		WHERE s.run_id = ? ORDER BY s.key, m.step, m.id`, runID)
}

// MetricSeriesKey returns one series of the run, ordered by step, starting
// after step afterStep (use math.MinInt64 for all): a live chart polls with
// the last step it has.
func (s *Store) MetricSeriesKey(ctx context.Context, runID, key string, afterStep int64) ([]Sample, error) {
	m, err := s.metricQuery(ctx, `SELECT s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.series_id = s.id
		WHERE s.run_id = ? AND s.key = ? AND m.step > ? ORDER BY m.step, m.id`, runID, key, afterStep)
	return m[key], err
}

// SysPrefix starts the keys of system metrics (CPU, memory, GPU use that
// lathe samples itself, runners.SysPrefix). They are series like any other,
// but not a run's results: LastMetrics leaves them out, LastSystemMetrics
// has them.
const SysPrefix = "sys/"

// LastMetrics returns the last reported value of each metric of the run
// (highest step; the latest arrival among equal steps), which is what a
// study reads as a trial's final value. System metrics are left out.
func (s *Store) LastMetrics(ctx context.Context, runID string) (map[string]Sample, error) {
	return s.lastMetrics(ctx, runID, false)
}

// LastSystemMetrics is LastMetrics of the run's system metrics only.
func (s *Store) LastSystemMetrics(ctx context.Context, runID string) (map[string]Sample, error) {
	return s.lastMetrics(ctx, runID, true)
}

func (s *Store) lastMetrics(ctx context.Context, runID string, sys bool) (map[string]Sample, error) {
	// One index seek per series for its last sample.
	all, err := s.metricQuery(ctx, `SELECT s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.id = (
			SELECT id FROM metrics WHERE series_id = s.id ORDER BY step DESC, id DESC LIMIT 1)
		WHERE s.run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Sample, len(all))
	for k, v := range all {
		if strings.HasPrefix(k, SysPrefix) == sys {
			out[k] = v[len(v)-1]
		}
	}
	return out, nil
}

// LastMetricsOf is LastMetrics for many runs in one query: run id → key →
// last sample. Runs without metrics are absent; system metrics are left out.
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
		rows, err := s.db.QueryContext(ctx, `SELECT s.run_id, s.key, m.step, m.value, m.time FROM metric_series s JOIN metrics m ON m.id = (
				SELECT id FROM metrics WHERE series_id = s.id ORDER BY step DESC, id DESC LIMIT 1)
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
			if strings.HasPrefix(key, SysPrefix) {
				continue
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
	err := s.write(ctx, func(tx *txn) error { return setPropertiesTx(ctx, tx, runID, props, t) })
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
	err := s.writeIngest(ctx, func(tx *txn) error { return appendLogsTx(ctx, s, tx, lines) })
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

func appendMetricsTx(ctx context.Context, s *Store, tx *txn, batch []MetricSample) error {
	if len(batch) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	local := map[seriesKey]int64{}
	ids := make([]int64, len(batch))
	for i, m := range batch {
		k := seriesKey{m.RunID, m.Key}
		id, ok := local[k]
		if !ok {
			if id, ok = s.series.get(k); !ok {
				var err error
				if id, err = s.seriesID(ctx, tx, k); err != nil {
					return fmt.Errorf("%s/%s: %w", m.RunID, m.Key, err)
				}
				tx.onCommit(func() { s.series.put(k, id) })
			}
			local[k] = id
		}
		ids[i] = id
	}
	err := s.insertRows(ctx, tx, "metrics", []string{"series_id", "step", "value", "time"}, len(batch), func(i int, row []any) {
		m := &batch[i]
		var v any = m.Value
		if math.IsNaN(m.Value) {
			v = nil // SQLite has no NaN; NULL stands for it, in PostgreSQL too
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

// seriesID finds or makes the series of k. ON CONFLICT makes the insert
// safe against another process making the same series at once.
func (s *Store) seriesID(ctx context.Context, tx *txn, k seriesKey) (int64, error) {
	var id int64
	err := s.hotQueryRow(ctx, tx, `SELECT id FROM metric_series WHERE run_id = ? AND key = ?`, []any{k.run, k.key}, &id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO metric_series (run_id, key) VALUES (?, ?) ON CONFLICT (run_id, key) DO NOTHING`, k.run, k.key); err != nil {
		return 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT id FROM metric_series WHERE run_id = ? AND key = ?`, k.run, k.key).Scan(&id)
	return id, err
}

// seriesKey names a metric series.
type seriesKey struct{ run, key string }

// seriesCache remembers series ids across batches: a series, once made,
// keeps its id (runs are never deleted while they ingest), so only a
// run's first batch per key looks it up. Ids enter it after their
// transaction committed.
type seriesCache struct {
	mu sync.Mutex
	m  map[seriesKey]int64
}

func (c *seriesCache) get(k seriesKey) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[k]
	return id, ok
}

func (c *seriesCache) put(k seriesKey, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[seriesKey]int64{}
	}
	c.m[k] = id
}

// insertRowsMax is the most rows one INSERT statement carries. Measured with
// BenchmarkIngest (5 metrics a line): 64, 128 and 256 ingest alike; one row
// per statement spends as much time in database/sql and the driver as in
// SQLite. 128 rows of 5 columns stay far below SQLite's 32,766 parameters.
const insertRowsMax = 128

// insertRows inserts n rows into table's cols. PostgreSQL: one COPY.
// SQLite: multi-row INSERTs of power-of-two sizes, so that a handful of
// statements, prepared once per connection and reused by every flush, cover
// any batch. fill sets row i's values. Either way rows go in in order, so
// the tables' ids follow arrival order.
func (s *Store) insertRows(ctx context.Context, tx *txn, table string, cols []string, n int, fill func(i int, row []any)) error {
	if n == 0 {
		return nil
	}
	if tx.conn != nil {
		return tx.copyRows(ctx, table, cols, n, fill)
	}
	ncols := len(cols)
	into := table + " (" + strings.Join(cols, ", ") + ")"
	args := make([]any, insertRowsMax*ncols)
	for i := 0; i < n; {
		size := insertRowsMax
		for size > n-i {
			size /= 2
		}
		st, err := s.stmt(ctx, tx, insertSQL(into, ncols, size))
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

// stmtCache holds SQLite's hot statements, prepared once: re-preparing
// a 128-row INSERT in every flush cost a tenth of the ingestion time.
// database/sql keeps one driver statement per connection under each Stmt.
// (pgx caches prepared statements per connection itself.)
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the cached statement for q bound to tx.
func (s *Store) stmt(ctx context.Context, tx *txn, q string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	st := c.m[q]
	if st == nil {
		var err error
		if st, err = s.raw.PrepareContext(ctx, s.d.rebind(q)); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[q] = st
	}
	c.mu.Unlock()
	return tx.tx.StmtContext(ctx, st), nil
}

// hotQueryRow scans one row of a hot query into dest: through the
// statement cache in SQLite, straight through pgx's in PostgreSQL.
func (s *Store) hotQueryRow(ctx context.Context, tx *txn, q string, args []any, dest ...any) error {
	if s.pg != nil {
		return tx.QueryRowContext(ctx, q, args...).Scan(dest...)
	}
	st, err := s.stmt(ctx, tx, q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

func appendLogsTx(ctx context.Context, s *Store, tx *txn, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	now := time.Now().UTC()
	last := map[string]time.Time{}
	var order []string
	for i := range lines {
		l := &lines[i]
		if l.Time.IsZero() {
			l.Time = now
		}
		if l.Stream == "" {
			l.Stream = StreamStdout
		}
		t, seen := last[l.RunID]
		if !seen {
			order = append(order, l.RunID)
		}
		if !seen || l.Time.After(t) {
			last[l.RunID] = l.Time
		}
	}
	// Advancing log_time first takes each run's row lock (PostgreSQL), so
	// two writers of one run's lines number them one after the other; the
	// same statement returns the run's last line number.
	next := map[string]int64{}
	for _, id := range order {
		var seq int64
		err := s.hotQueryRow(ctx, tx, `UPDATE runs SET log_time = `+s.d.greatest+`(COALESCE(log_time, 0), ?) WHERE id = ?
			RETURNING (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?)`, []any{last[id].UnixNano(), id, id}, &seq)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("log lines of run %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		next[id] = seq
	}
	for i := range lines {
		l := &lines[i]
		next[l.RunID]++
		l.Seq = next[l.RunID]
	}
	err := s.insertRows(ctx, tx, "logs", []string{"run_id", "seq", "stream", "time", "line"}, len(lines), func(i int, row []any) {
		l := &lines[i]
		row[0], row[1], row[2], row[3], row[4] = l.RunID, l.Seq, l.Stream, l.Time.UnixNano(), l.Line
	})
	if err != nil {
		return fmt.Errorf("log lines of run %s: %w", lines[0].RunID, err)
	}
	return nil
}

func setPropertiesTx(ctx context.Context, tx *txn, runID string, props map[string]any, t time.Time) error {
	if len(props) == 0 {
		return nil
	}
	if t.IsZero() {
		t = time.Now()
	}
	stmt, err := tx.prepare(ctx, `INSERT INTO run_properties (run_id, key, value, time) VALUES (?, ?, ?, ?)
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
		if _, err := stmt.ExecContext(ctx, tx.d.args([]any{runID, k, string(b), t.UnixNano()})...); err != nil {
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
	err := s.writeIngest(ctx, func(tx *txn) error {
		// Lines first: they take the run's row lock before anything else
		// does (appendLogsTx), so concurrent writers queue, not deadlock.
		if err := appendLogsTx(ctx, s, tx, b.Logs); err != nil {
			return err
		}
		if err := appendMetricsTx(ctx, s, tx, b.Metrics); err != nil {
			return err
		}
		for id, props := range b.Props {
			if err := setPropertiesTx(ctx, tx, id, props, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest %d log lines and %d samples: %w", len(b.Logs), len(b.Metrics), err)
	}
	return nil
}

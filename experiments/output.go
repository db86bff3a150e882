package experiments

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// What followers and reattaching runners read: where a run's stored output
// ends.

// LastLogSeq is the seq of the run's last stored line, 0 when it has none:
// a live tail starts after it.
func (s *Store) LastLogSeq(ctx context.Context, runID string) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?`, runID).Scan(&seq)
	return seq, err
}

// KeyedSample is a stored sample with its metric key and its place in
// arrival order (a follower resumes after the last one it had).
type KeyedSample struct {
	ID  int64
	Key string
	Sample
}

// MetricsAfter returns at most limit of the run's samples stored after the
// one with id after (0: from the first), in arrival order, and the id of
// the last one returned (after, when none).
func (s *Store) MetricsAfter(ctx context.Context, runID string, after int64, limit int) ([]KeyedSample, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, s.key, m.step, m.value, m.time
		FROM metric_series s JOIN metrics m ON m.series_id = s.id
		WHERE s.run_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`, runID, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("metrics of %s: %w", runID, err)
	}
	defer rows.Close()
	var out []KeyedSample
	for rows.Next() {
		var p KeyedSample
		var v sql.NullFloat64
		var t int64
		if err := rows.Scan(&p.ID, &p.Key, &p.Step, &v, &t); err != nil {
			return nil, after, err
		}
		p.Value = math.NaN() // NULL stands for NaN in the store
		if v.Valid {
			p.Value = v.Float64
		}
		p.Time = time.Unix(0, t)
		after = p.ID
		out = append(out, p)
	}
	return out, after, rows.Err()
}

// OutputStored says how much of a run's output the store has: lines per
// stream (stdout and stderr), the time of the last one, and per metric the
// highest step stored, for a reattaching runner to resume after.
type OutputStored struct {
	Stdout, Stderr int64
	Last           time.Time
	MaxStep        map[string]int64
}

// StoredOutput reads OutputStored for the run.
func (s *Store) StoredOutput(ctx context.Context, runID string) (OutputStored, error) {
	c := OutputStored{MaxStep: map[string]int64{}}
	rows, err := s.db.QueryContext(ctx, `SELECT stream, COUNT(*), MAX(time) FROM logs WHERE run_id = ? AND stream IN ('stdout', 'stderr') GROUP BY stream`, runID)
	if err != nil {
		return c, fmt.Errorf("resume point of %s: %w", runID, err)
	}
	for rows.Next() {
		var stream string
		var n, t int64
		if err := rows.Scan(&stream, &n, &t); err != nil {
			rows.Close()
			return c, err
		}
		if stream == StreamStdout {
			c.Stdout = n
		} else {
			c.Stderr = n
		}
		if tt := time.Unix(0, t); tt.After(c.Last) {
			c.Last = tt
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT s.key, MAX(m.step) FROM metric_series s JOIN metrics m ON m.series_id = s.id WHERE s.run_id = ? GROUP BY s.key`, runID)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var step int64
		if err := rows.Scan(&k, &step); err != nil {
			return c, err
		}
		c.MaxStep[k] = step
	}
	return c, rows.Err()
}

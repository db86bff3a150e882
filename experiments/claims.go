package experiments

import (
	"context"
	"fmt"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// Slot claims. A runner's max_concurrent and its GPUs are one pool for every
// lathe process that shares the store: a run may start only after Claim,
// in one write transaction, has seen every process's runs of that runner
// and recorded the slot (and the GPU ids) as this run's. A run holds its
// slot while it is running, or while it is queued with a claim; a claim of
// a queued run whose launching process has died (Alive says so) is dropped
// in the next claim's transaction, so a crash cannot leak a slot.

// ClaimRow is one run of a runner's queue or one holding a slot.
type ClaimRow struct {
	ID       string
	Status   runstatus.Status
	GPUs     string   // the request as --gpus took it
	GPUIDs   []string // devices held (running, or claimed)
	Priority int
	Created  time.Time
	Claimed  bool // queued, with a slot claimed
}

// Holds reports whether the row holds a slot.
func (r ClaimRow) Holds() bool { return r.Status == runstatus.Running || r.Claimed }

// ClaimRequest asks for a slot of Runner for run RunID. Alive reports
// whether a queued run's launching process still holds it (its ingest
// lock); Owner names the claimer in the record. Host, when set, narrows
// the pool to the runs recorded on that host: a local runner's slots are
// one machine's, shared by every workspace on it but not with other hosts
// that have a runner of the same name; a docker runner's endpoint is one
// pool for the whole team.
type ClaimRequest struct {
	Runner string
	Host   string
	RunID  string
	Owner  string
	Alive  func(runID string) bool
}

// Claim reads the runner's running and queued runs (priority first, then
// first come) in one write transaction, drops stale claims, and asks decide
// whether RunID may start and with which GPU ids; when it may, the claim is
// written before the transaction commits. decide must not do I/O.
func (s *Store) Claim(ctx context.Context, req ClaimRequest, decide func(rows []ClaimRow) (gpus []string, ok bool)) (gpus []string, ok bool, err error) {
	err = s.write(ctx, func(tx *txn) error {
		if s.pg != nil {
			// One claimer of a pool at a time, on every host; the lock ends
			// with the transaction.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, s.pg.lk.key("claims "+req.Runner+"@"+req.Host)); err != nil {
				return err
			}
		}
		rows, err := claimRows(ctx, tx, req.Runner, req.Host)
		if err != nil {
			return err
		}
		live := rows[:0]
		for _, r := range rows {
			if r.Status == runstatus.Queued && r.ID != req.RunID && req.Alive != nil && !req.Alive(r.ID) {
				// Its process is gone: the run neither competes nor holds a
				// slot until someone takes it over.
				if r.Claimed {
					if _, err := tx.ExecContext(ctx, `UPDATE runs SET claim_owner = '', gpu_ids = '[]' WHERE id = ? AND status = 'queued'`, r.ID); err != nil {
						return err
					}
				}
				continue
			}
			live = append(live, r)
		}
		g, yes := decide(live)
		if !yes {
			return nil
		}
		ids, err := marshalJSON(g, "[]")
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET claim_owner = ?, gpu_ids = ? WHERE id = ? AND status = 'queued'`, req.Owner, ids, req.RunID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("claim a slot for run %s: it is no longer queued", req.RunID)
		}
		gpus, ok = g, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("claim a slot on %s: %w", req.Runner, err)
	}
	return gpus, ok, nil
}

// ReleaseClaim gives back the slot of a queued run that was not started.
func (s *Store) ReleaseClaim(ctx context.Context, runID string) error {
	return s.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET claim_owner = '', gpu_ids = '[]' WHERE id = ? AND status = 'queued'`, runID)
		return err
	})
}

func claimRows(ctx context.Context, tx *txn, runner, host string) ([]ClaimRow, error) {
	q := `SELECT id, status, gpus, gpu_ids, priority, created, claim_owner FROM runs
		WHERE runner = ? AND status IN ('queued', 'running')`
	args := []any{runner}
	if host != "" {
		q += ` AND host = ?`
		args = append(args, host)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY priority DESC, created, rowid`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClaimRow
	for rows.Next() {
		var r ClaimRow
		var status, ids, owner string
		var created int64
		if err := rows.Scan(&r.ID, &status, &r.GPUs, &ids, &r.Priority, &created, &owner); err != nil {
			return nil, err
		}
		r.Status = runstatus.Status(status)
		r.Created = time.Unix(0, created).UTC()
		r.Claimed = r.Status == runstatus.Queued && owner != ""
		if err := unmarshalJSON(ids, &r.GPUIDs); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// RunFilter selects runs for ListRuns; zero fields match everything.
type RunFilter struct {
	Status  []runstatus.Status
	Runner  string
	StudyID int64
	// User keeps the runs this user made.
	User string
	// Workspace keeps the runs made in the workspace with this id, or in
	// the workspaces with this name (a team's clones of one repository
	// share it).
	Workspace string
	// Tags keeps the runs that have every one of these tags.
	Tags []string
	// Since keeps the runs created at or after it.
	Since time.Time
	// Params keeps the runs whose parameters satisfy every condition.
	Params []ParamCond
	Limit  int // 0: no limit
}

// ListRuns returns runs, newest first.
func (s *Store) ListRuns(ctx context.Context, f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	if len(f.Status) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Status))+")")
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	if f.Runner != "" {
		where = append(where, "runner = ?")
		args = append(args, f.Runner)
	}
	if f.StudyID != 0 {
		where = append(where, "study_id = ?")
		args = append(args, f.StudyID)
	}
	if f.User != "" {
		where = append(where, "user_name = ?")
		args = append(args, f.User)
	}
	if f.Workspace != "" {
		where = append(where, "(workspace_id = ? OR workspace_id IN (SELECT id FROM workspaces WHERE name = ?))")
		args = append(args, f.Workspace, f.Workspace)
	}
	for _, t := range f.Tags {
		where = append(where, "EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.tag = ?)")
		args = append(args, t)
	}
	if !f.Since.IsZero() {
		where = append(where, "created >= ?")
		since := f.Since
		if last := time.Unix(0, math.MaxInt64); since.After(last) {
			since = last // past 2262: UnixNano would wrap
		}
		args = append(args, since.UnixNano())
	}
	sel := " FROM runs"
	if len(where) > 0 {
		sel += " WHERE " + strings.Join(where, " AND ")
	}
	sel += " ORDER BY created DESC, rowid DESC"
	// Parameter conditions are checked here, on the decoded params: "numeric
	// when both sides parse" reads the same in Go for both back ends, where
	// SQLite's json_extract and PostgreSQL's jsonb casts would not; the limit
	// then applies after them.
	if f.Limit > 0 && len(f.Params) == 0 {
		sel += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+sel, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		if !matchParams(f.Params, r.Params) {
			continue
		}
		out = append(out, r)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	tags, err := s.tagsOf(ctx, s.db, `SELECT id`+sel, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: tags: %w", err)
	}
	for i := range out {
		out[i].Tags = orEmpty(tags[out[i].ID])
	}
	return out, nil
}

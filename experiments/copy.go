package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Copying a workspace's history into another store (`lathe store copy`), so
// a member joins a team's shared store with their past runs. The copy is
// idempotent and resumable: every row is matched by a natural key (a dataset
// version by content and path, a study by name, origin and creation time, a
// run by its id, a trial by study and number, an edge by its ends), and each
// run goes over with everything it owns (inputs, metric series and samples,
// logs, properties, artifacts) in one transaction, so a copy killed midway
// leaves whole runs behind and a second copy adds only what is missing.
// Integer ids are the target's own; references are translated.
//
// Runs still queued or running are not copied (their rows change yet): copy
// again once they have ended. Their trials go over without the run, as
// trials nobody drives, for the study's next driver to evaluate again.

// CopyReport says what a copy did.
type CopyReport struct {
	Objects        int               `json:"objects"`         // object files copied (not already there)
	Datasets       int               `json:"datasets"`        // dataset versions added
	Studies        int               `json:"studies"`         // studies added
	Runs           int               `json:"runs"`            // runs added
	RunsThere      int               `json:"runs_there"`      // runs the target already had
	Trials         int               `json:"trials"`          // trials added
	Edges          int               `json:"edges"`           // lineage edges added
	Unfinished     []string          `json:"unfinished"`      // runs not copied: queued or running
	RenamedStudies map[string]string `json:"renamed_studies"` // source name -> name in the target (taken by another study)
}

// CopyProgress is called after each run.
type CopyProgress func(done, total int)

// CopyTo copies everything in s into dst, objects from srcObjects into
// dstObjects (skipped when both are one directory or either is nil).
func (s *Store) CopyTo(ctx context.Context, dst *Store, srcObjects, dstObjects *Objects, progress CopyProgress) (CopyReport, error) {
	rep := CopyReport{RenamedStudies: map[string]string{}}
	if dst.path == s.path && dst.d == s.d {
		return rep, fmt.Errorf("copy: %s is the store being copied", dst.path)
	}
	if err := s.copyObjects(ctx, srcObjects, dstObjects, &rep); err != nil {
		return rep, err
	}
	datasets, err := s.copyDatasets(ctx, dst, &rep)
	if err != nil {
		return rep, err
	}
	studies, err := s.copyStudies(ctx, dst, &rep)
	if err != nil {
		return rep, err
	}
	copied, err := s.copyRuns(ctx, dst, datasets, studies, progress, &rep)
	if err != nil {
		return rep, err
	}
	if err := s.copyTrials(ctx, dst, studies, copied, &rep); err != nil {
		return rep, err
	}
	if err := s.copyEdges(ctx, dst, datasets, studies, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

func (s *Store) copyObjects(ctx context.Context, from, to *Objects, rep *CopyReport) error {
	if from == nil || to == nil || from.Dir() == to.Dir() {
		return nil
	}
	refs, err := s.ReferencedObjects(ctx)
	if err != nil {
		return err
	}
	shas := make([]string, 0, len(refs))
	for sha := range refs {
		shas = append(shas, sha)
	}
	slices.Sort(shas)
	for _, sha := range shas {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !validSHA(sha) || to.Has(sha) || !from.Has(sha) {
			continue
		}
		f, err := from.Open(sha)
		if err != nil {
			return fmt.Errorf("copy object %s: %w", sha, err)
		}
		got, _, err := to.Put(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("copy object %s: %w", sha, err)
		}
		if got != sha {
			return fmt.Errorf("copy object %s: its content hashes to %s (the source object store is damaged)", sha, got)
		}
		rep.Objects++
	}
	return nil
}

// stamp fills in the origin of rows made before the store recorded it.
func (s *Store) stamp(ws, user *string) {
	if *ws == "" && *user == "" {
		*ws, *user = s.ident.Workspace, s.ident.User
	}
}

func (s *Store) copyDatasets(ctx context.Context, dst *Store, rep *CopyReport) (map[int64]int64, error) {
	ds, err := s.ListDatasets(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(ds))
	for _, d := range slices.Backward(ds) { // oldest first
		src := d.ID
		s.stamp(&d.Workspace, &d.User)
		got, added, err := dst.AddDataset(ctx, d)
		if err != nil {
			return nil, err
		}
		if added {
			rep.Datasets++
		}
		out[src] = got.ID
	}
	return out, nil
}

// copyStudies maps each study to the target's study of the same name made
// by the same workspace at the same time (an earlier copy), or creates it;
// a name another study holds there gets the workspace id as a suffix.
func (s *Store) copyStudies(ctx context.Context, dst *Store, rep *CopyReport) (map[int64]int64, error) {
	sts, err := s.ListStudies(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(sts))
	for _, st := range slices.Backward(sts) {
		s.stamp(&st.Workspace, &st.User)
		name := st.Name
		for attempt := 0; ; attempt++ {
			there, err := dst.GetStudy(ctx, name)
			if errors.Is(err, ErrNotFound) {
				c := st
				c.Name = name
				made, err := dst.CreateStudy(ctx, c)
				if err != nil {
					return nil, err
				}
				rep.Studies++
				out[st.ID] = made.ID
				break
			}
			if err != nil {
				return nil, err
			}
			if there.Workspace == st.Workspace && there.Created.Equal(st.Created) {
				out[st.ID] = there.ID
				break
			}
			if attempt > 0 {
				return nil, fmt.Errorf("copy study %s: the names %s and %s are both taken in %s", st.Name, st.Name, name, dst.path)
			}
			name = st.Name + "@" + st.Workspace[:min(8, len(st.Workspace))]
		}
		if name != st.Name {
			rep.RenamedStudies[st.Name] = name
		}
	}
	return out, nil
}

// copyRuns copies the finished runs, oldest first (a rerun after its
// original), and returns the ids the target has.
func (s *Store) copyRuns(ctx context.Context, dst *Store, datasets, studies map[int64]int64, progress CopyProgress, rep *CopyReport) (map[string]bool, error) {
	runs, err := s.ListRuns(ctx, RunFilter{})
	if err != nil {
		return nil, err
	}
	slices.Reverse(runs)
	copied := map[string]bool{}
	for i, r := range runs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !r.Status.Terminal() {
			rep.Unfinished = append(rep.Unfinished, r.ID)
			continue
		}
		if _, err := dst.GetRun(ctx, r.ID); err == nil {
			rep.RunsThere++
			copied[r.ID] = true
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err := s.copyRun(ctx, dst, r, datasets, studies); err != nil {
			return nil, fmt.Errorf("copy run %s: %w", r.ID, err)
		}
		rep.Runs++
		copied[r.ID] = true
		if progress != nil {
			progress(i+1, len(runs))
		}
	}
	return copied, nil
}

// copyRun copies one run and what it owns in one transaction of dst.
func (s *Store) copyRun(ctx context.Context, dst *Store, r Run, datasets, studies map[int64]int64) error {
	s.stamp(&r.Workspace, &r.User)
	if r.StudyID != 0 {
		id, ok := studies[r.StudyID]
		if !ok {
			return fmt.Errorf("its study %d is not in the source", r.StudyID)
		}
		r.StudyID = id
	}
	ins, err := s.RunInputs(ctx, r.ID)
	if err != nil {
		return err
	}
	var samples []KeyedSample
	for after := int64(0); ; {
		page, next, err := s.MetricsAfter(ctx, r.ID, after, 50_000)
		if err != nil {
			return err
		}
		samples = append(samples, page...)
		if len(page) < 50_000 {
			break
		}
		after = next
	}
	logs, err := s.Logs(ctx, r.ID, 0, 0)
	if err != nil {
		return err
	}
	props, err := s.Properties(ctx, r.ID)
	if err != nil {
		return err
	}
	arts, err := s.ListArtifacts(ctx, r.ID)
	if err != nil {
		return err
	}
	args, err := r.args()
	if err != nil {
		return err
	}
	return dst.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (`+placeholders(len(args))+`)`, args...); err != nil {
			return err
		}
		for _, t := range r.Tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_tags (run_id, tag) VALUES (?, ?)`, r.ID, t); err != nil {
				return err
			}
		}
		for _, in := range ins {
			id, ok := datasets[in.Dataset.ID]
			if !ok {
				return fmt.Errorf("input %s: dataset %d is not in the source", in.Name, in.Dataset.ID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_inputs (run_id, name, dataset_id) VALUES (?, ?, ?)`, r.ID, in.Name, id); err != nil {
				return err
			}
		}
		series := map[string]int64{}
		for _, smp := range samples {
			if _, ok := series[smp.Key]; ok {
				continue
			}
			id, err := dst.seriesID(ctx, tx, seriesKey{r.ID, smp.Key})
			if err != nil {
				return err
			}
			series[smp.Key] = id
		}
		err := dst.insertRows(ctx, tx, "metrics", []string{"series_id", "step", "value", "time"}, len(samples), func(i int, row []any) {
			m := &samples[i]
			var v any = m.Value
			if m.Value != m.Value {
				v = nil
			}
			row[0], row[1], row[2], row[3] = series[m.Key], m.Step, v, m.Time.UnixNano()
		})
		if err != nil {
			return err
		}
		err = dst.insertRows(ctx, tx, "logs", []string{"run_id", "seq", "stream", "time", "line"}, len(logs), func(i int, row []any) {
			l := &logs[i]
			row[0], row[1], row[2], row[3], row[4] = r.ID, l.Seq, l.Stream, l.Time.UnixNano(), l.Line
		})
		if err != nil {
			return err
		}
		at := r.Ended
		if at.IsZero() {
			at = r.Created
		}
		for k, v := range props {
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_properties (run_id, key, value, time) VALUES (?, ?, ?, ?)`,
				r.ID, k, string(v), at.UnixNano()); err != nil {
				return err
			}
		}
		for _, a := range arts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO artifacts (run_id, path, sha256, size, created) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (run_id, path) DO NOTHING`, a.RunID, a.Path, a.SHA256, a.Size, toNanos(a.Created)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) copyTrials(ctx context.Context, dst *Store, studies map[int64]int64, copied map[string]bool, rep *CopyReport) error {
	for src, to := range studies {
		ts, err := s.ListTrials(ctx, src)
		if err != nil {
			return err
		}
		err = dst.write(ctx, func(tx *txn) error {
			for _, t := range ts {
				s.stamp(&t.Workspace, &t.User)
				if t.RunID != "" && !copied[t.RunID] {
					t.RunID = "" // its run is unfinished: the study's next driver evaluates it again
				}
				t.Worker = ""
				args, err := t.args()
				if err != nil {
					return err
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO trials (study_id, number, created, workspace_id, user_name,
						status, params, metrics, feasible, run_id, error, ended, worker)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (study_id, number) DO NOTHING`,
					append([]any{to, t.Number, toNanos(t.Created), t.Workspace, t.User}, args...)...)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 1 {
					rep.Trials++
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("copy trials of study %d: %w", src, err)
		}
	}
	return nil
}

// copyEdges translates each edge's dataset, artifact and study ids into the
// target's; an edge to something not copied (an unfinished run's) waits for
// the next copy.
func (s *Store) copyEdges(ctx context.Context, dst *Store, datasets, studies map[int64]int64, rep *CopyReport) error {
	edges, err := s.queryEdges(ctx, ``)
	if err != nil {
		return err
	}
	artifacts := map[string]string{}
	mapID := func(n Node) (Node, bool) {
		switch n.Kind {
		case KindRun:
			_, err := dst.GetRun(ctx, n.ID)
			return n, err == nil
		case KindDataset, KindStudy:
			id, err := strconv.ParseInt(n.ID, 10, 64)
			m := datasets
			if n.Kind == KindStudy {
				m = studies
			}
			to, ok := m[id]
			return Node{n.Kind, strconv.FormatInt(to, 10)}, err == nil && ok
		case KindArtifact:
			if to, ok := artifacts[n.ID]; ok {
				return Node{n.Kind, to}, to != ""
			}
			id, _ := strconv.ParseInt(n.ID, 10, 64)
			a, err := s.GetArtifact(ctx, id)
			var to int64
			if err == nil {
				err = dst.db.QueryRowContext(ctx, `SELECT id FROM artifacts WHERE run_id = ? AND path = ?`, a.RunID, a.Path).Scan(&to)
			}
			if err != nil {
				artifacts[n.ID] = ""
				return n, false
			}
			artifacts[n.ID] = strconv.FormatInt(to, 10)
			return Node{n.Kind, artifacts[n.ID]}, true
		}
		return n, false
	}
	var todo []Edge
	for _, e := range edges {
		from, ok1 := mapID(e.From)
		to, ok2 := mapID(e.To)
		if !ok1 || !ok2 {
			continue
		}
		e.From, e.To = from, to
		todo = append(todo, e)
	}
	return dst.write(ctx, func(tx *txn) error {
		for _, e := range todo {
			res, err := tx.ExecContext(ctx, `INSERT INTO edges (from_kind, from_id, to_kind, to_id, kind, operation, params, created)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (from_kind, from_id, to_kind, to_id, kind) DO NOTHING`,
				e.From.Kind, e.From.ID, e.To.Kind, e.To.ID, e.Kind, e.Operation, string(jsonOr(e.Params, "{}")), e.Created.UnixNano())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				rep.Edges++
			}
		}
		return nil
	})
}

func jsonOr(m json.RawMessage, def string) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(def)
	}
	return m
}

package experiments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lathe-ml/lathe/config"
)

// Study statuses.
const (
	StudyCreated   = "created"
	StudyRunning   = "running"
	StudyCompleted = "completed"
	StudyFailed    = "failed"
	StudyStopped   = "stopped"
)

// Study is a named optimization with its spec and the optimizer's saved state.
type Study struct {
	ID      int64           `json:"id"`
	Name    string          `json:"name"`
	Spec    json.RawMessage `json:"spec"`
	Status  string          `json:"status"`
	State   json.RawMessage `json:"state,omitempty"` // opaque to the store; the optimizer's resume state
	Created time.Time       `json:"created"`
	Updated time.Time       `json:"updated"`
	// Workspace and User created the study (the store's Identity when empty).
	Workspace string `json:"workspace_id,omitempty"`
	User      string `json:"user,omitempty"`
}

const studyColumns = `id, name, spec, status, state, created, updated, workspace_id, user_name`

func scanStudy(sc scanner) (Study, error) {
	var st Study
	var spec, state string
	var created, updated sql.NullInt64
	if err := sc.Scan(&st.ID, &st.Name, &spec, &st.Status, &state, &created, &updated, &st.Workspace, &st.User); err != nil {
		return st, err
	}
	st.Spec, st.State = json.RawMessage(spec), json.RawMessage(state)
	st.Created, st.Updated = fromNanos(created), fromNanos(updated)
	return st, nil
}

// CreateStudy inserts a study (status "created" unless set). A name already
// taken is an InputError: a study is named by its spec, and resuming one is
// done with GetStudy, not by creating it again.
func (s *Store) CreateStudy(ctx context.Context, st Study) (Study, error) {
	if st.Name == "" {
		return st, &config.InputError{Field: "name", Msg: "a study needs a name"}
	}
	if st.Status == "" {
		st.Status = StudyCreated
	}
	if len(st.Spec) == 0 || !json.Valid(st.Spec) {
		return st, fmt.Errorf("create study %s: spec is not valid JSON", st.Name)
	}
	if len(st.State) == 0 {
		st.State = json.RawMessage("null")
	}
	if st.Created.IsZero() {
		st.Created = time.Now().UTC()
	}
	st.Updated = st.Created
	if st.Workspace == "" && st.User == "" {
		st.Workspace, st.User = s.ident.Workspace, s.ident.User
	}
	err := s.write(ctx, func(tx *txn) error {
		return tx.QueryRowContext(ctx, `INSERT INTO studies (name, spec, status, state, created, updated, workspace_id, user_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			st.Name, string(st.Spec), st.Status, string(st.State), toNanos(st.Created), toNanos(st.Updated), st.Workspace, st.User).Scan(&st.ID)
	})
	if isUniqueViolation(err) {
		return st, &config.InputError{Field: "name", Msg: fmt.Sprintf("study %q already exists (resume it, or choose another name)", st.Name), Err: err}
	}
	if err != nil {
		return st, fmt.Errorf("create study %s: %w", st.Name, err)
	}
	return st, nil
}

// GetStudy returns the study by name; the error wraps ErrNotFound.
func (s *Store) GetStudy(ctx context.Context, name string) (Study, error) {
	st, err := scanStudy(s.db.QueryRowContext(ctx, `SELECT `+studyColumns+` FROM studies WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("study %s: %w", name, ErrNotFound)
	}
	return st, err
}

// GetStudyByID returns the study by row id.
func (s *Store) GetStudyByID(ctx context.Context, id int64) (Study, error) {
	st, err := scanStudy(s.db.QueryRowContext(ctx, `SELECT `+studyColumns+` FROM studies WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("study %d: %w", id, ErrNotFound)
	}
	return st, err
}

// ListStudies returns all studies, newest first.
func (s *Store) ListStudies(ctx context.Context) ([]Study, error) {
	return queryAll(ctx, s.db, scanStudy, `SELECT `+studyColumns+` FROM studies ORDER BY created DESC, id DESC`)
}

// UpdateStudy applies fn to the current record in one write transaction
// (status, state, spec); ID, Name and Created are kept.
// As with UpdateRun, fn must not call Store methods that write.
func (s *Store) UpdateStudy(ctx context.Context, name string, fn func(st *Study) error) (Study, error) {
	var out Study
	err := s.write(ctx, func(tx *txn) error {
		st, err := scanStudy(tx.QueryRowContext(ctx, `SELECT `+studyColumns+` FROM studies WHERE name = ?`+s.d.forUpdate, name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("study %s: %w", name, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := fn(&st); err != nil {
			return err
		}
		st.Updated = time.Now().UTC()
		if len(st.State) == 0 {
			st.State = json.RawMessage("null")
		}
		_, err = tx.ExecContext(ctx, `UPDATE studies SET spec = ?, status = ?, state = ?, updated = ? WHERE name = ?`,
			string(st.Spec), st.Status, string(st.State), toNanos(st.Updated), name)
		out = st
		return err
	})
	if err != nil {
		return out, fmt.Errorf("update study %s: %w", name, err)
	}
	return out, nil
}

// Trial statuses.
const (
	TrialPending   = "pending" // suggested, not yet running (or asked, not yet told)
	TrialRunning   = "running"
	TrialCompleted = "completed"
	TrialFailed    = "failed"
	TrialPruned    = "pruned" // stopped early by a rule; its partial curve is kept
	TrialStopped   = "stopped"
)

// Trial is one suggestion of a study and its outcome.
type Trial struct {
	ID       int64              `json:"-"`
	StudyID  int64              `json:"-"`
	Number   int                `json:"number"` // 1, 2, ... within the study
	Status   string             `json:"status"`
	Params   map[string]any     `json:"params"`
	Metrics  map[string]float64 `json:"metrics"`
	Feasible *bool              `json:"feasible"` // nil until known
	RunID    string             `json:"run_id"`
	Error    string             `json:"error,omitempty"`
	Created  time.Time          `json:"created"`
	Ended    time.Time          `json:"ended,omitzero"`
	// Workspace and User asked for the trial; Worker is the tuning process
	// driving it ("host:pid"; "" when none is), so another worker can take
	// over the trials of one that died.
	Workspace string `json:"workspace_id,omitempty"`
	User      string `json:"user,omitempty"`
	Worker    string `json:"worker,omitempty"`
}

// MarshalJSON writes NaN and infinite metric values, which JSON cannot
// express, as null.
func (t Trial) MarshalJSON() ([]byte, error) {
	type plain Trial
	m := make(map[string]*float64, len(t.Metrics))
	for k, v := range t.Metrics {
		if isFinite(v) {
			v := v
			m[k] = &v
		} else {
			m[k] = nil
		}
	}
	return json.Marshal(struct {
		plain
		Metrics map[string]*float64 `json:"metrics"`
	}{plain(t), m})
}

const trialColumns = `id, study_id, number, status, params, metrics, feasible, run_id, error, created, ended, workspace_id, user_name, worker`

func scanTrial(sc scanner) (Trial, error) {
	var t Trial
	var params, metrics string
	var feasible sql.NullBool
	var run sql.NullString
	var created, ended sql.NullInt64
	if err := sc.Scan(&t.ID, &t.StudyID, &t.Number, &t.Status, &params, &metrics, &feasible, &run, &t.Error, &created, &ended,
		&t.Workspace, &t.User, &t.Worker); err != nil {
		return t, err
	}
	if err := unmarshalJSON(params, &t.Params); err != nil {
		return t, err
	}
	var m map[string]*float64 // null is NaN
	if err := unmarshalJSON(metrics, &m); err != nil {
		return t, err
	}
	if m != nil {
		t.Metrics = make(map[string]float64, len(m))
		for k, v := range m {
			t.Metrics[k] = nanIfNil(v)
		}
	}
	if feasible.Valid {
		t.Feasible = &feasible.Bool
	}
	t.RunID = run.String
	t.Created, t.Ended = fromNanos(created), fromNanos(ended)
	return t, nil
}

func (t *Trial) args() ([]any, error) {
	params, err := marshalJSON(t.Params, "{}")
	if err != nil {
		return nil, fmt.Errorf("trial params: %w", err)
	}
	m := make(map[string]*float64, len(t.Metrics))
	for k, v := range t.Metrics {
		if !isFinite(v) {
			m[k] = nil
			continue
		}
		v := v
		m[k] = &v
	}
	metrics, err := marshalJSON(m, "{}")
	if err != nil {
		return nil, err
	}
	var feasible any
	if t.Feasible != nil {
		feasible = *t.Feasible
	}
	return []any{t.Status, params, metrics, feasible, nullString(t.RunID), t.Error, toNanos(t.Ended), t.Worker}, nil
}

// CreateTrial adds a trial to the study, numbering it after the study's last
// trial inside the transaction, so two processes asking at once get distinct
// numbers. t.Number, ID, StudyID and Created are set on return. A non-empty
// RunID also records the study→run `trial_of` edge.
func (s *Store) CreateTrial(ctx context.Context, studyID int64, t *Trial) error {
	if t.Status == "" {
		t.Status = TrialPending
	}
	if t.Created.IsZero() {
		t.Created = time.Now().UTC()
	}
	t.StudyID = studyID
	if t.Workspace == "" && t.User == "" {
		t.Workspace, t.User = s.ident.Workspace, s.ident.User
	}
	args, err := t.args()
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *txn) error {
		// The study's row lock orders concurrent askers (PostgreSQL; SQLite's
		// BEGIN IMMEDIATE already does).
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM studies WHERE id = ?`+s.d.forUpdate, studyID).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("study %d: %w", studyID, ErrNotFound)
			}
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM trials WHERE study_id = ?`, studyID).Scan(&t.Number); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO trials (study_id, number, created, workspace_id, user_name,
				status, params, metrics, feasible, run_id, error, ended, worker)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			append([]any{studyID, t.Number, toNanos(t.Created), t.Workspace, t.User}, args...)...).Scan(&t.ID); err != nil {
			return err
		}
		return trialEdge(ctx, tx, studyID, t.RunID)
	})
	if err != nil {
		return fmt.Errorf("create trial of study %d: %w", studyID, err)
	}
	return nil
}

func trialEdge(ctx context.Context, tx *txn, studyID int64, runID string) error {
	if runID == "" {
		return nil
	}
	return addEdge(ctx, tx, Edge{From: Node{KindStudy, fmt.Sprint(studyID)}, To: Node{KindRun, runID}, Kind: EdgeTrialOf})
}

// GetTrial returns trial number of the study.
func (s *Store) GetTrial(ctx context.Context, studyID int64, number int) (Trial, error) {
	t, err := scanTrial(s.db.QueryRowContext(ctx, `SELECT `+trialColumns+` FROM trials WHERE study_id = ? AND number = ?`, studyID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("trial %d of study %d: %w", number, studyID, ErrNotFound)
	}
	return t, err
}

// UpdateTrial applies fn to the current trial in one write transaction.
// Status, params, metrics, feasibility, run id, error and end time change;
// setting a run id records the `trial_of` edge.
// As with UpdateRun, fn must not call Store methods that write.
func (s *Store) UpdateTrial(ctx context.Context, studyID int64, number int, fn func(t *Trial) error) (Trial, error) {
	var out Trial
	err := s.write(ctx, func(tx *txn) error {
		t, err := scanTrial(tx.QueryRowContext(ctx, `SELECT `+trialColumns+` FROM trials WHERE study_id = ? AND number = ?`+s.d.forUpdate, studyID, number))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("trial %d: %w", number, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := fn(&t); err != nil {
			return err
		}
		args, err := t.args()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE trials SET status = ?, params = ?, metrics = ?, feasible = ?, run_id = ?, error = ?, ended = ?,
			worker = ? WHERE id = ?`, append(args, t.ID)...); err != nil {
			return err
		}
		out = t
		return trialEdge(ctx, tx, studyID, t.RunID)
	})
	if err != nil {
		return out, fmt.Errorf("update trial %d of study %d: %w", number, studyID, err)
	}
	return out, nil
}

// ListTrials returns the study's trials by number.
func (s *Store) ListTrials(ctx context.Context, studyID int64) ([]Trial, error) {
	return queryAll(ctx, s.db, scanTrial, `SELECT `+trialColumns+` FROM trials WHERE study_id = ? ORDER BY number`, studyID)
}

// AdoptTrial makes worker the driver of trial number of the study if its
// driver is still from (compare and swap, so two workers adopting one dead
// worker's trial cannot both get it); ok reports whether it did.
func (s *Store) AdoptTrial(ctx context.Context, studyID int64, number int, from, worker string) (ok bool, err error) {
	err = s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE trials SET worker = ? WHERE study_id = ? AND number = ? AND worker = ?
			AND status IN ('pending', 'running')`, worker, studyID, number, from)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("adopt trial %d of study %d: %w", number, studyID, err)
	}
	return ok, nil
}

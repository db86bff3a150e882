package experiments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// CodeVersion is the workspace's code when the run started.
type CodeVersion struct {
	Commit  string `json:"commit,omitempty"`
	Dirty   bool   `json:"dirty"`
	DiffSHA string `json:"diff_sha256,omitempty"` // object holding `git diff HEAD`
}

// Run is one execution of a command on a runner.
type Run struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Status      runstatus.Status  `json:"status"`
	Runner      string            `json:"runner"`
	Host        string            `json:"host,omitempty"`
	Image       string            `json:"image,omitempty"`
	ImageDigest string            `json:"image_digest,omitempty"`
	Command     []string          `json:"command"`
	Params      map[string]any    `json:"params"`
	Env         map[string]string `json:"env,omitempty"` // redacted on write
	Workdir     string            `json:"workdir,omitempty"`
	Resources   map[string]string `json:"resources,omitempty"`
	Code        CodeVersion       `json:"code"`
	GPUs        string            `json:"gpus,omitempty"`
	GPUIDs      []string          `json:"gpu_ids,omitempty"`
	GPUInfo     string            `json:"gpu_info,omitempty"`
	Priority    int               `json:"priority"`
	ExitCode    *int              `json:"exit_code"`
	Error       string            `json:"error,omitempty"`
	Created     time.Time         `json:"created_at"`
	Started     time.Time         `json:"started_at,omitzero"`
	Ended       time.Time         `json:"ended_at,omitzero"`
	ParentID    string            `json:"parent_id,omitempty"`
	RerunOf     string            `json:"rerun_of,omitempty"`
	StudyID     int64             `json:"study_id,omitempty"`
	TrialNumber int               `json:"trial_number,omitempty"`
	ContainerID string            `json:"container_id,omitempty"`
	PID         int               `json:"pid,omitempty"`
	LogOffset   int64             `json:"log_offset,omitempty"`
	LogTime     time.Time         `json:"log_time,omitzero"`
	// Workspace and User made the run (the store's Identity when empty).
	Workspace string `json:"workspace_id,omitempty"`
	User      string `json:"user,omitempty"`
	// Note is free text about the run (`lathe runs note`).
	Note string `json:"note"`
	// Tags are the run's tags, sorted (`lathe runs tag`). They live in
	// their own table: UpdateRun neither reads nor writes them.
	Tags []string `json:"tags"`
}

// NewRunID returns a fresh run id: "r" and 11 base-32 characters (55 random
// bits), short enough to type and, with prefix resolution, to abbreviate.
func NewRunID() string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base 32, lower case
	var b [11]byte
	rand.Read(b[:])
	out := make([]byte, 1, 12)
	out[0] = 'r'
	for _, c := range b {
		out = append(out, alphabet[c&31])
	}
	return string(out)
}

const runColumns = `id, name, status, runner, host, image, image_digest, command, params, env, workdir,
	resources, code_commit, code_dirty, code_diff, gpus, gpu_ids, gpu_info, priority, exit_code, error,
	created, started, ended, parent_id, rerun_of, study_id, trial_number, container_id, pid, log_offset, log_time,
	workspace_id, user_name, note`

func (r *Run) args() ([]any, error) {
	if r.Status == "" {
		r.Status = runstatus.Queued
	}
	if !r.Status.Valid() {
		return nil, config.Inputf("run status %q is not one of %v", r.Status, runstatus.All())
	}
	cmd, err := marshalJSON(r.Command, "[]")
	if err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	params, err := marshalJSON(r.Params, "{}")
	if err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	// Redact a copy: the caller may still launch the process from r.Env.
	env, _ := marshalJSON(RedactEnv(r.Env), "{}")
	res, _ := marshalJSON(r.Resources, "{}")
	gpuIDs, _ := marshalJSON(r.GPUIDs, "[]")
	var exit any
	if r.ExitCode != nil {
		exit = *r.ExitCode
	}
	var study, trial any
	if r.StudyID != 0 {
		study, trial = r.StudyID, r.TrialNumber
	}
	return []any{r.ID, r.Name, string(r.Status), r.Runner, r.Host, r.Image, r.ImageDigest, cmd, params, env, r.Workdir,
		res, r.Code.Commit, r.Code.Dirty, r.Code.DiffSHA, r.GPUs, gpuIDs, r.GPUInfo, r.Priority, exit, r.Error,
		toNanos(r.Created), toNanos(r.Started), toNanos(r.Ended), nullString(r.ParentID), nullString(r.RerunOf),
		study, trial, r.ContainerID, r.PID, r.LogOffset, toNanos(r.LogTime), r.Workspace, r.User, r.Note}, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (Run, error) {
	var r Run
	var status, cmd, params, env, res, gpuIDs string
	var exit, study, trial sql.NullInt64
	var created, started, ended, logTime sql.NullInt64
	var parent, rerun sql.NullString
	err := sc.Scan(&r.ID, &r.Name, &status, &r.Runner, &r.Host, &r.Image, &r.ImageDigest, &cmd, &params, &env, &r.Workdir,
		&res, &r.Code.Commit, &r.Code.Dirty, &r.Code.DiffSHA, &r.GPUs, &gpuIDs, &r.GPUInfo, &r.Priority, &exit, &r.Error,
		&created, &started, &ended, &parent, &rerun, &study, &trial, &r.ContainerID, &r.PID, &r.LogOffset, &logTime,
		&r.Workspace, &r.User, &r.Note)
	if err != nil {
		return r, err
	}
	r.Status = runstatus.Status(status)
	if err := unmarshalJSON(cmd, &r.Command); err != nil {
		return r, fmt.Errorf("run %s command: %w", r.ID, err)
	}
	if err := unmarshalJSON(params, &r.Params); err != nil {
		return r, fmt.Errorf("run %s params: %w", r.ID, err)
	}
	if err := unmarshalJSON(env, &r.Env); err != nil {
		return r, fmt.Errorf("run %s env: %w", r.ID, err)
	}
	if err := unmarshalJSON(res, &r.Resources); err != nil {
		return r, fmt.Errorf("run %s resources: %w", r.ID, err)
	}
	if err := unmarshalJSON(gpuIDs, &r.GPUIDs); err != nil {
		return r, fmt.Errorf("run %s gpu_ids: %w", r.ID, err)
	}
	if exit.Valid {
		c := int(exit.Int64)
		r.ExitCode = &c
	}
	r.Created, r.Started, r.Ended, r.LogTime = fromNanos(created), fromNanos(started), fromNanos(ended), fromNanos(logTime)
	r.ParentID, r.RerunOf = parent.String, rerun.String
	r.StudyID, r.TrialNumber = study.Int64, int(trial.Int64)
	return r, nil
}

// CreateRun inserts r, filling in ID (when empty), Status (queued) and
// Created (now) first; r is updated in place. Secret-looking environment
// values are redacted in the stored copy (r.Env keeps them, so a runner can
// still launch from r). A run with a StudyID gets
// its study→run `trial_of` edge.
func (s *Store) CreateRun(ctx context.Context, r *Run) error {
	return s.createRun(ctx, r, nil)
}

// CreateRunForTrial creates r as the run of trial number of the study and
// links the trial to it (run id, status running) in the same transaction, so
// a study driver that crashes can never leave a launched run without its
// trial, nor launch a trial twice: a trial that already has a run is an error.
func (s *Store) CreateRunForTrial(ctx context.Context, studyID int64, number int, r *Run) error {
	r.StudyID, r.TrialNumber = studyID, number
	return s.createRun(ctx, r, func(tx *txn) error {
		var existing sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT run_id FROM trials WHERE study_id = ? AND number = ?`+s.d.forUpdate, studyID, number).Scan(&existing)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("trial %d of study %d: %w", number, studyID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if existing.Valid {
			return fmt.Errorf("trial %d of study %d already has run %s", number, studyID, existing.String)
		}
		_, err = tx.ExecContext(ctx, `UPDATE trials SET run_id = ?, status = ? WHERE study_id = ? AND number = ?`,
			r.ID, TrialRunning, studyID, number)
		return err
	})
}

func (s *Store) createRun(ctx context.Context, r *Run, also func(tx *txn) error) error {
	autoID := r.ID == ""
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	if r.Workspace == "" && r.User == "" {
		r.Workspace, r.User = s.ident.Workspace, s.ident.User
	}
	for attempt := 0; ; attempt++ {
		if autoID {
			r.ID = NewRunID()
		}
		args, err := r.args()
		if err != nil {
			return err
		}
		err = s.write(ctx, func(tx *txn) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (`+placeholders(len(args))+`)`, args...); err != nil {
				return err
			}
			if r.StudyID != 0 {
				if err := addEdge(ctx, tx, Edge{From: Node{KindStudy, fmt.Sprint(r.StudyID)}, To: Node{KindRun, r.ID}, Kind: EdgeTrialOf}); err != nil {
					return err
				}
			}
			if also != nil {
				return also(tx)
			}
			return nil
		})
		if err != nil && autoID && isUniqueViolation(err) && attempt < 3 {
			continue // a random id collided; draw another
		}
		if err != nil {
			if autoID {
				r.ID = ""
			}
			return fmt.Errorf("create run: %w", err)
		}
		return nil
	}
}

// Queue returns the runner's queued runs in dispatch order: higher priority
// first, then first come, first served. A scheduler claims one by moving it
// to running with UpdateRun, checking inside the callback that it is still
// queued, so two lathe processes never launch the same run.
func (s *Store) Queue(ctx context.Context, runner string) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE status = 'queued' AND runner = ?
		ORDER BY priority DESC, created, rowid`, runner)
	if err != nil {
		return nil, fmt.Errorf("queue of %s: %w", runner, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRun returns the run with this exact id; the error wraps ErrNotFound
// when there is none.
func (s *Store) GetRun(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	tags, err := s.tagsOf(ctx, s.db, `?`, id)
	r.Tags = orEmpty(tags[id])
	return r, err
}

// ResolveRun expands a run id prefix typed by a user into the full id. An
// unknown or ambiguous prefix is an InputError.
func (s *Store) ResolveRun(ctx context.Context, prefix string) (string, error) {
	if prefix == "" {
		return "", &config.InputError{Field: "run", Msg: "empty run id"}
	}
	// U+10FFFF sorts after every character, in SQLite's BINARY and in the
	// C collation of PostgreSQL's columns alike.
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6`, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return "", err
	}
	ids, err := collectStrings(rows)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if id == prefix {
			return id, nil
		}
	}
	switch len(ids) {
	case 0:
		return "", &config.InputError{Field: "run", Msg: fmt.Sprintf("no run %q (see `lathe runs ls`)", prefix), Err: ErrNotFound}
	case 1:
		return ids[0], nil
	}
	return "", &config.InputError{Field: "run", Msg: fmt.Sprintf("run id %q is ambiguous: it matches %s...", prefix, strings.Join(ids, ", "))}
}

// UpdateRun applies fn to the current record inside one write transaction
// and stores the result, so concurrent updaters (a runner writing the status,
// an ingester writing the log offset) never overwrite each other's fields
// with stale copies. fn must not change the ID; returning an error aborts.
// fn runs while this process holds the store's write lock, so it must not
// call Store methods that write (reads are fine).
func (s *Store) UpdateRun(ctx context.Context, id string, fn func(r *Run) error) (Run, error) {
	var out Run
	err := s.write(ctx, func(tx *txn) error {
		r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`+s.d.forUpdate, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		oldStudy := r.StudyID
		if err := fn(&r); err != nil {
			return err
		}
		if r.ID != id {
			return fmt.Errorf("update run %s: the id cannot change (to %q)", id, r.ID)
		}
		args, err := r.args()
		if err != nil {
			return err
		}
		sets := strings.Split(runColumns, ",")
		for i := range sets {
			sets[i] = strings.TrimSpace(sets[i]) + " = ?"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET `+strings.Join(sets[1:], ", ")+` WHERE id = ?`, append(args[1:], id)...); err != nil {
			return err
		}
		if r.StudyID != 0 && r.StudyID != oldStudy {
			if err := addEdge(ctx, tx, Edge{From: Node{KindStudy, fmt.Sprint(r.StudyID)}, To: Node{KindRun, r.ID}, Kind: EdgeTrialOf}); err != nil {
				return err
			}
		}
		tags, err := s.tagsOf(ctx, tx, `?`, id)
		r.Tags = orEmpty(tags[id])
		out = r
		return err
	})
	if err != nil {
		return out, fmt.Errorf("update run %s: %w", id, err)
	}
	return out, nil
}

// RunInput is a dataset version given to a run under a name.
type RunInput struct {
	Name    string  `json:"name"`
	Dataset Dataset `json:"dataset"`
}

// AddRunInput records that the run was given dataset version datasetID as
// input name, together with the dataset→run `used` lineage edge.
func (s *Store) AddRunInput(ctx context.Context, runID, name string, datasetID int64) error {
	err := s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_inputs (run_id, name, dataset_id) VALUES (?, ?, ?)
			ON CONFLICT (run_id, name) DO UPDATE SET dataset_id = excluded.dataset_id`, runID, name, datasetID); err != nil {
			return err
		}
		return addEdge(ctx, tx, Edge{From: Node{KindDataset, fmt.Sprint(datasetID)}, To: Node{KindRun, runID}, Kind: EdgeUsed})
	})
	if err != nil {
		return fmt.Errorf("add input %s to run %s: %w", name, runID, err)
	}
	return nil
}

// RunInputs lists the run's inputs by name.
func (s *Store) RunInputs(ctx context.Context, runID string) ([]RunInput, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.name, `+prefixed("d.", datasetColumns)+`
		FROM run_inputs i JOIN datasets d ON d.id = i.dataset_id WHERE i.run_id = ? ORDER BY i.name`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunInput
	for rows.Next() {
		var in RunInput
		var err error
		in.Dataset, err = scanDataset(rows, &in.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i := range parts {
		parts[i] = p + strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ", ")
}

func collectStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// marshalJSON encodes v, writing empty (nil map or slice) as def so that the
// columns always hold the JSON type readers expect.
func marshalJSON(v any, def string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return def, nil
	}
	return string(b), nil
}

func unmarshalJSON(s string, v any) error {
	if s == "" || s == "null" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// RunRecord is a run as the headless interface prints it (DESIGN §5: id,
// name, status, runner, image, command, params, metrics, exit_code,
// started_at, ended_at, inputs, outputs), and more.
type RunRecord struct {
	Run
	Metrics    map[string]*float64        `json:"metrics"`          // last value of each; null when NaN or infinite
	System     map[string]*float64        `json:"system,omitempty"` // last value of each system metric (sys/...)
	Properties map[string]json.RawMessage `json:"properties,omitempty"`
	Inputs     map[string]Dataset         `json:"inputs"`
	Outputs    []Artifact                 `json:"outputs"`
}

// finalValues are the samples' values, nil where NaN or infinite.
func finalValues(last map[string]Sample) map[string]*float64 {
	out := make(map[string]*float64, len(last))
	for k, smp := range last {
		if isFinite(smp.Value) {
			v := smp.Value
			out[k] = &v
		} else {
			out[k] = nil
		}
	}
	return out
}

// GetRunRecord assembles the run with its final metrics, properties, inputs
// and outputs, for `lathe runs show --json`, `lathe run --json` and the Runs
// screen alike.
func (s *Store) GetRunRecord(ctx context.Context, id string) (RunRecord, error) {
	var rec RunRecord
	var err error
	if rec.Run, err = s.GetRun(ctx, id); err != nil {
		return rec, err
	}
	last, err := s.LastMetrics(ctx, id)
	if err != nil {
		return rec, err
	}
	rec.Metrics = finalValues(last)
	sys, err := s.LastSystemMetrics(ctx, id)
	if err != nil {
		return rec, err
	}
	if len(sys) > 0 {
		rec.System = finalValues(sys)
	}
	if rec.Properties, err = s.Properties(ctx, id); err != nil {
		return rec, err
	}
	ins, err := s.RunInputs(ctx, id)
	if err != nil {
		return rec, err
	}
	rec.Inputs = make(map[string]Dataset, len(ins))
	for _, in := range ins {
		rec.Inputs[in.Name] = in.Dataset
	}
	if rec.Outputs, err = s.ListArtifacts(ctx, id); err != nil {
		return rec, err
	}
	if rec.Outputs == nil {
		rec.Outputs = []Artifact{}
	}
	return rec, nil
}

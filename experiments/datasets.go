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

// Dataset is one version of a data file: its content hash at a path.
type Dataset struct {
	ID      int64           `json:"id"`
	SHA256  string          `json:"sha256"`
	Path    string          `json:"path"` // workspace-relative, slash-separated (Workspace.Rel)
	Format  string          `json:"format"`
	Size    int64           `json:"bytes"`
	Rows    int64           `json:"rows"` // -1: not counted
	Schema  json.RawMessage `json:"schema"`
	Created time.Time       `json:"created"`
	// Workspace and User first registered it (the store's Identity when empty).
	Workspace string `json:"workspace_id,omitempty"`
	User      string `json:"user,omitempty"`
}

const datasetColumns = `id, sha256, path, format, size, rows, schema, created, workspace_id, user_name`

// scanDataset scans the dataset columns, after any extra leading columns.
func scanDataset(sc scanner, extra ...any) (Dataset, error) {
	var d Dataset
	var rows sql.NullInt64
	var schema string
	var created sql.NullInt64
	dest := append(extra, &d.ID, &d.SHA256, &d.Path, &d.Format, &d.Size, &rows, &schema, &created, &d.Workspace, &d.User)
	if err := sc.Scan(dest...); err != nil {
		return d, err
	}
	d.Rows = -1
	if rows.Valid {
		d.Rows = rows.Int64
	}
	d.Schema = json.RawMessage(schema)
	d.Created = fromNanos(created)
	return d, nil
}

// AddDataset registers a dataset version. It is idempotent on (SHA256, Path):
// registering the same content at the same path again returns the existing
// version with added=false, leaving its fields as first recorded. Set Rows to
// -1 when unknown.
func (s *Store) AddDataset(ctx context.Context, d Dataset) (_ Dataset, added bool, err error) {
	if !validSHA(d.SHA256) {
		return d, false, &config.InputError{Field: "sha256", Msg: fmt.Sprintf("%q is not a sha256 hex digest", d.SHA256)}
	}
	if d.Path == "" {
		return d, false, &config.InputError{Field: "path", Msg: "dataset path is empty"}
	}
	if d.Created.IsZero() {
		d.Created = time.Now().UTC()
	}
	schema := string(d.Schema)
	if schema == "" {
		schema = "null"
	} else if !json.Valid(d.Schema) {
		return d, false, fmt.Errorf("add dataset %s: schema is not valid JSON", d.Path)
	}
	var rows any
	if d.Rows >= 0 {
		rows = d.Rows
	}
	if d.Workspace == "" && d.User == "" {
		d.Workspace, d.User = s.ident.Workspace, s.ident.User
	}
	var out Dataset
	err = s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO datasets (sha256, path, format, size, rows, schema, created, workspace_id, user_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256, path) DO NOTHING`,
			d.SHA256, d.Path, d.Format, d.Size, rows, schema, toNanos(d.Created), d.Workspace, d.User)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		added = n == 1
		out, err = scanDataset(tx.QueryRowContext(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE sha256 = ? AND path = ?`, d.SHA256, d.Path))
		return err
	})
	if err != nil {
		return d, false, fmt.Errorf("add dataset %s: %w", d.Path, err)
	}
	return out, added, nil
}

// GetDataset returns a dataset version by row id.
func (s *Store) GetDataset(ctx context.Context, id int64) (Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("dataset %d: %w", id, ErrNotFound)
	}
	return d, err
}

// ListDatasets returns every version, newest first.
func (s *Store) ListDatasets(ctx context.Context) ([]Dataset, error) {
	return s.queryDatasets(ctx, `SELECT `+datasetColumns+` FROM datasets ORDER BY created DESC, id DESC`)
}

// DatasetByPath returns the current (most recently registered) version at
// path; the error wraps ErrNotFound when the path was never registered.
func (s *Store) DatasetByPath(ctx context.Context, path string) (Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx,
		`SELECT `+datasetColumns+` FROM datasets WHERE path = ? ORDER BY created DESC, id DESC LIMIT 1`, path))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("dataset %s: %w", path, ErrNotFound)
	}
	return d, err
}

// DatasetsBySHA returns the versions whose hash starts with prefix (at least
// 4 hex characters), oldest first.
func (s *Store) DatasetsBySHA(ctx context.Context, prefix string) ([]Dataset, error) {
	if len(prefix) < 4 || !isHex(prefix) {
		return nil, &config.InputError{Field: "sha256", Msg: fmt.Sprintf("%q: give at least 4 hex digits of a sha256", prefix)}
	}
	return s.queryDatasets(ctx, `SELECT `+datasetColumns+` FROM datasets WHERE sha256 >= ? AND sha256 < ? ORDER BY created, id`,
		prefix, prefix+"g")
}

func (s *Store) queryDatasets(ctx context.Context, q string, args ...any) ([]Dataset, error) {
	out, err := queryAll(ctx, s.db, func(sc scanner) (Dataset, error) { return scanDataset(sc) }, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	return out, nil
}

// Artifact is a file a run wrote under LATHE_OUTPUT_DIR, kept in the object
// store under its SHA256.
type Artifact struct {
	ID      int64     `json:"id"`
	RunID   string    `json:"run_id"`
	Path    string    `json:"path"` // slash-separated, relative to the output dir
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

const artifactColumns = `id, run_id, path, sha256, size, created`

// AddArtifact records an artifact and its run→artifact `produced` edge. A
// second call for the same run and path replaces the hash and size (a
// re-harvest after a crash) and keeps the id.
func (s *Store) AddArtifact(ctx context.Context, a Artifact) (Artifact, error) {
	if !validSHA(a.SHA256) {
		return a, fmt.Errorf("add artifact %s: %q is not a sha256 hex digest", a.Path, a.SHA256)
	}
	if a.Created.IsZero() {
		a.Created = time.Now().UTC()
	}
	err := s.write(ctx, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO artifacts (run_id, path, sha256, size, created) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size
			RETURNING id`, a.RunID, a.Path, a.SHA256, a.Size, toNanos(a.Created)).Scan(&a.ID)
		if err != nil {
			return err
		}
		return addEdge(ctx, tx, Edge{From: Node{KindRun, a.RunID}, To: Node{KindArtifact, fmt.Sprint(a.ID)}, Kind: EdgeProduced})
	})
	if err != nil {
		return a, fmt.Errorf("add artifact %s of run %s: %w", a.Path, a.RunID, err)
	}
	return a, nil
}

// ListArtifacts returns the run's artifacts ordered by path.
func (s *Store) ListArtifacts(ctx context.Context, runID string) ([]Artifact, error) {
	out, err := queryAll(ctx, s.db, scanArtifact, `SELECT `+artifactColumns+` FROM artifacts WHERE run_id = ? ORDER BY path`, runID)
	if err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	return out, nil
}

// ArtifactsBySHA returns the artifacts whose content hash starts with prefix
// (at least 4 hex digits), oldest first: lineage resolves a hash to them.
func (s *Store) ArtifactsBySHA(ctx context.Context, prefix string) ([]Artifact, error) {
	if len(prefix) < 4 || !isHex(prefix) {
		return nil, &config.InputError{Field: "sha256", Msg: fmt.Sprintf("%q: give at least 4 hex digits of a sha256", prefix)}
	}
	return queryAll(ctx, s.db, scanArtifact, `SELECT `+artifactColumns+` FROM artifacts WHERE sha256 >= ? AND sha256 < ? ORDER BY created, id`,
		prefix, prefix+"g")
}

// GetArtifact returns an artifact by row id.
func (s *Store) GetArtifact(ctx context.Context, id int64) (Artifact, error) {
	a, err := scanArtifact(s.db.QueryRowContext(ctx, `SELECT `+artifactColumns+` FROM artifacts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("artifact %d: %w", id, ErrNotFound)
	}
	return a, err
}

func scanArtifact(sc scanner) (Artifact, error) {
	var a Artifact
	var created sql.NullInt64
	err := sc.Scan(&a.ID, &a.RunID, &a.Path, &a.SHA256, &a.Size, &created)
	a.Created = fromNanos(created)
	return a, err
}

// ReferencedObjects returns every object hash the store points at (dataset
// versions, artifacts, code diffs), for garbage collection of the object store.
func (s *Store) ReferencedObjects(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256 FROM artifacts UNION SELECT sha256 FROM datasets
		UNION SELECT code_diff FROM runs WHERE code_diff != ''`)
	if err != nil {
		return nil, err
	}
	shas, err := collectStrings(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(shas))
	for _, sha := range shas {
		out[sha] = true
	}
	return out, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func validSHA(s string) bool { return len(s) == 64 && isHex(s) }

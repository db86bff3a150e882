package experiments

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// migration is one step of the schema. Migrations are append-only: once a
// version has shipped, its SQL never changes; fix things with a new version.
// Each has its SQL for both back ends; after the same version both hold the
// same tables, columns and constraints.
type migration struct {
	version int
	name    string
	sql     string // SQLite
	pg      string // PostgreSQL; every TEXT column is COLLATE "C" (see pgDDL)
}

// Conventions: times are INTEGER unix nanoseconds (NULL = not yet); JSON
// columns hold compact JSON text; lineage node ids are TEXT (a run's id, or
// the decimal row id of a dataset version, artifact or study), so one edges
// table can join any kind to any kind.
var migrations = []migration{
	{1, "initial schema", `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- One row per (content, path): the same bytes registered at two paths are two
-- versions, the same bytes registered twice at one path are one.
CREATE TABLE datasets (
	id      INTEGER PRIMARY KEY,
	sha256  TEXT NOT NULL CHECK (length(sha256) = 64),
	path    TEXT NOT NULL,
	format  TEXT NOT NULL DEFAULT '',
	size    INTEGER NOT NULL DEFAULT 0,
	rows    INTEGER,                       -- NULL: not counted
	schema  TEXT NOT NULL DEFAULT 'null',  -- JSON, as the profiler reports it
	created INTEGER NOT NULL,
	UNIQUE (sha256, path)
);
CREATE INDEX datasets_by_path ON datasets (path, created);

CREATE TABLE studies (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	spec    TEXT NOT NULL,                 -- the spec as JSON
	status  TEXT NOT NULL CHECK (status IN ('created','running','completed','failed','stopped')),
	state   TEXT NOT NULL DEFAULT 'null',  -- optimizer state (JSON) for resume
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);

CREATE TABLE runs (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','stopped','oom_killed','lost')),
	runner        TEXT NOT NULL DEFAULT '',
	host          TEXT NOT NULL DEFAULT '',
	image         TEXT NOT NULL DEFAULT '',
	image_digest  TEXT NOT NULL DEFAULT '',
	command       TEXT NOT NULL DEFAULT '[]',  -- JSON array of argv
	params        TEXT NOT NULL DEFAULT '{}',  -- JSON object
	env           TEXT NOT NULL DEFAULT '{}',  -- JSON object, secrets redacted
	workdir       TEXT NOT NULL DEFAULT '',
	resources     TEXT NOT NULL DEFAULT '{}',  -- JSON: cpus, memory, shm_size, ...
	code_commit   TEXT NOT NULL DEFAULT '',
	code_dirty    INTEGER NOT NULL DEFAULT 0,
	code_diff     TEXT NOT NULL DEFAULT '',    -- object sha256 of the uncommitted diff
	gpus          TEXT NOT NULL DEFAULT '',    -- the request: all | N | 0,2 | UUIDs
	gpu_ids       TEXT NOT NULL DEFAULT '[]',  -- JSON: devices actually assigned
	gpu_info      TEXT NOT NULL DEFAULT '',    -- model and driver, when known
	priority      INTEGER NOT NULL DEFAULT 0,
	exit_code     INTEGER,                     -- NULL until it exits
	error         TEXT NOT NULL DEFAULT '',
	created       INTEGER NOT NULL,
	started       INTEGER,
	ended         INTEGER,
	parent_id     TEXT REFERENCES runs (id),
	rerun_of      TEXT REFERENCES runs (id),
	study_id      INTEGER REFERENCES studies (id),
	trial_number  INTEGER,
	container_id  TEXT NOT NULL DEFAULT '',
	pid           INTEGER NOT NULL DEFAULT 0,
	log_offset    INTEGER NOT NULL DEFAULT 0,  -- output consumed so far (runner-defined unit)
	log_time      INTEGER                      -- time of the last log line stored, for docker logs --since
);
CREATE INDEX runs_by_created ON runs (created);
CREATE INDEX runs_by_status ON runs (status, runner);
CREATE INDEX runs_by_study ON runs (study_id, trial_number);

-- The dataset versions a run was given, under the name it sees
-- (LATHE_INPUT_<NAME>).
CREATE TABLE run_inputs (
	run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	dataset_id INTEGER NOT NULL REFERENCES datasets (id),
	PRIMARY KEY (run_id, name)
);

-- A metric series is (run, key); samples point at it by integer id, which
-- keeps the hot index small and its comparisons integer-only. Measured
-- against run_id and key text in every sample: 1.2-1.3x the ingestion rate,
-- 1.7x faster final-value reads, a smaller file.
CREATE TABLE metric_series (
	id     INTEGER PRIMARY KEY,
	run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key    TEXT NOT NULL,
	UNIQUE (run_id, key)
);

-- value NULL stands for NaN, which SQLite cannot store.
CREATE TABLE metrics (
	series_id INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
	step      INTEGER NOT NULL,
	value     REAL,
	time      INTEGER NOT NULL
);
CREATE INDEX metrics_by_series_step ON metrics (series_id, step);

-- Non-numeric values from metrics lines; the last value for a key wins.
CREATE TABLE run_properties (
	run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key    TEXT NOT NULL,
	value  TEXT NOT NULL,  -- JSON
	time   INTEGER NOT NULL,
	PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE logs (
	run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,  -- 1, 2, ... per run, assigned by the store
	stream TEXT NOT NULL CHECK (stream IN ('stdout','stderr','system')),
	time   INTEGER NOT NULL,
	line   TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE artifacts (
	id      INTEGER PRIMARY KEY,
	run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	path    TEXT NOT NULL,  -- slash-separated, relative to LATHE_OUTPUT_DIR
	sha256  TEXT NOT NULL CHECK (length(sha256) = 64),
	size    INTEGER NOT NULL,
	created INTEGER NOT NULL,
	UNIQUE (run_id, path)
);
CREATE INDEX artifacts_by_sha ON artifacts (sha256);

CREATE TABLE trials (
	id       INTEGER PRIMARY KEY,
	study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
	number   INTEGER NOT NULL,  -- 1, 2, ... per study, assigned by the store
	status   TEXT NOT NULL CHECK (status IN ('pending','running','completed','failed','pruned','stopped')),
	params   TEXT NOT NULL DEFAULT '{}',  -- JSON
	metrics  TEXT NOT NULL DEFAULT '{}',  -- JSON: final value per metric
	feasible INTEGER,                     -- NULL until known
	run_id   TEXT REFERENCES runs (id),
	error    TEXT NOT NULL DEFAULT '',
	created  INTEGER NOT NULL,
	ended    INTEGER,
	UNIQUE (study_id, number)
);
CREATE INDEX trials_by_run ON trials (run_id);

-- Edges point downstream, from the upstream node to the one made from it:
--   used          dataset  -> run
--   produced      run      -> artifact (or dataset, when an output is registered)
--   derived_from  dataset  -> dataset (source -> derived)
--   trial_of      study    -> run
CREATE TABLE edges (
	id        INTEGER PRIMARY KEY,
	from_kind TEXT NOT NULL CHECK (from_kind IN ('dataset','run','artifact','study')),
	from_id   TEXT NOT NULL,
	to_kind   TEXT NOT NULL CHECK (to_kind IN ('dataset','run','artifact','study')),
	to_id     TEXT NOT NULL,
	kind      TEXT NOT NULL CHECK (kind IN ('used','produced','derived_from','trial_of')),
	operation TEXT NOT NULL DEFAULT '',
	params    TEXT NOT NULL DEFAULT '{}',  -- JSON
	created   INTEGER NOT NULL,
	UNIQUE (from_kind, from_id, to_kind, to_id, kind)
);
CREATE INDEX edges_by_to ON edges (to_kind, to_id);
`, pgV1},
	// Issue 4: 5-metric lines ingested at ~30k lines/s. The foreign key cost a
	// parent lookup per sample (and a statement journal per multi-row INSERT)
	// to check an id the ingester has just read in the same transaction; a
	// trigger keeps the cascade. The explicit INTEGER PRIMARY KEY is the old
	// rowid, copied, so arrival order (readers order by rowid, followers
	// resume after one) survives, and now survives VACUUM too.
	{2, "metrics without a foreign key", `
CREATE TABLE metrics_v2 (
	id        INTEGER PRIMARY KEY,  -- = rowid: arrival order
	series_id INTEGER NOT NULL,     -- metric_series (id); deleted by metric_series_cascade
	step      INTEGER NOT NULL,
	value     REAL,                 -- NULL stands for NaN
	time      INTEGER NOT NULL
);
INSERT INTO metrics_v2 (id, series_id, step, value, time)
	SELECT rowid, series_id, step, value, time FROM metrics ORDER BY rowid;
DROP TABLE metrics;
ALTER TABLE metrics_v2 RENAME TO metrics;
CREATE INDEX metrics_by_series_step ON metrics (series_id, step);
CREATE TRIGGER metric_series_cascade AFTER DELETE ON metric_series BEGIN
	DELETE FROM metrics WHERE series_id = old.id;
END;
`,
		// PostgreSQL's version 1 made metrics in this shape already.
		`SELECT 1`},
	// Issue 6: every launch hashed each input (~1 GB/s, so ~10 s for a 10 GB
	// dataset, paid again by every trial of a study). A file's sha256 is
	// reused while its stat still matches, as git's index does (hashcache.go).
	{3, "content hash cache", `
CREATE TABLE content_hashes (
	path      TEXT PRIMARY KEY,  -- absolute, cleaned; one row per regular file
	size      INTEGER NOT NULL,
	mtime     INTEGER NOT NULL,  -- unix ns
	ctime     INTEGER NOT NULL,  -- unix ns, the inode change time
	inode     INTEGER NOT NULL,  -- the uint64 bit pattern, as int64
	sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
	hashed_at INTEGER NOT NULL   -- unix ns, read before the file was opened
) WITHOUT ROWID;
`, `
CREATE TABLE content_hashes (
	path      TEXT PRIMARY KEY,
	size      BIGINT NOT NULL,
	mtime     BIGINT NOT NULL,
	ctime     BIGINT NOT NULL,
	inode     BIGINT NOT NULL,
	sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
	hashed_at BIGINT NOT NULL
);
`},
	// Issue 10: max_concurrent and GPUs did not hold across processes (three
	// waiting lathes started within 6 ms of each other). A slot is claimed in
	// one write transaction (Store.Claim): a run holds one while it is running,
	// or while it is queued with a claim its launching process has not yet
	// turned into a start.
	{4, "slot claims", `
ALTER TABLE runs ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';  -- who claimed the slot, '' = none
CREATE INDEX runs_by_runner_status ON runs (runner, status);
`, `
ALTER TABLE runs ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_runner_status ON runs (runner, status);
`},
	// Issue 15: a team shares one store. Every run, study, trial and dataset
	// version records the workspace and the user that made it; workspaces
	// names them (runs ls --from-workspace NAME); a trial names the tuning
	// worker that drives it (so another worker can take over a dead one's);
	// the content-hash cache, which describes files on one host, is keyed
	// by workspace (it is a cache: it starts empty).
	{5, "team store", teamV5("INTEGER", " WITHOUT ROWID"), teamV5("BIGINT", "")},
	// Issue 17: runs are organised with tags (many per run, `runs ls --tag`
	// filters by them, so they are rows with an index rather than JSON in
	// the runs row) and a free-text note; the name was there from version 1.
	{6, "run tags and notes", organizeV6(" WITHOUT ROWID"), organizeV6("")},
}

// organizeV6 is version 6 in either dialect.
func organizeV6(withoutRowid string) string {
	return `
ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE TABLE run_tags (
	run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	tag    TEXT NOT NULL,
	PRIMARY KEY (run_id, tag)
)` + withoutRowid + `;
CREATE INDEX run_tags_by_tag ON run_tags (tag, run_id);
`
}

// teamV5 is version 5 in either dialect.
func teamV5(integer, withoutRowid string) string {
	return strings.NewReplacer("INTEGER", integer, "WITHOUT_ROWID", withoutRowid).Replace(`
ALTER TABLE runs ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE trials ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE trials ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE trials ADD COLUMN worker TEXT NOT NULL DEFAULT '';  -- the driving process, '' = none
ALTER TABLE datasets ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_workspace ON runs (workspace_id, created);
CREATE INDEX runs_by_user ON runs (user_name, created);
CREATE TABLE workspaces (
	id        TEXT PRIMARY KEY,          -- .lathe/workspace-id
	name      TEXT NOT NULL,             -- lathe.yaml's name
	root      TEXT NOT NULL DEFAULT '',  -- its directory on its host
	host      TEXT NOT NULL DEFAULT '',
	user_name TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL,
	seen      INTEGER NOT NULL           -- last opened
);
CREATE INDEX workspaces_by_name ON workspaces (name);
DROP TABLE content_hashes;
CREATE TABLE content_hashes (
	workspace_id TEXT NOT NULL,
	path         TEXT NOT NULL,  -- absolute, cleaned; one row per regular file
	size         INTEGER NOT NULL,
	mtime        INTEGER NOT NULL,
	ctime        INTEGER NOT NULL,
	inode        INTEGER NOT NULL,
	sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
	hashed_at    INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, path)
)WITHOUT_ROWID;
`)
}

// pgV1 is version 1 for PostgreSQL, in the shape SQLite's version 2 left
// the metrics table: no foreign key per sample, a trigger for the cascade.
// Logs, the other hot table, go the same way (ingestion copies thousands of
// lines a second; a foreign key costs a parent lookup for each).
const pgV1 = `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE datasets (
	id      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	sha256  TEXT NOT NULL CHECK (length(sha256) = 64),
	path    TEXT NOT NULL,
	format  TEXT NOT NULL DEFAULT '',
	size    BIGINT NOT NULL DEFAULT 0,
	rows    BIGINT,
	schema  TEXT NOT NULL DEFAULT 'null',
	created BIGINT NOT NULL,
	UNIQUE (sha256, path)
);
CREATE INDEX datasets_by_path ON datasets (path, created);
CREATE TABLE studies (
	id      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	spec    TEXT NOT NULL,
	status  TEXT NOT NULL CHECK (status IN ('created','running','completed','failed','stopped')),
	state   TEXT NOT NULL DEFAULT 'null',
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL
);
CREATE TABLE runs (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','stopped','oom_killed','lost')),
	runner        TEXT NOT NULL DEFAULT '',
	host          TEXT NOT NULL DEFAULT '',
	image         TEXT NOT NULL DEFAULT '',
	image_digest  TEXT NOT NULL DEFAULT '',
	command       TEXT NOT NULL DEFAULT '[]',
	params        TEXT NOT NULL DEFAULT '{}',
	env           TEXT NOT NULL DEFAULT '{}',
	workdir       TEXT NOT NULL DEFAULT '',
	resources     TEXT NOT NULL DEFAULT '{}',
	code_commit   TEXT NOT NULL DEFAULT '',
	code_dirty    BOOLEAN NOT NULL DEFAULT false,
	code_diff     TEXT NOT NULL DEFAULT '',
	gpus          TEXT NOT NULL DEFAULT '',
	gpu_ids       TEXT NOT NULL DEFAULT '[]',
	gpu_info      TEXT NOT NULL DEFAULT '',
	priority      BIGINT NOT NULL DEFAULT 0,
	exit_code     BIGINT,
	error         TEXT NOT NULL DEFAULT '',
	created       BIGINT NOT NULL,
	started       BIGINT,
	ended         BIGINT,
	parent_id     TEXT REFERENCES runs (id),
	rerun_of      TEXT REFERENCES runs (id),
	study_id      BIGINT REFERENCES studies (id),
	trial_number  BIGINT,
	container_id  TEXT NOT NULL DEFAULT '',
	pid           BIGINT NOT NULL DEFAULT 0,
	log_offset    BIGINT NOT NULL DEFAULT 0,
	log_time      BIGINT,
	-- SQLite's implicit rowid: insertion order, the tie-break of equal times.
	rowid         BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX runs_by_created ON runs (created);
CREATE INDEX runs_by_status ON runs (status, runner);
CREATE INDEX runs_by_study ON runs (study_id, trial_number);
CREATE TABLE run_inputs (
	run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	dataset_id BIGINT NOT NULL REFERENCES datasets (id),
	PRIMARY KEY (run_id, name)
);
CREATE TABLE metric_series (
	id     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key    TEXT NOT NULL,
	UNIQUE (run_id, key)
);
CREATE TABLE metrics (
	id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,  -- arrival order
	series_id BIGINT NOT NULL,  -- metric_series (id); deleted by metric_series_cascade
	step      BIGINT NOT NULL,
	value     DOUBLE PRECISION, -- NULL stands for NaN, as in SQLite
	time      BIGINT NOT NULL
);
CREATE INDEX metrics_by_series_step ON metrics (series_id, step);
CREATE FUNCTION lathe_metric_series_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM metrics WHERE series_id = OLD.id;
	RETURN OLD;
END $$;
CREATE TRIGGER metric_series_cascade AFTER DELETE ON metric_series
	FOR EACH ROW EXECUTE FUNCTION lathe_metric_series_cascade();
CREATE TABLE run_properties (
	run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key    TEXT NOT NULL,
	value  TEXT NOT NULL,
	time   BIGINT NOT NULL,
	PRIMARY KEY (run_id, key)
);
CREATE TABLE logs (
	run_id TEXT NOT NULL,  -- runs (id); deleted by runs_cascade_logs
	seq    BIGINT NOT NULL,
	stream TEXT NOT NULL CHECK (stream IN ('stdout','stderr','system')),
	time   BIGINT NOT NULL,
	line   TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
);
CREATE FUNCTION lathe_runs_cascade_logs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM logs WHERE run_id = OLD.id;
	RETURN OLD;
END $$;
CREATE TRIGGER runs_cascade_logs AFTER DELETE ON runs
	FOR EACH ROW EXECUTE FUNCTION lathe_runs_cascade_logs();
CREATE TABLE artifacts (
	id      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	path    TEXT NOT NULL,
	sha256  TEXT NOT NULL CHECK (length(sha256) = 64),
	size    BIGINT NOT NULL,
	created BIGINT NOT NULL,
	UNIQUE (run_id, path)
);
CREATE INDEX artifacts_by_sha ON artifacts (sha256);
CREATE TABLE trials (
	id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	study_id BIGINT NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
	number   BIGINT NOT NULL,
	status   TEXT NOT NULL CHECK (status IN ('pending','running','completed','failed','pruned','stopped')),
	params   TEXT NOT NULL DEFAULT '{}',
	metrics  TEXT NOT NULL DEFAULT '{}',
	feasible BOOLEAN,
	run_id   TEXT REFERENCES runs (id),
	error    TEXT NOT NULL DEFAULT '',
	created  BIGINT NOT NULL,
	ended    BIGINT,
	UNIQUE (study_id, number)
);
CREATE INDEX trials_by_run ON trials (run_id);
CREATE TABLE edges (
	id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	from_kind TEXT NOT NULL CHECK (from_kind IN ('dataset','run','artifact','study')),
	from_id   TEXT NOT NULL,
	to_kind   TEXT NOT NULL CHECK (to_kind IN ('dataset','run','artifact','study')),
	to_id     TEXT NOT NULL,
	kind      TEXT NOT NULL CHECK (kind IN ('used','produced','derived_from','trial_of')),
	operation TEXT NOT NULL DEFAULT '',
	params    TEXT NOT NULL DEFAULT '{}',
	created   BIGINT NOT NULL,
	UNIQUE (from_kind, from_id, to_kind, to_id, kind)
);
CREATE INDEX edges_by_to ON edges (to_kind, to_id);
`

// pgDDL gives every TEXT column of a PostgreSQL migration the C collation:
// byte order, as SQLite's BINARY, so ranges over ids, paths and hashes and
// every ORDER BY on text mean the same on both back ends whatever the
// database's locale.
func pgDDL(ddl string) string {
	return regexp.MustCompile(`\bTEXT\b`).ReplaceAllString(ddl, `TEXT COLLATE "C"`)
}

// SchemaLatest is the schema version this build writes.
var SchemaLatest = migrations[len(migrations)-1].version

// ErrSchemaOld is wrapped when a shared store's schema is older than this
// lathe writes and migrations were not asked for.
var ErrSchemaOld = errors.New("schema is older than this lathe")

// ErrSchemaNew is wrapped when a store's schema is newer than this lathe.
var ErrSchemaNew = errors.New("schema is newer than this lathe")

// migrate brings the schema to SchemaLatest. SQLite: in one write
// transaction; BEGIN IMMEDIATE (the DSN's _txlock) serialises concurrent
// openers, so the second waits for the first to commit, then re-reads the
// version and finds nothing to do. PostgreSQL: DDL is transactional too, and
// a transaction-scoped advisory lock serialises the openers; an empty
// database is set up whatever apply says, an older schema only with apply.
func (s *Store) migrate(ctx context.Context, apply bool) error {
	if s.pg != nil {
		var exists bool
		if err := s.db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return err
		}
		if exists {
			cur, err := s.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			s.schemaAtOpen = cur
			switch {
			case cur == SchemaLatest:
				return nil
			case cur > SchemaLatest:
				return fmt.Errorf("%w: version %d, this lathe understands up to %d; upgrade lathe", ErrSchemaNew, cur, SchemaLatest)
			case !apply:
				return fmt.Errorf("%w: version %d, this lathe writes %d; run `lathe store migrate` to upgrade it "+
					"(first upgrade every lathe that shares it: an older one refuses a newer schema)", ErrSchemaOld, cur, SchemaLatest)
			}
		}
	}
	return s.write(ctx, func(tx *txn) error {
		if s.pg != nil {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, s.pg.lk.key("schema migrations")); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		s.schemaAtOpen = current
		if current > SchemaLatest {
			return fmt.Errorf("%w: version %d, this lathe understands up to %d; upgrade lathe", ErrSchemaNew, current, SchemaLatest)
		}
		if s.pg != nil && current > 0 && current < SchemaLatest && !apply {
			return fmt.Errorf("%w: version %d, this lathe writes %d; run `lathe store migrate`", ErrSchemaOld, current, SchemaLatest)
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			ddl := m.sql
			if s.pg != nil {
				ddl = pgDDL(m.pg)
			}
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().UnixNano()); err != nil {
				return err
			}
			if s.pg == nil {
				// user_version mirrors the table so that `sqlite3 store.db 'pragma user_version'` answers too.
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, m.version)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Migrated reports the schema version the store had when it was opened and
// the one it has now (`lathe store migrate` opens with StoreOptions.Migrate).
func (s *Store) Migrated(ctx context.Context) (from, to int, err error) {
	to, err = s.SchemaVersion(ctx)
	return s.schemaAtOpen, to, err
}

package experiments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is wrapped by lookups (GetRun, GetStudy, ...) that find no row.
var ErrNotFound = errors.New("not found")

// BusyTimeout is how long one statement waits for another process's write
// lock before failing with SQLITE_BUSY. A TUI and a headless command share one
// store, and a metrics batch holds the lock for milliseconds, so 10 s is
// generous without hiding a stuck writer forever.
const BusyTimeout = 10 * time.Second

// Identity says who writes through a store: every run, study, trial and
// dataset version it creates records the workspace and the user.
type Identity struct {
	Workspace     string // the workspace id (.lathe/workspace-id)
	WorkspaceName string // lathe.yaml's name
	Root          string // the workspace directory on its host
	Host          string
	User          string
}

// Store is the workspace's database: an SQLite file (.lathe/store.db, the
// default) or a team's shared PostgreSQL. It is safe for concurrent use by
// many goroutines and by many processes, on one host (SQLite's file locks)
// or many (PostgreSQL).
type Store struct {
	db    dbx
	raw   *sql.DB
	d     *dialect
	path  string // SQLite: the file; PostgreSQL: the URL, password redacted
	ident Identity

	// writeMu serialises this process's SQLite write transactions so that
	// its own goroutines queue on a Go mutex instead of spinning in SQLite's
	// sleep-and-retry busy handler; other processes still rely on the latter.
	writeMu sync.Mutex

	watchMu sync.Mutex
	watch   *sql.Conn // SQLite: never writes, so PRAGMA data_version sees every commit

	pg *pgStore // PostgreSQL: connection settings, schema, listener, lock session

	schemaAtOpen int // the version migrate found

	locks  Locks
	files  *fileLocks  // SQLite's locks
	stmts  stmtCache   // ingestion's prepared statements (metrics.go)
	series seriesCache // metric series ids, which never change once made
}

// StoreOptions say which store to open.
type StoreOptions struct {
	// Path is the SQLite file, used when URL is empty.
	Path string
	// URL is a postgres:// (or postgresql://) URL of a shared store.
	URL string
	// PasswordEnv names an environment variable holding the PostgreSQL
	// password; without it the password comes from PGPASSWORD or ~/.pgpass.
	PasswordEnv string
	// Identity stamps the rows this store writes.
	Identity Identity
	// LocksDir holds an SQLite store's lock files; "" means "locks" beside
	// the database file.
	LocksDir string
	// Migrate applies a PostgreSQL store's pending migrations (`lathe store
	// migrate`). Without it an older shared schema is refused: upgrading a
	// schema that teammates use is a decision, not a side effect. An empty
	// database is always set up, and an SQLite store always migrated.
	Migrate bool
	// Getenv reads PasswordEnv; nil means os.Getenv.
	Getenv func(string) string
}

// dsn builds the connection string. The pragmas ride in the DSN so that
// database/sql applies them to every pooled connection, not just the first.
// _txlock=immediate makes every BEGIN take the write lock up front: in WAL
// mode a deferred transaction that reads and then writes fails with
// SQLITE_BUSY_SNAPSHOT instead of waiting, when another process committed in
// between.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// A multi-row INSERT into a table with constraints keeps a statement
	// journal; in a temp file it cost a tenth of metrics ingestion. It holds
	// at most the pages one statement touches, so memory is the right place
	// (temp b-trees of sorts live there too; the store's queries keep those
	// to one run's rows).
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	// A file: URI, so SQLite percent-decodes the name: workspace paths may
	// hold '?', '#' or '%', which would otherwise cut the name short.
	u := url.URL{Path: filepath.ToSlash(path)}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

// OpenStore opens (creating if needed) the SQLite store at path and applies
// any pending schema migrations.
func OpenStore(path string) (*Store, error) {
	return OpenStoreWith(context.Background(), StoreOptions{Path: path})
}

// OpenStoreWith opens the store o names. Two processes may open the same
// fresh store at once: migrations run inside one write transaction (SQLite)
// or under an advisory lock (PostgreSQL), so exactly one applies them.
func OpenStoreWith(ctx context.Context, o StoreOptions) (*Store, error) {
	if o.URL != "" {
		return openPostgres(ctx, o)
	}
	path := o.Path
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{raw: db, db: dbx{db, sqliteDialect}, d: sqliteDialect, path: path, ident: o.Identity}
	dir := o.LocksDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(path), "locks")
	}
	s.files = &fileLocks{dir: dir}
	s.locks = s.files
	// Switching a fresh file to WAL needs an exclusive lock and SQLite does
	// not call the busy handler for it, so a second process opening the same
	// fresh file at the same moment can see SQLITE_BUSY once; retry briefly.
	deadline := time.Now().Add(BusyTimeout)
	for {
		err = s.migrate(ctx, true)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err == nil {
		err = s.recordWorkspace(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Path names the store for people: the SQLite file, or the PostgreSQL URL
// with any password redacted.
func (s *Store) Path() string { return s.path }

// Backend is BackendSQLite or BackendPostgres.
func (s *Store) Backend() string { return s.d.name }

// Shared reports whether the store is a team's shared store (PostgreSQL).
func (s *Store) Shared() bool { return s.pg != nil }

// Identity is who this store's writes are recorded as.
func (s *Store) Identity() Identity { return s.ident }

// DB exposes the handle for read-only ad-hoc queries (reports, tests). Writes
// should go through Store's methods, which keep the lineage edges consistent.
// Queries through it are not rewritten for the back end's dialect.
func (s *Store) DB() *sql.DB { return s.raw }

// Close closes the database.
func (s *Store) Close() error {
	s.watchMu.Lock()
	if s.watch != nil {
		s.watch.Close()
		s.watch = nil
	}
	s.watchMu.Unlock()
	if s.pg != nil {
		s.pg.close()
	}
	if s.files != nil {
		s.files.close()
	}
	s.stmts.close()
	return s.raw.Close()
}

// DataVersion returns a number that changes whenever anyone, this process
// or another, commits a write to the store: a screen polls it on its tick
// and reloads only when it moved. SQLite: PRAGMA data_version on a
// connection that never writes. PostgreSQL: a count of the notifications
// every write sends (LISTEN/NOTIFY), or, while the listening connection is
// down, the server's next transaction id. The value means nothing beyond
// "changed".
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	if s.pg != nil {
		return s.pg.version(ctx, s)
	}
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watch == nil {
		c, err := s.raw.Conn(ctx)
		if err != nil {
			return 0, err
		}
		s.watch = c
	}
	var v int64
	err := s.watch.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}

// Changes returns a channel closed at the next write another connection
// commits, where the back end announces them (PostgreSQL's NOTIFY), and
// nil where it does not (SQLite: poll DataVersion).
func (s *Store) Changes() <-chan struct{} {
	if s.pg == nil {
		return nil
	}
	return s.pg.listen(s).changes()
}

// Live reports whether Changes is delivering notifications right now; when
// it is not, watchers poll.
func (s *Store) Live() bool {
	return s.pg != nil && s.pg.listen(s).healthy.Load()
}

// SchemaVersion is the highest migration applied to the store.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// write runs fn in one write transaction, committing when fn returns nil.
// SQLite: BEGIN IMMEDIATE; a busy error after the busy timeout is returned.
// PostgreSQL: READ COMMITTED, with rows to be rewritten read FOR UPDATE;
// the commit notifies the store's channel, and a transaction the server
// aborted as a deadlock or serialization failure is run again (fn must
// not act outside the transaction).
func (s *Store) write(ctx context.Context, fn func(tx *txn) error) error {
	return s.writeTx(ctx, false, fn)
}

// writeIngest is write for a run's output (log lines, samples,
// properties): PostgreSQL commits it without waiting for the WAL flush
// (synchronous_commit off), so a server crash can lose the last fraction of
// a second of output, as SQLite's synchronous=NORMAL (every write here) can
// on an OS crash; the database stays consistent either way.
func (s *Store) writeIngest(ctx context.Context, fn func(tx *txn) error) error {
	return s.writeTx(ctx, true, fn)
}

func (s *Store) writeTx(ctx context.Context, async bool, fn func(tx *txn) error) error {
	if s.pg != nil {
		return s.pg.write(ctx, s, async, fn)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	x := &txn{tx: tx, d: s.d}
	if err := fn(x); err != nil {
		tx.Rollback()
		return err
	}
	return x.commit()
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return strings.Contains(err.Error(), "database is locked")
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return pgCode(err) == "23505"
}

// recordWorkspace keeps the workspaces table's row for this store's
// workspace current, so runs can be listed by workspace name. An SQLite
// store belongs to one workspace: rows it holds from before the team
// columns existed are that workspace's, and are stamped so the first time.
func (s *Store) recordWorkspace(ctx context.Context) error {
	id := s.ident
	if id.Workspace == "" {
		return nil
	}
	var name, root, host, user string
	err := s.db.QueryRowContext(ctx, `SELECT name, root, host, user_name FROM workspaces WHERE id = ?`, id.Workspace).Scan(&name, &root, &host, &user)
	if err == nil && name == id.WorkspaceName && root == id.Root && host == id.Host && user == id.User {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	first := errors.Is(err, sql.ErrNoRows)
	now := time.Now().UnixNano()
	return s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, name, root, host, user_name, created, seen) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, root = excluded.root, host = excluded.host,
				user_name = excluded.user_name, seen = excluded.seen`,
			id.Workspace, id.WorkspaceName, id.Root, id.Host, id.User, now, now); err != nil {
			return err
		}
		if !first || s.pg != nil {
			return nil
		}
		for _, t := range []string{"runs", "studies", "trials", "datasets"} {
			if _, err := tx.ExecContext(ctx, `UPDATE `+t+` SET workspace_id = ?, user_name = ? WHERE workspace_id = ''`, id.Workspace, id.User); err != nil {
				return err
			}
		}
		return nil
	})
}

// WorkspaceRecord is a workspace that has used the store.
type WorkspaceRecord struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	Root string    `json:"root"`
	Host string    `json:"host"`
	User string    `json:"user"`
	Seen time.Time `json:"seen"`
}

// ListWorkspaces returns the workspaces that have opened the store, most
// recently seen first.
func (s *Store) ListWorkspaces(ctx context.Context) ([]WorkspaceRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, root, host, user_name, seen FROM workspaces ORDER BY seen DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WorkspaceRecord
	for rows.Next() {
		var w WorkspaceRecord
		var seen int64
		if err := rows.Scan(&w.ID, &w.Name, &w.Root, &w.Host, &w.User, &seen); err != nil {
			return nil, err
		}
		w.Seen = time.Unix(0, seen).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// Times are stored as INTEGER unix nanoseconds (UTC by definition), NULL for
// "not yet": compact, sortable, and cheap to write at 50k samples/s.
func toNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// getenv is o.Getenv or os.Getenv.
func (o StoreOptions) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

package experiments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
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

// Store is the workspace's SQLite database (.lathe/store.db). It is safe for
// concurrent use by many goroutines and, through SQLite's file locks, by many
// processes.
type Store struct {
	db   *sql.DB
	path string
	// writeMu serialises this process's write transactions so that its own
	// goroutines queue on a Go mutex instead of spinning in SQLite's
	// sleep-and-retry busy handler; other processes still rely on the latter.
	writeMu sync.Mutex

	watchMu sync.Mutex
	watch   *sql.Conn // never writes, so PRAGMA data_version sees every commit

	stmts stmtCache // ingestion's prepared statements (metrics.go)
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
// any pending schema migrations. Two processes may open the same fresh file at
// once: migrations run inside one write transaction, so exactly one applies
// them and the other sees them done.
func OpenStore(path string) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	ctx := context.Background()
	// Switching a fresh file to WAL needs an exclusive lock and SQLite does
	// not call the busy handler for it, so a second process opening the same
	// fresh file at the same moment can see SQLITE_BUSY once; retry briefly.
	deadline := time.Now().Add(BusyTimeout)
	for {
		err = s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// DB exposes the handle for read-only ad-hoc queries (reports, tests). Writes
// should go through Store's methods, which keep the lineage edges consistent.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	s.watchMu.Lock()
	if s.watch != nil {
		s.watch.Close()
		s.watch = nil
	}
	s.watchMu.Unlock()
	s.stmts.close()
	return s.db.Close()
}

// DataVersion returns a number that changes whenever anyone, this process
// or another, commits a write to the store: a screen polls it on its tick
// and reloads only when it moved. (SQLite's PRAGMA data_version on a
// connection that never writes; the value means nothing beyond "changed".)
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watch == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return 0, err
		}
		s.watch = c
	}
	var v int64
	err := s.watch.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}

// SchemaVersion is the highest migration applied to the store.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	return v, err
}

// write runs fn in one write transaction (BEGIN IMMEDIATE), committing when
// fn returns nil. A busy error at BEGIN after the busy timeout is returned.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
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
	return false
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

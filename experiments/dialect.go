package experiments

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The store has one implementation of every method over two SQL dialects,
// SQLite (the embedded default) and PostgreSQL (a team's shared store).
// Queries are written once, in the subset both understand, with ? for
// parameters; what differs is here:
//
//   - placeholders: PostgreSQL numbers them ($1, $2, ...); rebind rewrites.
//   - read-modify-write: SQLite's BEGIN IMMEDIATE serialises every write
//     transaction, PostgreSQL's READ COMMITTED does not, so a row read to be
//     rewritten is read FOR UPDATE there (forUpdate).
//   - two-argument MAX is GREATEST in PostgreSQL (greatest).
//   - PostgreSQL text cannot hold NUL or invalid UTF-8, which a run's output
//     may contain: such strings are repaired on the way in (U+FFFD), where
//     SQLite stores the bytes as they came.
//   - bulk inserts: multi-row INSERTs in SQLite, COPY in PostgreSQL (bulk.go).
//   - the schema's DDL (schema.go), the change counter (PRAGMA data_version
//     against LISTEN/NOTIFY) and cross-process locks (flock files against
//     advisory locks) are per back end.
type dialect struct {
	name      string // BackendSQLite or BackendPostgres
	numbered  bool   // $n placeholders
	forUpdate string // appended to a SELECT whose rows the transaction rewrites
	greatest  string // the two-argument maximum
	rebinds   sync.Map
}

// Back ends.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

var (
	sqliteDialect   = &dialect{name: BackendSQLite, greatest: "MAX"}
	postgresDialect = &dialect{name: BackendPostgres, numbered: true, forUpdate: " FOR UPDATE", greatest: "GREATEST"}
)

// rebind turns ? placeholders into the dialect's, leaving quoted text
// alone. The store's queries are a fixed set, so each is rewritten once.
func (d *dialect) rebind(q string) string {
	if !d.numbered || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := d.rebinds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	d.rebinds.Store(q, out)
	return out
}

// args repairs string arguments PostgreSQL would refuse.
func (d *dialect) args(args []any) []any {
	if !d.numbered {
		return args
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = pgText(s)
		}
	}
	return args
}

// pgText makes s storable in a PostgreSQL text column: invalid UTF-8 and
// NUL bytes become U+FFFD, the replacement character.
func pgText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// dbx is the pool, speaking the dialect.
type dbx struct {
	db *sql.DB
	d  *dialect
}

func (x dbx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return x.db.QueryContext(ctx, x.d.rebind(q), x.d.args(args)...)
}

func (x dbx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return x.db.QueryRowContext(ctx, x.d.rebind(q), x.d.args(args)...)
}

func (x dbx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return x.db.ExecContext(ctx, x.d.rebind(q), x.d.args(args)...)
}

// txn is one write transaction, speaking the dialect. conn is the
// connection it runs on (PostgreSQL: COPY goes through it).
type txn struct {
	tx      *sql.Tx
	conn    *sql.Conn
	d       *dialect
	commits []func()
}

// onCommit runs fn once the transaction has committed.
func (x *txn) onCommit(fn func()) { x.commits = append(x.commits, fn) }

// commit commits and runs the onCommit functions.
func (x *txn) commit() error {
	if err := x.tx.Commit(); err != nil {
		return err
	}
	for _, fn := range x.commits {
		fn()
	}
	return nil
}

func (x *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return x.tx.QueryContext(ctx, x.d.rebind(q), x.d.args(args)...)
}

func (x *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return x.tx.QueryRowContext(ctx, x.d.rebind(q), x.d.args(args)...)
}

func (x *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return x.tx.ExecContext(ctx, x.d.rebind(q), x.d.args(args)...)
}

// prepare prepares q on the transaction's connection; the caller closes it.
func (x *txn) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return x.tx.PrepareContext(ctx, x.d.rebind(q))
}

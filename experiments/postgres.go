package experiments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/lathe-ml/lathe/config"
)

// The PostgreSQL back end: a team's shared store. Queries and migrations are
// the store's own (dialect.go, schema.go); this file opens the connection,
// announces writes (NOTIFY) and listens for everyone's, and holds the
// process's advisory locks.

// StoreError is a store that cannot be used: unreachable, refused, or at a
// schema this lathe does not run against. Its message names the store.
type StoreError struct {
	Store string // the store, as Path names it
	Err   error
}

func (e *StoreError) Error() string { return fmt.Sprintf("store %s: %v", e.Store, e.Err) }
func (e *StoreError) Unwrap() error { return e.Err }

// connectTimeout bounds connecting to a PostgreSQL store whose URL sets no
// connect_timeout: an unreachable server fails in seconds, not in the
// kernel's minutes.
const connectTimeout = "10"

type pgStore struct {
	cfg     *pgx.ConnConfig
	ns      string // current_schema(): locks and the channel are per schema
	channel string

	lmu sync.Mutex
	l   *listener
	lk  *pgLocks

	nmu      sync.Mutex // coalesced notifications (trailingNotify)
	nlast    time.Time
	npending bool
	nclosed  bool
}

func openPostgres(ctx context.Context, o StoreOptions) (*Store, error) {
	shown := config.RedactURL(o.URL)
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, &config.InputError{Field: "store", Msg: fmt.Sprintf("%s is not a postgres:// URL", shown)}
	}
	if q := u.Query(); !q.Has("connect_timeout") {
		q.Set("connect_timeout", connectTimeout)
		u.RawQuery = q.Encode()
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, &config.InputError{Field: "store", Msg: fmt.Sprintf("%s: %v", shown, unwrapParse(err))}
	}
	if o.PasswordEnv != "" {
		pw := o.getenv(o.PasswordEnv)
		if pw == "" {
			return nil, &config.InputError{Field: "store.password_env", Msg: fmt.Sprintf("names %s, which is not set (it should hold the password of %s)", o.PasswordEnv, shown)}
		}
		cfg.Password = pw
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "lathe"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	fail := func(err error) (*Store, error) {
		db.Close()
		return nil, &StoreError{Store: shown, Err: err}
	}
	if err := db.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("cannot connect: %w", err))
	}
	var ns sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&ns); err != nil {
		return fail(err)
	}
	if !ns.Valid {
		return fail(errors.New("its search_path names no schema that exists; create one or fix search_path"))
	}
	s := &Store{raw: db, db: dbx{db, postgresDialect}, d: postgresDialect, path: shown, ident: o.Identity,
		pg: &pgStore{cfg: cfg, ns: ns.String, channel: "lathe:" + ns.String}}
	s.pg.lk = &pgLocks{s: s, held: map[string]int64{}}
	s.locks = s.pg.lk
	if err := s.migrate(ctx, o.Migrate); err != nil {
		return fail(err)
	}
	if err := s.recordWorkspace(ctx); err != nil {
		return fail(err)
	}
	return s, nil
}

// unwrapParse drops pgx's restatement of the connection string.
func unwrapParse(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && errors.Unwrap(pe) != nil {
		return errors.Unwrap(pe)
	}
	return err
}

// pgCode is the SQLSTATE of a server error, "" for others.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func (p *pgStore) close() {
	p.nmu.Lock()
	p.nclosed = true
	p.nmu.Unlock()
	p.lmu.Lock()
	l, lk := p.l, p.lk
	p.l = nil
	p.lmu.Unlock()
	if l != nil {
		l.stop()
	}
	if lk != nil {
		lk.close()
	}
}

// write runs fn in a transaction on one pooled connection and notifies the
// store's channel in it (delivered at commit). A deadlock or serialization
// failure, which the server resolves by aborting one transaction, is run
// again.
func (p *pgStore) write(ctx context.Context, s *Store, async bool, fn func(tx *txn) error) error {
	for attempt := 0; ; attempt++ {
		err := p.writeOnce(ctx, s, async, fn)
		if c := pgCode(err); (c == "40P01" || c == "40001") && attempt < 8 && ctx.Err() == nil {
			time.Sleep(time.Duration(1+attempt) * time.Duration(2+rand.IntN(5)) * time.Millisecond)
			continue
		}
		return err
	}
}

func (p *pgStore) writeOnce(ctx context.Context, s *Store, async bool, fn func(tx *txn) error) error {
	conn, err := s.raw.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	x := &txn{tx: tx, conn: conn, d: s.d}
	if async {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(x); err != nil {
		tx.Rollback()
		return err
	}
	carried := p.claimNotify()
	if carried {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, p.channel); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := x.commit(); err != nil {
		return err
	}
	if !carried {
		p.trailingNotify(s)
	}
	return nil
}

// notifyEvery is how often one process's writes announce themselves at
// most: an ingesting run commits many times a second, and every
// notification wakes every listener on every host. A write inside the
// window arranges one notification at its end, so a commit is announced
// within notifyEvery whatever happens.
const notifyEvery = 50 * time.Millisecond

// claimNotify reports whether this commit carries the notification.
func (p *pgStore) claimNotify() bool {
	p.nmu.Lock()
	defer p.nmu.Unlock()
	if time.Since(p.nlast) < notifyEvery {
		return false
	}
	p.nlast = time.Now()
	return true
}

// trailingNotify announces, at the end of the current window, the commits
// made inside it.
func (p *pgStore) trailingNotify(s *Store) {
	p.nmu.Lock()
	defer p.nmu.Unlock()
	if p.npending || p.nclosed {
		return
	}
	p.npending = true
	time.AfterFunc(max(0, notifyEvery-time.Since(p.nlast)), func() {
		p.nmu.Lock()
		p.npending, p.nlast = false, time.Now()
		closed := p.nclosed
		p.nmu.Unlock()
		if !closed {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = s.raw.ExecContext(ctx, `SELECT pg_notify($1, '')`, p.channel)
		}
	})
}

// copyRows bulk-inserts n rows with COPY on the transaction's connection.
func (x *txn) copyRows(ctx context.Context, table string, cols []string, n int, fill func(i int, row []any)) error {
	row := make([]any, len(cols))
	i := -1
	src := pgx.CopyFromFunc(func() ([]any, error) {
		i++
		if i >= n {
			return nil, nil
		}
		fill(i, row)
		for k, v := range row {
			if s, ok := v.(string); ok {
				row[k] = pgText(s)
			}
		}
		return row, nil
	})
	return x.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: not a pgx connection", table)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		return err
	})
}

// listen returns the store's listener, starting it on first use.
func (p *pgStore) listen(s *Store) *listener {
	p.lmu.Lock()
	defer p.lmu.Unlock()
	if p.l == nil {
		p.l = startListener(p.cfg, p.channel)
	}
	return p.l
}

// version is the listener's count of notifications while it listens; while
// it does not, a value that changes with every transaction that starts or
// ends on the server (its snapshot), so a poller still sees every commit.
func (p *pgStore) version(ctx context.Context, s *Store) (int64, error) {
	l := p.listen(s)
	if l.healthy.Load() {
		return l.n.Load(), nil
	}
	var snap string
	if err := s.db.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text`).Scan(&snap); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write([]byte(snap))
	return int64(h.Sum64() >> 1), nil
}

// listener keeps one connection LISTENing on the store's channel and counts
// what arrives; it reconnects after a failure, counting the gap as a change.
type listener struct {
	healthy atomic.Bool
	n       atomic.Int64

	mu     sync.Mutex
	ch     chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func startListener(cfg *pgx.ConnConfig, channel string) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{ch: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go l.run(ctx, cfg, channel)
	return l
}

func (l *listener) run(ctx context.Context, cfg *pgx.ConnConfig, channel string) {
	defer close(l.done)
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
				conn.Close(context.Background())
			}
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			pause = min(2*pause, 5*time.Second)
			continue
		}
		pause = 100 * time.Millisecond
		l.healthy.Store(true)
		l.bump() // whatever was written while nobody listened
		for {
			if _, err := conn.WaitForNotification(ctx); err != nil {
				break
			}
			l.bump()
		}
		l.healthy.Store(false)
		l.bump()
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		ccancel()
	}
}

func (l *listener) bump() {
	l.n.Add(1)
	l.mu.Lock()
	close(l.ch)
	l.ch = make(chan struct{})
	l.mu.Unlock()
}

func (l *listener) changes() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ch
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

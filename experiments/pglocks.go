package experiments

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgLocks are session advisory locks on one connection of this process
// that runs nothing else (a pooled connection would carry them off to
// unrelated work). Keys are 64-bit hashes of the schema and the name, so
// two stores in one database do not collide.
type pgLocks struct {
	s *Store

	mu     sync.Mutex
	conn   *pgx.Conn
	held   map[string]int64 // names this process holds -> key
	pinger bool
	done   chan struct{}
}

// lockPing is how often the lock session is checked; a session found dead
// is reopened and the locks this process holds are taken again.
const lockPing = 10 * time.Second

func (p *pgLocks) key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(p.s.pg.ns))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// session returns the lock connection, (re)opening it; p.mu is held.
func (p *pgLocks) session(ctx context.Context) (*pgx.Conn, error) {
	if p.conn != nil && !p.conn.IsClosed() {
		return p.conn, nil
	}
	cfg := p.s.pg.cfg.Copy()
	cfg.RuntimeParams["application_name"] = "lathe locks"
	// A host that vanishes without closing the socket keeps its locks until
	// the server gives up on the connection: make that about 25 s.
	cfg.RuntimeParams["tcp_keepalives_idle"] = "10"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "5"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store %s: lock session: %w", p.s.path, err)
	}
	p.conn = conn
	// Locks held on a session that died are gone: take them again, and
	// forget those someone else took meanwhile.
	for name, k := range p.held {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, k).Scan(&ok); err != nil || !ok {
			delete(p.held, name)
		}
	}
	if !p.pinger {
		p.pinger = true
		p.done = make(chan struct{})
		go p.ping()
	}
	return conn, nil
}

func (p *pgLocks) ping() {
	t := time.NewTicker(lockPing)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		p.mu.Lock()
		if p.conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := p.conn.Ping(ctx); err != nil {
				p.conn.Close(ctx)
				p.conn = nil
			}
			if p.conn == nil && len(p.held) > 0 {
				_, _ = p.session(ctx)
			}
			cancel()
		}
		p.mu.Unlock()
	}
}

func (p *pgLocks) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pinger {
		close(p.done)
		p.pinger = false
	}
	if p.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p.conn.Close(ctx) // ending the session releases every lock it holds
		cancel()
		p.conn = nil
	}
	p.held = map[string]int64{}
}

type pgLock struct {
	p    *pgLocks
	name string
	once sync.Once
}

func (l *pgLock) Unlock() {
	l.once.Do(func() {
		p := l.p
		p.mu.Lock()
		defer p.mu.Unlock()
		k, ok := p.held[l.name]
		if !ok {
			return
		}
		delete(p.held, l.name)
		if p.conn != nil && !p.conn.IsClosed() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := p.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, k); err != nil {
				// Unsure whether the server still holds it: end the session,
				// which releases it for certain, and reopen for the others.
				p.conn.Close(ctx)
				p.conn = nil
				if len(p.held) > 0 {
					_, _ = p.session(ctx)
				}
			}
		}
	})
}

func (p *pgLocks) TryLock(ctx context.Context, name string) (Lock, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, mine := p.held[name]; mine {
		return nil, false, nil
	}
	k := p.key(name)
	for attempt := 0; ; attempt++ {
		conn, err := p.session(ctx)
		if err != nil {
			return nil, false, err
		}
		var ok bool
		err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, k).Scan(&ok)
		if err != nil {
			if conn.IsClosed() && attempt == 0 && ctx.Err() == nil {
				p.conn = nil
				continue // the session died since its last use
			}
			return nil, false, fmt.Errorf("store %s: lock %s: %w", p.s.path, name, err)
		}
		if !ok {
			return nil, false, nil
		}
		p.held[name] = k
		return &pgLock{p: p, name: name}, true, nil
	}
}

func (p *pgLocks) Lock(ctx context.Context, name string) (Lock, error) {
	return waitLock(ctx, name, func() (Lock, bool, error) { return p.TryLock(ctx, name) })
}

// Held looks in pg_locks, where a bigint advisory key shows as its high
// half in classid and its low half in objid, with objsubid 1.
func (p *pgLocks) Held(ctx context.Context, name string) (bool, error) {
	p.mu.Lock()
	_, mine := p.held[name]
	p.mu.Unlock()
	if mine {
		return true, nil
	}
	k := uint64(p.key(name))
	var held bool
	err := p.s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid::text::bigint = ? AND objid::text::bigint = ? AND objsubid = 1)`, int64(k>>32), int64(k&0xffffffff)).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("store %s: lock %s: %w", p.s.path, name, err)
	}
	return held, nil
}

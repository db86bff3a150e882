package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Named locks across processes, provided by the store's back end, so that
// what they guard holds wherever the store is shared: a run's ingest lock
// (whoever holds it reads the run's output; a queued run's launching process
// holds it until the run ends, so "held" is also "its launcher is alive"),
// a study's ask/tell lock, a tuning worker's liveness. A lock dies with its
// holder, kill -9 included.
//
// SQLite (one host): flock(2) on files under .lathe/locks/, named as
// before this interface existed, so lathes of either age exclude each
// other. PostgreSQL (many hosts): session-level advisory locks held by one
// connection per process that does nothing else; the server drops them when
// that session ends, which it notices at once for a killed process and
// within the TCP keepalive time set on the session for a vanished host.
// "Held" reads pg_locks, so it sees other sessions' locks and this one's.
//
// Within one process a lock is exclusive too: a second TryLock of a name
// this process holds fails, as a second flock on a new descriptor does.

// Lock is one held lock.
type Lock interface {
	// Unlock releases it; later calls do nothing.
	Unlock()
}

// Locks are the store's named locks.
type Locks interface {
	// TryLock takes the lock without waiting; ok is false when it is held.
	TryLock(ctx context.Context, name string) (l Lock, ok bool, err error)
	// Lock waits for the lock until ctx ends.
	Lock(ctx context.Context, name string) (Lock, error)
	// Held reports whether anyone, this process included, holds the lock.
	Held(ctx context.Context, name string) (bool, error)
}

// Locks returns the store's named locks.
func (s *Store) Locks() Locks { return s.locks }

// lockBackoff is the longest pause between attempts of a waiting Lock.
const lockBackoff = 20 * time.Millisecond

// waitLock retries try until it succeeds or ctx ends.
func waitLock(ctx context.Context, name string, try func() (Lock, bool, error)) (Lock, error) {
	pause := time.Millisecond
	for {
		l, ok, err := try()
		if err != nil || ok {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", name, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, lockBackoff)
	}
}

// fileLocks are flock(2) locks on files in dir. flock locks belong to the
// open file description, so the kernel drops them when the holder dies, and
// a second open of the same file in one process conflicts with the first.
// Closing the store releases the ones still held, as a session's end does
// for PostgreSQL's.
type fileLocks struct {
	dir  string
	mu   sync.Mutex
	held map[*fileLock]bool
}

type fileLock struct {
	fl *fileLocks
	f  *os.File
}

func (l *fileLock) Unlock() {
	l.fl.mu.Lock()
	defer l.fl.mu.Unlock()
	l.release()
}

// release unlocks; fl.mu is held.
func (l *fileLock) release() {
	if l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		_ = l.f.Close()
		l.f = nil
		delete(l.fl.held, l)
	}
}

func (fl *fileLocks) close() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for l := range fl.held {
		l.release()
	}
}

func (fl *fileLocks) path(name string) string { return filepath.Join(fl.dir, filepath.Base(name)) }

func (fl *fileLocks) TryLock(_ context.Context, name string) (Lock, bool, error) {
	if err := os.MkdirAll(fl.dir, 0o755); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(fl.path(name), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	// Say who holds it, for people reading .lathe/locks.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	l := &fileLock{fl: fl, f: f}
	fl.mu.Lock()
	if fl.held == nil {
		fl.held = map[*fileLock]bool{}
	}
	fl.held[l] = true
	fl.mu.Unlock()
	return l, true, nil
}

func (fl *fileLocks) Lock(ctx context.Context, name string) (Lock, error) {
	return waitLock(ctx, name, func() (Lock, bool, error) { return fl.TryLock(ctx, name) })
}

func (fl *fileLocks) Held(_ context.Context, name string) (bool, error) {
	f, err := os.Open(fl.path(name))
	if err != nil {
		return false, nil // no lock file: nobody ever held it
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return err == syscall.EWOULDBLOCK, nil
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false, nil
}

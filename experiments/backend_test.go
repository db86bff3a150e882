package experiments

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/lathe-ml/lathe/internal/pgtest"
)

// The store suite runs against both back ends: each test written as
// testX(t, b) runs once on a fresh SQLite file and once on a fresh schema of
// the PostgreSQL server .ci/run starts (pgtest). The PostgreSQL half is
// skipped outside CI when no server is configured, and fails in CI.

type testBackend struct {
	name string
	opts StoreOptions
}

// testIdentity stamps the suite's rows.
var testIdentity = Identity{Workspace: "0123456789abcdef", WorkspaceName: "suite", Host: "testhost", User: "tester"}

func newBackend(t testing.TB, name string) testBackend {
	t.Helper()
	b := testBackend{name: name, opts: StoreOptions{Identity: testIdentity}}
	if name == BackendPostgres {
		b.opts.URL = pgtest.URL(t)
	} else {
		b.opts.Path = filepath.Join(t.TempDir(), "store.db")
	}
	return b
}

// open opens another handle on the store, as another process would, closed
// when t ends.
func (b testBackend) open(t testing.TB) *Store {
	t.Helper()
	s, err := OpenStoreWith(context.Background(), b.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openWith opens the store with other options (another identity).
func (b testBackend) openWith(t testing.TB, o StoreOptions) *Store {
	t.Helper()
	s, err := OpenStoreWith(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// workspace makes a workspace in dir whose store is b's.
func (b testBackend) workspace(t testing.TB, dir, name string) *Workspace {
	t.Helper()
	w, err := Init(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if b.name == BackendSQLite {
		t.Cleanup(func() { w.Close() })
		return w
	}
	w.Close()
	if w, err = OpenWith(dir, OpenOptions{Store: b.opts.URL, Name: name}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func forEachBackend(t *testing.T, fn func(t *testing.T, b testBackend)) {
	for _, name := range []string{BackendSQLite, BackendPostgres} {
		t.Run(name, func(t *testing.T) { fn(t, newBackend(t, name)) })
	}
}

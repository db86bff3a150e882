// Package pgtest gives tests a PostgreSQL store of their own: a fresh
// schema in the server named by TEST_POSTGRES_URL (the password in
// PGPASSWORD), dropped when the test ends. .ci/run starts that server; a
// test that needs it fails in CI (CI set) when it is missing and is skipped
// elsewhere.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the test server's URL. It is not a
// LATHE_ variable: runs inherit the environment, and tests
// check which LATHE_ variables a run sees.
const EnvURL = "TEST_POSTGRES_URL"

// Available reports whether a test server is configured.
func Available() bool { return os.Getenv(EnvURL) != "" }

// Require skips (outside CI) or fails (in CI) t when no server is configured.
func Require(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start PostgreSQL (.ci/run)", EnvURL)
		}
		t.Skipf("%s not set: no PostgreSQL to test against", EnvURL)
	}
	return base
}

// URL returns the URL of a fresh, empty schema of the test server (its
// search_path), dropped with everything in it when t ends.
func URL(t testing.TB) string {
	t.Helper()
	base := Require(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "lathe_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

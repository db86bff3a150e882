package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

func TestMigrationsApplyOnceAndIdempotent(t *testing.T) {
	forEachBackend(t, testMigrationsApplyOnceAndIdempotent)
}

func testMigrationsApplyOnceAndIdempotent(t *testing.T, be testBackend) {
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s, err := OpenStoreWith(ctx, be.opts)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != SchemaLatest {
			t.Fatalf("open #%d: schema version = %d, %v; want %d", i, v, err, SchemaLatest)
		}
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
			t.Fatalf("open #%d: %d migration rows (%v), want %d", i, n, err, len(migrations))
		}
		q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
		if be.name == BackendPostgres {
			q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
		}
		rows, _ := s.DB().Query(q)
		tables, err := collectStrings(rows)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"artifacts", "content_hashes", "datasets", "edges", "logs", "meta", "metric_series", "metrics", "run_inputs",
			"run_properties", "run_tags", "runs", "schema_migrations", "studies", "trials", "workspaces"}
		if !reflect.DeepEqual(tables, want) {
			t.Fatalf("tables = %v, want %v", tables, want)
		}
		s.Close()
	}
}

// Both back ends end with the same columns, in the same order, per table.
func TestBackendsHaveTheSameColumns(t *testing.T) {
	ctx := context.Background()
	cols := map[string]map[string][]string{}
	for _, name := range []string{BackendSQLite, BackendPostgres} {
		s := newBackend(t, name).open(t)
		q := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid`
		if name == BackendPostgres {
			q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()
				ORDER BY table_name, ordinal_position`
		}
		rows, err := s.DB().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols[name] = map[string][]string{}
		for rows.Next() {
			var tbl, col string
			if err := rows.Scan(&tbl, &col); err != nil {
				t.Fatal(err)
			}
			if name == BackendPostgres && tbl == "runs" && col == "rowid" {
				continue // SQLite's is implicit
			}
			cols[name][tbl] = append(cols[name][tbl], col)
		}
		rows.Close()
	}
	if !reflect.DeepEqual(cols[BackendSQLite], cols[BackendPostgres]) {
		for tbl, c := range cols[BackendSQLite] {
			if !reflect.DeepEqual(c, cols[BackendPostgres][tbl]) {
				t.Errorf("table %s: sqlite %v, postgres %v", tbl, c, cols[BackendPostgres][tbl])
			}
		}
		t.Errorf("columns differ: %v", cols)
	}
}

// The pragmas must hold on every pooled connection, not only the first one,
// so hold several connections at once and ask each.
func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	s := newBackend(t, BackendSQLite).open(t)
	var conns []interface{ Close() error }
	for i := 0; i < 3; i++ {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var fk, busy, sync int
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk)
		c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy)
		c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync)
		if mode != "wal" || fk != 1 || busy != 10000 || sync != 1 {
			t.Errorf("conn %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d; want wal 1 10000 1(NORMAL)", i, mode, fk, busy, sync)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// DataVersion moves when this store or another handle on the same store (as
// another process would be) commits, and stays put otherwise; a shared
// store also announces the commit on Changes.
func TestDataVersion(t *testing.T) { forEachBackend(t, testDataVersion) }

func testDataVersion(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	other := be.open(t)
	changes := s.Changes()
	if (changes != nil) != (be.name == BackendPostgres) {
		t.Fatalf("Changes() = %v on %s", changes, be.name)
	}
	v0, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if be.name == BackendPostgres {
		waitLive(t, s)
		v0, _ = s.DataVersion(ctx)
		changes = s.Changes()
	}
	if v, _ := s.DataVersion(ctx); v != v0 {
		t.Errorf("no write, version moved %d -> %d", v0, v)
	}
	if err := other.CreateRun(ctx, &Run{}); err != nil {
		t.Fatal(err)
	}
	if changes != nil {
		select {
		case <-changes:
		case <-time.After(10 * time.Second):
			t.Fatal("another handle's commit was not announced on Changes")
		}
	}
	v1, _ := s.DataVersion(ctx)
	if v1 == v0 {
		t.Error("another handle's commit did not move the version")
	}
	if err := s.CreateRun(ctx, &Run{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for v2, _ := s.DataVersion(ctx); v2 == v1; v2, _ = s.DataVersion(ctx) {
		if time.Now().After(deadline) {
			t.Fatal("this store's own commit did not move the version")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLive waits for a shared store's listener to be connected.
func waitLive(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Live() {
		if time.Now().After(deadline) {
			t.Fatal("the store's LISTEN connection never came up")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Workspace paths are the user's: spaces, '?', '#' and '%' must reach the
// file system as they are.
func TestStoreOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my exp?v=1#2 100%")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("store.db not at %q: %v", path, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) { forEachBackend(t, testNewerSchemaRefused) }

func testNewerSchemaRefused(t *testing.T, be testBackend) {
	s := be.open(t)
	if _, err := s.DB().Exec(s.d.rebind(`INSERT INTO schema_migrations VALUES (?, 'from the future', 0)`), SchemaLatest+1); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStoreWith(context.Background(), be.opts)
	if err == nil || !errors.Is(err, ErrSchemaNew) || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open on a newer schema: err = %v, want a 'newer' refusal", err)
	}
}

// A shared store at an older schema is refused, naming the store and the
// command that upgrades it; `lathe store migrate` (Migrate) upgrades it and
// keeps its rows.
func TestOlderSharedSchemaRefusedUntilMigrated(t *testing.T) {
	ctx := context.Background()
	be := newBackend(t, BackendPostgres)
	s := be.open(t)
	r := Run{Name: "kept"}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	// Roll versions 6 and 5 back by hand, as a store made by the release
	// before them.
	for _, q := range []string{`DROP TABLE run_tags`, `ALTER TABLE runs DROP COLUMN note`, `DELETE FROM schema_migrations WHERE version = 6`,
		`DROP TABLE workspaces`, `DROP TABLE content_hashes`,
		`ALTER TABLE runs DROP COLUMN workspace_id`, `ALTER TABLE runs DROP COLUMN user_name`,
		`ALTER TABLE studies DROP COLUMN workspace_id`, `ALTER TABLE studies DROP COLUMN user_name`,
		`ALTER TABLE trials DROP COLUMN workspace_id`, `ALTER TABLE trials DROP COLUMN user_name`, `ALTER TABLE trials DROP COLUMN worker`,
		`ALTER TABLE datasets DROP COLUMN workspace_id`, `ALTER TABLE datasets DROP COLUMN user_name`,
		`CREATE TABLE content_hashes (path TEXT PRIMARY KEY, size BIGINT NOT NULL, mtime BIGINT NOT NULL, ctime BIGINT NOT NULL,
			inode BIGINT NOT NULL, sha256 TEXT NOT NULL, hashed_at BIGINT NOT NULL)`,
		`DELETE FROM schema_migrations WHERE version = 5`} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err := OpenStoreWith(ctx, be.opts)
	if !errors.Is(err, ErrSchemaOld) || !strings.Contains(err.Error(), "lathe store migrate") || !strings.Contains(err.Error(), "store postgres://") {
		t.Fatalf("open on an older schema: %v; want a refusal naming the store and `lathe store migrate`", err)
	}
	o := be.opts
	o.Migrate = true
	m, err := OpenStoreWith(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if from, to, err := m.Migrated(ctx); err != nil || from != 4 || to != SchemaLatest {
		t.Fatalf("migrated %d -> %d (%v), want 4 -> %d", from, to, err, SchemaLatest)
	}
	if got, err := m.GetRun(ctx, r.ID); err != nil || got.Name != "kept" {
		t.Fatalf("run after migrate: %+v, %v", got, err)
	}
}

func TestRunCRUD(t *testing.T) { forEachBackend(t, testRunCRUD) }

func testRunCRUD(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	created := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	r := Run{
		Name: "baseline", Runner: "gpu1", Host: "ssh://ml@gpu1", Image: "trainer:dev", ImageDigest: "sha256:abc",
		Command: []string{"/trainer", "--lr=0.01"}, Params: map[string]any{"lr": 0.01, "act": "relu", "hidden": 64.0},
		Env:       map[string]string{"LATHE_RUN_ID": "x", "WANDB_API_KEY": "s3cret", "DB_URL": "postgres://u:pw@db:5432/x", "PWD": "/w"},
		Resources: map[string]string{"memory": "2g"},
		Code:      CodeVersion{Commit: "deadbeef", Dirty: true, DiffSHA: strings.Repeat("a", 64)},
		GPUs:      "2", GPUIDs: []string{"0", "1"}, Priority: 5, Created: created,
	}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.ID) != 12 || r.ID[0] != 'r' || r.Status != runstatus.Queued {
		t.Fatalf("id %q status %q; want r + 11 chars, queued", r.ID, r.Status)
	}
	if r.Env["WANDB_API_KEY"] != "s3cret" {
		t.Errorf("CreateRun redacted the caller's env in memory: %v", r.Env)
	}
	got, err := s.GetRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := map[string]string{"LATHE_RUN_ID": "x", "WANDB_API_KEY": Redacted, "DB_URL": "postgres://u:REDACTED@db:5432/x", "PWD": "/w"}
	if !reflect.DeepEqual(got.Env, wantEnv) {
		t.Errorf("env = %v, want %v", got.Env, wantEnv)
	}
	if !got.Created.Equal(created) || got.Params["hidden"] != 64.0 || got.Params["act"] != "relu" ||
		!reflect.DeepEqual(got.Command, r.Command) || got.Code != r.Code || got.ExitCode != nil ||
		!got.Started.IsZero() || !reflect.DeepEqual(got.GPUIDs, []string{"0", "1"}) || got.Priority != 5 {
		t.Errorf("round trip mismatch:\n got %+v\nwant %+v", got, r)
	}

	js, _ := json.Marshal(got)
	if strings.Contains(string(js), "started_at") || !strings.Contains(string(js), `"exit_code":null`) {
		t.Errorf("queued run JSON should omit started_at and have exit_code null: %s", js)
	}

	started := created.Add(time.Second)
	up, err := s.UpdateRun(ctx, r.ID, func(r *Run) error {
		r.Status, r.Started, r.ContainerID = runstatus.Running, started, "c0ffee"
		return nil
	})
	if err != nil || up.Status != runstatus.Running {
		t.Fatal(up.Status, err)
	}
	_, err = s.UpdateRun(ctx, r.ID, func(r *Run) error {
		code := 137
		r.Status, r.ExitCode, r.Ended = runstatus.OOMKilled, &code, started.Add(time.Minute)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetRun(ctx, r.ID)
	if got.Status != runstatus.OOMKilled || got.ExitCode == nil || *got.ExitCode != 137 || got.ContainerID != "c0ffee" ||
		!got.Started.Equal(started) || got.Ended.Sub(got.Started) != time.Minute {
		t.Errorf("after updates: %+v", got)
	}
	if _, err := s.UpdateRun(ctx, r.ID, func(r *Run) error { r.Status = "exploded"; return nil }); !config.IsInput(err) {
		t.Errorf("invalid status: err = %v, want InputError", err)
	}
	if _, err := s.UpdateRun(ctx, "rnope", func(*Run) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("update missing run: %v", err)
	}
	if _, err := s.GetRun(ctx, "rnope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get missing run: %v", err)
	}

	// Foreign keys are enforced: a rerun of a run that does not exist fails.
	bad := Run{RerunOf: "rdoesnotexist"}
	if err := s.CreateRun(ctx, &bad); err == nil || !strings.Contains(strings.ToUpper(err.Error()), "FOREIGN KEY") {
		t.Errorf("dangling rerun_of: err = %v, want FOREIGN KEY failure", err)
	}

	r2 := Run{ID: "rabc000000001", Runner: "local", RerunOf: r.ID, Created: created.Add(time.Hour)}
	r3 := Run{ID: "rabc000000002", Runner: "local", Status: runstatus.Running, Created: created.Add(2 * time.Hour)}
	for _, x := range []*Run{&r2, &r3} {
		if err := s.CreateRun(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateRun(ctx, &Run{ID: r2.ID}); err == nil {
		t.Error("duplicate explicit id accepted")
	}
	ids := func(rs []Run) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	all, _ := s.ListRuns(ctx, RunFilter{})
	if want := []string{r3.ID, r2.ID, r.ID}; !reflect.DeepEqual(ids(all), want) {
		t.Errorf("ListRuns = %v, want newest first %v", ids(all), want)
	}
	local, _ := s.ListRuns(ctx, RunFilter{Runner: "local", Status: []runstatus.Status{runstatus.Queued}})
	if want := []string{r2.ID}; !reflect.DeepEqual(ids(local), want) {
		t.Errorf("filtered = %v, want %v", ids(local), want)
	}
	// Dispatch order: priority first, then age.
	for i, p := range []int{0, 9, 0} {
		q := Run{ID: fmt.Sprintf("rq%d", i), Runner: "gpu1", Priority: p, Created: created.Add(time.Duration(i) * time.Second)}
		if err := s.CreateRun(ctx, &q); err != nil {
			t.Fatal(err)
		}
	}
	queue, _ := s.Queue(ctx, "gpu1")
	// r, also on gpu1, is oom_killed by now, so it is not queued.
	if want := []string{"rq1", "rq0", "rq2"}; !reflect.DeepEqual(ids(queue), want) {
		t.Errorf("Queue = %v, want %v", ids(queue), want)
	}
	one, _ := s.ListRuns(ctx, RunFilter{Limit: 1})
	if len(one) != 1 {
		t.Errorf("limit 1 gave %d", len(one))
	}

	if id, err := s.ResolveRun(ctx, "rabc000000002"); err != nil || id != r3.ID {
		t.Errorf("exact resolve = %q, %v", id, err)
	}
	if _, err := s.ResolveRun(ctx, "rabc"); !config.IsInput(err) || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := s.ResolveRun(ctx, "rzzz"); !config.IsInput(err) || !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown prefix: %v", err)
	}
	if id, err := s.ResolveRun(ctx, r.ID[:6]); err != nil || id != r.ID {
		t.Errorf("prefix resolve = %q, %v (want %s)", id, err, r.ID)
	}
}

func TestMetricsPropertiesLogs(t *testing.T) { forEachBackend(t, testMetricsPropertiesLogs) }

func testMetricsPropertiesLogs(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	r := Run{}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	batch := []MetricSample{
		{RunID: r.ID, Key: "val_loss", Step: 2, Value: 0.5, Time: t0.Add(2)},
		{RunID: r.ID, Key: "val_loss", Step: 1, Value: 0.9, Time: t0.Add(1)},
		{RunID: r.ID, Key: "val_loss", Step: 3, Value: math.NaN(), Time: t0.Add(3)},
		{RunID: r.ID, Key: "acc", Step: 1, Value: math.Inf(1), Time: t0},
		{RunID: r.ID, Key: "acc", Step: 1, Value: 0.75, Time: t0.Add(9)}, // same step again: the later one is last
	}
	if err := s.AppendMetrics(ctx, batch); err != nil {
		t.Fatal(err)
	}
	series, err := s.MetricSeries(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	vl := series["val_loss"]
	if len(vl) != 3 || vl[0].Step != 1 || vl[0].Value != 0.9 || vl[1].Value != 0.5 || !math.IsNaN(vl[2].Value) || !vl[0].Time.Equal(t0.Add(1)) {
		t.Errorf("val_loss = %+v", vl)
	}
	if acc := series["acc"]; len(acc) != 2 || !math.IsInf(acc[0].Value, 1) || acc[1].Value != 0.75 {
		t.Errorf("acc = %+v", acc)
	}
	last, err := s.LastMetrics(ctx, r.ID)
	if err != nil || last["acc"].Value != 0.75 || last["val_loss"].Step != 3 || len(last) != 2 {
		t.Errorf("last = %+v, %v", last, err)
	}
	tail, _ := s.MetricSeriesKey(ctx, r.ID, "val_loss", 1)
	if len(tail) != 2 || tail[0].Step != 2 {
		t.Errorf("series after step 1 = %+v", tail)
	}
	b, _ := json.Marshal(vl[2])
	if !strings.Contains(string(b), `"value":null`) {
		t.Errorf("NaN sample JSON = %s, want value null", b)
	}
	// A batch naming an unknown run fails as a whole: nothing of it is stored.
	err = s.AppendMetrics(ctx, []MetricSample{{RunID: r.ID, Key: "x", Step: 1, Value: 1}, {RunID: "rghost", Key: "x", Step: 1, Value: 1}})
	if err == nil {
		t.Error("metrics for an unknown run accepted")
	}
	if series, _ := s.MetricSeries(ctx, r.ID); len(series["x"]) != 0 {
		t.Error("a failed batch left rows behind")
	}

	if err := s.SetProperties(ctx, r.ID, map[string]any{"phase": "warmup", "ok": true}, t0); err != nil {
		t.Fatal(err)
	}
	s.SetProperties(ctx, r.ID, map[string]any{"phase": "train"}, t0.Add(1))
	props, _ := s.Properties(ctx, r.ID)
	if string(props["phase"]) != `"train"` || string(props["ok"]) != "true" || len(props) != 2 {
		t.Errorf("properties = %v", props)
	}

	lines := []LogLine{{RunID: r.ID, Line: "hello", Time: t0}, {RunID: r.ID, Stream: StreamStderr, Line: "warn", Time: t0.Add(5)}}
	if err := s.AppendLogs(ctx, lines); err != nil {
		t.Fatal(err)
	}
	if lines[0].Seq != 1 || lines[1].Seq != 2 {
		t.Errorf("seqs = %d %d", lines[0].Seq, lines[1].Seq)
	}
	s.AppendLogs(ctx, []LogLine{{RunID: r.ID, Line: "third", Time: t0.Add(3)}})
	got, _ := s.Logs(ctx, r.ID, 1, 0)
	if len(got) != 2 || got[0].Line != "warn" || got[0].Stream != "stderr" || got[1].Seq != 3 || got[1].Line != "third" {
		t.Errorf("logs after 1 = %+v", got)
	}
	if got, _ := s.Logs(ctx, r.ID, 0, 1); len(got) != 1 || got[0].Line != "hello" {
		t.Errorf("logs limit 1 = %+v", got)
	}
	run, _ := s.GetRun(ctx, r.ID)
	if !run.LogTime.Equal(t0.Add(5)) {
		t.Errorf("log_time = %v, want the latest line's %v", run.LogTime, t0.Add(5))
	}
	if err := s.AppendLogs(ctx, []LogLine{{RunID: r.ID, Stream: "stdin", Line: "x"}}); err == nil {
		t.Error("bad stream accepted")
	}
}

func TestDatasetsArtifactsInputs(t *testing.T) { forEachBackend(t, testDatasetsArtifactsInputs) }

func testDatasetsArtifactsInputs(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	sha1, sha2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	d1, added, err := s.AddDataset(ctx, Dataset{SHA256: sha1, Path: "data/p.csv", Format: "csv", Size: 10, Rows: 3,
		Schema: json.RawMessage(`[{"name":"a","type":"integer"}]`), Created: time.Unix(100, 0)})
	if err != nil || !added || d1.ID == 0 || d1.Rows != 3 {
		t.Fatal(d1, added, err)
	}
	again, added, err := s.AddDataset(ctx, Dataset{SHA256: sha1, Path: "data/p.csv", Format: "csv", Size: 10, Rows: -1})
	if err != nil || added || again.ID != d1.ID || again.Rows != 3 {
		t.Errorf("same content again: %+v added=%v err=%v; want the first version", again, added, err)
	}
	d2, _, _ := s.AddDataset(ctx, Dataset{SHA256: sha2, Path: "data/p.csv", Size: 11, Rows: -1, Created: time.Unix(200, 0)})
	if d2.Rows != -1 || string(d2.Schema) != "null" {
		t.Errorf("unknown rows/schema: %+v", d2)
	}
	s.AddDataset(ctx, Dataset{SHA256: sha1, Path: "copy.csv", Rows: 3, Created: time.Unix(300, 0)})
	cur, err := s.DatasetByPath(ctx, "data/p.csv")
	if err != nil || cur.ID != d2.ID {
		t.Errorf("current version = %+v, %v; want id %d", cur, err, d2.ID)
	}
	if _, err := s.DatasetByPath(ctx, "nope.csv"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown path: %v", err)
	}
	all, _ := s.ListDatasets(ctx)
	if len(all) != 3 || all[0].Path != "copy.csv" {
		t.Errorf("list = %+v", all)
	}
	bySHA, _ := s.DatasetsBySHA(ctx, "1111")
	if len(bySHA) != 2 {
		t.Errorf("by sha prefix: %d versions, want 2", len(bySHA))
	}
	if _, _, err := s.AddDataset(ctx, Dataset{SHA256: "xyz", Path: "a"}); !config.IsInput(err) {
		t.Errorf("bad sha: %v", err)
	}

	r := Run{}
	s.CreateRun(ctx, &r)
	if err := s.AddRunInput(ctx, r.ID, "train", d1.ID); err != nil {
		t.Fatal(err)
	}
	ins, err := s.RunInputs(ctx, r.ID)
	if err != nil || len(ins) != 1 || ins[0].Name != "train" || ins[0].Dataset.SHA256 != sha1 {
		t.Errorf("inputs = %+v, %v", ins, err)
	}

	a, err := s.AddArtifact(ctx, Artifact{RunID: r.ID, Path: "model/weights.bin", SHA256: sha2, Size: 11})
	if err != nil || a.ID == 0 {
		t.Fatal(a, err)
	}
	a2, err := s.AddArtifact(ctx, Artifact{RunID: r.ID, Path: "model/weights.bin", SHA256: sha1, Size: 10})
	if err != nil || a2.ID != a.ID {
		t.Errorf("re-harvest changed the id: %d -> %d (%v)", a.ID, a2.ID, err)
	}
	s.AddArtifact(ctx, Artifact{RunID: r.ID, Path: "a.txt", SHA256: sha2, Size: 11})
	arts, _ := s.ListArtifacts(ctx, r.ID)
	if len(arts) != 2 || arts[0].Path != "a.txt" || arts[1].SHA256 != sha1 {
		t.Errorf("artifacts = %+v", arts)
	}
	if bySHA, err := s.ArtifactsBySHA(ctx, "2222"); err != nil || len(bySHA) != 1 || bySHA[0].Path != "a.txt" {
		t.Errorf("artifacts by sha: %+v %v", bySHA, err)
	}
	refs, _ := s.ReferencedObjects(ctx)
	if !refs[sha1] || !refs[sha2] || len(refs) != 2 {
		t.Errorf("referenced = %v", refs)
	}
	down, _ := s.EdgesFrom(ctx, Node{KindRun, r.ID})
	up, _ := s.EdgesTo(ctx, Node{KindRun, r.ID})
	if len(down) != 2 || down[0].Kind != EdgeProduced || len(up) != 1 || up[0].Kind != EdgeUsed || up[0].From.ID != "1" {
		t.Errorf("edges: down %+v up %+v", down, up)
	}
}

func TestStudiesTrials(t *testing.T) { forEachBackend(t, testStudiesTrials) }

func testStudiesTrials(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	st, err := s.CreateStudy(ctx, Study{Name: "penguins-mlp", Spec: json.RawMessage(`{"observation_budget":60}`)})
	if err != nil || st.ID == 0 || st.Status != StudyCreated {
		t.Fatal(st, err)
	}
	if _, err := s.CreateStudy(ctx, Study{Name: "penguins-mlp", Spec: json.RawMessage(`{}`)}); !config.IsInput(err) {
		t.Errorf("duplicate study: %v, want InputError", err)
	}
	s.CreateStudy(ctx, Study{Name: "other", Spec: json.RawMessage(`{}`)})
	if list, _ := s.ListStudies(ctx); len(list) != 2 {
		t.Errorf("%d studies", len(list))
	}
	up, err := s.UpdateStudy(ctx, "penguins-mlp", func(st *Study) error {
		st.Status, st.State = StudyRunning, json.RawMessage(`{"sobol_index":10}`)
		return nil
	})
	if err != nil || up.Status != StudyRunning {
		t.Fatal(err)
	}
	got, _ := s.GetStudy(ctx, "penguins-mlp")
	if string(got.State) != `{"sobol_index":10}` || got.Status != StudyRunning || string(got.Spec) != `{"observation_budget":60}` {
		t.Errorf("study = %+v", got)
	}
	if _, err := s.GetStudy(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing study: %v", err)
	}

	var trials [3]Trial
	for i := range trials {
		trials[i] = Trial{Params: map[string]any{"lr": 0.1 * float64(i+1)}}
		if err := s.CreateTrial(ctx, st.ID, &trials[i]); err != nil {
			t.Fatal(err)
		}
		if trials[i].Number != i+1 || trials[i].Status != TrialPending {
			t.Errorf("trial %d: number %d status %s", i, trials[i].Number, trials[i].Status)
		}
	}
	r := Run{StudyID: st.ID, TrialNumber: 2}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	feasible := false
	_, err = s.UpdateTrial(ctx, st.ID, 2, func(tr *Trial) error {
		tr.Status, tr.RunID, tr.Feasible = TrialCompleted, r.ID, &feasible
		tr.Metrics = map[string]float64{"val_accuracy": 0.93, "inference_ms": math.NaN()}
		tr.Ended = time.Unix(500, 0)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := s.ListTrials(ctx, st.ID)
	if len(ts) != 3 || ts[1].RunID != r.ID || ts[1].Feasible == nil || *ts[1].Feasible || ts[1].Metrics["val_accuracy"] != 0.93 ||
		!math.IsNaN(ts[1].Metrics["inference_ms"]) || ts[0].Feasible != nil || ts[2].Params["lr"] != 0.30000000000000004 {
		t.Errorf("trials = %+v", ts)
	}
	js, err := json.Marshal(ts[1])
	if err != nil || !strings.Contains(string(js), `"inference_ms":null`) || !strings.Contains(string(js), `"val_accuracy":0.93`) ||
		!strings.Contains(string(js), `"feasible":false`) || !strings.Contains(string(js), `"number":2`) {
		t.Errorf("trial JSON = %s, %v", js, err)
	}
	if tr, err := s.GetTrial(ctx, st.ID, 2); err != nil || !tr.Ended.Equal(time.Unix(500, 0)) {
		t.Errorf("get trial: %+v %v", tr, err)
	}
	if _, err := s.GetTrial(ctx, st.ID, 9); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing trial: %v", err)
	}
	// CreateRun and UpdateTrial both recorded study -> run; the edge is stored once.
	es, _ := s.EdgesFrom(ctx, Node{KindStudy, "1"})
	if len(es) != 1 || es[0].Kind != EdgeTrialOf || es[0].To.ID != r.ID {
		t.Errorf("trial_of edges = %+v", es)
	}
	if runs, _ := s.ListRuns(ctx, RunFilter{StudyID: st.ID}); len(runs) != 1 || runs[0].TrialNumber != 2 {
		t.Errorf("runs of study = %+v", runs)
	}

	r3 := Run{Runner: "local"}
	if err := s.CreateRunForTrial(ctx, st.ID, 3, &r3); err != nil {
		t.Fatal(err)
	}
	if tr, _ := s.GetTrial(ctx, st.ID, 3); tr.RunID != r3.ID || tr.Status != TrialRunning {
		t.Errorf("trial 3 after CreateRunForTrial: %+v", tr)
	}
	if got, _ := s.GetRun(ctx, r3.ID); got.StudyID != st.ID || got.TrialNumber != 3 {
		t.Errorf("run of trial 3: %+v", got)
	}
	again := Run{Runner: "local"}
	if err := s.CreateRunForTrial(ctx, st.ID, 3, &again); err == nil || !strings.Contains(err.Error(), "already has run") {
		t.Errorf("second run for trial 3: %v", err)
	}
	if err := s.CreateRunForTrial(ctx, st.ID, 42, &Run{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("run for a missing trial: %v", err)
	}
	// Both refusals rolled back their run rows.
	if runs, _ := s.ListRuns(ctx, RunFilter{StudyID: st.ID}); len(runs) != 2 {
		t.Errorf("%d runs of the study after refused creations, want 2", len(runs))
	}
}

// A split -> run -> artifact chain, traced both ways.
func TestLineageWalk(t *testing.T) { forEachBackend(t, testLineageWalk) }

func testLineageWalk(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	src, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("a", 64), Path: "penguins.csv", Rows: -1})
	train, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("b", 64), Path: "out/penguins.train.csv", Rows: -1})
	val, _, _ := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat("c", 64), Path: "out/penguins.val.csv", Rows: -1})
	node := func(d Dataset) Node { return Node{KindDataset, itoa(d.ID)} }
	for _, d := range []Dataset{train, val} {
		err := s.AddEdge(ctx, Edge{From: node(src), To: node(d), Kind: EdgeDerivedFrom, Operation: "split",
			Params: json.RawMessage(`{"ratios":[0.8,0.2],"seed":7}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := Run{}
	s.CreateRun(ctx, &r)
	s.AddRunInput(ctx, r.ID, "train", train.ID)
	s.AddRunInput(ctx, r.ID, "val", val.ID)
	art, _ := s.AddArtifact(ctx, Artifact{RunID: r.ID, Path: "model.bin", SHA256: strings.Repeat("d", 64), Size: 1})

	up, err := s.Walk(ctx, Node{KindRun, r.ID}, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	reached := map[Node]bool{}
	for _, e := range up {
		reached[e.From] = true
	}
	if !reached[node(src)] || !reached[node(train)] || len(up) != 4 {
		t.Errorf("up from run: %d edges %v; want 4 reaching the source", len(up), up)
	}
	down, _ := s.Walk(ctx, node(src), false, 0)
	reached = map[Node]bool{}
	for _, e := range down {
		reached[e.To] = true
	}
	if !reached[Node{KindRun, r.ID}] || !reached[Node{KindArtifact, itoa(art.ID)}] || len(down) != 5 {
		t.Errorf("down from source: %d edges %v; want 5 reaching the artifact", len(down), down)
	}
	if d1, _ := s.Walk(ctx, node(src), false, 1); len(d1) != 2 {
		t.Errorf("depth 1: %d edges, want 2", len(d1))
	}
	es, _ := s.EdgesTo(ctx, node(val))
	if len(es) != 1 || es[0].Operation != "split" || string(es[0].Params) != `{"ratios":[0.8,0.2],"seed":7}` {
		t.Errorf("derived_from edge = %+v", es)
	}
	if err := s.AddEdge(ctx, Edge{From: node(src), To: node(val), Kind: "caused"}); err == nil {
		t.Error("unknown edge kind accepted")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

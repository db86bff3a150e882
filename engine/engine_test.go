package engine

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// newEngine makes a fresh workspace (local runner only, from the template)
// and an engine on it.
func newEngine(t testing.TB) *Engine {
	t.Helper()
	return openTestEngine(t, "", "", Options{Version: "test"})
}

// newSharedEngine is newEngine on a shared PostgreSQL store at url.
func newSharedEngine(t testing.TB, url string) *Engine {
	t.Helper()
	return openTestEngine(t, "", url, Options{Version: "test"})
}

// openTestEngine makes a fresh workspace with HOME in a temporary directory:
// its lathe.yaml is yaml unless that is empty (then the template's), its
// store the PostgreSQL one at storeURL unless that is empty; and an engine
// on it with options o, both closed when t ends.
func openTestEngine(t testing.TB, yaml, storeURL string, o Options) *Engine {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := filepath.Join(t.TempDir(), "ws")
	ws, err := experiments.Init(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if yaml != "" {
		if err := os.WriteFile(filepath.Join(dir, "lathe.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if storeURL != "" {
		ws.Close()
		if ws, err = experiments.OpenWith(dir, experiments.OpenOptions{Store: storeURL, Name: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(config.Options{WorkspaceDir: dir, Environ: []string{"HOME=" + home}})
	if err != nil {
		t.Fatal(err)
	}
	e := New(ws, cfg, o)
	t.Cleanup(func() {
		e.Close()
		ws.Close()
	})
	return e
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestLaunchRecordsEverything(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	in := filepath.Join(t.TempDir(), "train.csv")
	if err := os.WriteFile(in, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha256("a,b\n1,2\n"), computed independently with sha256sum.
	const inSHA = "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
	r, err := e.Launch(ctx, LaunchRequest{
		Runner:  "local",
		Command: sh(`echo hello; echo '{"step":1,"loss":0.5,"phase":"warm"}'; echo '{"step":2,"loss":0.25}'; echo oops >&2; cat "$LATHE_INPUT_TRAIN" > "$LATHE_OUTPUT_DIR/copy.csv"; test "$LATHE_PARAM_LR" = 0.1`),
		Params:  map[string]string{"lr": "0.1"},
		Inputs:  map[string]string{"train": in},
		Env:     map[string]string{"API_TOKEN": "s3cret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := r.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != runstatus.Completed || run.ExitCode == nil || *run.ExitCode != 0 {
		t.Fatalf("run %+v", run)
	}
	if run.Started.IsZero() || run.Ended.Before(run.Started) || run.Host == "" || run.PID == 0 {
		t.Errorf("times/host/pid not recorded: %+v", run)
	}
	if run.Env["API_TOKEN"] != experiments.Redacted {
		t.Errorf("env not redacted: %v", run.Env)
	}
	rec, err := e.ws.Store.GetRunRecord(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v := rec.Metrics["loss"]; v == nil || *v != 0.25 {
		t.Errorf("last loss %v, want 0.25", v)
	}
	if string(rec.Properties["phase"]) != `"warm"` {
		t.Errorf("properties %v", rec.Properties)
	}
	if len(rec.Outputs) != 1 || rec.Outputs[0].Path != "copy.csv" || rec.Outputs[0].Size != 8 {
		t.Fatalf("outputs %+v", rec.Outputs)
	}
	in0, ok := rec.Inputs["train"]
	if !ok || in0.Size != 8 || in0.SHA256 != inSHA || rec.Outputs[0].SHA256 != inSHA {
		t.Errorf("input %+v vs output %+v: the copy must hash the same", in0, rec.Outputs[0])
	}
	logs, _ := e.ws.Store.Logs(ctx, run.ID, 0, 0)
	// Streams interleave in no fixed order; within stdout the order holds.
	var stdout, stderr []string
	for _, l := range logs {
		if l.Stream == experiments.StreamStdout {
			stdout = append(stdout, l.Line)
		} else {
			stderr = append(stderr, l.Line)
		}
	}
	want := []string{"hello", `{"step":1,"loss":0.5,"phase":"warm"}`, `{"step":2,"loss":0.25}`}
	if strings.Join(stdout, "|") != strings.Join(want, "|") || strings.Join(stderr, "|") != "oops" {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
	edges, _ := e.ws.Store.EdgesTo(ctx, experiments.Node{Kind: experiments.KindRun, ID: run.ID})
	if len(edges) != 1 || edges[0].Kind != experiments.EdgeUsed {
		t.Errorf("used edges %+v", edges)
	}
}

func TestLaunchInputErrors(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	cases := []struct {
		req  LaunchRequest
		want string
	}{
		{LaunchRequest{Runner: "gpu9", Command: []string{"true"}}, `unknown runner "gpu9"; valid runners: local`},
		{LaunchRequest{Command: nil}, "no command"},
		{LaunchRequest{Command: []string{"echo", "{lr}"}}, "{lr}"},
		{LaunchRequest{Command: []string{"true"}, Inputs: map[string]string{"x": "/nonexistent/file"}}, "input x"},
		{LaunchRequest{Command: []string{"true"}, GPUs: "lots"}, "gpus"},
		{LaunchRequest{Command: []string{"true"}, GPUs: "1"}, "runner local has no GPUs"},
	}
	for _, c := range cases {
		_, err := e.Launch(ctx, c.req)
		var ie *config.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want InputError containing %q", c.req, err, c.want)
		}
	}
	runs, _ := e.ws.Store.ListRuns(ctx, experiments.RunFilter{})
	if len(runs) != 0 {
		t.Errorf("bad input left %d run records", len(runs))
	}
}

func TestFailedAndStoppedRuns(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	r, err := e.Launch(ctx, LaunchRequest{Command: sh("echo bye; exit 3")})
	if err != nil {
		t.Fatal(err)
	}
	run, _ := r.Wait(ctx)
	if run.Status != runstatus.Failed || *run.ExitCode != 3 {
		t.Errorf("exit 3: %+v", run)
	}
	r, err = e.Launch(ctx, LaunchRequest{Command: sh("echo started; sleep 30")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := e.Stop(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	run, _ = r.Wait(ctx)
	if run.Status != runstatus.Stopped || time.Since(t0) > 5*time.Second {
		t.Errorf("stop: %+v after %v", run, time.Since(t0))
	}
}

// A run keeps going when its engine closes; a second engine reconciles it
// and ends up with every line and metric exactly once.
func TestDetachAndReattach(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	script := `i=1; while [ $i -le 40 ]; do echo "{\"step\":$i,\"x\":$i}"; echo "err $i" >&2; i=$((i+1)); sleep 0.02; done`
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(script)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // some lines stored, most not
	e.Close()                          // detach: the run goes on

	e2 := New(e.ws, e.cfg, Options{})
	defer e2.Close()
	rep, err := e2.Reconcile(ctx, ReconcileOptions{Settle: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ended) != 1 || rep.Ended[0] != r.ID {
		t.Fatalf("report %+v", rep)
	}
	run, _ := e2.ws.Store.GetRun(ctx, r.ID)
	if run.Status != runstatus.Completed {
		t.Fatalf("status %s", run.Status)
	}
	series, _ := e2.ws.Store.MetricSeries(ctx, r.ID)
	xs := series["x"]
	if len(xs) != 40 {
		t.Fatalf("%d samples, want 40", len(xs))
	}
	for i, s := range xs {
		if s.Step != int64(i+1) || s.Value != float64(i+1) {
			t.Fatalf("sample %d: %+v", i, s)
		}
	}
	logs, _ := e2.ws.Store.Logs(ctx, r.ID, 0, 0)
	if len(logs) != 80 {
		t.Errorf("%d log lines, want 80", len(logs))
	}
}

func TestFollowDeliversEverythingThenEnds(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(`for i in 1 2 3 4 5; do echo "{\"loss\":$i}"; sleep 0.05; done; echo '{"loss":NaN}'`)})
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	var pts []Point
	var statuses []runstatus.Status
	err = e.Follow(ctx, r.ID, func(ev Event) {
		switch ev.Kind {
		case EventLogs:
			lines += len(ev.Logs)
		case EventMetrics:
			pts = append(pts, ev.Samples...)
		case EventStatus:
			statuses = append(statuses, ev.Run.Status)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines != 6 || len(statuses) == 0 || statuses[len(statuses)-1] != runstatus.Completed {
		t.Errorf("lines %d statuses %v", lines, statuses)
	}
	// The NaN line is not JSON (NaN is no JSON number), so it is a log line only.
	if len(pts) != 5 || pts[4].Value != 5 || pts[0].Step != 0 || pts[4].Step != 4 || math.IsNaN(pts[0].Value) {
		t.Errorf("points %+v", pts)
	}
}

func TestParseHelpers(t *testing.T) {
	p, err := ParseParams("--param", []string{"lr=0.1", "act=a=b"})
	if err != nil || p["lr"] != "0.1" || p["act"] != "a=b" {
		t.Errorf("%v %v", p, err)
	}
	for _, bad := range [][]string{{"lr"}, {"=1"}, {"a=1", "a=2"}} {
		if _, err := ParseParams("--param", bad); !config.IsInput(err) {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseInputs("--input", []string{"my input=x"}); !config.IsInput(err) {
		t.Error("space in input name accepted")
	}
	sizes := map[string]int64{"": 0, "512": 512, "1k": 1024, "4g": 4 << 30, "1.5m": 3 << 19, "2GB": 2 << 30}
	for s, want := range sizes {
		if got, err := ParseSize("--memory", s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"g", "-1", "x"} {
		if _, err := ParseSize("--memory", bad); !config.IsInput(err) {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if c, err := ParseCPUs("--cpus", "1.5"); err != nil || c != 1.5 {
		t.Errorf("cpus %v %v", c, err)
	}
	if _, err := ParseCPUs("--cpus", "0"); !config.IsInput(err) {
		t.Error("0 cpus accepted")
	}
}

// The engine's sink takes lines whole (runners.LineSink), so a flush never
// separates a line from its metrics.
var _ runners.LineSink = (*storeSink)(nil)

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// lastWord is what scripts take from `lathe run --detach`.
func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

func runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, errs := run(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: bad JSON %v:\n%s", args, err, out)
	}
}

func TestRunExitCodesAndOutput(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	w := []string{"--workspace", ws}

	code, out, errs := run(t, append(w, "run", "--param", "who=world", "--", "sh", "-c", `echo hello {who}; echo '{"step":1,"loss":0.5}'; echo warn >&2`)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out != "hello world\n{\"step\":1,\"loss\":0.5}\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(errs, "warn") || !strings.Contains(errs, "completed") {
		t.Errorf("stderr %q lacks the program's stderr or the final status", errs)
	}

	code, _, errs = run(t, append(w, "run", "--", "sh", "-c", "exit 3")...)
	if code != 1 || !strings.Contains(errs, "failed") || !strings.Contains(errs, "exit status 3") {
		t.Errorf("failing run: exit %d, stderr %q", code, errs)
	}

	var rec experiments.RunRecord
	runJSON(t, &rec, append(w, "--json", "run", "--param", "lr=0.1", "--", "sh", "-c", `echo '{"acc":0.9}'`)...)
	if rec.Status != runstatus.Completed || rec.Params["lr"] != "0.1" || rec.Metrics["acc"] == nil || *rec.Metrics["acc"] != 0.9 || *rec.ExitCode != 0 {
		t.Errorf("run --json record %+v", rec)
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--runner", "gpu7", "--", "true"}, `unknown runner "gpu7"; valid runners: local, docker`},
		{[]string{"run", "--param", "lr", "--", "true"}, "--param"},
		{[]string{"run", "--input", "train=nope.csv", "--", "true"}, "input train"},
		{[]string{"run", "--memory", "lots", "--", "true"}, "--memory"},
		{[]string{"run"}, "needs a command"},
		{[]string{"run", "--", "echo", "{lr}"}, "{lr}"},
		{[]string{"runs", "show", "zzzz"}, "zzzz"},
		{[]string{"runs", "ls", "--status", "done"}, "unknown status"},
	}
	for _, c := range bad {
		code, out, errs := run(t, append(w, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 naming %q", c.args, code, out, errs, c.want)
		}
	}
	runs, _ := listRuns(t, ws)
	if len(runs) != 3 {
		t.Errorf("%d runs recorded, want 3 (bad input must record none)", len(runs))
	}
}

func listRuns(t *testing.T, ws string) ([]experiments.RunRecord, string) {
	t.Helper()
	var recs []experiments.RunRecord
	runJSON(t, &recs, "--workspace", ws, "--json", "runs", "ls")
	_, text, _ := run(t, "--workspace", ws, "runs", "ls")
	return recs, text
}

func TestDetachThenLogsFollowAndMetrics(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	w := []string{"--workspace", ws}
	script := `i=1; while [ $i -le 20 ]; do echo "{\"step\":$i,\"loss\":$i.5}"; i=$((i+1)); sleep 0.03; done; echo done`
	start := time.Now()
	code, out, errs := run(t, append(w, "run", "--detach", "--", "sh", "-c", script)...)
	if code != 0 {
		t.Fatalf("detach: exit %d: %s", code, errs)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("--detach took %v", d)
	}
	id := lastWord(out)
	if !strings.HasPrefix(id, "r") || len(id) != 12 {
		t.Fatalf("last word %q is not a run id (stdout %q)", id, out)
	}
	// Nobody ingests the run now; logs -f reattaches and misses nothing.
	code, out, errs = run(t, append(w, "runs", "logs", "-f", id[:6])...)
	if code != 0 {
		t.Fatalf("logs -f: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 21 || lines[0] != `{"step":1,"loss":1.5}` || lines[20] != "done" {
		t.Errorf("logs -f printed %d lines: %q", len(lines), out)
	}

	var series map[string][]struct {
		Step  *int64     `json:"step"`
		Value *float64   `json:"value"`
		Time  *time.Time `json:"time"`
	}
	runJSON(t, &series, append(w, "--json", "runs", "metrics", id)...)
	for k := range series {
		if strings.HasPrefix(k, "sys/") { // system metrics (TestRunsShowSystemMetrics)
			delete(series, k)
		}
	}
	if len(series) != 1 || len(series["loss"]) != 20 {
		t.Fatalf("metrics JSON %v", series)
	}
	for i, p := range series["loss"] {
		if p.Step == nil || p.Value == nil || p.Time == nil || *p.Step != int64(i+1) || *p.Value != float64(i+1)+0.5 || p.Time.IsZero() {
			t.Fatalf("point %d: %+v", i, p)
		}
	}
	code, out, _ = run(t, append(w, "runs", "logs", id)...)
	if code != 0 || strings.Count(out, "\n") != 21 {
		t.Errorf("logs without -f: exit %d, %d lines", code, strings.Count(out, "\n"))
	}
	_, text := listRuns(t, ws)
	if !strings.Contains(text, id) || !strings.Contains(text, "completed") || !strings.Contains(text, "loss=20.5") {
		t.Errorf("runs ls:\n%s", text)
	}
}

func TestRunsStop(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	w := []string{"--workspace", ws}
	code, out, errs := run(t, append(w, "run", "--detach", "--", "sh", "-c", "echo up; sleep 60")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	id := lastWord(out)
	start := time.Now()
	code, out, errs = run(t, append(w, "runs", "stop", id)...)
	if code != 0 || strings.TrimSpace(out) != id+" stopped" {
		t.Fatalf("stop: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %v (SIGTERM should end sleep at once)", d)
	}
	var rec experiments.RunRecord
	runJSON(t, &rec, append(w, "--json", "runs", "show", id)...)
	if rec.Status != runstatus.Stopped || rec.Ended.IsZero() {
		t.Errorf("after stop: %+v", rec.Run)
	}
	// Stopping again is harmless; `runs logs -f` of a stopped run exits 1.
	if code, _, errs := run(t, append(w, "runs", "stop", id)...); code != 0 || !strings.Contains(errs, "already ended") {
		t.Errorf("second stop: exit %d, %q", code, errs)
	}
	if code, out, _ := run(t, append(w, "runs", "logs", "-f", id)...); code != 1 || out != "up\n" {
		t.Errorf("logs -f of a stopped run: exit %d, %q", code, out)
	}
}

// A `lathe run` killed with SIGKILL mid-run leaves the run going; the next
// lathe that opens the workspace finds it ended and stores every metric line
// exactly once.
func TestKill9ThenReconcile(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	script := `i=1; while [ $i -le 50 ]; do echo "{\"step\":$i,\"acc\":$i}"; i=$((i+1)); sleep 0.02; done`
	cmd := exec.Command(bin, "--workspace", ws, "run", "--", "sh", "-c", script)
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Let it store some lines, then kill it mid-run.
	store, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var id string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		runs, _ := store.ListRuns(context.Background(), experiments.RunFilter{})
		if len(runs) == 1 {
			id = runs[0].ID
			if s, _ := store.MetricSeriesKey(context.Background(), id, "acc", -1); len(s) >= 5 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if id == "" {
		t.Fatal("lathe run never recorded its run")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stored, _ := store.MetricSeriesKey(context.Background(), id, "acc", -1)
	if len(stored) >= 50 {
		t.Fatalf("the run finished before lathe was killed (%d samples); the test proves nothing", len(stored))
	}
	time.Sleep(1500 * time.Millisecond) // the run finishes on its own meanwhile

	var rec experiments.RunRecord
	runJSON(t, &rec, "--workspace", ws, "--json", "runs", "show", id)
	if rec.Status != runstatus.Completed || rec.ExitCode == nil || *rec.ExitCode != 0 {
		t.Fatalf("after reconcile: %+v", rec.Run)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", id)
	acc := series["acc"]
	if len(acc) != 50 {
		t.Fatalf("%d acc samples, want 50 (had %d when lathe was killed)", len(acc), len(stored))
	}
	for i, s := range acc {
		if s.Step != int64(i+1) || s.Value != float64(i+1) {
			t.Fatalf("sample %d = %+v", i, s)
		}
	}
}

// Ctrl-C on a following `lathe run` detaches: lathe exits 130 and says how
// to follow again; the run goes on and ends completed.
func TestInterruptDetaches(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	cmd := exec.Command(bin, "--workspace", ws, "run", "--", "sh", "-c", "echo started; sleep 1; echo finished")
	cmd.Env = os.Environ()
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("after ctrl-c: %v (stderr %q)", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "detached") || !strings.Contains(stderr.String(), "runs logs -f") {
		t.Errorf("stderr %q does not say how to follow again", stderr.String())
	}
	recs, _ := listRuns(t, ws)
	if len(recs) != 1 {
		t.Fatalf("%d runs", len(recs))
	}
	code, out, _ := run(t, "--workspace", ws, "runs", "logs", "-f", recs[0].ID)
	if code != 0 || out != "started\nfinished\n" {
		t.Errorf("the run did not go on: exit %d, %q", code, out)
	}
}

func TestRunnersLsAndCheck(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	// A docker runner nobody listens for, so the test does not depend on dockerd.
	cfg := "name: ws\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n  - name: gone\n    type: docker\n    host: tcp://127.0.0.1:1\n"
	if err := os.WriteFile(filepath.Join(ws, "lathe.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	w := []string{"--workspace", ws}
	var sts []struct {
		Name      string   `json:"name"`
		Reachable bool     `json:"reachable"`
		Error     string   `json:"error"`
		GPUs      []any    `json:"gpus"`
		NoGPU     string   `json:"no_gpu"`
		Running   []string `json:"running"`
	}
	start := time.Now()
	runJSON(t, &sts, append(w, "--json", "runners", "ls")...)
	if len(sts) != 2 || sts[0].Name != "local" || !sts[0].Reachable || sts[1].Name != "gone" || sts[1].Reachable || sts[1].Error == "" {
		t.Fatalf("runners ls: %+v", sts)
	}
	if sts[0].GPUs == nil || (len(sts[0].GPUs) == 0 && sts[0].NoGPU == "") {
		t.Errorf("local runner says neither GPUs nor why there are none: %+v", sts[0])
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("an unreachable runner delayed runners ls %v", d)
	}
	if code, out, _ := run(t, append(w, "runners", "check", "local")...); code != 0 || !strings.HasPrefix(out, "ok    local") {
		t.Errorf("check local: exit %d %q", code, out)
	}
	if code, out, _ := run(t, append(w, "runners", "check")...); code != 1 || !strings.Contains(out, "FAIL  gone") {
		t.Errorf("check all: exit %d %q", code, out)
	}
	if code, _, errs := run(t, append(w, "runners", "check", "nope")...); code != 2 || !strings.Contains(errs, `unknown runner "nope"`) {
		t.Errorf("check nope: exit %d %q", code, errs)
	}
	// A broken team runners file is an input error naming its line.
	team := filepath.Join(t.TempDir(), "runners.yaml")
	if err := os.WriteFile(team, []byte("runners:\n  - name: x\n    type: dokker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LATHE_RUNNERS", team)
	if code, _, errs := run(t, append(w, "runners", "check")...); code != 2 || !strings.Contains(errs, "runners.yaml:3") {
		t.Errorf("bad team file: exit %d %q", code, errs)
	}
}

func TestRunIDCompletion(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	code, out, _ := run(t, "--workspace", ws, "run", "--detach", "--", "true")
	if code != 0 {
		t.Fatal("run failed")
	}
	id := lastWord(out)
	cands, _ := cobraComplete([]string{"--workspace", ws}, []string{"runs", "show"}, id[:3])
	if len(cands) != 1 || cands[0][0] != id {
		t.Errorf("completing a run id: %v, want %s", cands, id)
	}
	cands, _ = cobraComplete([]string{"--workspace", ws}, []string{"run", "--runner"}, "do")
	if len(cands) != 1 || cands[0][0] != "docker" {
		t.Errorf("completing --runner: %v", cands)
	}
}

// The docker runner with the trainer image on the real daemon (required in
// CI, skipped elsewhere when no daemon answers).
func TestDockerRunWithTrainerImage(t *testing.T) {
	// The image is built before isolate: go build needs the real HOME's
	// module cache and the module root relative to this directory.
	tag := trainerImage(t)
	isolate(t)
	ws := newWorkspace(t)
	var rec experiments.RunRecord
	runJSON(t, &rec, "--workspace", ws, "--json", "run", "--runner", "docker", "--image", tag, "--param", "lr=0.5",
		"--", "/trainer", "--lr={lr}", "--epochs", "8")
	if rec.Status != runstatus.Completed || rec.ImageDigest == "" || rec.ContainerID == "" {
		t.Fatalf("docker run: %+v", rec.Run)
	}
	if len(rec.Outputs) != 1 || rec.Outputs[0].Path != "model.json" {
		t.Errorf("outputs %+v", rec.Outputs)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", rec.ID)
	if len(series["val_accuracy"]) != 8 || series["val_accuracy"][7].Step != 8 {
		t.Errorf("val_accuracy series %+v", series["val_accuracy"])
	}
	// Detached on docker, then followed by `runs logs -f`, which reattaches
	// to the container and misses no line.
	code, out, errs := run(t, "--workspace", ws, "run", "--detach", "--runner", "docker", "--image", tag, "--",
		"/trainer", "--epochs", "20", "--epoch-pause", "30ms")
	if code != 0 {
		t.Fatalf("docker --detach: exit %d: %s", code, errs)
	}
	id := lastWord(out)
	code, out, errs = run(t, "--workspace", ws, "runs", "logs", "-f", id)
	if code != 0 || strings.Count(out, `"val_accuracy"`) != 20 {
		t.Errorf("logs -f of a detached container: exit %d, %d metric lines (stderr %q)", code, strings.Count(out, `"val_accuracy"`), errs)
	}
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", id)
	if len(series["val_loss"]) != 20 {
		t.Errorf("detached docker run: %d val_loss points", len(series["val_loss"]))
	}
	// --entrypoint replaces the image's; the command is its arguments.
	runJSON(t, &rec, "--workspace", ws, "--json", "run", "--runner", "docker", "--image", tag, "--entrypoint", "/trainer", "--", "--epochs", "2")
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", rec.ID)
	if rec.Status != runstatus.Completed || len(series["val_accuracy"]) != 2 {
		t.Errorf("--entrypoint /trainer -- --epochs 2: %s, %d epochs (%s)", rec.Status, len(series["val_accuracy"]), rec.Error)
	}
	// The missing image is a failed run with a clear message, exit 1.
	code, _, errs = run(t, "--workspace", ws, "run", "--runner", "docker", "--image", "lathe-no-such-image:x", "--", "/x")
	if code != 1 || !strings.Contains(errs, "lathe-no-such-image") {
		t.Errorf("missing image: exit %d, %q", code, errs)
	}
}

// The demo flow on the real binary at 80x24: launch the example trainer from
// the Runs screen (the pre-filled launch line), open it, watch its curves.
func TestRunsScreenLaunchesTrainerInTmux(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	s := newTmux(t, 80, 24, "NO_COLOR=1", "HOME="+os.Getenv("HOME"), "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	s.keys(fmt.Sprintf("cd %s && %s; echo LATHE_EXIT=$?", ws, bin), "Enter")
	s.waitFor(20*time.Second, "Runners")
	s.keys("3")
	s.waitFor(5*time.Second, "No runs yet")
	s.keys("n")
	s.waitFor(5*time.Second, "run: ")
	s.keys("Enter")
	s.waitFor(10*time.Second, "launched r", "lr=0.3")
	s.keys("Enter")
	scr := s.waitFor(20*time.Second, "train_loss", "val_loss", "┤", "── log")
	if lines := strings.Split(strings.TrimRight(scr, "\n"), "\n"); len(lines) > 24 {
		t.Errorf("%d lines at 80x24", len(lines))
	}
	s.keys("m")
	s.waitFor(5*time.Second, "[2/")
	s.keys("Escape")
	time.Sleep(200 * time.Millisecond)
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// dockerOrSkip connects to the local daemon: required in CI, the test is
// skipped elsewhere when no daemon answers. The client closes with the test.
func dockerOrSkip(t *testing.T) *runners.Docker {
	t.Helper()
	d, err := runners.NewDocker("docker", runners.Endpoint{}, runners.DockerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Probe(context.Background()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dockerd is required in CI: %v", err)
		}
		t.Skipf("no docker daemon: %v", err)
	}
	return d
}

// trainerImage builds the example trainer into a FROM-scratch image on the
// local daemon and returns its tag. It runs before isolate: go build needs
// the real HOME's module cache and the module root relative to this directory.
func trainerImage(t *testing.T) string {
	t.Helper()
	d := dockerOrSkip(t)
	modRoot, _ := filepath.Abs("../..")
	const tag = "lathe-trainer:cmdtest"
	if _, err := d.BuildTrainerImage(context.Background(), modRoot, tag); err != nil {
		t.Fatal(err)
	}
	return tag
}

// silentDockerHost listens on 127.0.0.1, accepts connections and never
// answers: a Docker host that hangs.
func silentDockerHost(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A docker host that accepts and never answers fails `lathe run` within the
// runner's configured timeout, exit 1, naming the runner and the host; and
// `runners check` says the deadline it used.
func TestRunOnSilentDockerHost(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	addr := silentDockerHost(t)
	cfg := "name: ws\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n  - name: silent\n    type: docker\n    host: tcp://" + addr +
		"\n    image: x\n    timeout: 2s\n    connect_timeout: 3s\n"
	if err := os.WriteFile(filepath.Join(ws, "lathe.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, _, errs := run(t, "--workspace", ws, "run", "--runner", "silent", "--", "/x")
	took := time.Since(start)
	if code != 1 || !strings.Contains(errs, addr) || !strings.Contains(errs, "silent") || !strings.Contains(errs, "within 2s") {
		t.Fatalf("exit %d after %v: %q", code, took, errs)
	}
	if took > 5*time.Second {
		t.Fatalf("lathe run took %v on a 2 s timeout", took)
	}
	start = time.Now()
	code, out, errs := run(t, "--workspace", ws, "runners", "check", "silent")
	took = time.Since(start)
	if code != 1 || !strings.Contains(out+errs, "within 3s") || took > 5*time.Second {
		t.Fatalf("runners check: exit %d after %v: %q %q", code, took, out, errs)
	}
}

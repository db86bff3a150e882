package runners

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

func TestLocalMetricsAndLogs(t *testing.T) {
	l := NewLocal("local", t.TempDir())
	sink, copy := &recordSink{}, &recordSink{}
	h, err := l.Start(context.Background(), Spec{ID: "r1", Command: []string{progPath, "metrics", "{n}"},
		Params: map[string]string{"n": "3"}}, Tee(sink, copy))
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, h, 20*time.Second)
	if res != (Result{Status: runstatus.Completed, ExitCode: 0}) {
		t.Fatalf("result %+v", res)
	}
	wantLines(t, sink.lines("stdout"),
		`{"step": 1, "loss": 1, "phase": "train"}`,
		`{"step": 2, "loss": 0.5, "phase": "train"}`,
		`{"step": 3, "loss": 0.3333333333333333, "phase": "train"}`,
		"done without newline")
	wantLines(t, sink.lines("stderr"), "progress 1/3", "progress 2/3", "progress 3/3")
	var steps []int64
	var vals []float64
	for _, s := range sink.samples {
		if s.Key != "loss" {
			t.Fatalf("unexpected metric %q", s.Key)
		}
		steps, vals = append(steps, s.Step), append(vals, s.Value)
	}
	if !reflect.DeepEqual(steps, []int64{1, 2, 3}) || !reflect.DeepEqual(vals, []float64{1, 0.5, 1.0 / 3}) {
		t.Fatalf("samples %v %v", steps, vals)
	}
	if sink.props["phase"] != "train" {
		t.Fatalf("props %v", sink.props)
	}
	if got := sink.statusList(); !reflect.DeepEqual(got, []runstatus.Status{runstatus.Running, runstatus.Completed}) {
		t.Fatalf("statuses %v", got)
	}
	if c := sink.last().ExitCode; c == nil || *c != 0 {
		t.Fatalf("exit code %v", c)
	}
	if !reflect.DeepEqual(copy.logs, sink.logs) || !reflect.DeepEqual(copy.samples, sink.samples) ||
		!reflect.DeepEqual(copy.statuses, sink.statuses) || !reflect.DeepEqual(copy.props, sink.props) {
		t.Fatal("Tee delivered different events to its sinks")
	}
}

func TestLocalEnvironment(t *testing.T) {
	// Lathe's own LATHE_* settings (and CI's TEST_* variables) are not run
	// variables: the run sees exactly the ones below.
	t.Setenv("LATHE_AMBIENT_SETTING", "x")
	t.Setenv("TEST_POSTGRES_URL", "postgres://u:pw@db/x")
	dir := t.TempDir()
	in := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(in, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	l := NewLocal("local", filepath.Join(dir, "runs"))
	sink := &recordSink{}
	// A value with shell syntax must arrive verbatim as one argument.
	evil := `x; echo pwned $(id) "q"`
	h, err := l.Start(context.Background(), Spec{ID: "env1", Command: []string{progPath, "env", "--lr={lr}", "{evil}"},
		Params: map[string]string{"lr": "0.1", "evil": evil, "hidden-size": "8"},
		Inputs: map[string]string{"train": in}, OutputDir: out}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, h, 20*time.Second); res.Status != runstatus.Completed {
		t.Fatalf("result %+v %v", res, sink.lines("stderr"))
	}
	wantLines(t, sink.lines("stdout"),
		"LATHE_INPUT_TRAIN="+in,
		"LATHE_OUTPUT_DIR="+out,
		"LATHE_PARAMS_FILE="+filepath.Join(dir, "runs", "env1", "params.json"),
		"LATHE_PARAM_EVIL="+evil,
		"LATHE_PARAM_HIDDEN_SIZE=8",
		"LATHE_PARAM_LR=0.1",
		"LATHE_RUN_ID=env1",
		`params-file { "evil": "x; echo pwned $(id) \"q\"", "hidden-size": "8", "lr": "0.1" }`,
		`arg "--lr=0.1"`,
		`arg "x; echo pwned $(id) \"q\""`,
		`input LATHE_INPUT_TRAIN "a,b\n" <nil>`)
	if b, err := os.ReadFile(filepath.Join(out, "result.txt")); err != nil || string(b) != "ok\n" {
		t.Fatalf("output file: %q %v", b, err)
	}
}

// A local run inherits only the minimum of lathe's environment (localenv.go)
// plus the spec's env, which is where pass_env puts its variables: an ambient
// secret does not reach it (issue 11 item 4).
func TestLocalEnvironmentIsClean(t *testing.T) {
	t.Setenv("AMBIENT_SECRET", "s3cr3t")
	t.Setenv("LC_TIME", "C")
	t.Setenv("TERM", "xterm")
	l := NewLocal("local", t.TempDir())
	sink := &recordSink{}
	h, err := l.Start(context.Background(), Spec{ID: "clean", Command: []string{progPath, "environ"},
		Env: map[string]string{"WANDB_API_KEY": "k"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, h, 20*time.Second); res.Status != runstatus.Completed {
		t.Fatalf("result %+v %v", res, sink.lines("stderr"))
	}
	got := sink.lines("stdout")
	for _, name := range got {
		// PWD is the wrapper shell's own, the run's working directory.
		if !inherited(name) && !strings.HasPrefix(name, "LATHE_") && name != "WANDB_API_KEY" && name != "PWD" {
			t.Errorf("the run inherited %s from lathe's environment", name)
		}
	}
	for _, want := range []string{"PATH", "HOME", "LC_TIME", "TERM", "WANDB_API_KEY", "LATHE_RUN_ID"} {
		if !slices.Contains(got, want) {
			t.Errorf("the run lacks %s; it saw %v", want, got)
		}
	}
	if slices.Contains(got, "AMBIENT_SECRET") {
		t.Error("AMBIENT_SECRET reached the run")
	}
	names := InheritedNames([]string{"PATH=/bin", "AMBIENT_SECRET=x", "LC_ALL=C", "HOME=/h", "PATH=/usr/bin"})
	if !reflect.DeepEqual(names, []string{"HOME", "LC_ALL", "PATH"}) {
		t.Errorf("InheritedNames %v", names)
	}
}

func TestLocalFailures(t *testing.T) {
	l := NewLocal("local", t.TempDir())
	t.Run("exit code", func(t *testing.T) {
		sink := &recordSink{}
		h, err := l.Start(context.Background(), Spec{ID: "exit3", Command: []string{progPath, "exit", "3"}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, h, 20*time.Second)
		if res.Status != runstatus.Failed || res.ExitCode != 3 || res.Message != "exit status 3" {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("command not found", func(t *testing.T) {
		sink := &recordSink{}
		_, err := l.Start(context.Background(), Spec{ID: "nf", Command: []string{"no-such-program-xyz"}}, sink)
		if err == nil || !strings.Contains(err.Error(), `"no-such-program-xyz" not found`) {
			t.Fatalf("err %v", err)
		}
		if s := sink.last(); s.Status != runstatus.Failed || !strings.Contains(s.Message, "not found") {
			t.Fatalf("status %+v", s)
		}
	})
	t.Run("unknown placeholder is input error", func(t *testing.T) {
		_, err := l.Start(context.Background(), Spec{ID: "ph", Command: []string{progPath, "{nope}"},
			Params: map[string]string{"lr": "1"}}, &recordSink{})
		var ie *config.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "{nope}") || !strings.Contains(err.Error(), "lr") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("container limits are refused, not ignored", func(t *testing.T) {
		sink := &recordSink{}
		_, err := l.Start(context.Background(), Spec{ID: "mem", Command: []string{progPath, "alloc", "256"}, Memory: 64 << 20}, sink)
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Field != "--memory" {
			t.Fatalf("err %v, want an input error naming --memory", err)
		}
		if s := sink.last(); s.Status != runstatus.Failed {
			t.Fatalf("status %+v", s)
		}
	})
	t.Run("duplicate run id", func(t *testing.T) {
		_, err := l.Start(context.Background(), Spec{ID: "exit3", Command: []string{progPath, "exit", "0"}}, &recordSink{})
		if err == nil {
			t.Fatal("second start with the same id succeeded")
		}
	})
}

func TestLocalStop(t *testing.T) {
	l := NewLocal("local", t.TempDir())
	t.Run("SIGTERM", func(t *testing.T) {
		sink := &recordSink{}
		h, err := l.Start(context.Background(), Spec{ID: "s1", Command: []string{progPath, "sleep", "60000"}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "first tick", func() bool { return len(sink.lines("stdout")) > 0 })
		if err := l.Stop(context.Background(), "s1", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, h, 10*time.Second)
		if res.Status != runstatus.Stopped || res.ExitCode != 143 {
			t.Fatalf("result %+v", res)
		}
		out := sink.lines("stdout")
		if out[len(out)-1] != "got SIGTERM" {
			t.Fatalf("program did not see SIGTERM: %v", out)
		}
	})
	// A stop that lands while a process that catches TERM (like the wrapper
	// while it starts the program) has yet to fork: the child born after the
	// group signal still gets its TERM, well before the grace period ends.
	t.Run("SIGTERM reaches a late child", func(t *testing.T) {
		sink := &recordSink{}
		script := `echo up; trap : TERM; sleep 0.5; sh -c 'echo child; sleep 30'`
		h, err := l.Start(context.Background(), Spec{ID: "s3", Command: []string{"sh", "-c", script}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "start", func() bool { return len(sink.lines("stdout")) > 0 })
		start := time.Now()
		if err := l.Stop(context.Background(), "s3", 8*time.Second); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Fatalf("stop took %v: the late child never got SIGTERM and waited for SIGKILL", d)
		}
		res := waitResult(t, h, 10*time.Second)
		if res.Status != runstatus.Stopped {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("SIGKILL after grace", func(t *testing.T) {
		sink := &recordSink{}
		h, err := l.Start(context.Background(), Spec{ID: "s2", Command: []string{progPath, "stubborn"}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "start", func() bool { return len(sink.lines("stdout")) > 0 })
		start := time.Now()
		if err := l.Stop(context.Background(), "s2", 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
			t.Fatalf("stop took %v", d)
		}
		res := waitResult(t, h, 10*time.Second)
		if res.Status != runstatus.Stopped || res.ExitCode != 137 {
			t.Fatalf("result %+v", res)
		}
	})
}

// TestLocalReattachAfterSIGKILL kills the process that started a run (as if
// lathe were killed with SIGKILL), then reattaches from a fresh runner: the run
// finishes, its exit status is known, and every line arrives exactly once.
func TestLocalReattachAfterSIGKILL(t *testing.T) {
	runs := t.TempDir()
	spec := Spec{ID: "det1", Command: []string{progPath, "metrics", "30", "40"}}
	b, _ := json.Marshal(spec)
	starter := exec.Command(os.Args[0], "-test.run=^$")
	starter.Env = append(os.Environ(), "LATHE_TEST_STARTER=1", "LATHE_TEST_SPEC="+string(b), "LATHE_TEST_RUNS="+runs)
	stdout, err := starter.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := starter.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if !strings.Contains(string(buf[:n]), "started") {
		t.Fatalf("starter said %q", buf[:n])
	}
	// Let a few lines be "stored" by the first lathe, then kill it.
	time.Sleep(300 * time.Millisecond)
	_ = starter.Process.Signal(syscall.SIGKILL)
	_ = starter.Wait()

	l := NewLocal("local", runs)
	first := &recordSink{}
	// A first reattach that only reads a few lines, as if stored before a crash.
	ctx, cancel := context.WithCancel(context.Background())
	hs, err := l.Reconcile(ctx, []Tracked{{RunID: "det1"}}, func(string) Sink { return first })
	if err != nil || len(hs) != 1 {
		t.Fatalf("reconcile: %v %d", err, len(hs))
	}
	waitFor(t, 10*time.Second, "some lines", func() bool { return len(first.lines("stdout")) >= 3 })
	cancel()
	_, _ = hs[0].Wait(context.Background())
	cur := Cursor{Stdout: int64(len(first.lines("stdout"))), Stderr: int64(len(first.lines("stderr")))}

	second := &recordSink{}
	hs, err = l.Reconcile(context.Background(), []Tracked{{RunID: "det1", Cursor: cur}, {RunID: "ghost"}},
		func(id string) Sink {
			if id == "ghost" {
				g := &recordSink{}
				t.Cleanup(func() {
					if g.last().Status != runstatus.Lost {
						t.Errorf("ghost run status %+v", g.last())
					}
				})
				return g
			}
			return second
		})
	if err != nil || len(hs) != 1 {
		t.Fatalf("reconcile: %v %d", err, len(hs))
	}
	res := waitResult(t, hs[0], 20*time.Second)
	if res != (Result{Status: runstatus.Completed, ExitCode: 0}) {
		t.Fatalf("result %+v", res)
	}
	all := append(first.lines("stdout"), second.lines("stdout")...)
	if len(all) != 31 || all[30] != "done without newline" {
		t.Fatalf("stdout has %d lines: %v", len(all), all)
	}
	// Steps continue from the cursor: the second sink has exactly the rest.
	var steps []int64
	for _, s := range append(first.samples, second.samples...) {
		steps = append(steps, s.Step)
	}
	for i, s := range steps {
		if s != int64(i+1) {
			t.Fatalf("steps %v", steps)
		}
	}
	if len(steps) != 30 {
		t.Fatalf("%d samples", len(steps))
	}
	if got := len(first.lines("stderr")) + len(second.lines("stderr")); got != 30 {
		t.Fatalf("%d stderr lines", got)
	}
}

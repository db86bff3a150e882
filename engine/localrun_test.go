package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// A local run gets pass_env and the run variables, not lathe's whole
// environment (issue 11 item 4); the run records which names it inherited,
// and never a secret's value.
func TestLocalRunEnvironmentIsPassEnvOnly(t *testing.T) {
	t.Setenv("AMBIENT_SECRET", "ambient-value")
	t.Setenv("TEAM_API_TOKEN", "token-value")
	e := engineWith(t, "name: test\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n    pass_env: [TEAM_API_TOKEN]\n")
	ctx := context.Background()
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(`echo "ambient=$AMBIENT_SECRET"; echo "token=$TEAM_API_TOKEN"; echo "id=$LATHE_RUN_ID"`)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := r.Wait(ctx)
	if err != nil || run.Status != runstatus.Completed {
		t.Fatalf("%+v %v", run, err)
	}
	logs, _ := e.ws.Store.Logs(ctx, run.ID, 0, 0)
	var lines []string
	for _, l := range logs {
		lines = append(lines, l.Line)
	}
	want := []string{"ambient=", "token=token-value", "id=" + run.ID}
	if !slices.Equal(lines, want) {
		t.Errorf("the run saw %q, want %q", lines, want)
	}
	if run.Env["TEAM_API_TOKEN"] != experiments.Redacted {
		t.Errorf("stored env %v: the pass_env secret must be recorded redacted", run.Env)
	}
	names := strings.Split(run.Resources["inherited_env"], ",")
	if !slices.Contains(names, "PATH") || !slices.Contains(names, "HOME") || slices.Contains(names, "AMBIENT_SECRET") {
		t.Errorf("inherited_env %q", run.Resources["inherited_env"])
	}
	if strings.Contains(run.Resources["inherited_env"], "=") {
		t.Errorf("inherited_env holds values: %q", run.Resources["inherited_env"])
	}
}

// --memory (and the other container limits) on a local runner is refused
// with the flag named, before anything is recorded (issue 10 item 9): Lathe
// cannot enforce it on a plain process, and ignoring it would look applied.
func TestLocalRunRefusesContainerLimits(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	for _, c := range []struct {
		req  LaunchRequest
		flag string
	}{
		{LaunchRequest{Command: sh("true"), Memory: 64 << 20}, "--memory"},
		{LaunchRequest{Command: sh("true"), CPUs: 1}, "--cpus"},
		{LaunchRequest{Command: sh("true"), ShmSize: 1 << 20}, "--shm-size"},
	} {
		_, err := e.Launch(ctx, c.req)
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Field != c.flag || !strings.Contains(err.Error(), "docker runners only") {
			t.Errorf("%s: err %v, want an input error naming %s", c.flag, err, c.flag)
		}
	}
	if runs, _ := e.ws.Store.ListRuns(ctx, experiments.RunFilter{}); len(runs) != 0 {
		t.Errorf("refused launches left %d runs", len(runs))
	}
}

// Follow delivers a run's final status after every line and sample it
// produced (issue 10 item 9: `lathe run` printed the last stderr line after
// the status line): for a run that already ended, where the status and the
// lines are all in the store at the first read, and for a live one.
func TestFollowDeliversFinalStatusLast(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	launch := func() *Run {
		r, err := e.Launch(ctx, LaunchRequest{Command: sh(`echo '{"step":1,"loss":0.5}'; echo out; echo last-err >&2`)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ended := launch()
	if _, err := ended.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for what, r := range map[string]*Run{"ended": ended, "live": launch()} {
		var kinds []EventKind
		var last Event
		if err := e.Follow(ctx, r.ID, func(ev Event) { kinds, last = append(kinds, ev.Kind), ev }); err != nil {
			t.Fatal(err)
		}
		if last.Kind != EventStatus || !last.Run.Status.Terminal() {
			t.Errorf("%s run: events %v end with kind %v, want the final status", what, kinds, last.Kind)
		}
		if !slices.Contains(kinds, EventLogs) {
			t.Errorf("%s run: no logs in %v", what, kinds)
		}
	}
}

// A local runner without gpus: lists the host's GPUs, and --gpus uses them
// (issue 10 item 9: it listed them but refused --gpus 1). The GPUs are fake:
// an nvidia-smi script on PATH.
func TestLocalRunnerWithoutGPUsSettingUsesTheHostsGPUs(t *testing.T) {
	fakeSMI(t, "0, NVIDIA H100 80GB HBM3, GPU-aaaaaaaa-0000-0000-0000-000000000000, 81559, 400, 0\n"+
		"1, NVIDIA H100 80GB HBM3, GPU-bbbbbbbb-0000-0000-0000-000000000000, 81559, 400, 0\n")
	e := engineWith(t, "name: test\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n")
	ctx := context.Background()
	st, err := e.CheckRunner(ctx, "local")
	if err != nil || len(st.GPUs) != 2 {
		t.Fatalf("runners check lists %d GPUs (%v), want the 2 fake ones", len(st.GPUs), err)
	}
	r, err := e.Launch(ctx, LaunchRequest{Command: sh(`echo "$CUDA_VISIBLE_DEVICES"`), GPUs: "1"})
	if err != nil {
		t.Fatalf("--gpus 1 on a runner that lists 2 GPUs: %v", err)
	}
	run, err := r.Wait(ctx)
	if err != nil || run.Status != runstatus.Completed || len(run.GPUIDs) != 1 {
		t.Fatalf("%+v %v", run, err)
	}
	logs, _ := e.ws.Store.Logs(ctx, run.ID, 0, 0)
	if len(logs) != 1 || logs[0].Line != run.GPUIDs[0] {
		t.Errorf("CUDA_VISIBLE_DEVICES %v, recorded GPUs %v", logs, run.GPUIDs)
	}
	_, err = e.Launch(ctx, LaunchRequest{Command: sh("true"), GPUs: "3"})
	var ie *config.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "has 2") {
		t.Errorf("--gpus 3: %v, want an input error saying the runner has 2", err)
	}
}

// A run still queued when its lathe process exits stays queued, and the
// next process that reconciles queues it again and runs it (issue 10 item
// 9: it was marked stopped). Engine b is another process as far as locks go.
func TestQueuedRunOutlivesItsProcess(t *testing.T) {
	t.Setenv("TEAM_TOKEN", "s3cret")
	a := engineWith(t, "name: test\ndefault_runner: q\nrunners:\n  - name: q\n    type: local\n    max_concurrent: 1\n    pass_env: [TEAM_TOKEN]\n")
	ctx := context.Background()
	first, err := a.Launch(ctx, LaunchRequest{Command: sh("sleep 1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := a.Launch(ctx, LaunchRequest{Command: sh(`echo "p=$LATHE_PARAM_LR token=$TEAM_TOKEN"`), Params: map[string]string{"lr": "0.5"}, Priority: 3})
	if err != nil {
		t.Fatal(err)
	}
	a.Close() // its process exits: the first run goes on, the second waits
	if run, _ := a.ws.Store.GetRun(ctx, second.ID); run.Status != runstatus.Queued {
		t.Fatalf("after its process exited the queued run is %s (%s)", run.Status, run.Error)
	}

	b := New(a.ws, a.cfg, Options{})
	defer b.Close()
	rep, err := b.Reconcile(ctx, ReconcileOptions{Settle: -1})
	if err != nil || !slices.Equal(rep.Requeued, []string{second.ID}) {
		t.Fatalf("reconcile %+v %v, want %s requeued", rep, err, second.ID)
	}
	if run, _ := a.ws.Store.GetRun(ctx, second.ID); run.Status != runstatus.Queued {
		t.Fatalf("requeued run is %s (%s) while the slot is taken", run.Status, run.Error)
	}
	if err := b.Follow(ctx, second.ID, func(Event) {}); err != nil {
		t.Fatal(err)
	}
	runA, _ := a.ws.Store.GetRun(ctx, first.ID)
	runB, _ := a.ws.Store.GetRun(ctx, second.ID)
	if runB.Status != runstatus.Completed || runB.Priority != 3 {
		t.Fatalf("requeued run %+v", runB)
	}
	if runB.Started.Before(runA.Ended) {
		t.Errorf("the requeued run started %v before the slot's holder ended", runA.Ended.Sub(runB.Started))
	}
	if !strings.Contains(runB.Resources["inherited_env"], "PATH") {
		t.Errorf("requeued run's inherited_env %q", runB.Resources["inherited_env"])
	}
	logs, _ := a.ws.Store.Logs(ctx, second.ID, 0, 0)
	if len(logs) != 1 || logs[0].Line != "p=0.5 token=s3cret" {
		t.Errorf("the requeued run saw %v: params and the pass_env secret must be as launched", logs)
	}
}

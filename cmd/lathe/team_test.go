package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/internal/pgtest"
	"github.com/lathe-ml/lathe/runstatus"
)

// A team's shared store (issue 15), end to end with the real binary and a
// real PostgreSQL (.ci/run starts it; pgtest gives each test a schema of its
// own). Workspaces in different folders stand for members on different
// hosts: each has its own .lathe/ (run files, objects, locks) and meets the
// others only in the store.

// teamWorkspace makes a workspace whose lathe.yaml names the shared store,
// with runners (a YAML list body) as given, or the local runner.
func teamWorkspace(t *testing.T, url, name, runners string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if code, _, errs := run(t, "init", dir); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	if runners == "" {
		runners = "  - {name: local, type: local, max_concurrent: 8}\n"
	}
	yaml := fmt.Sprintf("name: %s\nstore: %s\nrunners:\n%s", name, url, runners)
	writeFile(t, filepath.Join(dir, "lathe.yaml"), yaml)
	return dir
}

func openShared(t *testing.T, url string) *experiments.Store {
	t.Helper()
	st, err := experiments.OpenStoreWith(context.Background(), experiments.StoreOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A run launched in one workspace shows in the other's TUI while it runs,
// its metrics moving, until it ends: the second lathe learns of the first's
// rows through LISTEN/NOTIFY.
func TestTUIShowsARunFromAnotherWorkspace(t *testing.T) {
	url := pgtest.URL(t)
	bin := lathePath(t)
	isolate(t)
	a := teamWorkspace(t, url, "alpha", "")
	b := teamWorkspace(t, url, "beta", "")
	s := newTmux(t, 100, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color",
		"PGPASSWORD="+os.Getenv("PGPASSWORD"), "LATHE_USER=bob")
	s.keys(fmt.Sprintf("%s --workspace %s; echo LATHE_EXIT=$?", bin, b), "Enter")
	s.waitFor(20*time.Second, "Data", "Runs")
	s.keys("3")
	s.waitFor(5*time.Second, "Runs")

	// Launched attached in the other workspace: its lathe ingests it to the end.
	script := `for i in 1 2 3 4 5 6 7 8 9 10; do echo "{\"step\": $i, \"loss\": $((100 - i * 9))}"; sleep 0.4; done`
	cmd := exec.Command(bin, "--workspace", a, "run", "--", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "LATHE_USER=alice")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	var id string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "lathe:" && f[1] == "run" {
			id = f[2]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if id == "" {
		t.Fatal("lathe run never said its run id")
	}
	scr := s.waitFor(15*time.Second, id[:8], "running")
	scr, seen := s.followRun(scr)
	if !strings.Contains(scr, "completed") {
		t.Fatalf("the other workspace's run never ended completed on this TUI's Runs screen:\n%s", scr)
	}
	s.waitFor(5*time.Second, "loss=10")
	if len(seen) < 2 {
		t.Errorf("its metrics did not move while it ran (saw %v)", seen)
	}
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
	// The run is alpha's and alice's, though beta's TUI followed it.
	r, err := openShared(t, url).GetRun(context.Background(), id)
	if err != nil || r.User != "alice" || r.Status != runstatus.Completed {
		t.Errorf("run %s: %+v %v", id, r, err)
	}
}

// tuneSpec is a study of 30 trials, two at a time per worker, of a shell
// "trainer" whose loss is (x-300)^2/1000.
func tuneSpec(t *testing.T) string {
	t.Helper()
	script := writeFile(t, filepath.Join(t.TempDir(), "train.sh"),
		`x=$1; sleep 0.3; d=$((x - 300)); echo "{\"step\": 1, \"loss\": $((d * d / 1000))}"`+"\n")
	return writeFile(t, filepath.Join(t.TempDir(), "study.yaml"), fmt.Sprintf(`name: shared
runner: local
command: ["/bin/sh", %q, "{x}"]
parameters:
  - {name: x, type: int, bounds: {min: 0, max: 1000}}
metrics:
  - {name: loss, objective: minimize}
observation_budget: 30
parallel_bandwidth: 2
seed: 11
`, script))
}

type worker struct {
	cmd *exec.Cmd
	out strings.Builder
	err strings.Builder
}

// startWorkers starts n workers on spec, each in its own team workspace
// (host0, host1, ...) on the shared store at url.
func startWorkers(t *testing.T, bin, url, spec string, n int) []*worker {
	var ws []*worker
	for i := range n {
		w := teamWorkspace(t, url, fmt.Sprintf("host%d", i), "")
		ws = append(ws, startWorker(t, bin, w, spec))
	}
	return ws
}

func startWorker(t *testing.T, bin, ws, spec string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(bin, "--workspace", ws, "--json", "tune", "run", "--join", spec)}
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.err
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill(); _ = w.cmd.Wait() })
	return w
}

// checkStudy asserts the study ended with exactly 30 completed trials,
// numbered once each, each with a run of its own that completed.
func checkStudy(t *testing.T, st *experiments.Store) []experiments.Trial {
	t.Helper()
	ctx := context.Background()
	rec, err := st.GetStudy(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	trials, err := st.ListTrials(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 30 || rec.Status != experiments.StudyCompleted {
		t.Fatalf("study %s with %d trials, want completed with 30", rec.Status, len(trials))
	}
	runOf := map[string]int{}
	for i, tr := range trials {
		if tr.Number != i+1 {
			t.Errorf("trial %d numbered %d", i+1, tr.Number)
		}
		if tr.Status != experiments.TrialCompleted || tr.RunID == "" {
			t.Errorf("trial %d: %s (%s), run %q", tr.Number, tr.Status, tr.Error, tr.RunID)
			continue
		}
		if prev, dup := runOf[tr.RunID]; dup {
			t.Errorf("run %s is trials %d and %d", tr.RunID, prev, tr.Number)
		}
		runOf[tr.RunID] = tr.Number
		r, err := st.GetRun(ctx, tr.RunID)
		if err != nil || r.Status != runstatus.Completed || r.TrialNumber != tr.Number {
			t.Errorf("trial %d's run %s: %s, trial %d (%v)", tr.Number, tr.RunID, r.Status, r.TrialNumber, err)
		}
		x := int(tr.Params["x"].(float64))
		if want := float64((x - 300) * (x - 300) / 1000); tr.Metrics["loss"] != want {
			t.Errorf("trial %d (x=%d): loss %v, want %v", tr.Number, x, tr.Metrics["loss"], want)
		}
	}
	return trials
}

// Three workers, each in its own workspace, drive one study of 30 trials
// two at a time: together they run exactly 30 trials, each number once, and
// each worker ends reporting all 30 completed.
func TestTuneWorkersShareOneStudy(t *testing.T) {
	url := pgtest.URL(t)
	bin := lathePath(t)
	isolate(t)
	spec := tuneSpec(t)
	ws := startWorkers(t, bin, url, spec, 3)
	for i, w := range ws {
		if err := w.cmd.Wait(); err != nil {
			t.Fatalf("worker %d: %v\n%s", i, err, w.err.String())
		}
		var rep engine.StudyReport
		if err := json.Unmarshal([]byte(w.out.String()), &rep); err != nil {
			t.Fatalf("worker %d report: %v\n%s", i, err, w.out.String())
		}
		completed := 0
		for _, tr := range rep.Trials {
			if tr.Status == experiments.TrialCompleted {
				completed++
			}
		}
		if rep.Status != "completed" || len(rep.Trials) != 30 || completed != 30 {
			t.Errorf("worker %d ended with %s, %d trials, %d completed", i, rep.Status, len(rep.Trials), completed)
		}
	}
	st := openShared(t, url)
	trials := checkStudy(t, st)
	drivers := map[string]int{}
	for _, tr := range trials {
		drivers[tr.Worker]++
	}
	if len(drivers) != 3 {
		t.Errorf("trials by worker %v: want all three workers to have driven some", drivers)
	}
	runs, _ := st.ListRuns(context.Background(), experiments.RunFilter{})
	if len(runs) != 30 {
		t.Errorf("%d runs, want 30 (one per trial, none twice)", len(runs))
	}
}

// kill -9 of one worker mid-study loses nothing: the others adopt its
// trials (out of reach in its workspace, so evaluated again), and the study
// still ends with 30 completed trials, each number once.
func TestTuneWorkerKilledMidStudy(t *testing.T) {
	url := pgtest.URL(t)
	bin := lathePath(t)
	isolate(t)
	spec := tuneSpec(t)
	ws := startWorkers(t, bin, url, spec, 3)
	victim := ws[0]
	mark := fmt.Sprintf(":%d-", victim.cmd.Process.Pid)
	st := openShared(t, url)
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	var inFlight []int
	for time.Now().Before(deadline) {
		rec, err := st.GetStudy(ctx, "shared")
		if err == nil {
			trials, _ := st.ListTrials(ctx, rec.ID)
			done := 0
			inFlight = inFlight[:0]
			for _, tr := range trials {
				switch {
				case tr.Status == experiments.TrialCompleted:
					done++
				case tr.Status == experiments.TrialRunning && strings.Contains(tr.Worker, mark):
					inFlight = append(inFlight, tr.Number)
				}
			}
			if done >= 6 && len(inFlight) > 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(inFlight) == 0 {
		t.Fatal("the victim never had a trial running")
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.cmd.Wait()
	for i, w := range ws[1:] {
		if err := w.cmd.Wait(); err != nil {
			t.Fatalf("worker %d: %v\n%s", i+1, err, w.err.String())
		}
	}
	trials := checkStudy(t, st)
	for _, n := range inFlight {
		if tr := trials[n-1]; strings.Contains(tr.Worker, mark) {
			t.Errorf("trial %d, running in the killed worker, ended still its: %+v", n, tr)
		}
	}
	// The killed worker's runs were out of the others' reach: recorded lost,
	// their trials evaluated again by another worker; nothing else. (Which
	// of the victim's trials were still running at the kill is a race: one
	// seen running may finish before the signal lands, one may start.)
	runs, _ := st.ListRuns(ctx, experiments.RunFilter{})
	lost := 0
	for _, r := range runs {
		switch r.Status {
		case runstatus.Completed:
		case runstatus.Lost:
			lost++
			if tr := trials[r.TrialNumber-1]; tr.RunID == r.ID || strings.Contains(tr.Worker, mark) {
				t.Errorf("lost run %s is still trial %d's result, not evaluated again: %+v", r.ID, r.TrialNumber, tr)
			}
		default:
			t.Errorf("run %s (trial %d) ended %s: %s", r.ID, r.TrialNumber, r.Status, r.Error)
		}
	}
	if len(runs) != 30+lost {
		t.Errorf("%d runs, %d lost; want 30 + the lost ones (the victim had %d running when seen)", len(runs), lost, len(inFlight))
	}
}

// max_concurrent: 1 holds across two workspaces sharing the store: their
// runs on runner q1 (one host's local runner) never overlap.
func TestMaxConcurrentHoldsAcrossWorkspaces(t *testing.T) {
	url := pgtest.URL(t)
	bin := lathePath(t)
	isolate(t)
	runners := "  - {name: q1, type: local, max_concurrent: 1}\n"
	var wg sync.WaitGroup
	for i := range 2 {
		ws := teamWorkspace(t, url, fmt.Sprintf("host%d", i), runners)
		env := append(os.Environ(), "LATHE_WORKSPACE="+ws)
		wg.Add(1)
		go func() {
			defer wg.Done()
			launchMany(t, bin, env, 2, 4, "--runner", "q1", "--", "sh", "-c", "sleep 0.2")
		}()
	}
	wg.Wait()
	runs, err := openShared(t, url).ListRuns(context.Background(), experiments.RunFilter{Runner: "q1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 16 {
		t.Fatalf("%d runs recorded, want 16", len(runs))
	}
	workspaces := map[string]bool{}
	for _, r := range runs {
		workspaces[r.Workspace] = true
		if r.Status != runstatus.Completed {
			t.Errorf("run %s ended %s: %s", r.ID, r.Status, r.Error)
		}
	}
	if len(workspaces) != 2 {
		t.Fatalf("runs from %d workspaces, want 2", len(workspaces))
	}
	slices.SortFunc(runs, func(a, b experiments.Run) int { return a.Started.Compare(b.Started) })
	for i := 1; i < len(runs); i++ {
		if a, b := runs[i-1], runs[i]; b.Started.Before(a.Ended) {
			t.Errorf("runs %s and %s (workspaces %s, %s) overlap by %v", a.ID, b.ID, a.Workspace, b.Workspace, a.Ended.Sub(b.Started))
		}
	}
}

// A wrong password, an unreachable server and an old schema fail with the
// store named and no stack trace, exit 1; the workspace's own SQLite
// history is untouched (switching back finds it).
func TestSharedStoreFailuresAreClear(t *testing.T) {
	url := pgtest.URL(t)
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	if code, _, errs := run(t, "-w", ws, "run", "--", "sh", "-c", "echo local"); code != 0 {
		t.Fatalf("local run: %s", errs)
	}
	lathe := func(env []string, args ...string) (int, string) {
		cmd := exec.Command(bin, append([]string{"--workspace", ws}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	shown := strings.SplitN(url, "?", 2)[0]
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"wrong password", []string{"LATHE_STORE=" + url, "PGPASSWORD=not-the-password"}, "password authentication failed"},
		{"unreachable server", []string{"LATHE_STORE=" + unreachable(t, url)}, "connect"},
	} {
		code, out := lathe(c.env, "run", "--", "sh", "-c", "echo lost?")
		if code != 1 || !strings.Contains(out, "store postgres://") || !strings.Contains(out, c.want) || strings.Contains(out, "goroutine") {
			t.Errorf("%s: exit %d:\n%s", c.name, code, out)
		}
		if strings.Contains(out, "not-the-password") {
			t.Errorf("%s: the password is in the message:\n%s", c.name, out)
		}
	}
	// An old schema: the store of an older release (version 4).
	st := openShared(t, url)
	for _, q := range []string{`DELETE FROM schema_migrations WHERE version >= 5`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	code, out := lathe([]string{"LATHE_STORE=" + url}, "runs", "ls")
	if code != 1 || !strings.Contains(out, "store "+shown) || !strings.Contains(out, "lathe store migrate") || strings.Contains(out, "goroutine") {
		t.Errorf("old schema: exit %d:\n%s", code, out)
	}
	// The local history is intact.
	code, out = lathe(nil, "runs", "ls", "--json")
	var recs []experiments.RunRecord
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 || recs[0].Status != runstatus.Completed {
		t.Errorf("local history after the failures: exit %d: %s", code, out)
	}
}

// unreachable is url with its server's port changed to one nobody listens on.
func unreachable(t *testing.T, raw string) string {
	t.Helper()
	u, err := neturl.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = u.Hostname() + ":1"
	return u.String()
}

// `lathe store copy` killed with SIGKILL midway, then run again, completes
// the copy; a third run copies nothing.
func TestStoreCopyKilledThenRerun(t *testing.T) {
	url := pgtest.URL(t)
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	ctx := context.Background()
	w, err := experiments.Open(ws)
	if err != nil {
		t.Fatal(err)
	}
	const runs, samples = 30, 2000
	for i := range runs {
		r := experiments.Run{Name: fmt.Sprintf("r%d", i), Status: runstatus.Completed, Command: []string{"train"}}
		if err := w.Store.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		var b experiments.Batch
		for s := range samples {
			b.Metrics = append(b.Metrics, experiments.MetricSample{RunID: r.ID, Key: "loss", Step: int64(s), Value: float64(s)})
		}
		b.Logs = []experiments.LogLine{{RunID: r.ID, Line: "done"}}
		if err := w.Store.Ingest(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	dst := openShared(t, url)
	objects := filepath.Join(t.TempDir(), "team-objects")
	copyCmd := func() *exec.Cmd {
		return exec.Command(bin, "--workspace", ws, "--json", "store", "copy", "--to", url, "--objects", objects)
	}
	cmd := copyCmd()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if rs, _ := dst.ListRuns(ctx, experiments.RunFilter{}); len(rs) >= 3 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	partial, _ := dst.ListRuns(ctx, experiments.RunFilter{})
	if len(partial) < 3 || len(partial) >= runs {
		t.Fatalf("the killed copy left %d of %d runs; the test needs a copy killed midway", len(partial), runs)
	}
	out, err := copyCmd().Output()
	if err != nil {
		t.Fatalf("second copy: %v\n%s", err, out)
	}
	var rep engine.CopyReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Runs+rep.RunsThere != runs || rep.RunsThere != len(partial) {
		t.Errorf("second copy: %d copied, %d there; want %d in all, %d there", rep.Runs, rep.RunsThere, runs, len(partial))
	}
	all, _ := dst.ListRuns(ctx, experiments.RunFilter{})
	if len(all) != runs {
		t.Fatalf("%d runs after the second copy, want %d", len(all), runs)
	}
	for _, r := range all {
		ms, err := dst.MetricSeriesKey(ctx, r.ID, "loss", -1)
		logs, _ := dst.Logs(ctx, r.ID, 0, 0)
		if err != nil || len(ms) != samples || len(logs) != 1 || r.User == "" || r.Workspace == "" {
			t.Errorf("run %s: %d samples, %d lines, user %q workspace %q (%v)", r.ID, len(ms), len(logs), r.User, r.Workspace, err)
		}
	}
	if out, err = copyCmd().Output(); err != nil {
		t.Fatalf("third copy: %v\n%s", err, out)
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Runs != 0 || rep.RunsThere != runs {
		t.Errorf("third copy: %+v (%v)", rep.CopyReport, err)
	}
}

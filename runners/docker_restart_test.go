package runners

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// The "dockerd restarted mid-run" fault (issue 4). The shared daemon on
// /var/run/docker.sock must keep running for everyone else, so each test
// starts a private dockerd on its own socket, data root and exec root; that
// dockerd starts its own containerd under its exec root. It is stopped with
// SIGTERM in the middle of a run and started again on the same roots.

// testDaemon is a private dockerd owned by one test.
type testDaemon struct {
	t    *testing.T
	dir  string // short: the socket path must stay under 108 bytes
	sock string
	args []string

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
}

// newTestDaemon starts a private dockerd, with --live-restore when live. It
// skips without root or dockerd, unless CI is set: there it fails.
func newTestDaemon(t *testing.T, live bool) *testDaemon {
	t.Helper()
	if _, err := exec.LookPath("dockerd"); err != nil || os.Geteuid() != 0 {
		why := "not root"
		if err != nil {
			why = "no dockerd: " + err.Error()
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and a private dockerd cannot be started: %s", why)
		}
		t.Skipf("private dockerd: %s", why)
	}
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "ld")
	if err != nil {
		t.Fatal(err)
	}
	p := &testDaemon{t: t, dir: dir, sock: filepath.Join(dir, "d.sock")}
	p.args = []string{"--host", "unix://" + p.sock,
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "x"),
		"--pidfile", filepath.Join(dir, "d.pid"),
		// No networking, and no host firewall rules touched.
		"--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
		"--log-level", "warn"}
	if live {
		p.args = append(p.args, "--live-restore")
	}
	t.Cleanup(p.cleanup)
	p.start()
	return p
}

// start runs dockerd and waits until it answers.
func (p *testDaemon) start() {
	t := p.t
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(p.dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dockerd", p.args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own network namespace: with --bridge none, dockerd deletes any
	// link named docker0 it can see, and the host's is the main daemon's.
	// Its own process group, killed as one on cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(p.exited)

	cli, err := client.New(client.WithHost("unix://" + p.sock))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	end := time.Now().Add(40 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := cli.Ping(ctx, client.PingOptions{})
		cancel()
		if err == nil {
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("private dockerd exited: %v\n%s", cmd.ProcessState, p.logTail())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("private dockerd did not answer: %v\n%s", err, p.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM, as an init system restarting docker does, and waits
// for dockerd (and the containerd it manages) to exit; SIGKILL after 30 s.
func (p *testDaemon) stop() {
	if p.cmd == nil {
		return
	}
	select {
	case <-p.exited:
	default:
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
	}
	p.cmd = nil
}

func (p *testDaemon) logTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "dockerd.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cleanup removes every container, stops the daemon, kills whatever it left
// running (its containerd and shims, found by our directory in their command
// lines, and the shims' children), unmounts what it mounted under dir and
// deletes dir. It runs even when the test failed half-way.
func (p *testDaemon) cleanup() {
	if p.t.Failed() {
		p.t.Logf("private dockerd log (tail):\n%s", p.logTail())
	}
	if p.cmd != nil {
		if cli, err := client.New(client.WithHost("unix://" + p.sock)); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true}); err == nil {
				for _, c := range res.Items {
					_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
				}
			}
			cancel()
			cli.Close()
		}
	}
	p.stop()
	for _, pid := range procsMentioning(p.dir) {
		for _, child := range childrenOf(pid) {
			_ = syscall.Kill(child, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// dockerd bind-mounts its data root onto itself and does not undo it.
	mounts := mountsUnder(p.dir)
	slices.SortFunc(mounts, func(a, b string) int { return len(b) - len(a) }) // deepest first
	for _, m := range mounts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			p.t.Logf("unmount %s: %v", m, err)
		}
	}
	if err := os.RemoveAll(p.dir); err != nil {
		p.t.Errorf("private dockerd cleanup: %v", err)
	}
}

// procsMentioning lists processes whose command line contains s.
func procsMentioning(s string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// childrenOf lists the processes whose parent is pid (field 4 of /proc/N/stat).
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')') // the command name may hold spaces
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// mountsUnder lists mount points at or below dir (field 5 of mountinfo).
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && (fs[4] == dir || strings.HasPrefix(fs[4], dir+"/")) {
			out = append(out, fs[4])
		}
	}
	return out
}

// restartRunner is a Docker runner on the private daemon with the test image
// built into it.
func restartRunner(t *testing.T, p *testDaemon, opts DockerOptions) *Docker {
	t.Helper()
	opts.WorkspaceID, opts.Version = "restart-test", "test"
	d, err := NewDocker("private", Endpoint{Host: "unix://" + p.sock}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := d.BuildScratchImage(ctx, ScratchImage{Tag: testImage,
		Files: map[string]string{"/prog": progPath}, Cmd: []string{"/prog"}}); err != nil {
		t.Fatal(err)
	}
	return d
}

// daemonLines reads a container's lines of one stream from the daemon's own
// log, the independent record each sink is checked against.
func daemonLines(t *testing.T, d *Docker, runID, stream string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc, err := d.cli.ContainerLogs(ctx, ContainerName(runID), client.ContainerLogsOptions{
		ShowStdout: stream == "stdout", ShowStderr: stream == "stderr"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

// sameLines fails unless got equals want, naming what was compared.
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d lines, want %d:\n%s\nwant:\n%s", what, len(got), len(want),
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// metricLines are the stdout lines of `prog metrics n`.
func metricLines(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf(`{"step": %d, "loss": %g, "phase": "train"}`, i, 1/float64(i)))
	}
	return append(out, "done without newline")
}

// checkSeqs fails unless each stream's Seq runs 1, 2, 3, ... across the
// sinks in order: no line twice, none skipped.
func checkSeqs(t *testing.T, sinks ...*recordSink) {
	t.Helper()
	next := map[string]int64{"stdout": 1, "stderr": 1}
	for _, s := range sinks {
		s.mu.Lock()
		logs := slices.Clone(s.logs)
		s.mu.Unlock()
		for _, l := range logs {
			if l.Seq == 0 { // lathe's own note, not the program's
				continue
			}
			if l.Seq != next[l.Stream] {
				t.Fatalf("%s line %q has Seq %d, want %d", l.Stream, l.Text, l.Seq, next[l.Stream])
			}
			next[l.Stream]++
		}
	}
}

// storeCursor is what a store that kept first's events would give Reconcile.
func storeCursor(first *recordSink) Cursor {
	first.mu.Lock()
	defer first.mu.Unlock()
	cur := Cursor{NextStep: map[string]int64{}}
	for _, l := range first.logs {
		switch l.Stream {
		case "stdout":
			cur.Stdout = max(cur.Stdout, l.Seq)
		case "stderr":
			cur.Stderr = max(cur.Stderr, l.Seq)
		}
		if l.Time.After(cur.Time) {
			cur.Time = l.Time
		}
	}
	for _, s := range first.samples {
		cur.NextStep[s.Key] = max(cur.NextStep[s.Key], s.Step+1)
	}
	return cur
}

// restartScenario starts runs printing a line every 100 ms: "followed"
// keeps its follower through the restart; "dropped" loses it before (lathe
// quit) and is reconciled by a new runner afterwards; "impatient", when
// asked for, is followed by a runner whose ReconnectTimeout runs out while
// the daemon is down. Once every run has printed a few lines the daemon gets
// SIGTERM, and it is started again once the impatient follower gave up.
type restartScenario struct {
	d                         *Docker
	followed, dropped, impat  string
	fsink, dsink, isink       *recordSink
	fh                        Handle
	impatErr                  error
	impatAfter                time.Duration // from SIGTERM to the impatient follower giving up
	stoppedAt, backAt, termAt time.Time
}

func runRestart(t *testing.T, p *testDaemon, d *Docker, lines int, impatient *Docker) *restartScenario {
	t.Helper()
	s := &restartScenario{d: d, fsink: &recordSink{}, dsink: &recordSink{}, isink: &recordSink{}}
	id := runID(t)
	s.followed, s.dropped, s.impat = id+"-f", id+"-d", id+"-i"
	cmd := []string{"/prog", "metrics", strconv.Itoa(lines), "100"}
	var err error
	if s.fh, err = d.Start(context.Background(), Spec{ID: s.followed, Image: testImage, Command: cmd}, s.fsink); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithCancel(context.Background())
	defer dcancel()
	dh, err := d.Start(dctx, Spec{ID: s.dropped, Image: testImage, Command: cmd}, s.dsink)
	if err != nil {
		t.Fatal(err)
	}
	var ih Handle
	if impatient != nil {
		if ih, err = impatient.Start(context.Background(), Spec{ID: s.impat, Image: testImage, Command: cmd}, s.isink); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "a few lines from every run", func() bool {
		return len(s.fsink.lines("stdout")) >= 5 && len(s.dsink.lines("stdout")) >= 5 &&
			(ih == nil || len(s.isink.lines("stdout")) >= 5)
	})
	dcancel()
	if _, err := dh.Wait(context.Background()); err == nil {
		t.Fatal("the dropped follower did not stop with its context")
	}
	s.termAt = time.Now()
	p.stop()
	s.stoppedAt = time.Now()
	if ih != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := ih.Wait(ctx)
		cancel()
		s.impatAfter = time.Since(s.termAt)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the impatient follower still waits %v after SIGTERM (ReconnectTimeout %v)", s.impatAfter, impatient.opts.ReconnectTimeout)
		}
		s.impatErr = err
		if res.Status != runstatus.Running {
			t.Fatalf("the impatient follower gave up with %+v, want the run still running (its state is unknown)", res)
		}
	}
	startAt := time.Now()
	p.start()
	s.backAt = time.Now()
	t.Logf("dockerd: SIGTERM to exit %v, then down %v, start to answering %v", s.stoppedAt.Sub(s.termAt).Round(time.Millisecond),
		startAt.Sub(s.stoppedAt).Round(time.Millisecond), s.backAt.Sub(startAt).Round(time.Millisecond))
	return s
}

// reconcile follows runs from a new runner, as a new lathe would, with the
// cursor a store holding stored[id]'s events would give; the rest of each
// run goes to a new sink.
func (s *restartScenario) reconcile(t *testing.T, p *testDaemon, stored map[string]*recordSink) (map[string]Handle, map[string]*recordSink) {
	t.Helper()
	d2, err := NewDocker(s.d.name, Endpoint{Host: "unix://" + p.sock}, s.d.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	var tracked []Tracked
	later := map[string]*recordSink{}
	for id, sk := range stored {
		tracked = append(tracked, Tracked{RunID: id, Cursor: storeCursor(sk)})
		later[id] = &recordSink{}
	}
	hs, err := d2.Reconcile(context.Background(), tracked, func(id string) Sink { return later[id] })
	if err != nil || len(hs) != len(stored) {
		t.Fatalf("reconcile: %v, %d handles", err, len(hs))
	}
	byID := map[string]Handle{}
	for _, h := range hs {
		byID[h.ID()] = h
	}
	return byID, later
}

// TestDockerDaemonRestartKillsRun: without --live-restore, dockerd stops its
// containers when it shuts down. The follower must not hang: it reports the
// run failed with the container's exit code, says the daemon went away, and
// has delivered every line the daemon logged exactly once; Reconcile from a
// new runner after the restart reports the dropped run failed with its exit
// code and the rest of its lines.
func TestDockerDaemonRestartKillsRun(t *testing.T) {
	p := newTestDaemon(t, false)
	d := restartRunner(t, p, DockerOptions{KeepContainers: true})
	s := runRestart(t, p, d, 100, nil)

	res := waitResult(t, s.fh, 30*time.Second)
	t.Logf("followed run ended within %v of SIGTERM: %+v", time.Since(s.termAt).Round(time.Millisecond), res)
	if res.Status != runstatus.Failed || res.ExitCode <= 0 {
		t.Fatalf("result %+v, want failed with the container's exit code", res)
	}
	if !strings.Contains(res.Message, "daemon at unix://"+p.sock+" went away") || !strings.Contains(res.Message, "live-restore") {
		t.Fatalf("message %q does not say the daemon stopped the run", res.Message)
	}
	if last := s.fsink.last(); last.Status != res.Status || last.ExitCode == nil || *last.ExitCode != res.ExitCode || last.Message != res.Message {
		t.Fatalf("sink's last status %+v, result %+v", last, res)
	}
	logged := daemonLines(t, d, s.followed, "stdout")
	if len(logged) < 5 || len(logged) >= 100 {
		t.Fatalf("the daemon logged %d lines; the run was not cut mid-way", len(logged))
	}
	wantLines(t, s.fsink.lines("stdout"), logged...)
	wantLines(t, logged, metricLines(100)[:len(logged)]...)
	checkSeqs(t, s.fsink)

	hs, later := s.reconcile(t, p, map[string]*recordSink{s.dropped: s.dsink})
	rres := waitResult(t, hs[s.dropped], 30*time.Second)
	if rres.Status != runstatus.Failed || rres.ExitCode <= 0 {
		t.Fatalf("reconciled result %+v", rres)
	}
	rsink := later[s.dropped]
	if last := rsink.last(); last.Status != runstatus.Failed || last.ExitCode == nil || *last.ExitCode != rres.ExitCode {
		t.Fatalf("reconciled status %+v", last)
	}
	wantLines(t, append(s.dsink.lines("stdout"), rsink.lines("stdout")...), daemonLines(t, d, s.dropped, "stdout")...)
	checkSeqs(t, s.dsink, rsink)
}

// TestDockerDaemonRestartLiveRestore: with --live-restore the container
// keeps running while dockerd is down. The follower that lived through the
// restart, and a new runner's Reconcile of a run whose follower was dropped
// before the restart, both get every line exactly once (those printed while
// the daemon was down included) and the exit code. A follower whose
// ReconnectTimeout runs out while the daemon is down returns from Wait with
// a *DaemonGoneError and no final status, and Reconcile finishes its run.
func TestDockerDaemonRestartLiveRestore(t *testing.T) {
	const n = 150 // 15 s of output: the restart must land inside it, on a loaded CI machine too
	p := newTestDaemon(t, true)
	d := restartRunner(t, p, DockerOptions{KeepContainers: true})
	impatient, err := NewDocker(d.name, Endpoint{Host: "unix://" + p.sock},
		DockerOptions{WorkspaceID: d.opts.WorkspaceID, Version: "test", KeepContainers: true, ReconnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { impatient.Close() })
	s := runRestart(t, p, d, n, impatient)

	var gone *DaemonGoneError
	if !errors.As(s.impatErr, &gone) || gone.Host != "unix://"+p.sock || !strings.Contains(gone.Error(), "has not answered") {
		t.Fatalf("impatient follower: %v, want a *DaemonGoneError", s.impatErr)
	}
	t.Logf("impatient follower gave up %v after SIGTERM: %v", s.impatAfter.Round(time.Millisecond), s.impatErr)
	if s.impatAfter > 10*time.Second {
		t.Fatalf("the impatient follower took %v to give up", s.impatAfter)
	}
	for _, st := range s.isink.statusList() {
		if st != runstatus.Running {
			t.Fatalf("the impatient follower reported %v; the run's state was unknown", s.isink.statusList())
		}
	}
	for _, id := range []string{s.followed, s.dropped, s.impat} {
		ins, err := d.cli.ContainerInspect(context.Background(), ContainerName(id), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !ins.Container.State.Running {
			t.Fatalf("%s not running after the restart (state %+v): it ended before the daemon came back, "+
				"so live-restore was not exercised", id, ins.Container.State)
		}
	}
	hs, later := s.reconcile(t, p, map[string]*recordSink{s.dropped: s.dsink, s.impat: s.isink})

	for _, c := range []struct {
		name, id string
		h        Handle
		sinks    []*recordSink
	}{
		{"followed", s.followed, s.fh, []*recordSink{s.fsink}},
		{"dropped then reconciled", s.dropped, hs[s.dropped], []*recordSink{s.dsink, later[s.dropped]}},
		{"given up then reconciled", s.impat, hs[s.impat], []*recordSink{s.isink, later[s.impat]}},
	} {
		res := waitResult(t, c.h, 30*time.Second)
		if res != (Result{Status: runstatus.Completed, ExitCode: 0}) {
			t.Fatalf("%s run: %+v", c.name, res)
		}
		last := c.sinks[len(c.sinks)-1].last()
		if last.Status != runstatus.Completed || last.ExitCode == nil || *last.ExitCode != 0 {
			t.Fatalf("%s run's last status %+v", c.name, last)
		}
		var out, errs []string
		var steps []int64
		for _, sk := range c.sinks {
			out = append(out, sk.lines("stdout")...)
			errs = append(errs, sk.lines("stderr")...)
			sk.mu.Lock()
			for _, m := range sk.samples {
				if m.Key == "loss" {
					steps = append(steps, m.Step)
				}
			}
			sk.mu.Unlock()
		}
		// What the runner delivered is what the daemon logged, and that is
		// the whole run: the lines printed while dockerd was down included.
		logged := daemonLines(t, d, c.id, "stdout")
		sameLines(t, c.name+" run, stdout delivered vs the daemon's log", out, logged)
		sameLines(t, c.name+" run, stderr delivered vs the daemon's log", errs, daemonLines(t, d, c.id, "stderr"))
		sameLines(t, c.name+" run, the daemon's log vs the program's output", logged, metricLines(n))
		if len(errs) != n || errs[n-1] != fmt.Sprintf("progress %d/%d", n, n) {
			t.Fatalf("%s run: %d stderr lines, last %q", c.name, len(errs), errs[len(errs)-1])
		}
		if len(steps) != n {
			t.Fatalf("%s run: %d loss samples", c.name, len(steps))
		}
		for i, st := range steps {
			if st != int64(i+1) {
				t.Fatalf("%s run: loss steps %v", c.name, steps)
			}
		}
		checkSeqs(t, c.sinks...)
	}
}

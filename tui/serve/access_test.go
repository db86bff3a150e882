package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// The access tests drive the real OpenSSH client against Serve serving a
// real workspace; the screens are read from tmux, a real terminal.

// testKey is a client key pair on disk.
type testKey struct {
	path string
	pub  gossh.PublicKey
}

func newTestKey(t *testing.T, dir, name string) testKey {
	t.Helper()
	p, pub := writeKey(t, dir, name)
	return testKey{p, pub}
}

// line is the key's authorized_keys line, opts (if any) before it.
func (k testKey) line(opts string) string {
	l := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.pub))) + " " + filepath.Base(k.path) + "@test\n"
	if opts != "" {
		l = opts + " " + l
	}
	return l
}

func (k testKey) fp() string { return gossh.FingerprintSHA256(k.pub) }

func needSSH(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"/usr/bin/ssh", "/usr/bin/tmux"} {
		if _, err := os.Stat(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI is set and %s is missing (.ci/run installs openssh-client and tmux)", tool)
			}
			t.Skipf("needs %s", tool)
		}
	}
}

// startRoles serves e with a viewers file and an operators file of the
// given content; "" leaves that file out.
func startRoles(t *testing.T, dir string, e *engine.Engine, viewers, operators string) *server {
	t.Helper()
	s := &server{dir: dir, log: &tuitest.Buffer{}, done: make(chan error, 1), hostKey: filepath.Join(dir, ".lathe", "ssh_host_ed25519_key")}
	var cfg Config
	if viewers != "" {
		cfg.AuthorizedKeysPath = filepath.Join(dir, "viewer_keys")
		writeFile(t, cfg.AuthorizedKeysPath, viewers)
	}
	if operators != "" {
		cfg.OperatorKeysPath = filepath.Join(dir, "operator_keys")
		writeFile(t, cfg.OperatorKeysPath, operators)
	}
	s.serve(t, cfg, e)
	return s
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	// Through a rename, as editors and config management replace files.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// admitted connects without a terminal: a key let in gets the one-line
// no-PTY message and exit 1, a refused key exit 255 and Permission denied.
func (s *server) admitted(t *testing.T, key testKey, extra ...string) bool {
	t.Helper()
	in, err := s.tryAdmit(t, key, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// tryAdmit is admitted for any goroutine: it reports an unexpected outcome
// as an error.
func (s *server) tryAdmit(t *testing.T, key testKey, extra ...string) (bool, error) {
	cmd := s.sshCmd(t, key.path, append([]string{"-T"}, extra...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 1 && (strings.Contains(string(out), NoPTYMessage) || strings.Contains(string(out), NoPTYKeyMessage)):
		return true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 255 && strings.Contains(string(out), "Permission denied (publickey)"):
		return false, nil
	}
	return false, fmt.Errorf("ssh %v: %v\n%s", extra, err, out)
}

// term is a tmux terminal running one ssh client.
type term struct {
	t          *testing.T
	sock, name string
}

// termSSH opens a w×h tmux terminal running ssh with key and extra flags
// (-tt when none); the pane stays after ssh exits so its last screen and
// exit status can be read.
func (s *server) termSSH(t *testing.T, key testKey, w, h int, extra ...string) *term {
	t.Helper()
	dir, err := os.MkdirTemp("", "lathe-tmux")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := &term{t: t, sock: filepath.Join(dir, "s"), name: "ssh"}
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if len(extra) == 0 {
		extra = []string{"-tt"}
	}
	ssh := s.sshCmd(t, key.path, extra...)
	args := []string{"-S", m.sock, "-f", conf, "new-session", "-d", "-s", m.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"-e", "TERM=xterm-256color", "-e", "HOME=" + s.dir, "-e", "NO_COLOR=1", "--",
		// ssh's arguments reach it as sh's positional parameters, unparsed;
		// the line after it says how it exited (tmux's pane_dead_status is
		// not always set).
		"/bin/sh", "-c", `"$0" "$@"; echo "[ssh exit $?]"`}
	args = append(args, ssh.Args...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", m.sock, "kill-server").Run() })
	return m
}

func (m *term) tmux(args ...string) string {
	m.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", m.sock}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// exitStatus waits for ssh to exit and returns its status.
func (m *term) exitStatus(d time.Duration) int {
	m.t.Helper()
	scr := m.waitFor(d, "[ssh exit ")
	var n int
	fmt.Sscanf(scr[strings.LastIndex(scr, "[ssh exit "):], "[ssh exit %d]", &n)
	return n
}

// keys sends tmux key names ("n", "C-u", "Enter").
func (m *term) keys(keys ...string) { m.tmux(append([]string{"send-keys", "-t", m.name}, keys...)...) }

// typed sends text literally.
func (m *term) typed(text string) { m.tmux("send-keys", "-t", m.name, "-l", "--", text) }

// launchLine opens the Runs screen's launch line (n), replaces what it
// suggests with line, waits until the screen shows it, and enters it.
func (m *term) launchLine(line string) {
	m.t.Helper()
	m.keys("n")
	m.waitFor(20*time.Second, " run: ")
	m.keys("C-u")
	m.typed(line)
	m.waitFor(20*time.Second, " run: "+line)
	m.keys("Enter")
}

// screen is the visible screen, long lines joined.
func (m *term) screen() string { return m.tmux("capture-pane", "-p", "-J", "-t", m.name) }

// waitFor polls the screen until every want appears, and returns it.
func (m *term) waitFor(d time.Duration, want ...string) string {
	m.t.Helper()
	deadline := time.Now().Add(d)
	var scr string
	for time.Now().Before(deadline) {
		scr = m.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(scr, w)
		}
		if ok {
			return scr
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("the screen never showed %q; last screen:\n%s", want, scr)
	return ""
}

// fixtureRuns launches, as the local user, a finished run and a running
// one (on the second local runner, so both hold a slot), and records a
// study with a pending trial.
func fixtureRuns(t *testing.T, e *engine.Engine) (done, running string) {
	t.Helper()
	ctx := context.Background()
	d, err := e.Launch(ctx, engine.LaunchRequest{Runner: "local", Command: []string{"sh", "-c", "echo done"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := e.Launch(ctx, engine.LaunchRequest{Runner: "b", Command: []string{"sleep", "60"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background(), r.ID) })
	spec := engine.StudySpec{LaunchTemplate: engine.LaunchTemplate{Runner: "local", Command: []string{"sh", "-c", "echo"}}, Spec: optimizer.Spec{
		Name:              "penguins-mlp",
		Parameters:        []optimizer.Parameter{{Name: "lr", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0.001, Max: 1}}},
		Metrics:           []optimizer.Metric{{Name: "loss", Objective: optimizer.Minimize}},
		ObservationBudget: 4,
		ParallelBandwidth: 1,
	}}
	if _, err := e.CreateStudy(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AskTrials(ctx, spec.Name, 1); err != nil {
		t.Fatal(err)
	}
	return d.ID, r.ID
}

func runCount(t *testing.T, e *engine.Engine) int {
	t.Helper()
	runs, err := e.ListRuns(context.Background(), experiments.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// Issue 11 item 1: a key in the authorized keys file alone is a viewer. It
// browses every screen; a launch (n), a stop (x) and a rerun (R) from the
// Runs screen are refused with a message that says the role and how to
// become an operator, nothing is launched or stopped, and every refusal is
// logged with the key's fingerprint.
func TestSSHViewerBrowsesAndChangesNothing(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	viewer := newTestKey(t, dir, "id_viewer")
	done, running := fixtureRuns(t, e)
	s := startRoles(t, dir, e, viewer.line(""), "")
	before := runCount(t, e)

	m := s.termSSH(t, viewer, 200, 50)
	m.waitFor(20*time.Second, tabWords...)
	m.keys("3")
	m.waitFor(20*time.Second, running, done)
	refusal := "is a viewer; ask the server's owner to"

	// The newest run, the running one, is selected: stop it.
	m.keys("x")
	m.waitFor(20*time.Second, "stop refused: SSH key "+viewer.fp(), refusal)
	if r, _ := e.GetRun(context.Background(), running); r.Status != runstatus.Running {
		t.Errorf("the run is %s after a viewer's stop, want running", r.Status)
	}

	// The finished one below it: rerun it.
	m.keys("j", "R")
	m.waitFor(20*time.Second, "rerun refused: SSH key "+viewer.fp(), refusal)

	// Tag it (issue 17): refused too, and the run keeps no tag.
	m.keys("t")
	m.waitFor(20*time.Second, "tags of "+done)
	m.typed("mine")
	m.keys("Enter")
	m.waitFor(20*time.Second, "tag run refused: SSH key "+viewer.fp(), refusal)
	if r, _ := e.GetRun(context.Background(), done); len(r.Tags) != 0 {
		t.Errorf("a viewer tagged the run: %v", r.Tags)
	}

	// A launch line of one's own.
	m.launchLine("--runner local sh -c 'cat /etc/shadow'")
	m.waitFor(20*time.Second, "launch refused: SSH key "+viewer.fp(), refusal)
	if n := runCount(t, e); n != before {
		t.Errorf("%d runs after the viewer's launch, want %d", n, before)
	}

	// Every other screen still shows what it shows an operator.
	m.keys("4")
	m.waitFor(20*time.Second, "penguins-mlp")
	m.keys("5")
	m.waitFor(20*time.Second, "local", "b")
	m.keys("1")
	m.waitFor(20*time.Second, "f files")

	for _, op := range []string{"stop", "rerun", "tag run", "launch"} {
		want := fmt.Sprintf("SSH key %s (viewer): refused %s", viewer.fp(), op)
		if !strings.Contains(s.log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, s.log)
		}
	}
	m.keys("q")
}

// Issue 11 item 1: a key in the operator keys file launches (n) and stops
// (x) from the Runs screen, and the server's log has both with the key's
// fingerprint and the command.
func TestSSHOperatorLaunchesAndStops(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	op := newTestKey(t, dir, "id_operator")
	viewer := newTestKey(t, dir, "id_viewer")
	_, running := fixtureRuns(t, e)
	// The operator's key is in both files: the operator line wins.
	s := startRoles(t, dir, e, viewer.line("")+op.line(""), op.line(""))

	m := s.termSSH(t, op, 200, 50)
	m.waitFor(20*time.Second, tabWords...)
	m.keys("3")
	m.waitFor(20*time.Second, running)
	m.keys("x")
	m.waitFor(20*time.Second, "stopped "+running)
	if r, _ := e.GetRun(context.Background(), running); r.Status != runstatus.Stopped {
		t.Errorf("the run is %s after the operator's stop, want stopped", r.Status)
	}

	m.launchLine("--runner local sh -c 'echo hi'")
	scr := m.waitFor(20*time.Second, "launched r")
	id := scr[strings.Index(scr, "launched r")+len("launched "):]
	id = strings.Fields(id)[0]
	var run experiments.Run
	waitFor(t, "the launched run to end", 15*time.Second, func() bool {
		run, _ = e.GetRun(context.Background(), id)
		return run.Status.Terminal()
	})
	if run.Status != runstatus.Completed || strings.Join(run.Command, " ") != "sh -c echo hi" {
		t.Errorf("launched run %s: %s %q, want completed [sh -c echo hi]", id, run.Status, run.Command)
	}
	logs, err := e.Logs(context.Background(), id, 0, 10)
	if err != nil || len(logs) != 1 || logs[0].Line != "hi" {
		t.Errorf("logs of %s: %+v %v, want one line hi", id, logs, err)
	}

	log := s.log.String()
	for _, want := range []string{
		fmt.Sprintf(`ssh: audit: SSH key %s (operator): stop %q user="ada"`, op.fp(), running),
		fmt.Sprintf(`ssh: audit: SSH key %s (operator): launch ["sh" "-c" "echo hi"] on runner "local" user="ada"`, op.fp()),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if !strings.Contains(log, "key line "+filepath.Join(dir, "operator_keys")+":1") {
		t.Errorf("the audit lines do not name the operator keys line:\n%s", log)
	}
	m.keys("q")
}

// Issue 11 item 2: from= is honoured, with sshd's patterns, negation and
// CIDR blocks, and a refusal says why in the server's log.
func TestSSHFromOption(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	k := newTestKey(t, dir, "id")
	s := startRoles(t, dir, e, k.line(""), "")
	keys := filepath.Join(dir, "viewer_keys")
	cases := []struct {
		from   string
		source string // the client's address (ssh -b)
		in     bool
	}{
		{`10.9.9.9`, "127.0.0.1", false},
		{`127.0.0.1`, "127.0.0.1", true},
		{`127.0.0.0/8`, "127.0.0.1", true},
		{`127.0.0.2`, "127.0.0.1", false},
		{`127.0.0.2`, "127.0.0.2", true},
		{`127.0.0.2/32,10.0.0.0/8`, "127.0.0.1", false},
		{`127.0.0.?`, "127.0.0.2", true},
		{`127.*`, "127.0.0.2", true},
		{`!127.0.0.1,127.0.0.0/8`, "127.0.0.1", false},
		{`!127.0.0.1,127.0.0.0/8`, "127.0.0.2", true},
		{`!10.0.0.0/8`, "127.0.0.1", false}, // nothing positive matches
		{`127.0.0.1/8`, "127.0.0.1", false}, // host bits set: an invalid list
	}
	for _, c := range cases {
		writeFile(t, keys, k.line(`from="`+c.from+`"`))
		if got := s.admitted(t, k, "-b", c.source); got != c.in {
			t.Errorf("from=%q, client %s: admitted %v, want %v", c.from, c.source, got, c.in)
		}
	}
	if want := `from="10.9.9.9" does not allow 127.0.0.1:`; !strings.Contains(s.log.String(), want) {
		t.Errorf("the log does not say why:\n%s", s.log)
	}
	if want := "bits set past its mask length"; !strings.Contains(s.log.String(), want) {
		t.Errorf("the invalid from= list was not logged:\n%s", s.log)
	}
}

// Issue 11 item 2: expiry-time= is honoured.
func TestSSHExpiryTime(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	k := newTestKey(t, dir, "id")
	s := startRoles(t, dir, e, k.line(`expiry-time="20991231"`), "")
	if !s.admitted(t, k) {
		t.Error("a key expiring in 2099 was refused")
	}
	writeFile(t, filepath.Join(dir, "viewer_keys"), k.line(`expiry-time="20200101"`))
	if s.admitted(t, k) {
		t.Error("a key that expired in 2020 was let in")
	}
	past := time.Now().Add(-time.Minute).UTC().Format("20060102150405") + "Z"
	writeFile(t, filepath.Join(dir, "viewer_keys"), k.line(`expiry-time="`+past+`"`))
	if s.admitted(t, k) {
		t.Errorf("a key that expired a minute ago (%s) was let in", past)
	}
	if !strings.Contains(s.log.String(), "expired at 2020-01-01T00:00:00") {
		t.Errorf("the log does not say the key expired:\n%s", s.log)
	}
}

// Issue 11 item 2: restrict and no-pty. Such a key's terminal request is
// refused and it gets one line saying why; restrict,pty gets the TUI.
func TestSSHNoPTYKeys(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	k := newTestKey(t, dir, "id")
	s := startRoles(t, dir, e, k.line("no-pty"), "")
	for _, opts := range []string{"no-pty", "restrict", "pty,restrict", "Restrict,No-Port-Forwarding"} {
		writeFile(t, filepath.Join(dir, "viewer_keys"), k.line(opts))
		// ssh on a terminal asks for one, goes on without it, and shows
		// the server's line.
		m := s.termSSH(t, k, 200, 30, "-o", "RequestTTY=auto")
		scr := m.waitFor(20*time.Second, NoPTYKeyMessage)
		if code := m.exitStatus(10 * time.Second); code != 1 {
			t.Errorf("%s: ssh exit %d, want 1", opts, code)
		}
		if hasTabBar(scr) {
			t.Errorf("%s: the key saw the TUI:\n%s", opts, scr)
		}
		// ssh -tt insists on a terminal and gives up, as against sshd.
		out, err := s.sshCmd(t, k.path, "-tt").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 || !strings.Contains(string(out), "PTY allocation request failed") {
			t.Errorf("%s: ssh -tt: %v %q, want exit 255 and the client's PTY allocation message", opts, err, out)
		}
	}
	writeFile(t, filepath.Join(dir, "viewer_keys"), k.line("restrict,pty"))
	m := s.termSSH(t, k, 100, 30)
	m.waitFor(20*time.Second, tabWords...)
	m.keys("q")
}

// Issue 11 item 3: the file is read again for every connection: deleting
// it, or replacing it with garbage, shuts the key out of the next one, and
// putting it back lets it in again; the server's log says why.
func TestSSHRevocation(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	k := newTestKey(t, dir, "id")
	s := startRoles(t, dir, e, k.line(""), "")
	keys := filepath.Join(dir, "viewer_keys")
	if !s.admitted(t, k) {
		t.Fatal("the key was refused at first")
	}
	// A live session is not cut off by the deletion; the next one is refused.
	m := s.termSSH(t, k, 100, 30)
	m.waitFor(20*time.Second, tabWords...)
	if err := os.Remove(keys); err != nil {
		t.Fatal(err)
	}
	if s.admitted(t, k) {
		t.Error("the key got in after the file was deleted")
	}
	if !strings.Contains(s.log.String(), keys+" (--authorized-keys): cannot read the authorized keys file") {
		t.Errorf("the missing file was not logged:\n%s", s.log)
	}
	writeFile(t, keys, k.line(""))
	if !s.admitted(t, k) {
		t.Error("the key was refused after the file came back")
	}
	writeFile(t, keys, "this is not\nan authorized keys file\n")
	if s.admitted(t, k) {
		t.Error("the key got in after the file was replaced with garbage")
	}
	if !strings.Contains(s.log.String(), keys+":1: not a public key line") {
		t.Errorf("the garbage was not logged with its file and line:\n%s", s.log)
	}
	m.keys("3")
	m.waitFor(20*time.Second, "Runs  0")
	m.keys("q")
}

// Issue 11 item 2: a key with an option lathe serve does not carry out is
// refused, with a warning at start-up naming the file and line; the other
// keys of the file still work.
func TestSSHUnsupportedOptionsRefused(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	forced := newTestKey(t, dir, "id_forced")
	tunnel := newTestKey(t, dir, "id_tunnel")
	plain := newTestKey(t, dir, "id_plain")
	s := startRoles(t, dir, e, "# keys\n"+forced.line(`command="/usr/bin/backup",no-pty`)+tunnel.line(`permitopen="db:5432"`)+plain.line(""), "")
	keys := filepath.Join(dir, "viewer_keys")
	if s.admitted(t, forced) || s.admitted(t, tunnel) {
		t.Error("a key with command= or permitopen= was let in")
	}
	if !s.admitted(t, plain) {
		t.Error("the plain key beside them was refused")
	}
	log := s.log.String()
	for _, want := range []string{
		fmt.Sprintf("ssh: warning: %s:2: key %s refused: lathe serve does not support the option command=", keys, forced.fp()),
		fmt.Sprintf("ssh: warning: %s:3: key %s refused: lathe serve does not support the option permitopen=", keys, tunnel.fp()),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if i, j := strings.Index(log, "does not support"), strings.Index(log, "listening on"); i < 0 || i > j {
		t.Error("the warnings did not come at start-up, before listening")
	}
}

// serve.max_sessions caps the sessions served at once; one over it gets a
// line saying so, and a slot freed is usable again.
func TestSSHMaxSessions(t *testing.T) {
	needSSH(t)
	dir := t.TempDir()
	e := servedEngine(t, dir)
	k := newTestKey(t, dir, "id")
	keys := filepath.Join(dir, "viewer_keys")
	writeFile(t, keys, k.line(""))
	s := &server{dir: dir, log: &tuitest.Buffer{}, done: make(chan error, 1), hostKey: filepath.Join(dir, ".lathe", "ssh_host_ed25519_key")}
	s.serve(t, Config{AuthorizedKeysPath: keys, MaxSessions: 1}, e)
	m := s.termSSH(t, k, 100, 30)
	m.waitFor(20*time.Second, tabWords...)
	out, err := s.sshCmd(t, k.path, "-T").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "serving its maximum of 1 sessions") {
		t.Errorf("a second session: %v %q, want refused with the cap", err, out)
	}
	m.keys("q")
	m.exitStatus(10 * time.Second)
	waitFor(t, "the first session to end", 5*time.Second, func() bool { return strings.Contains(s.log.String(), "session end") })
	if !s.admitted(t, k) {
		t.Error("a session after the first ended was refused")
	}
}

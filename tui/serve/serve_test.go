package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// deepDir is where the served workspace lives: a path long enough that the
// status line must shorten it at 80 columns but not at 200.
const deepDir = "srv/ml/projects/churn-model/with/a/rather/deep/path"

var tabWords = []string{"Data", "Lineage", "Runs", "Tuner", "Runners"}

// writeKey writes a fresh ed25519 private key in OpenSSH format and returns
// its path and public key.
func writeKey(t *testing.T, dir, name string) (string, gossh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return path, sshPub
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type server struct {
	host      string // the listen address's host; 127.0.0.1 unless set
	storePath string
	port      int
	dir       string
	hostKey   string
	good      string // authorized private key
	bad       string // a key not in authorized_keys
	log       *tuitest.Buffer
	cancel    context.CancelFunc
	done      chan error
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	s := &server{dir: dir, log: &tuitest.Buffer{}, done: make(chan error, 1), hostKey: filepath.Join(dir, ".lathe", "ssh_host_ed25519_key")}
	var goodPub gossh.PublicKey
	s.good, goodPub = writeKey(t, dir, "id_good")
	s.bad, _ = writeKey(t, dir, "id_bad")
	ak := filepath.Join(dir, "authorized_keys")
	content := "# lathe users\n\n" + string(gossh.MarshalAuthorizedKey(goodPub))
	if err := os.WriteFile(ak, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e := servedEngine(t, dir)
	s.storePath = e.Info().StorePath
	s.serve(t, Config{AuthorizedKeysPath: ak}, e)
	return s
}

// serve starts Serve with cfg, filled in with the test's defaults (port 0
// on 127.0.0.1, the host key under dir, the log, a short keepalive), serving
// e; it returns once the server accepts connections.
func (s *server) serve(t *testing.T, cfg Config, e *engine.Engine) {
	t.Helper()
	if s.host == "" {
		s.host = "127.0.0.1"
	}
	if cfg.Addr == "" {
		cfg.Addr = net.JoinHostPort(s.host, "0")
	}
	cfg.HostKeyPath = s.hostKey
	cfg.Options = func() tui.Options { return tui.Options{Engine: e} }
	cfg.Logf = s.log.Logf
	ready := make(chan net.Addr, 1)
	cfg.Ready = func(a net.Addr) { ready <- a }
	cfg.KeepAlive = 500 * time.Millisecond // short, so the silent-client case is quick
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- Serve(ctx, cfg) }()
	select {
	case a := <-ready:
		s.port = a.(*net.TCPAddr).Port
	case err := <-s.done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { s.stop(t) })
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel", err)
		}
		s.done <- nil // let a second stop return at once
	case <-time.After(10 * time.Second):
		t.Error("Serve did not return within 10s of cancel")
	}
}

// knownHosts writes a known_hosts file holding the server's host key as
// written to HostKeyPath.pub, so the client checks the key strictly.
func (s *server) knownHosts(t *testing.T) string {
	t.Helper()
	pub, err := os.ReadFile(s.hostKey + ".pub")
	if err != nil {
		t.Error(err)
	}
	path := filepath.Join(s.dir, fmt.Sprintf("known_hosts_%d", s.port))
	line := fmt.Sprintf("[%s]:%d %s", s.host, s.port, pub)
	// Through a rename: clients running at once may be reading it.
	tmp, err := os.CreateTemp(s.dir, "known_hosts")
	if err == nil {
		_, err = tmp.WriteString(line)
		err = errors.Join(err, tmp.Close(), os.Rename(tmp.Name(), path))
	}
	if err != nil {
		t.Error(err)
	}
	return path
}

// sshCmd is the real OpenSSH client, isolated from the user's config and agent.
func (s *server) sshCmd(t *testing.T, key string, extra ...string) *exec.Cmd {
	t.Helper()
	args := []string{
		"-F", "/dev/null",
		"-i", key,
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + s.knownHosts(t),
		"-o", "ConnectTimeout=10",
		"-p", fmt.Sprint(s.port),
	}
	args = append(args, extra...)
	args = append(args, "ada@"+s.host)
	// A bound on every client, so a regression that lets a session in where it
	// should not fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "/usr/bin/ssh", args...)
	cmd.Env = []string{"HOME=" + s.dir, "TERM=xterm-256color", "PATH=/usr/bin:/bin"}
	return cmd
}

type ptySession struct {
	cmd  *exec.Cmd
	out  *tuitest.Buffer
	tty  *os.File
	done chan error
	read chan struct{} // closed when all of the client's output has been read
}

// startPTY runs ssh -tt under a pseudo-terminal of the given size.
func (s *server) startPTY(t *testing.T, cols, rows uint16, extra ...string) *ptySession {
	t.Helper()
	cmd := s.sshCmd(t, s.good, append([]string{"-tt"}, extra...)...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: cols, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	ps := &ptySession{cmd: cmd, out: &tuitest.Buffer{}, tty: f, done: make(chan error, 1), read: make(chan struct{})}
	go func() {
		defer close(ps.read)
		_, _ = io.Copy(ps.out, f) // ends with EIO once the client has exited
	}()
	go func() { ps.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		f.Close()
	})
	return ps
}

func (ps *ptySession) screen() string { return ansi.Strip(ps.out.String()) }

func (ps *ptySession) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-ps.done:
		select {
		case <-ps.read:
		case <-time.After(5 * time.Second):
			t.Error("the client's output did not end after it exited")
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("ssh: %v", err)
		}
		return 0
	case <-time.After(10 * time.Second):
		t.Fatalf("ssh did not exit; output so far:\n%s", ps.screen())
	}
	return -1
}

func hasTabBar(s string) bool {
	for _, w := range tabWords {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourSGR returns the SGR sequences in s that set a colour.
func colourSGR(s string) []string {
	var out []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			if p == "38" || p == "48" || len(p) == 2 && strings.ContainsRune("349", rune(p[0])) && p[1] != '9' {
				out = append(out, m[0])
				break
			}
		}
	}
	return out
}

const leaveAltScreen = "\x1b[?1049l"

func TestSSH(t *testing.T) {
	if _, err := os.Stat("/usr/bin/ssh"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and the OpenSSH client is missing at /usr/bin/ssh (.ci/run installs openssh-client)")
		}
		t.Skip("needs the OpenSSH client at /usr/bin/ssh (Debian openssh-client)")
	}
	s := startServer(t, t.TempDir())

	t.Run("authorized key sees the TUI and q restores the terminal", func(t *testing.T) {
		start := time.Now()
		ps := s.startPTY(t, 80, 24)
		waitFor(t, "the tab bar", 15*time.Second, func() bool { return hasTabBar(ps.screen()) })
		t.Logf("ssh start to tab bar on screen: %s", time.Since(start).Round(time.Millisecond))
		scr := ps.screen()
		if !strings.Contains(scr, "churn-model") || !strings.Contains(scr, "2 runners") {
			t.Errorf("status line missing:\n%s", scr)
		}
		// At 80 columns the deep store path is shortened to fit.
		if strings.Contains(scr, s.storePath) {
			t.Errorf("the full store path fit in 80 columns: the session's size was not used")
		}
		if _, err := ps.tty.Write([]byte("q")); err != nil {
			t.Fatal(err)
		}
		if code := ps.waitExit(t); code != 0 {
			t.Errorf("ssh exit %d after q, want 0", code)
		}
		if !strings.Contains(ps.out.String(), leaveAltScreen) {
			t.Error("the program did not leave the alt screen on quit")
		}
	})

	t.Run("session uses its own window size and follows resizes", func(t *testing.T) {
		ps := s.startPTY(t, 200, 50)
		waitFor(t, "the full store path at 200 columns", 15*time.Second, func() bool {
			return strings.Contains(ps.screen(), s.storePath)
		})
		// Shrink the client's terminal: ssh sends window-change, the layout
		// is recomputed and the path is shortened again.
		mark := len(ps.out.String())
		if err := pty.Setsize(ps.tty, &pty.Winsize{Cols: 80, Rows: 24}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a redraw with the shortened store path", 15*time.Second, func() bool {
			return strings.Contains(ansi.Strip(ps.out.String()[mark:]), "…/")
		})
		ps.tty.Write([]byte("q"))
		ps.waitExit(t)
	})

	t.Run("each session gets its own colour profile", func(t *testing.T) {
		coloured := s.startPTY(t, 80, 24)
		plain := s.startPTY(t, 80, 24, "-o", "SetEnv=NO_COLOR=1")
		for _, ps := range []*ptySession{coloured, plain} {
			waitFor(t, "the tab bar", 15*time.Second, func() bool { return hasTabBar(ps.screen()) })
		}
		// Let a few frames through (the background-colour reply restyles).
		time.Sleep(300 * time.Millisecond)
		if c := colourSGR(coloured.out.String()); len(c) == 0 {
			t.Error("the xterm-256color session got no colour")
		}
		if c := colourSGR(plain.out.String()); len(c) > 0 {
			t.Errorf("the NO_COLOR session got colour: %q", c[:min(len(c), 5)])
		}
		for _, ps := range []*ptySession{coloured, plain} {
			ps.tty.Write([]byte("q"))
			ps.waitExit(t)
		}
	})

	t.Run("unauthorized key is refused", func(t *testing.T) {
		out, err := s.sshCmd(t, s.bad, "-tt").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 {
			t.Fatalf("ssh with an unknown key: err %v, want exit 255; output:\n%s", err, out)
		}
		if !strings.Contains(string(out), "Permission denied") {
			t.Errorf("no Permission denied:\n%s", out)
		}
		if hasTabBar(ansi.Strip(string(out))) {
			t.Error("an unauthorized key saw the TUI")
		}
		waitFor(t, "the refusal in the log", 5*time.Second, func() bool { return strings.Contains(s.log.String(), "refused key") })
	})

	t.Run("password and keyboard-interactive are not offered", func(t *testing.T) {
		out, err := s.sshCmd(t, s.good, "-T",
			"-o", "PubkeyAuthentication=no",
			"-o", "PreferredAuthentications=password,keyboard-interactive").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 {
			t.Fatalf("err %v, want exit 255; output:\n%s", err, out)
		}
		// OpenSSH lists the methods the server still allows.
		if !strings.Contains(string(out), "Permission denied (publickey)") {
			t.Errorf("server offers more than publickey:\n%s", out)
		}
	})

	t.Run("no PTY gets one line and exits", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmd := s.sshCmd(t, s.good, "-T")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("err %v, want exit 1", err)
		}
		if got := stderr.String(); got != NoPTYMessage+"\n" {
			t.Errorf("stderr %q, want the one-line message", got)
		}
		if stdout.Len() != 0 {
			t.Errorf("stdout %q, want nothing", stdout.String())
		}
	})

	// endedBy starts a session, sends its client sig once the tab bar is up
	// and waits for the server to log the session's end.
	endedBy := func(t *testing.T, sig syscall.Signal, what string) {
		t.Helper()
		before := strings.Count(s.log.String(), "session end")
		ps := s.startPTY(t, 80, 24)
		waitFor(t, "the tab bar", 15*time.Second, func() bool { return hasTabBar(ps.screen()) })
		if err := ps.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if sig == syscall.SIGSTOP {
			t.Cleanup(func() { ps.cmd.Process.Signal(syscall.SIGCONT) })
		}
		waitFor(t, "the server to end the "+what+" session", 10*time.Second, func() bool {
			return strings.Count(s.log.String(), "session end") > before
		})
	}

	t.Run("client drop ends the session", func(t *testing.T) {
		endedBy(t, syscall.SIGKILL, "dropped")
	})

	t.Run("silent client is timed out", func(t *testing.T) {
		// A stopped client keeps its TCP connection but answers nothing, like
		// a laptop that went to sleep.
		endedBy(t, syscall.SIGSTOP, "silent")
		if !strings.Contains(s.log.String(), "stopped answering") {
			t.Error("the session ended for another reason than the keepalive")
		}
	})

	t.Run("cancel quits live sessions and Serve returns", func(t *testing.T) {
		ps := s.startPTY(t, 80, 24)
		waitFor(t, "the tab bar", 15*time.Second, func() bool { return hasTabBar(ps.screen()) })
		start := time.Now()
		s.stop(t)
		if d := time.Since(start); d > shutdownGrace+2*time.Second {
			t.Errorf("shutdown took %s", d)
		}
		ps.waitExit(t)
		if !strings.Contains(ps.out.String(), leaveAltScreen) {
			t.Error("shutdown did not restore the client's terminal")
		}
	})
}

func TestHostKeyReused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "ssh_host_ed25519_key")
	s1, created, err := LoadOrCreateHostKey(path)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", fi.Mode().Perm())
	}
	s2, created, err := LoadOrCreateHostKey(path)
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v", created, err)
	}
	if !bytes.Equal(s1.PublicKey().Marshal(), s2.PublicKey().Marshal()) {
		t.Error("the host key changed between runs")
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pk, _, _, _, err := gossh.ParseAuthorizedKey(pub)
	if err != nil || !bytes.Equal(pk.Marshal(), s1.PublicKey().Marshal()) {
		t.Errorf(".pub does not hold the host key: %v", err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateHostKey(path); !config.IsInput(err) {
		t.Errorf("a garbage host key: %v, want an InputError", err)
	}
}

func TestBadAuthorizedKeys(t *testing.T) {
	dir := t.TempDir()
	_, pub := writeKey(t, dir, "id")
	cases := []struct {
		name, content string
		line          int
	}{
		{"malformed second key line", "# team\n" + string(gossh.MarshalAuthorizedKey(pub)) + "ssh-ed25519 not-base64 bob\n", 3},
		{"no keys at all", "# nobody yet\n\n", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ak := filepath.Join(dir, "ak")
			if err := os.WriteFile(ak, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Serve(context.Background(), Config{Addr: "127.0.0.1:0", AuthorizedKeysPath: ak, HostKeyPath: filepath.Join(dir, "hk")})
			var ie *config.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err %v, want *config.InputError", err)
			}
			if ie.File != ak || ie.Line != c.line {
				t.Errorf("error at %s:%d, want %s:%d (%v)", ie.File, ie.Line, ak, c.line, err)
			}
		})
	}
	err := Serve(context.Background(), Config{Addr: "127.0.0.1:0", AuthorizedKeysPath: filepath.Join(dir, "missing"), HostKeyPath: filepath.Join(dir, "hk")})
	if !config.IsInput(err) {
		t.Errorf("missing authorized_keys: %v, want an InputError", err)
	}
	if err := Serve(context.Background(), Config{HostKeyPath: filepath.Join(dir, "hk")}); !config.IsInput(err) {
		t.Errorf("no authorized_keys path: %v, want an InputError", err)
	}
}

// TestAuthorizedKeysReloaded follows edits of the file between
// authentications: a key added or removed counts for the next one, and a
// file replaced with garbage or deleted lets nobody in (logged once, naming
// the file and line) until it is good again.
func TestAuthorizedKeysReloaded(t *testing.T) {
	dir := t.TempDir()
	_, a := writeKey(t, dir, "a")
	_, b := writeKey(t, dir, "b")
	ak := filepath.Join(dir, "ak")
	if err := os.WriteFile(ak, gossh.MarshalAuthorizedKey(a), 0o600); err != nil {
		t.Fatal(err)
	}
	log := &tuitest.Buffer{}
	auth, err := newAuthorizer([]*keyFile{{path: ak, flag: "--authorized-keys", role: engine.Viewer}}, log.Logf)
	if err != nil {
		t.Fatal(err)
	}
	from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	allowed := func(k gossh.PublicKey) bool { _, ok, _ := auth.authorize(k, from); return ok }
	if !allowed(a) || allowed(b) {
		t.Fatal("initial set wrong")
	}
	// Replace a by b (with options before the key, as sshd allows), with
	// the same size and a modification time that may not have moved.
	if err := os.WriteFile(ak, []byte(`no-port-forwarding,no-X11-forwarding `+string(gossh.MarshalAuthorizedKey(b))+"# revoked a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if allowed(a) || !allowed(b) {
		t.Error("an edit of authorized_keys was not picked up")
	}
	// Garbage: nobody, and the log names the file and line, once.
	if err := os.WriteFile(ak, []byte("# oops\nssh-ed25519 ???\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if allowed(b) || allowed(a) || allowed(b) {
		t.Error("a garbage file still let a key in")
	}
	if got := strings.Count(log.String(), ak+":2: not a public key line"); got != 1 {
		t.Errorf("the bad line was logged %d times, want once:\n%s", got, log)
	}
	// Deleted: nobody, logged once.
	if err := os.Remove(ak); err != nil {
		t.Fatal(err)
	}
	if allowed(b) || allowed(b) {
		t.Error("a deleted file still let a key in")
	}
	if got := strings.Count(log.String(), "no key from it is let in"); got != 1 {
		t.Errorf("the missing file was logged %d times, want once:\n%s", got, log)
	}
	// Back: in again.
	if err := os.WriteFile(ak, gossh.MarshalAuthorizedKey(b), 0o600); err != nil {
		t.Fatal(err)
	}
	if !allowed(b) {
		t.Error("a restored file did not let its key in")
	}
	// Writable by others: nobody (sshd's StrictModes).
	if err := os.Chmod(ak, 0o666); err != nil {
		t.Fatal(err)
	}
	if allowed(b) {
		t.Error("a world-writable file was trusted")
	}
	if !strings.Contains(log.String(), "bad modes for file") {
		t.Errorf("the insecure file was not logged:\n%s", log)
	}
}

// servedEngine opens a real workspace "churn-model" with two local runners
// under dir/deepDir.
func servedEngine(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	root := filepath.Join(dir, deepDir)
	if _, err := engine.Init(root, "churn-model"); err != nil {
		t.Fatal(err)
	}
	yaml := "name: churn-model\ndefault_runner: local\nrunners:\n  - {name: local, type: local}\n  - {name: b, type: local}\n"
	if err := os.WriteFile(filepath.Join(root, "lathe.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{WorkspaceDir: root, Environ: []string{"HOME=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(root, cfg, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// Issue 11 item 5: a bad --ssh address is an input error that names the
// flag and says what would be valid.
func TestBadListenAddress(t *testing.T) {
	dir := t.TempDir()
	_, pub := writeKey(t, dir, "id")
	ak := filepath.Join(dir, "ak")
	if err := os.WriteFile(ak, gossh.MarshalAuthorizedKey(pub), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ addr, want string }{
		{"notanaddr", "want HOST:PORT, e.g. 127.0.0.1:2222"},
		{"127.0.0.1:99999", "port 99999 is out of range: use 1-65535"},
		{"127.0.0.1:ssh", `the port "ssh" is not a number`},
		{"127.0.0.1:-1", `the port "-1" is not a number`},
		{"127.0.0.1:", `the port "" is not a number`},
		{"192.0.2.1:2222", "is not an address of this machine"}, // TEST-NET-1, never local
		{"no-such-host.invalid:2222", "the host name does not resolve"},
	}
	for _, c := range cases {
		err := Serve(context.Background(), Config{Addr: c.addr, AuthorizedKeysPath: ak, HostKeyPath: filepath.Join(dir, "hk")})
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Field != "--ssh" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--ssh %s: %v, want an InputError for --ssh saying %q", c.addr, err, c.want)
		}
	}
	// In use is an operational failure (exit 1), still naming the flag.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), Config{Addr: ln.Addr().String(), AuthorizedKeysPath: ak, HostKeyPath: filepath.Join(dir, "hk")})
	if err == nil || config.IsInput(err) || !strings.Contains(err.Error(), "--ssh "+ln.Addr().String()+": the address is already in use") {
		t.Errorf("an address in use: %v", err)
	}
}

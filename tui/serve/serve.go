// Package serve serves the TUI to SSH clients with wish: one Bubble Tea program
// per session, public-key authentication against OpenSSH authorized keys
// files only (read again on every connection, with sshd's from=,
// expiry-time=, restrict and no-pty), a viewer or operator role per key
// carried to the engine in each session's context, and a host key generated
// once and then reused.
package serve

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui"
)

// DefaultAddr is where Serve listens when Config.Addr is empty: loopback only,
// so exposing the TUI to a network is a deliberate choice.
const DefaultAddr = "127.0.0.1:2222"

// NoPTYMessage is the line a session without a terminal gets before it ends.
const NoPTYMessage = "lathe: this server shows an interactive terminal UI; connect with a terminal (ssh -t)"

// NoPTYKeyMessage is the line a key marked no-pty (or restrict) gets: its
// terminal request was refused, and there is nothing else to serve it.
const NoPTYKeyMessage = "lathe: this key may not open a terminal (no-pty or restrict on its authorized keys line), and this server offers only its terminal UI"

// Config configures Serve.
type Config struct {
	Addr string // host:port; DefaultAddr when empty
	// AuthorizedKeysPath lists keys let in as viewers: they see everything
	// and change nothing. OpenSSH authorized_keys format.
	AuthorizedKeysPath string
	// OperatorKeysPath lists keys let in as operators: they may also
	// launch, stop, rerun and tune, running commands as the server's user.
	// At least one of the two files is required.
	OperatorKeysPath string
	HostKeyPath      string // ed25519 host key, created (0600) when missing
	// Options returns the TUI options for a new session; nil means zero Options.
	Options func() tui.Options
	// Logf receives one line per listen, session start/end, refused key,
	// authorized keys problem, and launch, stop or other change asked for
	// over SSH; it is called from many sessions' goroutines at once.
	Logf func(format string, args ...any)
	// Ready, when set, is called with the bound address once Serve accepts
	// connections (useful with port 0).
	Ready func(addr net.Addr)
	// MaxSessions caps the sessions served at once (each is a program with
	// its own goroutines); a session over it gets one line and ends. 0 means
	// no cap.
	MaxSessions int
	// KeepAlive is how often a session's client must answer a keepalive
	// request; a client that stays silent for two intervals (network gone,
	// laptop asleep) has its session ended. Default 30s.
	KeepAlive time.Duration
}

// shutdownGrace is how long Serve waits, once ctx is cancelled, for the
// sessions' programs to quit and restore their clients' terminals.
const shutdownGrace = 3 * time.Second

// Extensions of a connection's ssh.Permissions that carry its key's grant
// from authentication to the session. They are set in the public key
// callback, whose Permissions the SSH library keeps per key and hands to the
// session of the key that actually authenticated.
const (
	extRole   = "lathe-role"
	extNoPTY  = "lathe-no-pty"
	extSource = "lathe-source"
)

// CheckAddr says what is wrong with a listen address, or nil: HOST:PORT
// with a numeric port from 0 (any free port) to 65535; HOST may be empty
// (every interface), an IP address or a host name.
func CheckAddr(addr string) error {
	const want = "want HOST:PORT, e.g. 127.0.0.1:2222 (loopback only), [::1]:2222, or :2222 for every interface"
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not an address: %s", addr, want)
	}
	n, err := strconv.Atoi(port)
	if err != nil || port == "" || port[0] == '+' || port[0] == '-' {
		return fmt.Errorf("%q: the port %q is not a number: %s", addr, port, want)
	}
	if n > 65535 {
		return fmt.Errorf("%q: port %d is out of range: use 1-65535 (0 picks a free one)", addr, n)
	}
	return nil
}

// Serve listens and serves until ctx is cancelled, then quits every session's
// program, closes the server and returns nil. Bad configuration (a bad
// address, a missing, insecure or invalid authorized keys file, a malformed
// host key) is a *config.InputError.
func Serve(ctx context.Context, cfg Config) error {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if err := CheckAddr(cfg.Addr); err != nil {
		return &config.InputError{Field: "--ssh", Msg: err.Error()}
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	var files []*keyFile
	if cfg.OperatorKeysPath != "" {
		files = append(files, &keyFile{path: cfg.OperatorKeysPath, flag: "--operator-keys", role: engine.Operator})
	}
	if cfg.AuthorizedKeysPath != "" {
		files = append(files, &keyFile{path: cfg.AuthorizedKeysPath, flag: "--authorized-keys", role: engine.Viewer})
	}
	if len(files) == 0 {
		return &config.InputError{Field: "--authorized-keys", Msg: "an authorized keys file is required (--authorized-keys for viewers, --operator-keys for operators): public-key authentication is the only way in"}
	}
	if cfg.HostKeyPath == "" {
		return &config.InputError{Field: "host key", Msg: "a host key path is required"}
	}
	auth, err := newAuthorizer(files, logf)
	if err != nil {
		return err
	}
	hint := grantHint(files)
	signer, created, err := LoadOrCreateHostKey(cfg.HostKeyPath)
	if err != nil {
		return err
	}
	if created {
		logf("ssh: generated host key %s", cfg.HostKeyPath)
	}
	logf("ssh: host key %s", gossh.FingerprintSHA256(signer.PublicKey()))

	sessions := newTracker()
	teaHandler := func(sess ssh.Session) *tea.Program {
		opts := tui.Options{}
		if cfg.Options != nil {
			opts = cfg.Options()
		}
		ctx := engine.WithAccess(sess.Context(), sessionAccess(sess, hint, logf))
		model := tui.NewWithContext(ctx, opts)
		// The server process owns its signals; a session reacts to its own
		// client only.
		p := tea.NewProgram(model, append([]tea.ProgramOption{tea.WithoutSignalHandler()}, bm.MakeOptions(sess)...)...)
		sessions.add(sess, p)
		return p
	}

	srv, err := wish.NewServer(
		func(s *ssh.Server) error { s.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(func(sctx ssh.Context, key ssh.PublicKey) bool {
			g, ok, why := auth.authorize(key, sctx.RemoteAddr())
			if !ok {
				// The user name is the client's: quoted, so it cannot forge a log line.
				logf("ssh: refused key %s for %q from %s: %s", gossh.FingerprintSHA256(key), sctx.User(), sctx.RemoteAddr(), why)
				return false
			}
			perms := sctx.Permissions()
			if perms.Extensions == nil {
				perms.Extensions = map[string]string{}
			}
			perms.Extensions[extRole] = g.role.String()
			perms.Extensions[extSource] = g.source
			if g.noPTY {
				perms.Extensions[extNoPTY] = "yes"
			}
			return true
		}),
		// A key marked no-pty has its terminal request refused, as sshd
		// refuses it; requirePTY then says why.
		func(s *ssh.Server) error {
			s.PtyCallback = func(sctx ssh.Context, _ ssh.Pty) bool {
				return sctx.Permissions().Extensions[extNoPTY] == ""
			}
			return nil
		},
		// Middlewares run last-first: log, then refuse sessions without a
		// terminal, then the TUI.
		wish.WithMiddleware(
			bm.MiddlewareWithProgramHandler(teaHandler),
			requirePTY,
			keepAlive(cfg.KeepAlive, logf),
			sessionLog(logf, sessions, cfg.MaxSessions),
		),
	)
	if err != nil {
		return fmt.Errorf("ssh server: %w", err)
	}
	// No password or keyboard-interactive handler is set, so the server does
	// not offer those methods at all; no forwarding, subsystem or agent
	// handler either, so those requests are refused.

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return listenError(cfg.Addr, err)
	}
	logf("ssh: listening on %s", ln.Addr())
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		if errors.Is(err, ssh.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("ssh serve: %w", err)
	case <-ctx.Done():
	}
	// Quit each program so it leaves the alt screen on its client's terminal,
	// give them a moment, then drop every connection.
	sessions.quitAll()
	sessions.wait(shutdownGrace)
	_ = srv.Close()
	<-errc
	logf("ssh: stopped")
	return nil
}

// listenError says why the address cannot be listened on: an address that
// is not this machine's or a name that does not resolve is bad input; a port
// in use or a privileged one is an operational failure.
func listenError(addr string, err error) error {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return &config.InputError{Field: "--ssh", Msg: fmt.Sprintf("%q: the host name does not resolve (%v); give an IP address of this machine, e.g. 127.0.0.1:2222", addr, err), Err: err}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return &config.InputError{Field: "--ssh", Msg: fmt.Sprintf("%q is not an address of this machine; give one of its addresses, 127.0.0.1, or an empty host for every interface", addr), Err: err}
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("--ssh %s: the address is already in use (another lathe serve or sshd?); pick another port: %w", addr, err)
	}
	return fmt.Errorf("--ssh %s: cannot listen: %w", addr, err)
}

// sessionAccess is the role of the key that authenticated the session, for
// the engine. A session without a grant (which authentication never lets
// through) gets no role, and the engine refuses it everything.
func sessionAccess(sess ssh.Session, hint string, logf func(string, ...any)) engine.Access {
	ext := sess.Permissions().Extensions
	fp := "an unknown key"
	if k := sess.PublicKey(); k != nil {
		fp = gossh.FingerprintSHA256(k)
	}
	a := engine.Access{Who: "SSH key " + fp, Grant: hint}
	switch ext[extRole] {
	case engine.Operator.String():
		a.Role = engine.Operator
	case engine.Viewer.String():
		a.Role = engine.Viewer
	}
	user, addr, src := sess.User(), sess.RemoteAddr().String(), ext[extSource]
	a.Audit = func(line string) { logf("ssh: audit: %s user=%q addr=%s key line %s", line, user, addr, src) }
	return a
}

// requirePTY ends sessions that have no terminal with one line on stderr.
func requirePTY(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			msg := NoPTYMessage
			if sess.Permissions().Extensions[extNoPTY] != "" {
				msg = NoPTYKeyMessage
			}
			_, _ = fmt.Fprintln(sess.Stderr(), msg)
			_ = sess.Exit(1)
			return
		}
		next(sess)
	}
}

// keepAlive ends a session whose client stops answering: a dropped network
// sends no FIN, and without this the session's program would live forever.
// It sends OpenSSH's keepalive@openssh.com global request, as sshd's
// ClientAliveInterval does; any reply, even a refusal, proves the client alive.
func keepAlive(every time.Duration, logf func(string, ...any)) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			conn, ok := sess.Context().Value(ssh.ContextKeyConn).(gossh.Conn)
			if !ok {
				next(sess)
				return
			}
			ctx, cancel := context.WithCancel(sess.Context())
			defer cancel()
			go func() {
				t := time.NewTicker(every)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
					replied := make(chan struct{})
					go func() {
						// Returns when the client replies or the connection closes.
						_, _, _ = conn.SendRequest("keepalive@openssh.com", true, nil)
						close(replied)
					}()
					select {
					case <-ctx.Done():
						return
					case <-replied:
					case <-time.After(2 * every):
						logf("ssh: client %s stopped answering; ending its session", sess.RemoteAddr())
						// Closing the connection cancels the session's context,
						// which quits its program.
						_ = conn.Close()
						return
					}
				}
			}()
			next(sess)
		}
	}
}

// sessionLog logs each session and counts it as live until it ends; one
// over maxSessions (when > 0) is refused.
func sessionLog(logf func(string, ...any), t *tracker, maxSessions int) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			start := time.Now()
			pty, _, hasPTY := sess.Pty()
			size := "no pty"
			if hasPTY {
				size = fmt.Sprintf("%dx%d", pty.Window.Width, pty.Window.Height)
			}
			key := "none"
			if k := sess.PublicKey(); k != nil {
				key = gossh.FingerprintSHA256(k)
			}
			ext := sess.Permissions().Extensions
			if !t.begin(maxSessions) {
				logf("ssh: refused a session for %q from %s: %d sessions already (max_sessions)", sess.User(), sess.RemoteAddr(), maxSessions)
				_, _ = fmt.Fprintf(sess.Stderr(), "lathe: this server is serving its maximum of %d sessions; try again later\n", maxSessions)
				_ = sess.Exit(1)
				return
			}
			logf("ssh: session start user=%q addr=%s term=%s key=%s role=%s line=%s", sess.User(), sess.RemoteAddr(), size, key, ext[extRole], ext[extSource])
			defer func() {
				t.end(sess)
				logf("ssh: session end user=%q addr=%s after %s", sess.User(), sess.RemoteAddr(), time.Since(start).Round(time.Millisecond))
			}()
			next(sess)
		}
	}
}

// tracker knows the live sessions and their programs, so that shutdown can
// quit them; it belongs to one Serve call.
type tracker struct {
	mu       sync.Mutex
	live     int
	programs map[ssh.Session]*tea.Program
	idle     chan struct{} // closed and replaced when live drops to 0
}

func newTracker() *tracker {
	return &tracker{programs: map[ssh.Session]*tea.Program{}, idle: make(chan struct{})}
}

// begin counts a new session, unless max (> 0) are live already.
func (t *tracker) begin(max int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if max > 0 && t.live >= max {
		return false
	}
	t.live++
	return true
}

func (t *tracker) add(s ssh.Session, p *tea.Program) {
	t.mu.Lock()
	t.programs[s] = p
	t.mu.Unlock()
}

func (t *tracker) end(s ssh.Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.programs, s)
	t.live--
	if t.live == 0 {
		close(t.idle)
		t.idle = make(chan struct{})
	}
}

func (t *tracker) quitAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.programs {
		p.Quit()
	}
}

// wait returns when no session is live or after d.
func (t *tracker) wait(d time.Duration) {
	t.mu.Lock()
	if t.live == 0 {
		t.mu.Unlock()
		return
	}
	idle := t.idle
	t.mu.Unlock()
	select {
	case <-idle:
	case <-time.After(d):
	}
}

// LoadOrCreateHostKey loads the OpenSSH private key at path, or creates an
// ed25519 one there (0600, written atomically, with a .pub beside it) when the
// file does not exist. created reports whether it was generated now.
func LoadOrCreateHostKey(path string) (signer gossh.Signer, created bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		s, perr := gossh.ParsePrivateKey(data)
		if perr != nil {
			return nil, false, &config.InputError{File: path, Msg: "not an unencrypted OpenSSH private key; move it away to have a new host key generated", Err: perr}
		}
		return s, false, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, false, fmt.Errorf("read host key: %w", err)
	}

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("generate host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "lathe host key")
	if err != nil {
		return nil, false, fmt.Errorf("encode host key: %w", err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("host key signer: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("host key directory: %w", err)
	}
	if err := writeAtomic(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, false, fmt.Errorf("write host key: %w", err)
	}
	if err := writeAtomic(path+".pub", gossh.MarshalAuthorizedKey(s.PublicKey()), 0o644); err != nil {
		return nil, false, fmt.Errorf("write host public key: %w", err)
	}
	return s, true, nil
}

// writeAtomic writes data to a temporary file beside path and renames it, so
// that a crash never leaves a half-written key.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

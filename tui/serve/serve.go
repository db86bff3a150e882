// Package serve serves the TUI to SSH clients with wish: one Bubble Tea program
// per session, public-key authentication against an authorized_keys file only,
// and a host key generated once and then reused.
package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/tui"
)

// DefaultAddr is where Serve listens when Config.Addr is empty: loopback only,
// so exposing the TUI to a network is a deliberate choice.
const DefaultAddr = "127.0.0.1:2222"

// NoPTYMessage is the line a session without a terminal gets before it ends.
const NoPTYMessage = "lathe: this server shows an interactive terminal UI; connect with a terminal (ssh -t)"

// Config configures Serve.
type Config struct {
	Addr               string // host:port; DefaultAddr when empty
	AuthorizedKeysPath string // OpenSSH authorized_keys: the only keys let in
	HostKeyPath        string // ed25519 host key, created (0600) when missing
	// Options returns the TUI options for a new session; nil means zero Options.
	Options func() tui.Options
	// Logf receives one line per listen, session start/end and refused key;
	// it is called from many sessions' goroutines at once.
	Logf func(format string, args ...any)
	// Ready, when set, is called with the bound address once Serve accepts
	// connections (useful with port 0).
	Ready func(addr net.Addr)
	// KeepAlive is how often a session's client must answer a keepalive
	// request; a client that stays silent for two intervals (network gone,
	// laptop asleep) has its session ended. Default 30s.
	KeepAlive time.Duration
}

// shutdownGrace is how long Serve waits, once ctx is cancelled, for the
// sessions' programs to quit and restore their clients' terminals.
const shutdownGrace = 3 * time.Second

// Serve listens and serves until ctx is cancelled, then quits every session's
// program, closes the server and returns nil. Bad configuration (a missing or
// malformed authorized_keys file, a malformed host key) is a
// *config.InputError.
func Serve(ctx context.Context, cfg Config) error {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.AuthorizedKeysPath == "" {
		return &config.InputError{Field: "--authorized-keys", Msg: "an authorized_keys file is required: public-key authentication is the only way in"}
	}
	if cfg.HostKeyPath == "" {
		return &config.InputError{Field: "host key", Msg: "a host key path is required"}
	}
	auth, err := newAuthorizer(cfg.AuthorizedKeysPath)
	if err != nil {
		return err
	}
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
		model := tui.NewWithContext(sess.Context(), opts)
		// The server process owns its signals; a session reacts to its own
		// client only.
		p := tea.NewProgram(model, append([]tea.ProgramOption{tea.WithoutSignalHandler()}, bm.MakeOptions(sess)...)...)
		sessions.add(sess, p)
		return p
	}

	srv, err := wish.NewServer(
		func(s *ssh.Server) error { s.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(func(sctx ssh.Context, key ssh.PublicKey) bool {
			ok := auth.allowed(key, logf)
			if !ok {
				logf("ssh: refused key %s for %s from %s", gossh.FingerprintSHA256(key), sctx.User(), sctx.RemoteAddr())
			}
			return ok
		}),
		// Middlewares run last-first: log, then refuse sessions without a
		// terminal, then the TUI.
		wish.WithMiddleware(
			bm.MiddlewareWithProgramHandler(teaHandler),
			requirePTY,
			keepAlive(cfg.KeepAlive, logf),
			sessionLog(logf, sessions),
		),
	)
	if err != nil {
		return fmt.Errorf("ssh server: %w", err)
	}
	// No password or keyboard-interactive handler is set, so the server does
	// not offer those methods at all.

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ssh listen: %w", err)
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

// requirePTY ends sessions that have no terminal with one line on stderr.
func requirePTY(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			_, _ = fmt.Fprintln(sess.Stderr(), NoPTYMessage)
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

// sessionLog logs each session and counts it as live until it ends.
func sessionLog(logf func(string, ...any), t *tracker) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			start := time.Now()
			pty, _, hasPTY := sess.Pty()
			size := "no pty"
			if hasPTY {
				size = fmt.Sprintf("%dx%d", pty.Window.Width, pty.Window.Height)
			}
			logf("ssh: session start user=%s addr=%s term=%s", sess.User(), sess.RemoteAddr(), size)
			t.begin()
			defer func() {
				t.end(sess)
				logf("ssh: session end user=%s addr=%s after %s", sess.User(), sess.RemoteAddr(), time.Since(start).Round(time.Millisecond))
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

func (t *tracker) begin() {
	t.mu.Lock()
	t.live++
	t.mu.Unlock()
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

// authorizer checks keys against the authorized_keys file, rereading it when
// it changes so a key can be added or revoked without a restart. If an edit
// leaves the file unreadable or malformed, the last good set stays in force.
type authorizer struct {
	path string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	keys    []gossh.PublicKey
}

func newAuthorizer(path string) (*authorizer, error) {
	a := &authorizer{path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &config.InputError{File: path, Field: "--authorized-keys", Msg: "cannot read the authorized keys file", Err: err}
	}
	keys, err := ParseAuthorizedKeys(path)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, &config.InputError{File: path, Field: "--authorized-keys", Msg: "no public keys in the file: add one per line, as in ~/.ssh/authorized_keys"}
	}
	a.keys, a.modTime, a.size = keys, fi.ModTime(), fi.Size()
	return a, nil
}

func (a *authorizer) allowed(key gossh.PublicKey, logf func(string, ...any)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if fi, err := os.Stat(a.path); err == nil && (!fi.ModTime().Equal(a.modTime) || fi.Size() != a.size) {
		keys, err := ParseAuthorizedKeys(a.path)
		if err != nil {
			logf("ssh: keeping the previous authorized keys: %v", err)
		} else {
			a.keys = keys
		}
		a.modTime, a.size = fi.ModTime(), fi.Size()
	}
	for _, k := range a.keys {
		if ssh.KeysEqual(k, key) {
			return true
		}
	}
	return false
}

// ParseAuthorizedKeys reads an OpenSSH authorized_keys file (sshd(8) format:
// blank lines and # comments ignored, options allowed before the key). A line
// that is not a key is a *config.InputError naming the file and line.
func ParseAuthorizedKeys(path string) ([]gossh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.InputError{File: path, Field: "--authorized-keys", Msg: "cannot read the authorized keys file", Err: err}
	}
	var keys []gossh.PublicKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		k, _, _, _, err := gossh.ParseAuthorizedKey(text)
		if err != nil {
			return nil, &config.InputError{File: path, Line: line, Column: 1,
				Msg: "not a public key line (want e.g. \"ssh-ed25519 AAAA... user@host\")", Err: err}
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, &config.InputError{File: path, Msg: "cannot read the authorized keys file", Err: err}
	}
	return keys, nil
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

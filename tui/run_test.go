package tui

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
	"golang.org/x/sys/unix"
)

// startOnPTY runs the program on the slave side of a fresh 80x24 pseudo
// terminal, as Run does on the user's terminal; before are the terminal's
// flags before the program started (read after, the program may already
// have put it in raw mode).
func startOnPTY(t *testing.T, ctx context.Context) (ptmx, tty *os.File, out *tuitest.Buffer, errc chan error, before uint32) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	out = &tuitest.Buffer{}
	go func() { _, _ = io.Copy(out, ptmx) }()
	errc = make(chan error, 1)
	opts := testOptions(t)
	before = lflag(t, tty)
	go func() {
		errc <- run(ctx, opts, tea.WithInput(tty), tea.WithOutput(tty),
			tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithoutSignalHandler())
	}()
	return ptmx, tty, out, errc, before
}

func lflag(t *testing.T, f *os.File) uint32 {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag & (unix.ICANON | unix.ECHO | unix.ISIG)
}

func waitText(t *testing.T, out *tuitest.Buffer, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(ansi.Strip(out.String())) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; screen:\n%s", what, ansi.Strip(out.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitRun(t *testing.T, errc chan error) error {
	t.Helper()
	return tuitest.Receive(t, errc, 10*time.Second, "the program did not end")
}

// End-to-end on a real terminal device: the first frame, tab switching, and q
// leaving the terminal exactly as it was (cooked mode, main screen).
func TestRunOnTerminal(t *testing.T) {
	for _, quit := range []string{"q", "\x03"} { // \x03 is what ctrl+c sends
		start := time.Now()
		ptmx, tty, out, errc, before := startOnPTY(t, context.Background())
		if before&unix.ICANON == 0 {
			t.Fatal("the fresh pty is not in cooked mode")
		}
		waitText(t, out, "the tab bar", func(s string) bool {
			for _, w := range tabWords {
				if !strings.Contains(s, w) {
					return false
				}
			}
			return true
		})
		t.Logf("start to tab bar on the terminal: %s", time.Since(start).Round(time.Millisecond))
		if got := lflag(t, tty); got == before {
			t.Error("the program did not put the terminal in raw mode")
		}
		ptmx.Write([]byte("4"))
		waitText(t, out, "the Tuner screen", func(s string) bool { return strings.Contains(s, "No studies in this workspace yet") })
		ptmx.Write([]byte(quit))
		if err := waitRun(t, errc); err != nil {
			t.Fatalf("quit with %q: %v", quit, err)
		}
		if got := lflag(t, tty); got != before {
			t.Errorf("quit with %q: terminal flags %#x, want %#x restored", quit, got, before)
		}
		// The reader may still be draining the last bytes.
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(out.String(), "\x1b[?1049l") {
			if time.Now().After(deadline) {
				t.Errorf("quit with %q: the alt screen was not left", quit)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, tty, out, errc, before := startOnPTY(t, ctx)
	waitText(t, out, "the first frame", func(s string) bool { return strings.Contains(s, "Runners") })
	cancel()
	if err := waitRun(t, errc); err != nil {
		t.Errorf("Run after cancel: %v, want nil", err)
	}
	if got := lflag(t, tty); got != before {
		t.Errorf("terminal flags %#x, want %#x restored", got, before)
	}
}

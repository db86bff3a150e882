package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// lathePath builds the real binary once per test process.
func lathePath(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lathe-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "lathe")
		cmd := exec.Command("go", "build", "-o", builtBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (.ci/run installs it): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
}

// tmuxSession is one detached tmux session at a fixed size running bash.
type tmuxSession struct {
	t    *testing.T
	name string
	sock string
}

// followRun watches the screen, starting from scr, until it shows
// "completed" or 20 seconds pass, and returns the last screen and every
// loss= field seen on the way.
func (s *tmuxSession) followRun(scr string) (string, map[string]bool) {
	seen := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(scr, "completed") {
		for _, f := range strings.Fields(scr) {
			if strings.HasPrefix(f, "loss=") {
				seen[f] = true
			}
		}
		time.Sleep(100 * time.Millisecond)
		scr = s.screen()
	}
	return scr, seen
}

func newTmux(t *testing.T, w, h int, env ...string) *tmuxSession {
	t.Helper()
	needTool(t, "tmux")
	s := &tmuxSession{t: t, name: "lathe-e2e", sock: filepath.Join(t.TempDir(), "tmux.sock")}
	args := []string{"-S", s.sock, "-f", "/dev/null", "new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, "bash", "--norc", "--noprofile")
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	s.tmux("set-option", "-g", "status", "off")
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}
func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

// waitFor polls the screen until every want appears, and returns it.
func (s *tmuxSession) waitFor(timeout time.Duration, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(scr, w) {
				ok = false
				break
			}
		}
		if ok {
			return scr
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; last screen:\n%s", want, scr)
	return ""
}

func TestTUIInTmux80x24(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	s := newTmux(t, 80, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	start := time.Now()
	s.keys(fmt.Sprintf("%s --workspace %s; echo LATHE_EXIT=$?", bin, ws), "Enter")
	scr := s.waitFor(20*time.Second, "Data", "Lineage", "Runs", "Tuner", "Runners")
	t.Logf("first frame after %v", time.Since(start))
	if got := strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{alternate_on}")); got != "1" {
		t.Errorf("TUI is not on the alternate screen (alternate_on=%s)", got)
	}
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if len(lines) > 24 {
		t.Errorf("screen has %d lines at 80x24", len(lines))
	}
	if !strings.Contains(scr, "ws") {
		t.Errorf("status line does not show the workspace name:\n%s", scr)
	}

	// Every tab by number, then round again with tab and shift+tab.
	marks := map[string]string{"1": "f files", "2": "Lineage", "3": "Runners", "4": "Tuner", "5": "Runners"}
	for _, k := range []string{"1", "2", "3", "4", "5"} {
		s.keys(k)
		s.waitFor(5*time.Second, marks[k])
	}
	s.keys("1")
	s.waitFor(5*time.Second, marks["1"])
	s.keys("Tab")
	s.waitFor(5*time.Second, marks["2"])
	s.keys("BTab")
	s.waitFor(5*time.Second, marks["1"])

	s.keys("q")
	after := s.waitFor(10*time.Second, "LATHE_EXIT=0")
	if got := strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{alternate_on}")); got != "0" {
		t.Errorf("alternate screen still on after q (alternate_on=%s)", got)
	}
	if strings.Contains(after, "Tuner") {
		t.Errorf("TUI frame left on the restored screen:\n%s", after)
	}
	// The terminal is back in cooked mode with echo: a typed command echoes and runs.
	s.keys("stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | sort | tr '\\n' , ; echo", "Enter")
	s.waitFor(5*time.Second, "echo,icanon,")
}

// A run detached from another shell is followed live by an open TUI (issue
// 10 item 5): nobody else ingests it once its launching lathe has exited;
// the TUI takes it over, its metrics move while it runs, and it ends
// completed without any other command.
func TestTUIFollowsARunDetachedElsewhere(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	s := newTmux(t, 80, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	s.keys(fmt.Sprintf("%s --workspace %s; echo LATHE_EXIT=$?", bin, ws), "Enter")
	s.waitFor(20*time.Second, "Data", "Runs")
	s.keys("3")
	s.waitFor(5*time.Second, "Runs")

	script := `for i in 1 2 3 4 5 6 7 8 9 10; do echo "{\"step\": $i, \"loss\": $((100 - i * 9))}"; sleep 0.4; done`
	out, err := exec.Command(bin, "--workspace", ws, "run", "--detach", "--", "sh", "-c", script).Output()
	if err != nil {
		t.Fatalf("lathe run --detach: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	id := fields[len(fields)-1]
	// The detaching lathe has exited: only the TUI can ingest the run now.
	scr := s.waitFor(15*time.Second, id[:8], "running")
	scr, seen := s.followRun(scr)
	if !strings.Contains(scr, "completed") {
		t.Fatalf("the run never ended completed on the Runs screen:\n%s", scr)
	}
	s.waitFor(5*time.Second, "loss=10")
	if len(seen) < 2 {
		t.Errorf("metrics did not move while the run ran (saw %v)", seen)
	}
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

// With LATHE_CHARSET=ascii the Runs detail draws its curves with asciigraph
// in 7-bit characters instead of braille (issue 18), at 80x24.
func TestTUIASCIIChartsInTmux(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	script := `i=1; while [ $i -le 20 ]; do echo "{\"step\": $i, \"val_loss\": $((200 / i))}"; i=$((i+1)); done`
	if out, err := exec.Command(bin, "--workspace", ws, "run", "--name", "curve", "--", "sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("lathe run: %v\n%s", err, out)
	}
	s := newTmux(t, 80, 24, "NO_COLOR=1", "LATHE_CHARSET=ascii", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	s.keys(fmt.Sprintf("%s --workspace %s; echo LATHE_EXIT=$?", bin, ws), "Enter")
	s.waitFor(20*time.Second, "Data", "Runs")
	s.keys("3")
	// The row must be selected before Enter opens it: "›" marks the
	// selection once the list has loaded (under load the list comes late).
	s.waitFor(15*time.Second, "› ", "completed", "val_loss=10")
	s.keys("Enter")
	scr := s.waitFor(15*time.Second, "200 +", "+--")
	for _, r := range scr {
		if r >= 0x2800 && r <= 0x28ff {
			t.Fatalf("braille on the screen with LATHE_CHARSET=ascii:\n%s", scr)
		}
	}
	// asciigraph's axis, in ASCII: "200 +" at the top, "|" down the side,
	// "+--" along the bottom.
	for _, want := range []string{"200 +", "|", "+--"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the chart lacks %q:\n%s", want, scr)
		}
	}
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

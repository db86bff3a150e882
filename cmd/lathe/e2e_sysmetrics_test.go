package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runners"
)

// The example trainer, launched detached from another shell, is taken
// over by the TUI, whose Runs detail shows the system pane: the CPU and
// memory curves of the trainer's process group, sampled by the TUI's lathe
// (every 300 ms here) while it follows the run, at 80x24.
func TestTUISystemPaneInTmux(t *testing.T) {
	bin := lathePath(t)
	modRoot, _ := filepath.Abs("../..")
	trainer := filepath.Join(t.TempDir(), "trainer")
	if err := runners.BuildGoBinary(context.Background(), modRoot, "./examples/trainer", trainer); err != nil {
		t.Fatal(err)
	}
	isolate(t)
	ws := newWorkspace(t)
	t.Setenv("LATHE_RUNS_SYSTEM_INTERVAL", "300ms")
	s := newTmux(t, 80, 24, "NO_COLOR=1", "LATHE_RUNS_SYSTEM_INTERVAL=300ms", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	s.keys(fmt.Sprintf("%s --workspace %s; echo LATHE_EXIT=$?", bin, ws), "Enter")
	s.waitFor(20*time.Second, "Data", "Runs")
	s.keys("3")
	s.waitFor(5*time.Second, "Runs")
	out, err := exec.Command(bin, "--workspace", ws, "run", "--detach", "--", trainer,
		"--epochs", "60", "--hidden", "64", "--epoch-pause", "200ms").CombinedOutput()
	if err != nil {
		t.Fatalf("lathe run --detach: %v\n%s", err, out)
	}
	s.waitFor(15*time.Second, "› ", "running")
	s.keys("Enter")
	scr := s.waitFor(20*time.Second, "── system", "cpu %", "mem MB", "val_")
	// Each legend carries the newest value: a number after the unit. The
	// CPU rate needs two samples after the takeover ("no samples yet" until
	// then), so wait for the numbers to appear.
	legends := []*regexp.Regexp{regexp.MustCompile(`cpu % [0-9]`), regexp.MustCompile(`mem MB [0-9]`)}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		scr = s.screen()
		missing := ""
		for _, re := range legends {
			if !re.MatchString(scr) {
				missing = re.String()
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the system pane lacks %q:\n%s", missing, scr)
		}
	}
	pane := scr[strings.Index(scr, "── system"):]
	if !strings.Contains(pane, "┤") || !strings.Contains(pane, "•") {
		t.Errorf("no curve in the system pane:\n%s", scr)
	}
	s.keys("Escape")
	s.waitFor(10*time.Second, "› ")
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real binary on a fresh demo workspace in tmux at 80x24: the Tuner
// opens on the demo's finished study; n lists the shipped specs, enter on
// penguins-mlp.yaml starts its study in the background and the screen
// shows its trials arrive live; X stops it and the study shows stopped.
func TestTunerStartsAndStopsAStudyInTmux(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	dir := filepath.Join(t.TempDir(), "demo")
	s := newTmux(t, 80, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	start := time.Now()
	s.keys(fmt.Sprintf("%s demo --dir %s; echo LATHE_EXIT=$?", bin, dir), "Enter")
	s.waitFor(60*time.Second, "Tuner", "Runners")
	t.Logf("first frame of a new demo workspace after %v", time.Since(start))
	s.keys("4")
	s.waitFor(10*time.Second, "penguins-quick · completed · 8/8 trials")
	s.keys("n")
	s.waitFor(10*time.Second, "Study specs", "studies/penguins-mlp.yaml", "studies/penguins-quick.yaml")
	// penguins-mlp-docker.yaml sorts first; penguins-mlp.yaml is next.
	s.keys("j")
	s.waitFor(5*time.Second, "enter: tune run studies/penguins-mlp.yaml")
	s.keys("Enter")
	s.waitFor(20*time.Second, "penguins-mlp · running", "driving here")
	// Trials arrive while it runs: the count moves past 2 of 20.
	deadline := time.Now().Add(60 * time.Second)
	for {
		scr := s.screen()
		if strings.Contains(scr, "3/20 trials") || strings.Contains(scr, "4/20 trials") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trials did not arrive live:\n%s", scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.keys("X")
	scr := s.waitFor(30*time.Second, "penguins-mlp · stopped")
	if strings.Contains(scr, "driving here") {
		t.Errorf("still driving after X:\n%s", scr)
	}
	s.keys("q")
	s.waitFor(20*time.Second, "LATHE_EXIT=0")
}

package tui

import (
	"flag"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenFrames pins whole frames (colourless, ANSI stripped) at fixed
// sizes; run `go test ./tui -run Golden -update` after an intended change and
// review the diff.
func TestGoldenFrames(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"data_80x24", 80, 24, nil},
		{"runners_full_help_80x24", 80, 24, []string{"5", "?"}},
		{"tuner_100x30", 100, 30, []string{"4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := goldenOptions(t)
			opts.NoColor = true
			m := sized(t, opts, c.w, c.h)
			for _, k := range c.keys {
				m.Update(press(k))
			}
			got := ansi.Strip(content(m)) + "\n"
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("frame differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

// goldenOptions is testOptions at a fixed path, since the frames show it:
// /tmp/lathe-golden/churn-model, made afresh under a lock so that test
// processes of other checkouts (another store schema) cannot meet it.
func goldenOptions(t *testing.T) Options {
	t.Helper()
	const dir = "/tmp/lathe-golden"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() }) // closing releases the lock, after the engine closes
	root := filepath.Join(dir, "churn-model")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	return testOptionsAt(t, root)
}

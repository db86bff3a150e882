package tui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

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
			// A path as long in every run, since the frames show it.
			dir, mask := tuitest.GoldenDir(t, "churn-model")
			opts := testOptionsAt(t, dir)
			opts.NoColor = true
			m := sized(t, opts, c.w, c.h)
			for _, k := range c.keys {
				m.Update(press(k))
			}
			tuitest.Golden(t, c.name, mask(ansi.Strip(content(m)))+"\n")
		})
	}
}

package data_test

import (
	"fmt"
	"testing"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// The profile of the demo penguins (a real file, profiled by the engine):
// the column list at 80x24 and 160x48 (where the selected column's detail
// sits beside it) and a column's own detail at 80x24. Run `go test
// ./tui/data -run Golden -update` after an intended change.
func TestGoldenProfile(t *testing.T) {
	root, cfg := workspace(t)
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		s := newScreen(t, root, cfg, sz[0], sz[1])
		openFile(t, s, "data/penguins.json")
		if s.Profile() == nil {
			t.Fatalf("no profile:\n%s", plain(s))
		}
		bounds(t, "profile", s.View(), sz[0], sz[1])
		tuitest.Golden(t, fmt.Sprintf("profile_%dx%d", sz[0], sz[1]), plain(s)+"\n")
		if sz[0] == 80 {
			key(t, s, "down", "down", "down", "down", "down", "enter") // Body Mass (g)
			tuitest.Golden(t, "profile_column_80x24", plain(s)+"\n")
		}
	}
}

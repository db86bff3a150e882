package runs

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/styles"
)

// finishedRuns launches n quick runs with params p=0..n-1, oldest first.
func finishedRuns(t *testing.T, e *engine.Engine, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		r, err := e.Launch(context.Background(), engine.LaunchRequest{Runner: "local", Command: []string{"true"},
			Params: map[string]string{"p": string(rune('a' + i))}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func visibleIDs(s *Screen) []string {
	var out []string
	for _, r := range s.Visible() {
		out = append(out, r.Run.ID)
	}
	return out
}

// t tags the run under the cursor (word adds, -word removes), N sets its
// note, E its name; the list and the detail show them; / searches them.
func TestTagNoteNameKeysAndSearch(t *testing.T) {
	s, e := newScreen(t, 160, 30)
	ids := finishedRuns(t, e, 3) // the list shows ids[2], ids[1], ids[0]
	drive(t, s, s.load(true))
	hit(t, s, "down") // ids[1]
	hit(t, s, "t")
	if !s.CapturingInput() || !strings.Contains(plain(s), "tags of "+ids[1]) {
		t.Fatalf("t did not open the tag line:\n%s", plain(s))
	}
	typeText(t, s, "baseline sweep")
	hit(t, s, "enter")
	if s.err != nil {
		t.Fatal(s.err)
	}
	hit(t, s, "t")
	typeText(t, s, "-sweep best")
	hit(t, s, "enter")
	hit(t, s, "N")
	typeText(t, s, "lr too high")
	hit(t, s, "enter")
	hit(t, s, "E")
	typeText(t, s, "first-try")
	hit(t, s, "enter")
	if s.err != nil {
		t.Fatal(s.err)
	}
	r, err := e.GetRun(context.Background(), ids[1])
	if err != nil || !slices.Equal(r.Tags, []string{"baseline", "best"}) || r.Note != "lr too high" || r.Name != "first-try" {
		t.Fatalf("stored: tags %v note %q name %q, %v", r.Tags, r.Note, r.Name, err)
	}
	if v := plain(s); !strings.Contains(v, "first-try #baseline #best p=b") {
		t.Errorf("the list does not show the name and tags:\n%s", v)
	}
	hit(t, s, "enter")
	if v := plain(s); !strings.Contains(v, "first-try  #baseline  #best  note: lr too high") {
		t.Errorf("the detail does not show the name, tags and note:\n%s", v)
	}
	hit(t, s, "esc")

	// / filters as it is typed, over every column (tags included).
	hit(t, s, "/")
	typeText(t, s, "BASE")
	if got := visibleIDs(s); !slices.Equal(got, []string{ids[1]}) {
		t.Errorf("typing \"BASE\": %v, want only %s", got, ids[1])
	}
	if v := plain(s); !strings.Contains(v, "search: BASE") || !strings.Contains(v, "/BASE: 1 of 3") {
		t.Errorf("the search line or status is missing:\n%s", v)
	}
	hit(t, s, "enter")
	if s.CapturingInput() || len(s.Visible()) != 1 || !strings.Contains(plain(s), "/BASE: 1 of 3") {
		t.Errorf("enter did not keep the search: capturing %v, %d rows", s.CapturingInput(), len(s.Visible()))
	}
	hit(t, s, "/")
	typeText(t, s, "x")
	if len(s.Visible()) != 0 {
		t.Errorf("\"basex\": %d rows", len(s.Visible()))
	}
	hit(t, s, "esc")
	if s.CapturingInput() || len(s.Visible()) != 3 || strings.Contains(plain(s), "/BASE") {
		t.Errorf("esc did not clear the search: %d rows\n%s", len(s.Visible()), plain(s))
	}
	hit(t, s, "/")
	typeText(t, s, "p=c")
	if got := visibleIDs(s); !slices.Equal(got, []string{ids[2]}) {
		t.Errorf("\"p=c\" (a params column): %v, want %s", got, ids[2])
	}
}

// A viewer's t is refused by the engine, shown, and changes nothing.
func TestViewerCannotTag(t *testing.T) {
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), "", engine.Options{})
	ids := finishedRuns(t, e, 1)
	ctx, cancel := context.WithCancel(engine.WithAccess(context.Background(), engine.Access{Role: engine.Viewer, Who: "SSH key SHA256:v"}))
	t.Cleanup(cancel)
	s := New(common.NewContext(ctx, common.Options{Engine: e}, styles.Plain(true), keys.DefaultGlobal(5)))
	s.SetSize(100, 30)
	t.Cleanup(s.Deactivate)
	drive(t, s, s.Activate())
	hit(t, s, "t")
	typeText(t, s, "mine")
	hit(t, s, "enter")
	if !errors.Is(s.err, fs.ErrPermission) || !strings.Contains(plain(s), "tag run refused: SSH key SHA256:v is a viewer") {
		t.Errorf("viewer's tag: %v\n%s", s.err, plain(s))
	}
	if r, _ := e.GetRun(context.Background(), ids[0]); len(r.Tags) != 0 {
		t.Errorf("a viewer tagged the run: %v", r.Tags)
	}
}

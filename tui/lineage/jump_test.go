package lineage

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// jumpTo delivers what the router hands the screen when another screen asks
// for the Lineage tab on ref: an activation, then the JumpMsg.
func jumpTo(t *testing.T, s *Screen, ref string) {
	t.Helper()
	settle(t, s, s.Activate())
	_, cmd := s.Update(common.JumpMsg{Screen: common.Lineage, ID: ref})
	settle(t, s, cmd)
}

// A jump names a run (id or prefix), a dataset version (bare id, dataset:ID
// or a sha256 prefix), an artifact's hash or a study by name: the screen
// shows that node's trees with the cursor on it; a reference naming nothing
// says so and leaves the view as it was.
func TestJumpSelectsTheNode(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		ref  string
		want experiments.Node
		line string // in the view
	}{
		{f.r1.ID, f.r1N, "● run r1aaaaaaaaaa mlp"},
		{"r2b", f.r2N, "● run r2bbbbbbbbbb"},
		{itoa(f.src.ID), f.srcN, "● dataset data/penguins.csv @a1a1a1a1a1a1"},
		{"dataset:" + itoa(f.train.ID), node("dataset", f.train.ID), "● dataset data/penguins.train.csv"},
		{"b2b2b2", node("dataset", f.train.ID), "● dataset data/penguins.train.csv"},
		{"C3C3C3C3", f.modelN, "● artifact model.json"},
		{"penguins-mlp", node("study", f.study.ID), "● study penguins-mlp"},
		{"data/penguins.csv", f.srcN, "● dataset data/penguins.csv"},
	}
	for _, c := range cases {
		s := newScreen(t, f.ws, 80, 20)
		jumpTo(t, s, c.ref)
		if s.Root() != c.want {
			t.Errorf("jump %q: root %v, want %v", c.ref, s.Root(), c.want)
			continue
		}
		if sel, ok := s.Selected(); !ok || sel.Node != c.want {
			t.Errorf("jump %q: cursor on %v", c.ref, sel.Node)
		}
		if v := view(s); !strings.Contains(v, c.line) || !strings.Contains(v, "▲ made from") {
			t.Errorf("jump %q: view lacks %q:\n%s", c.ref, c.line, v)
		}
		checkBounds(t, s.View(), 80, 20)
	}

	// A second jump remembers the first root (esc goes back to it); a jump
	// to the root shown moves the cursor back onto it.
	s := newScreen(t, f.ws, 80, 20)
	jumpTo(t, s, f.r1.ID)
	press(t, s, "j")
	_, cmd := s.Update(common.JumpMsg{Screen: common.Lineage, ID: f.r1.ID})
	settle(t, s, cmd)
	if sel, _ := s.Selected(); sel.Node != f.r1N {
		t.Errorf("a jump to the shown root leaves the cursor on %v", sel.Node)
	}
	_, cmd = s.Update(common.JumpMsg{Screen: common.Lineage, ID: "penguins-mlp"})
	settle(t, s, cmd)
	press(t, s, "esc")
	if s.Root() != f.r1N {
		t.Errorf("esc after two jumps: root %v, want %v", s.Root(), f.r1N)
	}

	// Nothing matches: the message says so, the graph stays.
	_, cmd = s.Update(common.JumpMsg{Screen: common.Lineage, ID: "no-such-thing"})
	settle(t, s, cmd)
	if v := view(s); s.Root() != f.r1N || !strings.Contains(v, `nothing in the lineage matches "no-such-thing"`) {
		t.Errorf("unknown ref: root %v\n%s", s.Root(), v)
	}
	// A jump addressed to another screen is not ours.
	_, cmd = s.Update(common.JumpMsg{Screen: common.Runs, ID: f.r2.ID})
	if cmd != nil || s.Root() != f.r1N {
		t.Errorf("a jump for the Runs screen was taken: %v", s.Root())
	}
}

// o on a run node, on an artifact (its run) or on the picker's run row asks
// for the Runs screen's detail of that run; on a dataset it says why not.
func TestRunKeyJumpsToRuns(t *testing.T) {
	f := newFixture(t)
	s := newScreen(t, f.ws, 80, 20)
	jumpOf := func(cmd tea.Cmd) common.JumpMsg { t.Helper(); return tuitest.JumpOf(t, cmd) }
	settle(t, s, s.Activate())
	settle(t, s, s.Open(f.r1N))
	_, cmd := s.Update(tea.KeyPressMsg{Code: 'o', Text: "o"})
	if j := jumpOf(cmd); j != (common.JumpMsg{Screen: common.Runs, ID: f.r1.ID}) {
		t.Errorf("o on the root run: %+v", j)
	}
	// Down: the artifact (produced by r1).
	press(t, s, "j")
	if sel, _ := s.Selected(); sel.Node != f.modelN {
		t.Fatalf("selected %v", sel.Node)
	}
	_, cmd = s.Update(tea.KeyPressMsg{Code: 'o', Text: "o"})
	if j := jumpOf(cmd); j.ID != f.r1.ID {
		t.Errorf("o on the artifact: %+v", j)
	}
	// The source dataset is not a run.
	press(t, s, "g")
	_, cmd = s.Update(tea.KeyPressMsg{Code: 'o', Text: "o"})
	if cmd != nil || !strings.Contains(view(s), "is not a run") {
		t.Errorf("o on a dataset:\n%s", view(s))
	}
	// The picker, back on the root's row (r1), then the row above it (r2).
	press(t, s, "p")
	_, cmd = s.Update(tea.KeyPressMsg{Code: 'o', Text: "o"})
	if j := jumpOf(cmd); j != (common.JumpMsg{Screen: common.Runs, ID: f.r1.ID}) {
		t.Errorf("o in the picker: %+v", j)
	}
	press(t, s, "k")
	_, cmd = s.Update(tea.KeyPressMsg{Code: 'o', Text: "o"})
	if j := jumpOf(cmd); j.ID != f.r2.ID {
		t.Errorf("o on the picker's first run: %+v", j)
	}
	// Not on the datasets list.
	press(t, s, "l")
	if _, cmd = s.Update(tea.KeyPressMsg{Code: 'o', Text: "o"}); cmd != nil {
		t.Error("o on a dataset row jumped")
	}
}

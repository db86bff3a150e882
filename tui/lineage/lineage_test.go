package lineage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// fixture is a real workspace whose lineage was built through the store API
// (what `lathe data split` and the engine record): penguins.csv -split->
// penguins.train.csv -used-> r1 -produced-> model.json, r1 -rerun_of-> r2,
// study -trial_of-> r1. Ids and times are fixed so frames are stable.
type fixture struct {
	ws          *experiments.Workspace
	src, train  experiments.Dataset
	model       experiments.Artifact
	study       experiments.Study
	r1, r2      experiments.Run
	srcN, r1N   experiments.Node
	modelN, r2N experiments.Node
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	ws, err := experiments.Init(filepath.Join(t.TempDir(), "ws"), "lin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	at := func(min int) time.Time { return time.Date(2026, 11, 25, 9, min, 0, 0, time.UTC) }
	f := &fixture{ws: ws}
	s := ws.Store
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	schema := []byte(`[{"name":"species","type":"categorical"},{"name":"mass","type":"numeric"}]`)
	f.src, _, err = s.AddDataset(ctx, experiments.Dataset{SHA256: strings.Repeat("a1", 32), Path: "data/penguins.csv", Format: "csv", Size: 13_500, Rows: 344, Schema: schema, Created: at(0)})
	must(err)
	f.train, _, err = s.AddDataset(ctx, experiments.Dataset{SHA256: strings.Repeat("b2", 32), Path: "data/penguins.train.csv", Format: "csv", Size: 10_800, Rows: 275, Schema: schema, Created: at(1)})
	must(err)
	must(s.AddEdge(ctx, experiments.Edge{From: node("dataset", f.src.ID), To: node("dataset", f.train.ID), Kind: experiments.EdgeDerivedFrom,
		Operation: "split", Params: []byte(`{"ratios":[0.8,0.2],"seed":7}`), Created: at(1)}))
	f.study, err = s.CreateStudy(ctx, experiments.Study{Name: "penguins-mlp", Spec: []byte(`{}`), Created: at(2)})
	must(err)
	code := 0
	f.r1 = experiments.Run{ID: "r1aaaaaaaaaa", Name: "mlp", Status: runstatus.Completed, Runner: "local", Host: "box",
		Command: []string{"lathe", "trainer", "--lr", "{lr}"}, Params: map[string]any{"lr": "0.2"}, ExitCode: &code,
		Created: at(3), Started: at(3), Ended: at(4), StudyID: f.study.ID, TrialNumber: 1}
	must(s.CreateRun(ctx, &f.r1))
	must(s.AddRunInput(ctx, f.r1.ID, "train", f.train.ID))
	f.model, err = s.AddArtifact(ctx, experiments.Artifact{RunID: f.r1.ID, Path: "model.json", SHA256: strings.Repeat("c3", 32), Size: 3_500, Created: at(4)})
	must(err)
	f.r2 = experiments.Run{ID: "r2bbbbbbbbbb", Status: runstatus.Completed, Runner: "local", Command: f.r1.Command,
		Params: f.r1.Params, RerunOf: f.r1.ID, Created: at(5)}
	must(s.CreateRun(ctx, &f.r2))
	f.srcN, f.r1N, f.r2N, f.modelN = node("dataset", f.src.ID), experiments.Node{Kind: "run", ID: f.r1.ID},
		experiments.Node{Kind: "run", ID: f.r2.ID}, node("artifact", f.model.ID)
	return f
}

func node(kind string, id int64) experiments.Node { return experiments.Node{Kind: kind, ID: itoa(id)} }

func newScreen(t *testing.T, ws *experiments.Workspace, w, h int) *Screen {
	t.Helper()
	e := engine.New(ws, &config.Config{}, engine.Options{})
	t.Cleanup(func() { e.Close() })
	s := New(tuitest.Context(t, e))
	s.SetLocation(time.UTC)
	s.SetPoll(0) // settle runs commands to completion; TestPollReloads polls on its own
	s.SetSize(w, h)
	return s
}

// settle runs cmd and feeds its results back until no work is left, as the
// Bubble Tea runtime would (synchronously, so the test is deterministic).
func settle(t *testing.T, s *Screen, cmd tea.Cmd) {
	t.Helper()
	tuitest.Settle(t, s, cmd)
}

func press(t *testing.T, s *Screen, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := s.Update(tuitest.Key(k))
		settle(t, s, cmd)
	}
}

func view(s *Screen) string { return ansi.Strip(s.View()) }

func TestPickerThenGraphThenJumps(t *testing.T) {
	f := newFixture(t)
	s := newScreen(t, f.ws, 80, 20)
	settle(t, s, s.Activate())
	v := view(s)
	for _, want := range []string{"Runs (2)", "Datasets (2)", "Studies (1)", "r2bbbbbbbbbb", "r1aaaaaaaaaa  completed   local     2026-11-25 09:03  mlp"} {
		if !strings.Contains(v, want) {
			t.Errorf("picker lacks %q:\n%s", want, v)
		}
	}
	// Runs are newest first: the second row is r1.
	press(t, s, "j", "enter")
	if s.Root() != f.r1N {
		t.Fatalf("root %v, want %v", s.Root(), f.r1N)
	}
	v = view(s)
	for _, want := range []string{"run r1aaaaaaaaaa mlp (completed)", "▲ made from", "├─ used ← dataset data/penguins.train.csv @b2b2b2b2b2b2",
		"│  └─ split of ← dataset data/penguins.csv @a1a1a1a1a1a1", "└─ trial of ← study penguins-mlp", "● run r1aaaaaaaaaa",
		"├─ produced → artifact model.json @c3c3c3c3c3c3", "└─ rerun → run r2bbbbbbbbbb (completed)",
		"status    completed (exit 0) in 1m0s", "params    lr=0.2"} {
		if !strings.Contains(v, want) {
			t.Errorf("graph lacks %q:\n%s", want, v)
		}
	}
	if sel, ok := s.Selected(); !ok || sel.Node != f.r1N {
		t.Errorf("cursor starts on %v, want the root", sel.Node)
	}

	// Up twice: the study, then the source dataset; its detail has the full
	// hash, the size and the edge's split parameters.
	press(t, s, "k", "k")
	if sel, _ := s.Selected(); sel.Node != f.srcN {
		t.Fatalf("selected %v, want the source %v", sel.Node, f.srcN)
	}
	v = view(s)
	for _, want := range []string{"sha256    " + f.src.SHA256[:60], "csv · 13.5 kB · 344 rows · 2 columns", `via       derived_from (split of ←) {"ratios":[0.8,0.2],"seed":7}`} {
		if !strings.Contains(v, want) {
			t.Errorf("source detail lacks %q:\n%s", want, v)
		}
	}
	// Jump to it: the source becomes the root, and its downstream reaches
	// the run and its artifact.
	press(t, s, "enter")
	if s.Root() != f.srcN {
		t.Fatalf("after enter root %v", s.Root())
	}
	v = view(s)
	for _, want := range []string{"(esc: back, 1)", "nothing recorded", "└─ split → dataset data/penguins.train.csv", "└─ used by → run r1aaaaaaaaaa", "produced → artifact model.json"} {
		if !strings.Contains(v, want) {
			t.Errorf("source graph lacks %q:\n%s", want, v)
		}
	}
	// To the artifact at the bottom, and on to it.
	press(t, s, "G")
	if sel, _ := s.Selected(); sel.Node != f.r2N {
		// rerun_of sorts after produced: the last line is the rerun.
		t.Errorf("G selects %v, want %v", sel.Node, f.r2N)
	}
	press(t, s, "k", "enter")
	if s.Root() != f.modelN {
		t.Fatalf("root %v, want the model %v", s.Root(), f.modelN)
	}
	if v := view(s); !strings.Contains(v, "lathe artifacts get r1aaaaaaaaaa model.json") || !strings.Contains(v, "produced by ← run r1aaaaaaaaaa") {
		t.Errorf("artifact view:\n%s", v)
	}
	// Back twice retraces the jumps; once more returns to the picker with
	// the first root selected.
	press(t, s, "esc")
	if s.Root() != f.srcN {
		t.Errorf("back: root %v, want %v", s.Root(), f.srcN)
	}
	press(t, s, "esc")
	if s.Root() != f.r1N {
		t.Errorf("back: root %v, want %v", s.Root(), f.r1N)
	}
	press(t, s, "esc")
	if s.Root() != (experiments.Node{}) || !strings.Contains(view(s), "Runs (2)") {
		t.Errorf("third esc does not return to the picker:\n%s", view(s))
	}
	// The datasets list, by →.
	press(t, s, "l")
	if v := view(s); !strings.Contains(v, "data/penguins.train.csv  @b2b2b2b2b2b2    10.8 kB    275 rows") {
		t.Errorf("datasets list:\n%s", v)
	}
}

// Every frame is exactly the size given and no line is wider, at sizes from
// a small pane to a wide terminal, in both views and both layouts.
func TestViewFitsEverySize(t *testing.T) {
	f := newFixture(t)
	for _, sz := range [][2]int{{30, 8}, {80, 20}, {80, 21}, {120, 40}, {200, 50}} {
		s := newScreen(t, f.ws, sz[0], sz[1])
		settle(t, s, s.Activate())
		checkBounds(t, s.View(), sz[0], sz[1])
		settle(t, s, s.Open(f.r1N))
		for range 8 {
			checkBounds(t, s.View(), sz[0], sz[1])
			press(t, s, "j")
		}
	}
}

func checkBounds(t *testing.T, v string, w, h int) {
	t.Helper()
	tuitest.Bounds(t, "lineage", v, w, h)
}

// A result that arrives after the tab was left is dropped; coming back
// loads afresh.
func TestLeavingCancelsWork(t *testing.T) {
	f := newFixture(t)
	s := newScreen(t, f.ws, 80, 20)
	cmd := s.Open(f.r1N)
	if s.Pending() != 1 {
		t.Fatalf("pending %d", s.Pending())
	}
	s.Deactivate()
	settle(t, s, cmd) // the late result
	if !strings.Contains(view(s), "Loading") || s.Pending() != 0 {
		t.Errorf("a cancelled load was shown:\n%s", view(s))
	}
	settle(t, s, s.Activate())
	if !strings.Contains(view(s), "● run r1aaaaaaaaaa") {
		t.Errorf("reactivation did not reload the graph:\n%s", view(s))
	}
}

// Without a workspace the screen says so (the engine's error), on activation.
func TestNoWorkspaceSaysSo(t *testing.T) {
	s := newScreen(t, nil, 80, 20)
	settle(t, s, s.Activate())
	if v := view(s); !strings.Contains(v, "no workspace here") {
		t.Errorf("view:\n%s", v)
	}
}

// The graph frame at 80x20 (the body of an 80x24 terminal), pinned; run
// `go test ./tui/lineage -run Golden -update` after an intended change.
func TestGoldenGraph80x20(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name string
		w, h int
	}{{"graph_80x20", 80, 20}, {"graph_140x20", 140, 20}} {
		s := newScreen(t, f.ws, c.w, c.h)
		settle(t, s, s.Open(f.r1N))
		tuitest.Golden(t, c.name, view(s)+"\n")
	}
}

// A jump made while the previous graph still loads wins, whatever order the
// results arrive in, and the picker's lists still arrive.
func TestLaterJumpWins(t *testing.T) {
	f := newFixture(t)
	s := newScreen(t, f.ws, 80, 20)
	lists := s.Activate()
	first := s.Open(f.r1N)
	second := s.Open(f.srcN)
	settle(t, s, second)
	settle(t, s, first) // the older result arrives last
	settle(t, s, lists)
	if s.Root() != f.srcN || !strings.Contains(view(s), "● dataset data/penguins.csv") {
		t.Errorf("root %v, view:\n%s", s.Root(), view(s))
	}
	press(t, s, "p")
	if v := view(s); !strings.Contains(v, "Runs (2)") || strings.Contains(v, "Loading") {
		t.Errorf("picker after the jumps:\n%s", v)
	}
}

// While visible the screen notices writes by others (a run ended, data
// registered) and reloads; leaving the tab stops the polling.
func TestPollReloads(t *testing.T) {
	f := newFixture(t)
	s := newScreen(t, f.ws, 80, 20)
	s.SetPoll(10 * time.Millisecond)
	// feed runs cmd's messages (one level: not what they lead to) through
	// Update and returns the commands Update gave back.
	feed := func(cmd tea.Cmd) []tea.Cmd {
		var msgs []tea.Msg
		var run func(c tea.Cmd)
		run = func(c tea.Cmd) {
			if c == nil {
				return
			}
			m := c()
			if b, ok := m.(tea.BatchMsg); ok {
				for _, c := range b {
					run(c)
				}
				return
			}
			if m != nil {
				msgs = append(msgs, m)
			}
		}
		run(cmd)
		var out []tea.Cmd
		for _, m := range msgs {
			_, next := s.Update(m)
			out = append(out, next)
		}
		return out
	}
	next := tea.Batch(feed(s.Activate())...) // lists, and the first poll's version
	if !strings.Contains(view(s), "Datasets (2)") {
		t.Fatalf("activation:\n%s", view(s))
	}
	// Another connection registers a dataset.
	other, err := experiments.OpenStore(f.ws.Store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, _, err := other.AddDataset(context.Background(), experiments.Dataset{SHA256: strings.Repeat("d4", 32), Path: "new.csv", Rows: -1}); err != nil {
		t.Fatal(err)
	}
	// The next poll sees the new version and reloads the lists.
	reload := tea.Batch(feed(next)...)
	feed(reload)
	if v := view(s); !strings.Contains(v, "Datasets (3)") {
		t.Errorf("no reload after another writer:\n%s", v)
	}
	s.Deactivate()
	if s.Pending() != 0 {
		t.Errorf("%d jobs left after leaving", s.Pending())
	}
}

package runs

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
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// newScreen returns the Runs screen on a fresh workspace with a real engine
// (local runner), sized w x h and activated.
func newScreen(t testing.TB, w, h int) (*Screen, *engine.Engine) {
	t.Helper()
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), "", engine.Options{})
	s := New(tuitest.Context(t, e))
	s.SetSize(w, h)
	t.Cleanup(s.Deactivate)
	drive(t, s, s.Activate())
	return s, e
}

// drive runs cmd and feeds its results back to the screen, dropping ticks
// (tests send them by hand).
func drive(t testing.TB, s *Screen, cmd tea.Cmd) {
	t.Helper()
	tuitest.SettleResults(t, s, cmd, func(r common.ResultMsg) bool { _, tick := r.Payload.(tickMsg); return tick })
}

var press = tuitest.Key

func typeText(t *testing.T, s *Screen, text string) {
	for _, k := range tuitest.Typed(text) {
		_, cmd := s.Update(k)
		drive(t, s, cmd)
	}
}

func hit(t *testing.T, s *Screen, k string) {
	t.Helper()
	_, cmd := s.Update(press(k))
	drive(t, s, cmd)
}

// tick delivers a live tick (as the program's timer would).
func tick(t *testing.T, s *Screen) {
	t.Helper()
	_, cmd := s.Update(common.ResultMsg{Screen: common.Runs, Payload: tickMsg{s.gen}})
	drive(t, s, cmd)
}

func plain(s *Screen) string { return ansi.Strip(s.View()) }

func checkBox(t testing.TB, s *Screen, w, h int) {
	t.Helper()
	tuitest.Bounds(t, "runs", s.View(), w, h)
}

func launch(t *testing.T, s *Screen, line string) {
	t.Helper()
	hit(t, s, "n")
	if !s.CapturingInput() {
		t.Fatal("n did not open the launch line")
	}
	s.launch.input.SetValue(line)
	hit(t, s, "enter")
	if s.err != nil {
		t.Fatalf("launch %q: %v", line, s.err)
	}
}

func TestEmptyThenLaunchFromTheScreen(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	if !strings.Contains(plain(s), "No runs yet") {
		t.Errorf("empty screen:\n%s", plain(s))
	}
	checkBox(t, s, 80, 24)
	// The launch line comes pre-filled with the demo trainer.
	hit(t, s, "n")
	if v := s.launch.input.Value(); !strings.Contains(v, "lathe trainer") {
		t.Errorf("launch line pre-filled with %q", v)
	}
	if !strings.Contains(plain(s), "run: ") {
		t.Errorf("launch line not shown:\n%s", plain(s))
	}
	hit(t, s, "esc")
	launch(t, s, `--param who=x -- sh -c 'for i in 1 2 3; do echo "{\"step\":$i,\"loss\":$i,\"val_loss\":$((i*2))}"; done; echo bye {who}'`)
	rows := s.Rows()
	if len(rows) != 1 {
		t.Fatalf("%d rows after launch", len(rows))
	}
	id := rows[0].Run.ID
	r, err := e.GetRun(context.Background(), id)
	if err != nil || r.Params["who"] != "x" {
		t.Fatalf("launched run %+v, %v", r, err)
	}
	waitEnded(t, e, id)
	drive(t, s, s.load(true))
	if !strings.Contains(plain(s), "completed") || !strings.Contains(plain(s), "val_loss=6") {
		t.Errorf("list after the run:\n%s", plain(s))
	}

	// Detail: curves of both loss metrics and the log tail.
	hit(t, s, "enter")
	if got := s.Detail(); len(got) != 1 || got[0] != id {
		t.Fatalf("detail of %v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	// The log and the metrics arrive in separate events: wait for both.
	for !(strings.Contains(plain(s), "bye x") && strings.Contains(plain(s), "val_loss 6")) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		tick(t, s)
	}
	v := plain(s)
	for _, want := range []string{id, "completed", "loss 3", "val_loss 6", "bye x", "[1/"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	checkBox(t, s, 80, 24)
	hit(t, s, "m") // next view: loss alone
	if v := plain(s); !strings.Contains(v, "[2/") {
		t.Errorf("m did not switch the metric view:\n%s", v)
	}
	// R in the detail reruns the run and shows the new one.
	hit(t, s, "R")
	if got := s.Detail(); len(got) != 1 || got[0] == id {
		t.Errorf("after R the detail shows %v, want the new run", got)
	}
	waitEnded(t, e, s.Detail()[0])
	hit(t, s, "esc")
	if s.Detail() != nil {
		t.Error("esc did not leave the detail")
	}
}

func waitEnded(t *testing.T, e *engine.Engine, id string) experiments.Run {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r, err := e.GetRun(context.Background(), id)
		if err == nil && r.Status.Terminal() {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %s did not end", id)
	return experiments.Run{}
}

func waitStarted(t *testing.T, e *engine.Engine, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := e.GetRun(context.Background(), id); err == nil && r.Status != runstatus.Queued {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %s did not start", id)
}

func TestStopRerunFilterSortMark(t *testing.T) {
	s, e := newScreen(t, 100, 30)
	// The local runner runs one at a time (max_concurrent 1): the quick run first.
	launch(t, s, "--param p=2 -- true")
	quick := s.Rows()[0].Run.ID
	waitEnded(t, e, quick)
	launch(t, s, "sh -c 'echo a; sleep 30'")
	if len(s.Rows()) != 2 {
		t.Fatalf("%d rows", len(s.Rows()))
	}
	sleeper := s.Rows()[0].Run.ID // newest first
	waitStarted(t, e, sleeper)

	// Sort oldest first puts the sleeper second; x stops it.
	hit(t, s, "s")
	if s.list.sortBy != sortOldest || s.Visible()[1].Run.ID != sleeper {
		t.Fatalf("sort oldest: %v", s.Visible())
	}
	hit(t, s, "down")
	hit(t, s, "x")
	if s.err != nil {
		t.Fatalf("x: %v", s.err)
	}
	if r := waitEnded(t, e, sleeper); r.Status != runstatus.Stopped {
		t.Errorf("x: status %s", r.Status)
	}
	// Filter by text.
	hit(t, s, "/")
	typeText(t, s, "p=2")
	hit(t, s, "enter")
	if vis := s.Visible(); len(vis) != 1 || vis[0].Run.ID != quick {
		t.Errorf("filter p=2: %d rows", len(vis))
	}
	// R reruns the quick one with the same params and shows its detail.
	hit(t, s, "R")
	if len(s.Rows()) != 3 {
		t.Fatalf("rerun: %d rows", len(s.Rows()))
	}
	re := s.Rows()[0].Run
	if re.RerunOf != quick || re.Params["p"] != "2" {
		t.Errorf("rerun record %+v", re)
	}
	if d := s.Detail(); len(d) != 1 || d[0] != re.ID {
		t.Errorf("after R the detail shows %v, want %s", d, re.ID)
	}
	waitEnded(t, e, re.ID)
	// Mark two runs and open both: curves overlaid, one legend entry each.
	hit(t, s, "esc") // leave the rerun's detail
	hit(t, s, "esc") // clear filter and marks
	s.list.sortBy = sortNewest
	hit(t, s, "space")
	hit(t, s, "space")
	if len(s.list.marked) != 2 {
		t.Fatalf("marked %v", s.list.marked)
	}
	hit(t, s, "enter")
	if len(s.Detail()) != 2 {
		t.Errorf("compare view of %v", s.Detail())
	}
	checkBox(t, s, 100, 30)
}

func TestViewFitsAtSmallSizes(t *testing.T) {
	s, _ := newScreen(t, 80, 24)
	launch(t, s, "sh -c 'echo {\"x\":1}'")
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {20, 5}, {120, 3}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
		hit(t, s, "enter")
		tick(t, s)
		checkBox(t, s, sz[0], sz[1])
		hit(t, s, "esc")
	}
}

func TestParseLaunch(t *testing.T) {
	req, err := ParseLaunch(`--runner docker --image=img:1 --param lr=0.1 --param "msg=a b" -- /trainer --lr={lr} 'x y'`)
	if err != nil {
		t.Fatal(err)
	}
	if req.Runner != "docker" || req.Image != "img:1" || req.Params["lr"] != "0.1" || req.Params["msg"] != "a b" ||
		strings.Join(req.Command, "|") != "/trainer|--lr={lr}|x y" {
		t.Errorf("%+v", req)
	}
	req, err = ParseLaunch(`python train.py --epochs 3`)
	if err != nil || strings.Join(req.Command, "|") != "python|train.py|--epochs|3" {
		t.Errorf("%+v %v", req, err)
	}
	for _, bad := range []string{"", "--runner", "--bogus x", "echo 'open", "--param nokv -- x"} {
		if _, err := ParseLaunch(bad); !config.IsInput(err) {
			t.Errorf("%q: err %v, want an input error", bad, err)
		}
	}
}

// A stale tick (from before a deactivation) does nothing and is not re-armed.
func TestStaleTickDies(t *testing.T) {
	s, _ := newScreen(t, 80, 24)
	old := s.gen
	s.Deactivate()
	_, cmd := s.Update(common.ResultMsg{Screen: common.Runs, Payload: tickMsg{old}})
	if cmd != nil {
		t.Error("a stale tick re-armed itself")
	}
}

// A JumpMsg from another screen (the Tuner's "go to run") opens that run's
// detail, even when the list is showing another run or a filter.
func TestJumpOpensTheRun(t *testing.T) {
	s, e := newScreen(t, 80, 21)
	var ids []string
	for i := 0; i < 2; i++ {
		r, err := e.Launch(context.Background(), engine.LaunchRequest{Runner: "local", Command: []string{"sh", "-c", "echo hi"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	drive(t, s, s.load(true))
	s.list.search.Set("no-such-run")
	_, cmd := s.Update(common.JumpMsg{Screen: common.Runs, ID: ids[0]})
	drive(t, s, cmd)
	if s.detail == nil || len(s.detail.runs) != 1 || s.detail.runs[0].ID != ids[0] {
		t.Fatalf("after a jump to %s the detail shows %+v", ids[0], s.detail)
	}
	// A jump addressed elsewhere changes nothing.
	_, _ = s.Update(common.JumpMsg{Screen: common.Tuner, ID: ids[1]})
	if s.detail.runs[0].ID != ids[0] {
		t.Fatalf("a jump for another screen moved the detail to %s", s.detail.runs[0].ID)
	}
}

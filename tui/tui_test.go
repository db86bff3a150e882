package tui

import (
	"context"
	"errors"
	"image/color"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

var tabWords = []string{"Data", "Lineage", "Runs", "Tuner", "Runners"}

// testOptions opens a real workspace "churn-model" with three runners in a
// temporary directory, and the engine over it.
func testOptions(t testing.TB) Options {
	t.Helper()
	return testOptionsAt(t, filepath.Join(t.TempDir(), "churn-model"))
}

// testOptionsAt is testOptions in root (golden frames need a fixed path).
func testOptionsAt(t testing.TB, root string) Options {
	t.Helper()
	yaml := "name: churn-model\ndefault_runner: local\nrunners:\n  - {name: local, type: local}\n  - {name: local2, type: local}\n  - {name: local3, type: local}\n"
	return Options{Engine: tuitest.Engine(t, root, yaml, engine.Options{}), Version: "v0.1.0"}
}

// probe is a stand-in screen for the router's tests (not a fake of anything
// the product runs): its only work is summary(ctx, id), started through
// common.Jobs on activation as a real screen's work is, shown when it lands.
type probe struct {
	c       *common.Context
	id      common.ScreenID
	jobs    *common.Jobs
	summary func(ctx context.Context, id common.ScreenID) (string, error)
	pending uint64
	text    string
}

func withProbe(m *Model, id common.ScreenID, summary func(ctx context.Context, id common.ScreenID) (string, error)) {
	m.screens[id] = &probe{c: m.c, id: id, jobs: common.NewJobs(m.c, id), summary: summary}
}

func (p *probe) ID() common.ScreenID { return p.id }
func (p *probe) Init() tea.Cmd       { return nil }
func (p *probe) SetSize(int, int)    {}
func (p *probe) Activate() tea.Cmd {
	id, fn := p.id, p.summary
	seq, cmd := p.jobs.Start(func(ctx context.Context) (any, error) { return fn(ctx, id) })
	p.pending = seq
	return cmd
}
func (p *probe) Deactivate() { p.jobs.CancelAll(); p.pending = 0 }
func (p *probe) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	if r, ok := msg.(common.ResultMsg); ok && p.jobs.Accept(r) {
		p.pending = 0
		if r.Err == nil {
			p.text, _ = r.Payload.(string)
		}
	}
	return p, nil
}
func (p *probe) View() string {
	if p.pending != 0 {
		return "Loading…"
	}
	return p.text
}
func (p *probe) ShortHelp() []key.Binding  { return nil }
func (p *probe) FullHelp() [][]key.Binding { return nil }

var press = tuitest.Key

func sized(t *testing.T, opts Options, w, h int) *Model {
	t.Helper()
	m := newModel(context.Background(), opts)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func content(m *Model) string { return m.View().Content }

// checkBounds asserts the frame is exactly h lines, none wider than w.
func checkBounds(t *testing.T, view string, w, h int) {
	t.Helper()
	tuitest.Bounds(t, "frame", view, w, h)
}

func TestKeyStrings(t *testing.T) {
	// The keymap matches on these strings; make sure the synthetic keys the
	// tests send are the ones a terminal produces.
	for want, msg := range map[string]tea.KeyPressMsg{
		"tab": press("tab"), "shift+tab": press("shift+tab"), "ctrl+c": press("ctrl+c"), "3": press("3"), "?": press("?"),
	} {
		if got := msg.String(); got != want {
			t.Errorf("key %q prints as %q", want, got)
		}
	}
}

func TestViewLayout(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {200, 50}, {100, 30}, {60, 15}, {30, 8}, {12, 3}, {5, 1}} {
		m := sized(t, testOptions(t), sz.w, sz.h)
		for _, help := range []bool{false, true} {
			if help != m.footer.ShowAll() {
				m.Update(press("?"))
			}
			for tab := 1; tab <= 5; tab++ {
				m.Update(press(string(rune('0' + tab))))
				checkBounds(t, content(m), sz.w, sz.h)
			}
		}
	}
}

func TestViewContents80x24(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {200, 50}} {
		opts := testOptions(t)
		info := opts.Engine.Info()
		m := sized(t, opts, sz.w, sz.h)
		v := m.View()
		if !v.AltScreen {
			t.Error("view does not ask for the alt screen")
		}
		plain := ansi.Strip(v.Content)
		lines := strings.Split(plain, "\n")
		for _, w := range tabWords {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%dx%d: tab bar %q lacks %q", sz.w, sz.h, lines[0], w)
			}
		}
		if want := "Data  ·  Lineage"; strings.Contains(lines[0], want) {
			t.Errorf("unexpected separator layout %q", lines[0])
		}
		// Status line: second-to-last block, before the footer.
		status := ""
		for _, l := range lines {
			if strings.Contains(l, "store ") {
				status = l
			}
		}
		for _, want := range []string{"churn-model", "3 runners", filepath.Base(info.StorePath)} {
			if !strings.Contains(status, want) {
				t.Errorf("%dx%d: status line %q lacks %q", sz.w, sz.h, status, want)
			}
		}
		if sz.w == 200 && !strings.Contains(status, info.StorePath) {
			t.Errorf("at 200 columns the whole store path fits, got %q", status)
		}
		// The Data screen opens on its file picker over the workspace.
		if !strings.Contains(plain, "f files") || !strings.Contains(plain, "Looking for data files in "+info.Root) {
			t.Errorf("Data screen does not open on its file picker:\n%s", plain)
		}
		// The footer shows the help of the keys.
		last := lines[len(lines)-1]
		for _, want := range []string{"quit", "next tab"} {
			if !strings.Contains(last, want) {
				t.Errorf("footer %q lacks %q", last, want)
			}
		}
	}
}

func TestTabSwitching(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	if m.Active() != common.Data {
		t.Fatalf("starts on %v", m.Active())
	}
	steps := []struct {
		key  string
		want common.ScreenID
	}{
		{"3", common.Runs}, {"5", common.Runners}, {"tab", common.Data}, {"tab", common.Lineage},
		{"shift+tab", common.Data}, {"shift+tab", common.Runners}, {"2", common.Lineage}, {"4", common.Tuner},
		{"1", common.Data}, {"9", common.Data}, // no ninth tab
	}
	for _, s := range steps {
		m.Update(press(s.key))
		if m.Active() != s.want {
			t.Fatalf("after %q: active %v, want %v", s.key, m.Active(), s.want)
		}
		body := strings.Split(ansi.Strip(content(m)), "\n")[1:4]
		if !strings.Contains(strings.Join(body, "\n"), s.want.String()) {
			t.Errorf("after %q: body does not show %v: %q", s.key, s.want, body)
		}
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := sized(t, testOptions(t), 80, 24)
		_, cmd := m.Update(press(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s: command does not quit", k)
		}
	}
	m := sized(t, testOptions(t), 80, 24)
	if _, cmd := m.Update(press("x")); cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Error("x quits")
		}
	}
}

func TestHelpToggle(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	before := ansi.Strip(content(m))
	if strings.Contains(before, "prev tab") {
		t.Fatal("short help already lists shift+tab")
	}
	bodyShort := m.bodyH
	m.Update(press("?"))
	after := ansi.Strip(content(m))
	if !strings.Contains(after, "prev tab") || !strings.Contains(after, "shift+tab") {
		t.Errorf("full help lacks shift+tab:\n%s", after)
	}
	if m.bodyH >= bodyShort {
		t.Errorf("full help did not take room from the body: %d -> %d", bodyShort, m.bodyH)
	}
	checkBounds(t, content(m), 80, 24)
	m.Update(press("?"))
	if strings.Contains(ansi.Strip(content(m)), "prev tab") || m.bodyH != bodyShort {
		t.Error("? did not toggle back to short help")
	}
}

// Every screen's header at 80x24 starts one column in, as the Data
// screen's does.
func TestScreenHeadersIndented(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	for tab := 1; tab <= 5; tab++ {
		m.Update(press(string(rune('0' + tab))))
		head := strings.Split(ansi.Strip(content(m)), "\n")[1]
		if !strings.HasPrefix(head, " ") || strings.HasPrefix(head, "  ") {
			t.Errorf("tab %d: header %q does not start with one space", tab, head)

		}
	}
}

// Esc while the full help is open closes the help and nothing else: the
// Runners screen's search filter, which Esc would clear, stays.
func TestEscClosesFullHelpOnly(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	for _, k := range []string{"5", "/", "l", "o", "enter"} {
		m.Update(press(k))
	}
	filtered := strings.Split(ansi.Strip(content(m)), "\n")[1]
	if !strings.Contains(filtered, "lo") {
		t.Fatalf("no search filter in the Runners header %q", filtered)
	}
	m.Update(press("?"))
	if !m.footer.ShowAll() {
		t.Fatal("? did not open the full help")
	}
	m.Update(press("esc"))
	if m.footer.ShowAll() {
		t.Error("esc left the full help open")
	}
	if got := strings.Split(ansi.Strip(content(m)), "\n")[1]; got != filtered {
		t.Errorf("esc acted on the screen under the help: header %q, was %q", got, filtered)
	}
	m.Update(press("esc"))
	if got := strings.Split(ansi.Strip(content(m)), "\n")[1]; got == filtered {
		t.Errorf("with the help closed, esc no longer reaches the screen: header %q", got)
	}
}

// sgrColour finds SGR sequences that set a foreground or background colour.
var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

func colourParams(s string) []string {
	var out []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case p == "38" || p == "48", len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p != "39" && p != "49",
				len(p) == 3 && p[:2] == "10":
				out = append(out, m[0])
			}
		}
	}
	return out
}

func TestNoColor(t *testing.T) {
	coloured := sized(t, testOptions(t), 80, 24)
	if len(colourParams(content(coloured))) == 0 {
		t.Fatal("the coloured view has no colour: the check below would prove nothing")
	}
	check := func(name string, m *Model) {
		t.Helper()
		for tab := 1; tab <= 5; tab++ {
			m.Update(press(string(rune('0' + tab))))
			v := content(m)
			if c := colourParams(v); len(c) > 0 {
				t.Errorf("%s: colour sequences with NO_COLOR: %q", name, c[:min(len(c), 5)])
			}
			// The active tab stays visible: reverse video around its title.
			first := strings.Split(v, "\n")[0]
			if !strings.Contains(first, "\x1b[1;7m") && !strings.Contains(first, "\x1b[7;1m") {
				t.Errorf("%s: active tab is not bold+reverse: %q", name, first)
			}
		}
	}
	opts := testOptions(t)
	opts.NoColor = true
	check("Options.NoColor", sized(t, opts, 80, 24))

	m := sized(t, testOptions(t), 80, 24)
	m.Update(tea.EnvMsg{"TERM=xterm-256color", "NO_COLOR=1"})
	check("NO_COLOR in the environment", m)
	// A background report afterwards must not bring colour back.
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	check("NO_COLOR then light background", m)
}

func TestBackgroundColorRebuildsStyles(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	if cmd := m.Init(); cmd == nil {
		t.Fatal("Init returns no command; it must request the background colour")
	}
	dark := m.c.Styles
	if !dark.IsDark {
		t.Fatal("default styles are not the dark ones")
	}
	darkView := content(m)
	// The light palette's accent #8250DF and dark's #A371F7, as truecolor SGR.
	lightAccent, darkAccent := "38;2;130;80;223", "38;2;163;113;247"
	if !strings.Contains(darkView, darkAccent) {
		t.Fatalf("dark view lacks the dark accent")
	}
	m.Update(tea.BackgroundColorMsg{Color: color.RGBA{R: 0xfa, G: 0xfa, B: 0xfa, A: 0xff}})
	if m.c.Styles == dark || m.c.Styles.IsDark {
		t.Fatal("a light background did not rebuild the styles as light")
	}
	lightView := content(m)
	if !strings.Contains(lightView, lightAccent) || strings.Contains(lightView, darkAccent) {
		t.Errorf("light view does not use the light palette")
	}
	m.Update(tea.BackgroundColorMsg{Color: color.RGBA{R: 0x10, G: 0x10, B: 0x10, A: 0xff}})
	if !m.c.Styles.IsDark || !strings.Contains(content(m), darkAccent) {
		t.Error("a dark background did not rebuild the dark styles")
	}
}

// runCmd runs cmd like the program does: batches fan out, each command on its
// own goroutine, and every message lands on out.
func runCmd(cmd tea.Cmd, out chan<- tea.Msg) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				runCmd(c, out)
			}
			return
		}
		out <- msg
	}()
}

// nextResult waits for the next ResultMsg on msgs, skipping other messages.
func nextResult(t *testing.T, msgs <-chan tea.Msg) common.ResultMsg {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case msg := <-msgs:
			if r, ok := msg.(common.ResultMsg); ok {
				return r
			}
		case <-timeout:
			t.Fatal("no result within 5s")
		}
	}
}

func TestBackgroundWorkCancelledOnSwitch(t *testing.T) {
	subjStarted := make(chan context.Context, 1)
	opts := testOptions(t)
	summary := func(ctx context.Context, id common.ScreenID) (string, error) {
		if id == common.Lineage {
			subjStarted <- ctx
			<-ctx.Done()
			return "LATE lineage summary", nil // as if the work ignored the cancellation
		}
		return "summary of " + id.String(), nil
	}
	m := sized(t, opts, 80, 24)
	withProbe(m, common.Lineage, summary)
	withProbe(m, common.Runs, summary)
	msgs := make(chan tea.Msg, 16)
	runCmd(m.Init(), make(chan tea.Msg, 16)) // the Data screen's file listing: not under test here
	// Lineage is the subject: a probe screen whose work is summary (the Data
	// screen, first, has its own work).
	_, cmd := m.Update(press("2"))
	runCmd(cmd, msgs)

	subjCtx := tuitest.Receive(t, subjStarted, 5*time.Second, "activating Lineage did not start its work")
	if !strings.Contains(content(m), "Loading") {
		t.Error("Lineage does not show its work in flight")
	}
	if subjCtx.Err() != nil {
		t.Fatal("work cancelled before any switch")
	}

	_, cmd = m.Update(press("3"))
	if subjCtx.Err() == nil {
		t.Fatal("switching away from Lineage did not cancel its work")
	}
	runCmd(cmd, msgs)

	// Two results arrive, in either order: Lineage's late one and Runs'.
	for range 2 {
		r := nextResult(t, msgs)
		m.Update(r)
		switch r.Screen {
		case common.Lineage:
			if !errors.Is(r.Err, context.Canceled) {
				t.Errorf("late Lineage result carries err %v, want context.Canceled", r.Err)
			}
		case common.Runs:
			if r.Err != nil {
				t.Errorf("Runs result: %v", r.Err)
			}
		}
	}
	view := ansi.Strip(content(m))
	if !strings.Contains(view, "summary of Runs") {
		t.Errorf("Runs' own result is not shown:\n%s", view)
	}
	for _, s := range m.screens {
		v := ansi.Strip(s.View())
		if strings.Contains(v, "LATE") || strings.Contains(v, "canceled") {
			t.Errorf("%v shows the cancelled work: %q", s.ID(), v)
		}
	}

	// A forged late result, nil error, addressed to Lineage with a
	// fresh-looking seq, and one addressed to Runs with a seq Runs never issued.
	m.Update(common.ResultMsg{Screen: common.Lineage, Seq: 1, Payload: "LATE forged"})
	m.Update(common.ResultMsg{Screen: common.Runs, Seq: 1, Payload: "LATE misaddressed"})
	for _, s := range m.screens {
		if v := s.View(); strings.Contains(v, "LATE") {
			t.Errorf("%v shows a stale result: %q", s.ID(), ansi.Strip(v))
		}
	}

	// Back on Lineage, a new fetch starts with a new, live context.
	_, cmd = m.Update(press("2"))
	runCmd(cmd, msgs)
	again := tuitest.Receive(t, subjStarted, 5*time.Second, "returning to Lineage did not start its work again")
	if again == subjCtx || again.Err() != nil {
		t.Fatal("the new fetch reuses the cancelled context")
	}
	m.Update(press("q"))
	if again.Err() == nil {
		t.Error("quitting left Lineage's work running")
	}
	if r := nextResult(t, msgs); r.Screen != common.Lineage {
		t.Errorf("unexpected result %+v", r)
	}
}

func TestQuitAndSessionEndCancelWork(t *testing.T) {
	started := make(chan context.Context, 4)
	opts := testOptions(t)
	summary := func(ctx context.Context, id common.ScreenID) (string, error) {
		started <- ctx
		<-ctx.Done()
		return "", ctx.Err()
	}
	wait := func() context.Context { return tuitest.Receive(t, started, 5*time.Second, "work did not start") }

	// q cancels the visible screen's work.
	m := newModel(context.Background(), opts)
	withProbe(m, common.Lineage, summary)
	msgs := make(chan tea.Msg, 16)
	runCmd(m.Init(), msgs)
	_, cmd := m.Update(press("2")) // Lineage is a probe; Data has its own work
	runCmd(cmd, msgs)
	c := wait()
	m.Update(press("q"))
	if c.Err() == nil {
		t.Error("q left the screen's work running")
	}

	// The end of the program's context (an SSH session dropping) cancels it.
	base, cancel := context.WithCancel(context.Background())
	m = newModel(base, opts)
	withProbe(m, common.Lineage, summary)
	runCmd(m.Init(), msgs)
	_, cmd = m.Update(press("2"))
	runCmd(cmd, msgs)
	c = wait()
	cancel()
	if c.Err() == nil {
		t.Error("cancelling the program's context left work running")
	}
}

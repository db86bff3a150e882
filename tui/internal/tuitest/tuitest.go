// Package tuitest is what the TUI's tests share: key presses as a terminal
// sends them, the frame-bounds check, running a screen's commands to the
// end, golden frames rewritten with -update, a real engine on a fresh
// workspace, and the check that data and run text reach the terminal
// escaped. Only tests import it; it goes through the engine as the screens
// do.
package tuitest

import (
	"context"
	"crypto/rand"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/styles"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// named are the key presses of the keys with names.
var named = map[string]tea.KeyPressMsg{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"space":     {Code: tea.KeySpace, Text: " "},
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"left":      {Code: tea.KeyLeft},
	"right":     {Code: tea.KeyRight},
	"home":      {Code: tea.KeyHome},
	"end":       {Code: tea.KeyEnd},
	"pgup":      {Code: tea.KeyPgUp},
	"pgdown":    {Code: tea.KeyPgDown},
	"backspace": {Code: tea.KeyBackspace},
}

// Key is the key press a terminal sends for k: a key's name ("enter",
// "esc", "space", "tab", "shift+tab", the arrows, "home", "end", "pgup",
// "pgdown", "backspace"), "ctrl+" a letter, or one character.
func Key(k string) tea.KeyPressMsg {
	if m, ok := named[k]; ok {
		return m
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok && len(c) == 1 {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

// Typed are the key presses of typing text.
func Typed(text string) []tea.KeyPressMsg {
	var out []tea.KeyPressMsg
	for _, r := range text {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// Bounds asserts view is exactly h lines, none wider than w cells: a longer
// or wider frame would scroll the alt screen.
func Bounds(t testing.TB, what, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%s at %dx%d: %d lines", what, w, h, len(lines))
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%s at %dx%d: line %d is %d cells: %q", what, w, h, i+1, n, ansi.Strip(l))
		}
	}
}

// Run runs cmd and returns the messages of its leaf commands, one after the
// other (a batch's first command before its second).
func Run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, Run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Settle runs cmd as the Bubble Tea runtime would, one command at a time:
// a batch's commands in turn, each message handed to s.Update and the
// command it returns run in its turn, until no work is left.
func Settle(t testing.TB, s common.Screen, cmd tea.Cmd) {
	t.Helper()
	SettleWith(t, func(msg tea.Msg) tea.Cmd { _, next := s.Update(msg); return next }, cmd)
}

// SettleWith is Settle with the messages handed to update, which may drop
// some (ticks the test sends itself) by returning nil. A command that does
// not return within 20 s, or work still going after 60 s, fails the test.
func SettleWith(t testing.TB, update func(tea.Msg) tea.Cmd, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	deadline := time.Now().Add(60 * time.Second)
	for len(queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("background work did not settle in 60s")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("a command did not finish in 20s")
		}
		switch m := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			queue = append(queue, update(m))
		}
	}
}

// SettleResults is Settle for a screen whose work all ends in
// common.ResultMsg: other messages, and the results drop names (ticks the
// test sends itself), are dropped.
func SettleResults(t testing.TB, s common.Screen, cmd tea.Cmd, drop func(common.ResultMsg) bool) {
	t.Helper()
	SettleWith(t, func(msg tea.Msg) tea.Cmd {
		r, ok := msg.(common.ResultMsg)
		if !ok || drop(r) {
			return nil
		}
		_, next := s.Update(r)
		return next
	}, cmd)
}

// Receive waits up to d for a value on ch; none fails the test, saying
// what did not happen.
func Receive[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s within %v", what, d)
	}
	var zero T
	return zero
}

// JumpOf runs cmd and returns the jump to another screen it asks the
// router for; anything else fails the test.
func JumpOf(t testing.TB, cmd tea.Cmd) common.JumpMsg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	j, ok := cmd().(common.JumpMsg)
	if !ok {
		t.Fatal("the command is not a jump")
	}
	return j
}

// Golden compares got with testdata/name.golden; with -update it rewrites
// the file first. Review the diff of an update before committing it.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
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
}

// GoldenDir makes a fresh directory for a golden test's workspace, at a
// path as long in every run: /tmp/lathe-golden-<8 random letters>/name,
// removed when the test ends. mask writes that path the same way in any
// frame (/tmp/lathe-golden-XXXXXXXX/name), so frames that show it are
// stable, and no two test processes (other checkouts, other versions of
// lathe) ever share a workspace.
func GoldenDir(t testing.TB, name string) (dir string, mask func(string) string) {
	t.Helper()
	for range 100 {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] = 'a' + b[i]%26
		}
		token := string(b)
		parent := "/tmp/lathe-golden-" + token
		if err := os.Mkdir(parent, 0o755); err != nil {
			continue // taken
		}
		t.Cleanup(func() { os.RemoveAll(parent) })
		return filepath.Join(parent, name), func(s string) string { return strings.ReplaceAll(s, token, "XXXXXXXX") }
	}
	t.Fatal("no free /tmp/lathe-golden-* directory")
	return "", nil
}

// Context is a program's context over e, colourless, with the keys of the
// five tabs, its work cancelled when the test ends.
func Context(t testing.TB, e *engine.Engine) *common.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return common.NewContext(ctx, common.Options{Engine: e}, styles.Plain(true), keys.DefaultGlobal(5))
}

// Engine makes a workspace in dir (when it has none) with yaml as its
// lathe.yaml (when not ""), loads its config with a fresh HOME, as the CLI
// would, and opens an engine over it, closed when the test ends.
func Engine(t testing.TB, dir, yaml string, opts engine.Options) *engine.Engine {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "lathe.yaml")); err != nil {
		if _, err := engine.Init(dir, filepath.Base(dir)); err != nil {
			t.Fatal(err)
		}
	}
	if yaml != "" {
		if err := os.WriteFile(filepath.Join(dir, "lathe.yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home) // what a run or a config lookup finds there is the test's
	cfg, err := config.Load(config.Options{WorkspaceDir: dir, Environ: []string{"HOME=" + home}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(dir, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// sgr matches the colour and weight sequences the styles themselves emit.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Escaped asserts view holds each of want and no control character but the
// styles' own sequences and line breaks: what a data file or a run wrote
// (NUL, ESC, BEL, CR) shows escaped, never raw.
func Escaped(t testing.TB, what, view string, want ...string) {
	t.Helper()
	rest := sgr.ReplaceAllString(view, "")
	if i := strings.IndexFunc(rest, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }); i >= 0 {
		t.Errorf("%s: raw control byte %q reaches the terminal:\n%s", what, rest[i], rest)
	}
	for _, w := range want {
		if !strings.Contains(rest, w) {
			t.Errorf("%s: lacks %q:\n%s", what, w, rest)
		}
	}
}

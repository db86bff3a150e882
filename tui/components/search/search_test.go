package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
	"github.com/lathe-ml/lathe/tui/styles"
)

func TestTypingFiltersLiveEnterKeepsEscClears(t *testing.T) {
	rows := [][]string{{"r1", "completed", "lr=0.1 act=ReLU"}, {"r2", "failed", "lr=0.01 act=tanh"}, {"r3", "running", "act=relu"}}
	cols := func(i int) []string { return rows[i] }
	var m Model
	if got := m.Keep(len(rows), cols); !slices.Equal(got, []int{0, 1, 2}) || m.Active() || m.Status(3, 3) != "" {
		t.Fatalf("no query: %v active %v", got, m.Active())
	}
	m.Open()
	if !m.Editing() {
		t.Fatal("not editing after Open")
	}
	changed := false
	for _, k := range []string{"r", "e", "l"} {
		changed = m.Update(tuitest.Key(k)) || changed
	}
	if !changed {
		t.Error("typing did not report a change")
	}
	if got := m.Keep(len(rows), cols); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("\"rel\" (case-insensitive, any column): %v, want [0 2]", got)
	}
	if s := m.Status(2, 3); s != "/rel: 2 of 3" {
		t.Errorf("status %q", s)
	}
	line := ansi.Strip(m.Line(styles.New(true), 40))
	if !strings.Contains(line, "search: rel") {
		t.Errorf("line %q", line)
	}
	m.Update(tuitest.Key("enter"))
	if m.Editing() || !m.Active() || m.Query() != "rel" {
		t.Errorf("enter: editing %v active %v query %q; want the query kept", m.Editing(), m.Active(), m.Query())
	}
	m.Open()
	m.Update(tuitest.Key("backspace"))
	m.Update(tuitest.Key("backspace"))
	m.Update(tuitest.Key("backspace"))
	m.Update(tuitest.Key("f"))
	if got := m.Keep(len(rows), cols); !slices.Equal(got, []int{1}) {
		t.Errorf("\"f\": %v, want [1]", got)
	}
	if !m.Update(tuitest.Key("esc")) || m.Editing() || m.Active() {
		t.Errorf("esc: editing %v active %v; want cleared", m.Editing(), m.Active())
	}
	if got := m.Keep(len(rows), cols); len(got) != 3 {
		t.Errorf("after esc: %v", got)
	}
	m.Set("TANH")
	if !m.Match("act=tanh") || m.Match("relu") {
		t.Error("Set: case-insensitive match")
	}
}

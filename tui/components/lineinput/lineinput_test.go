package lineinput

import (
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

var key = tuitest.Key

func TestEditing(t *testing.T) {
	var m Model
	m.Update(key("x"))
	if m.Value() != "" {
		t.Fatalf("a blurred field took a key: %q", m.Value())
	}
	m.Focus()
	for _, k := range []string{"a", "b", "space", "c", "left", "left", "backspace", "home", ">"} {
		m.Update(key(k))
	}
	if got := m.Value(); got != ">a c" {
		t.Fatalf("value %q, want %q", got, ">a c")
	}
	m.Update(key("ctrl+k"))
	if got := m.Value(); got != ">" {
		t.Fatalf("after ctrl+k %q, want %q", got, ">")
	}
	m.SetValue("col > 3")
	m.Update(key("ctrl+u"))
	if m.Value() != "" {
		t.Fatalf("ctrl+u at the end left %q", m.Value())
	}
}

func TestViewFitsAndFollowsTheCursor(t *testing.T) {
	m := Model{Prompt: "filter: ", Placeholder: "col > 3"}
	plain := lipgloss.NewStyle()
	if got := ansi.Strip(m.View(40, plain, plain)); got != "filter: col > 3" {
		t.Fatalf("blurred empty field shows %q, want the placeholder", got)
	}
	m.Focus()
	m.SetValue("a_very_long_column_name == \"some long value\"")
	for _, w := range []int{12, 20, 40} {
		v := m.View(w, plain, plain)
		if ansi.StringWidth(v) > w {
			t.Errorf("width %d: view %q is %d wide", w, ansi.Strip(v), ansi.StringWidth(v))
		}
		if got := ansi.Strip(v); got[len(got)-1] != ' ' { // the cursor cell after the end
			t.Errorf("width %d: %q does not end at the cursor", w, got)
		}
	}
}

// Package lineinput is a one-line text field for the screens' filters, launch
// lines and dialog fields: typed text, a cursor, backspace and the usual
// readline moves. bubbles' textinput would pull in a clipboard module this
// build does not carry, and a filter or a seed needs no more than this.
package lineinput

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/format"
)

// Model is the field's state. The zero value is an empty, blurred field.
type Model struct {
	Prompt      string // drawn before the text, muted
	Placeholder string // drawn, muted, when the field is empty and blurred
	value       []rune
	pos         int
	focus       bool
}

func (m *Model) SetValue(s string) { m.value, m.pos = []rune(s), len([]rune(s)) }
func (m *Model) Value() string     { return string(m.value) }
func (m *Model) Focus() tea.Cmd    { m.focus = true; return nil }
func (m *Model) Blur()             { m.focus = false }
func (m *Model) Focused() bool     { return m.focus }
func (m *Model) CursorEnd()        { m.pos = len(m.value) }

// Update applies one key press to a focused field; other messages are ignored.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || !m.focus {
		return nil
	}
	switch k.String() {
	case "backspace", "ctrl+h":
		if m.pos > 0 {
			m.value = append(m.value[:m.pos-1], m.value[m.pos:]...)
			m.pos--
		}
	case "delete", "ctrl+d":
		if m.pos < len(m.value) {
			m.value = append(m.value[:m.pos], m.value[m.pos+1:]...)
		}
	case "left", "ctrl+b":
		m.pos = max(m.pos-1, 0)
	case "right", "ctrl+f":
		m.pos = min(m.pos+1, len(m.value))
	case "home", "ctrl+a":
		m.pos = 0
	case "end", "ctrl+e":
		m.pos = len(m.value)
	case "ctrl+u":
		m.value, m.pos = m.value[m.pos:], 0
	case "ctrl+k":
		m.value = m.value[:m.pos]
	case "space":
		m.insert([]rune{' '})
	default:
		var add []rune
		for _, r := range k.Text {
			if unicode.IsPrint(r) {
				add = append(add, r)
			}
		}
		m.insert(add)
	}
	return nil
}

// show is how a value is drawn: typed text is printable, but SetValue may
// bring a run's command with line breaks or control characters, which are
// shown (⏎, \x1b) rather than acted on; the value itself keeps them.
func show(s string) string {
	if strings.ContainsAny(s, "\t\n") {
		s = strings.NewReplacer("\t", " ", "\n", "⏎").Replace(s)
	}
	return format.Printable(s)
}

func (m *Model) insert(add []rune) {
	if len(add) == 0 {
		return
	}
	v := make([]rune, 0, len(m.value)+len(add))
	v = append(append(append(v, m.value[:m.pos]...), add...), m.value[m.pos:]...)
	m.value, m.pos = v, m.pos+len(add)
}

// View draws the prompt and the text in at most w cells, scrolled so the
// cursor stays visible, the cursor as a reversed cell when focused; an empty
// blurred field shows its placeholder.
func (m *Model) View(w int, text, muted lipgloss.Style) string {
	out := muted.Render(m.Prompt)
	body := max(w-ansi.StringWidth(m.Prompt), 2)
	if len(m.value) == 0 && !m.focus {
		return ansi.Truncate(out+muted.Render(m.Placeholder), w, "…")
	}
	before, after := show(string(m.value[:m.pos])), string(m.value[m.pos:])
	cur := " "
	if r := []rune(after); len(r) > 0 {
		cur, after = show(string(r[0])), show(string(r[1:]))
	}
	// Leave a cell for the cursor; the "…" takes the place of what scrolled off.
	if n := ansi.StringWidth(before); n > body-1 {
		before = ansi.TruncateLeft(before, n-(body-2), "…")
	}
	out += text.Render(before)
	if m.focus {
		out += text.Reverse(true).Render(cur)
	} else {
		out += text.Render(cur)
	}
	return ansi.Truncate(out+text.Render(after), w, "…")
}

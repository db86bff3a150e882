package data

import (
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// input is a one-line text field: typed text, a cursor, backspace and the
// usual readline moves. bubbles' textinput would pull in a clipboard module
// this build does not carry, and a filter or a seed needs no more than this.
type input struct {
	Prompt string
	value  []rune
	pos    int
	focus  bool
}

func (in *input) SetValue(s string) { in.value, in.pos = []rune(s), len([]rune(s)) }
func (in *input) Value() string     { return string(in.value) }
func (in *input) Focus()            { in.focus = true }
func (in *input) Blur()             { in.focus = false }
func (in *input) Focused() bool     { return in.focus }

// Update applies one key press; other messages are ignored.
func (in *input) Update(msg tea.Msg) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || !in.focus {
		return
	}
	switch k.String() {
	case "backspace", "ctrl+h":
		if in.pos > 0 {
			in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
			in.pos--
		}
	case "delete", "ctrl+d":
		if in.pos < len(in.value) {
			in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
		}
	case "left", "ctrl+b":
		in.pos = max(in.pos-1, 0)
	case "right", "ctrl+f":
		in.pos = min(in.pos+1, len(in.value))
	case "home", "ctrl+a":
		in.pos = 0
	case "end", "ctrl+e":
		in.pos = len(in.value)
	case "ctrl+u":
		in.value, in.pos = in.value[in.pos:], 0
	case "ctrl+k":
		in.value = in.value[:in.pos]
	default:
		var add []rune
		for _, r := range k.Text {
			if unicode.IsPrint(r) {
				add = append(add, r)
			}
		}
		if len(add) > 0 {
			rest := append(add, in.value[in.pos:]...)
			in.value = append(in.value[:in.pos], rest...)
			in.pos += len(add)
		}
	}
}

// View draws the prompt, the text and, when focused, a reverse-video cursor,
// showing the end of the text when it is wider than w cells.
func (in *input) View(w int, text, muted lipgloss.Style) string {
	before, after := string(in.value[:in.pos]), string(in.value[in.pos:])
	cur := " "
	if len(after) > 0 {
		r := []rune(after)
		cur, after = string(r[0]), string(r[1:])
	}
	body := w - ansi.StringWidth(in.Prompt) - 1
	if n := ansi.StringWidth(before); body > 0 && n > body {
		before = ansi.TruncateLeft(before, n-body, "…")
	}
	out := muted.Render(in.Prompt) + text.Render(before)
	if in.focus {
		out += text.Reverse(true).Render(cur)
	} else {
		out += text.Render(cur)
	}
	return ansi.Truncate(out+text.Render(after), w, "…")
}

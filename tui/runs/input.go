package runs

import (
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line text field with readline moves. bubbles'
// textinput pulls in a clipboard module this build does not carry.
type lineInput struct {
	Placeholder string
	value       []rune
	pos         int
	focus       bool
	width       int
}

func (in *lineInput) SetValue(s string) { in.value, in.pos = []rune(s), len([]rune(s)) }
func (in *lineInput) Value() string     { return string(in.value) }
func (in *lineInput) Focus() tea.Cmd    { in.focus = true; return nil }
func (in *lineInput) Blur()             { in.focus = false }
func (in *lineInput) CursorEnd()        { in.pos = len(in.value) }
func (in *lineInput) SetWidth(w int)    { in.width = w }

// Update applies one key press.
func (in *lineInput) Update(msg tea.Msg) (*lineInput, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || !in.focus {
		return in, nil
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
	case "space":
		in.insert([]rune{' '})
	default:
		var add []rune
		for _, r := range k.Text {
			if unicode.IsPrint(r) {
				add = append(add, r)
			}
		}
		in.insert(add)
	}
	return in, nil
}

func (in *lineInput) insert(add []rune) {
	if len(add) == 0 {
		return
	}
	v := make([]rune, 0, len(in.value)+len(add))
	v = append(append(append(v, in.value[:in.pos]...), add...), in.value[in.pos:]...)
	in.value, in.pos = v, in.pos+len(add)
}

// View shows the text around the cursor within the width, the cursor as a
// reversed cell.
func (in *lineInput) View() string {
	w := max(in.width, 4)
	if len(in.value) == 0 && !in.focus {
		return in.Placeholder
	}
	start := 0
	if in.pos >= w {
		start = in.pos - w + 1
	}
	end := min(len(in.value), start+w)
	text := string(in.value[start:in.pos])
	if in.focus {
		cur := " "
		if in.pos < len(in.value) {
			cur = string(in.value[in.pos])
		}
		text += "\x1b[7m" + cur + "\x1b[27m"
		if in.pos < end {
			text += string(in.value[in.pos+1 : end])
		}
	} else {
		text += string(in.value[in.pos:end])
	}
	return text
}

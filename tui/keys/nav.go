package keys

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Nav are the movement keys every list and scrolled view shares; a screen's
// KeyMap embeds them.
type Nav struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// DefaultNav returns ↑/k, ↓/j, pgup/ctrl+b, pgdn/ctrl+f/space, home/g and
// end/G.
func DefaultNav() Nav {
	return Nav{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
	}
}

// Move returns where msg moves pos: a line or page lines up or down, to 0
// or to last, and whether msg was a movement key at all. The caller clamps
// the result to what it shows.
func (n Nav) Move(msg tea.KeyPressMsg, pos, page, last int) (int, bool) {
	switch {
	case key.Matches(msg, n.Up):
		return pos - 1, true
	case key.Matches(msg, n.Down):
		return pos + 1, true
	case key.Matches(msg, n.PageUp):
		return pos - page, true
	case key.Matches(msg, n.PageDown):
		return pos + page, true
	case key.Matches(msg, n.Top):
		return 0, true
	case key.Matches(msg, n.Bottom):
		return last, true
	}
	return pos, false
}

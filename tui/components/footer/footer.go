// Package footer renders the key help at the bottom of the screen: the active
// screen's bindings followed by the global ones, short or full (bubbles help).
package footer

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"

	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/styles"
)

// Model is the footer's state: whether the full help is shown, and the width.
type Model struct {
	help help.Model
}

// New returns a footer drawn with st.
func New(st *styles.Styles) Model {
	h := help.New()
	h.Styles = st.Help
	return Model{help: h}
}

// SetStyles switches to st (after a background-colour change).
func (m *Model) SetStyles(st *styles.Styles) { m.help.Styles = st.Help }

// SetWidth sets the width help is laid out for.
func (m *Model) SetWidth(w int) { m.help.SetWidth(w) }

// Toggle switches between short and full help.
func (m *Model) Toggle() { m.help.ShowAll = !m.help.ShowAll }

// ShowAll reports whether the full help is shown.
func (m Model) ShowAll() bool { return m.help.ShowAll }

// View renders the help for a screen's bindings plus the global ones.
func (m Model) View(short []key.Binding, full [][]key.Binding, g keys.Global) string {
	return m.help.View(keyMap{short: short, full: full, global: g})
}

type keyMap struct {
	short  []key.Binding
	full   [][]key.Binding
	global keys.Global
}

func (k keyMap) ShortHelp() []key.Binding {
	out := append([]key.Binding{}, k.short...)
	return append(out, k.global.ShortHelp()...)
}

func (k keyMap) FullHelp() [][]key.Binding {
	out := append([][]key.Binding{}, k.full...)
	return append(out, k.global.FullHelp())
}

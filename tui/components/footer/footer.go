// Package footer renders the key help at the bottom of the screen: the active
// screen's bindings followed by the global ones, short or full (bubbles help).
package footer

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"

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

// View renders the help for a screen's bindings plus the global ones. Both
// fit the width without hiding keys the user needs: the short help keeps
// `? more keys` and `q quit` (cutting the screen's keys with "…" first, and
// dropping the tab keys the tab bar shows anyway), and the full help puts the
// columns that do not fit on further rows instead of cutting them off.
func (m Model) View(short []key.Binding, full [][]key.Binding, g keys.Global) string {
	if m.help.ShowAll {
		all := append(append([][]key.Binding{}, full...), g.FullHelp())
		if v, rows := m.fullView(all); rows == 1 || len(full) == 0 {
			return v
		}
		// The global keys on one line below rather than a column on a row of
		// their own.
		v, _ := m.fullView(full)
		return v + "\n" + m.help.ShortHelpView(g.FullHelp())
	}
	return m.shortView(short, g)
}

func (m Model) shortView(short []key.Binding, g keys.Global) string {
	all := keyMap{short: short, global: g}.ShortHelp()
	w := m.help.Width()
	if v := m.unlimited().ShortHelpView(all); w <= 0 || lipgloss.Width(v) <= w {
		return v
	}
	tail := m.unlimited().ShortHelpView([]key.Binding{g.Help, g.Quit})
	if tail == "" {
		return m.help.ShortHelpView(short)
	}
	sep := m.help.Styles.ShortSeparator.Inline(true).Render(m.help.ShortSeparator)
	head := m.help
	head.SetWidth(w - lipgloss.Width(tail) - lipgloss.Width(sep))
	h := head.ShortHelpView(short)
	if h == "" {
		return tail
	}
	return h + sep + tail
}

// fullView lays the columns out left to right and starts a new row of
// columns where the next one would pass the width; it returns the rows.
func (m Model) fullView(groups [][]key.Binding) (string, int) {
	w := m.help.Width()
	u := m.unlimited()
	sepW := lipgloss.Width(m.help.FullSeparator)
	var rows []string
	var row [][]key.Binding
	rowW := 0
	for _, grp := range groups {
		cw := lipgloss.Width(u.FullHelpView([][]key.Binding{grp}))
		if cw == 0 {
			continue
		}
		if len(row) > 0 && w > 0 && rowW+sepW+cw > w {
			rows = append(rows, u.FullHelpView(row))
			row, rowW = nil, 0
		}
		if len(row) > 0 {
			rowW += sepW
		}
		row = append(row, grp)
		rowW += cw
	}
	if len(row) > 0 {
		rows = append(rows, u.FullHelpView(row))
	}
	return strings.Join(rows, "\n"), len(rows)
}

// unlimited is the help model without a width, for measuring.
func (m Model) unlimited() help.Model {
	h := m.help
	h.SetWidth(0)
	return h
}

type keyMap struct {
	short  []key.Binding
	global keys.Global
}

func (k keyMap) ShortHelp() []key.Binding {
	out := append([]key.Binding{}, k.short...)
	return append(out, k.global.ShortHelp()...)
}

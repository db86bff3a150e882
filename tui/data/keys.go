package data

import (
	"charm.land/bubbles/v2/key"

	"github.com/lathe-ml/lathe/tui/keys"
)

// KeyMap are the Data screen's bindings. Views pick the ones that apply to
// them for the footer (see Screen.ShortHelp).
type KeyMap struct {
	keys.Nav
	Left, Right                 key.Binding
	Open, Back                  key.Binding
	Files, Columns, Alerts      key.Binding
	Rows, Drift, Split          key.Binding
	Filter, Sort, Hide, ShowAll key.Binding
	Next, Run                   key.Binding // split dialog: next field, run
	Header                      key.Binding // CSV header mode: first-row, none, sniff
}

// DefaultKeyMap returns the Data screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:     keys.DefaultNav(),
		Left:    key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "column left")),
		Right:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "column right")),
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Files:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "files")),
		Columns: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "columns")),
		Alerts:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "alerts")),
		Rows:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rows")),
		Drift:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "drift")),
		Split:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "split")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort")),
		Hide:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hide col")),
		ShowAll: key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "show all")),
		Next:    key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		Run:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "split")),
		Header:  key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "header mode")),
	}
}

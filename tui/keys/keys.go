// Package keys holds the shell's global key bindings as data. Each screen keeps
// its own KeyMap in its own package; the footer shows the active screen's keys
// followed by these.
package keys

import "charm.land/bubbles/v2/key"

// Global are the bindings the root router handles before any screen sees a key.
type Global struct {
	Quit    key.Binding
	Help    key.Binding
	NextTab key.Binding
	PrevTab key.Binding
	// Tabs[i] jumps to the i-th screen (keys 1..5).
	Tabs []key.Binding
}

// DefaultGlobal returns the global bindings; n is the number of screens.
func DefaultGlobal(n int) Global {
	g := Global{
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		NextTab: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev tab")),
	}
	for i := 1; i <= n && i <= 9; i++ {
		k := string(rune('0' + i))
		g.Tabs = append(g.Tabs, key.NewBinding(key.WithKeys(k), key.WithHelp(k, "")))
	}
	if len(g.Tabs) > 0 {
		// One help entry stands for all the number keys.
		g.Tabs[0].SetHelp("1-"+string(rune('0'+len(g.Tabs))), "go to tab")
	}
	return g
}

// ShortHelp lists the global keys shown after the screen's own in the footer.
func (g Global) ShortHelp() []key.Binding {
	out := []key.Binding{}
	if len(g.Tabs) > 0 {
		out = append(out, g.Tabs[0])
	}
	return append(out, g.NextTab, g.Help, g.Quit)
}

// FullHelp lists every global key, as one column.
func (g Global) FullHelp() []key.Binding {
	out := []key.Binding{}
	if len(g.Tabs) > 0 {
		out = append(out, g.Tabs[0])
	}
	return append(out, g.NextTab, g.PrevTab, g.Help, g.Quit)
}

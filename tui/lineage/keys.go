package lineage

import (
	"charm.land/bubbles/v2/key"

	"github.com/lathe-ml/lathe/tui/components/search"
	"github.com/lathe-ml/lathe/tui/keys"
)

// KeyMap are the Lineage screen's bindings.
type KeyMap struct {
	keys.Nav
	PrevList, NextList key.Binding // picker: runs, datasets, studies
	Open               key.Binding // picker: open the node; graph: jump to the node under the cursor
	Back               key.Binding // graph: the node before this jump, or the picker
	Pick               key.Binding // graph: back to the picker
	Refresh            key.Binding
	Run                key.Binding // a run (or an artifact's run): its detail on the Runs screen
	Search             key.Binding // picker: / searches the lists
}

// DefaultKeyMap returns the Lineage screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:      keys.DefaultNav(),
		PrevList: key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "prev list")),
		NextList: key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "next list")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:     key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Pick:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pick node")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Run:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "run in Runs")),
		Search:   search.Key(),
	}
}

// Package lineage is the Lineage screen: the provenance graph around runs and datasets.
// Until that capability lands it is a placeholder that says so; the screen
// plumbing (activation, background work, results by ID) is already real.
package lineage

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/placeholder"
)

// KeyMap are the Lineage screen's bindings.
type KeyMap struct {
	Refresh key.Binding
}

// DefaultKeyMap returns the Lineage screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	}
}

// Screen is the Lineage tab.
type Screen struct {
	*placeholder.Model
	Keys KeyMap
}

// New returns the Lineage screen of the program that owns c.
func New(c *common.Context) *Screen {
	km := DefaultKeyMap()
	text := placeholder.Text{
		Capability: "lineage and provenance",
		Issue:      "issue 6 (Lineage and reproducibility)",
		Will: []string{
			"which dataset, code, image, parameters and runner produced each run",
			"the artifacts each run produced and the datasets derived from them",
			"the diff of two runs, and an exact rerun",
		},
	}
	return &Screen{Model: placeholder.New(c, common.Lineage, text, placeholder.KeyMap{Refresh: km.Refresh}), Keys: km}
}

// Update handles the screen's keys and its own background results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	return s, s.Model.Update(msg)
}

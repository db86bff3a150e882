// Package data is the Data screen: dataset profiles, rows, splits and drift.
// Until that capability lands it is a placeholder that says so; the screen
// plumbing (activation, background work, results by ID) is already real.
package data

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/placeholder"
)

// KeyMap are the Data screen's bindings.
type KeyMap struct {
	Refresh key.Binding
}

// DefaultKeyMap returns the Data screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	}
}

// Screen is the Data tab.
type Screen struct {
	*placeholder.Model
	Keys KeyMap
}

// New returns the Data screen of the program that owns c.
func New(c *common.Context) *Screen {
	km := DefaultKeyMap()
	text := placeholder.Text{
		Capability: "dataset profiling",
		Issue:      "issue 3 (Explore)",
		Will: []string{
			"column types, missing values, distinct counts, histograms, top values",
			"correlations and quality alerts",
			"the rows, sorted and filtered",
			"train/validation/test splits with their integrity report, and drift",
		},
	}
	return &Screen{Model: placeholder.New(c, common.Data, text, placeholder.KeyMap{Refresh: km.Refresh}), Keys: km}
}

// Update handles the screen's keys and its own background results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	return s, s.Model.Update(msg)
}

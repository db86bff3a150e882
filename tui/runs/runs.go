// Package runs is the Runs screen: run records, live logs and metric curves.
// Until that capability lands it is a placeholder that says so; the screen
// plumbing (activation, background work, results by ID) is already real.
package runs

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/placeholder"
)

// KeyMap are the Runs screen's bindings.
type KeyMap struct {
	Refresh key.Binding
}

// DefaultKeyMap returns the Runs screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	}
}

// Screen is the Runs tab.
type Screen struct {
	*placeholder.Model
	Keys KeyMap
}

// New returns the Runs screen of the program that owns c.
func New(c *common.Context) *Screen {
	km := DefaultKeyMap()
	text := placeholder.Text{
		Capability: "launching and following runs",
		Issue:      "issue 4 (Runners)",
		Will: []string{
			"runs with their status, runner, parameters and metrics",
			"live logs, and validation curves of one or many runs",
		},
	}
	return &Screen{Model: placeholder.New(c, common.Runs, text, placeholder.KeyMap{Refresh: km.Refresh}), Keys: km}
}

// Update handles the screen's keys and its own background results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	return s, s.Model.Update(msg)
}

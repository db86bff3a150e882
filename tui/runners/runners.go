// Package runners is the Runners screen: runner health, GPUs and load.
// Until that capability lands it is a placeholder that says so; the screen
// plumbing (activation, background work, results by ID) is already real.
package runners

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/placeholder"
)

// KeyMap are the Runners screen's bindings.
type KeyMap struct {
	Refresh key.Binding
}

// DefaultKeyMap returns the Runners screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	}
}

// Screen is the Runners tab.
type Screen struct {
	*placeholder.Model
	Keys KeyMap
}

// New returns the Runners screen of the program that owns c.
func New(c *common.Context) *Screen {
	km := DefaultKeyMap()
	text := placeholder.Text{
		Capability: "runner health, GPUs and queues",
		Issue:      "issue 4 (Runners)",
		Will: []string{
			"local, Docker and remote GPU runners, and whether each answers",
			"GPUs, their allocation and each runner's queue",
		},
	}
	return &Screen{Model: placeholder.New(c, common.Runners, text, placeholder.KeyMap{Refresh: km.Refresh}), Keys: km}
}

// Update handles the screen's keys and its own background results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	return s, s.Model.Update(msg)
}

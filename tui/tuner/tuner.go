// Package tuner is the Tuner screen: studies, trials and the Pareto front.
// Until that capability lands it is a placeholder that says so; the screen
// plumbing (activation, background work, results by ID) is already real.
package tuner

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/placeholder"
)

// KeyMap are the Tuner screen's bindings.
type KeyMap struct {
	Refresh key.Binding
}

// DefaultKeyMap returns the Tuner screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	}
}

// Screen is the Tuner tab.
type Screen struct {
	*placeholder.Model
	Keys KeyMap
}

// New returns the Tuner screen of the program that owns c.
func New(c *common.Context) *Screen {
	km := DefaultKeyMap()
	text := placeholder.Text{
		Capability: "multi-metric Bayesian studies",
		Issue:      "issue 5 (Tuner)",
		Will: []string{
			"studies, their trials and the parameters they tried",
			"the feasible Pareto front, live, and the best trial",
			"trials stopped early and constraint violations",
		},
	}
	return &Screen{Model: placeholder.New(c, common.Tuner, text, placeholder.KeyMap{Refresh: km.Refresh}), Keys: km}
}

// Update handles the screen's keys and its own background results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	return s, s.Model.Update(msg)
}

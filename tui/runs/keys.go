package runs

import (
	"charm.land/bubbles/v2/key"

	"github.com/lathe-ml/lathe/tui/components/search"
	"github.com/lathe-ml/lathe/tui/keys"
)

// KeyMap are the Runs screen's bindings.
type KeyMap struct {
	keys.Nav                                                                          // the list and the detail use ↑/↓ only; the diff page all
	Open, Back, Mark, Filter, Sort, New, Stop, Rerun, NextMetric, PrevMetric, Refresh key.Binding
	Diff, Lineage                                                                     key.Binding
	Tag, Note, Name                                                                   key.Binding
	// The compare view's: c opens it from the list; ←/→ pick a column, s
	// sorts by it, d hides the same-valued ones, m/M pick the curve, e
	// steps the smoothing, t switches x between step and wall time.
	Compare, ColLeft, ColRight, SortCol, HideSame, CurveMetric, CurvePrev, Smooth, XAxis key.Binding
}

// DefaultKeyMap returns the Runs screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:        keys.DefaultNav(),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "curves+logs")),
		Back:       key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Mark:       key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark to compare")),
		Filter:     search.Key(),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		New:        key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new run")),
		Stop:       key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop")),
		Rerun:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rerun")),
		NextMetric: key.NewBinding(key.WithKeys("m", "right", "l"), key.WithHelp("m/→", "next metric")),
		PrevMetric: key.NewBinding(key.WithKeys("M", "left", "h"), key.WithHelp("M/←", "prev metric")),
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Diff:       key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "diff with…")),
		Lineage:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "lineage")),
		Tag:        key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tag")),
		Note:       key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "note")),
		Name:       key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "name")),

		Compare:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "compare marked")),
		ColLeft:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "column")),
		ColRight:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "next column")), // shown with ColLeft
		SortCol:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by column")),
		HideSame:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "hide/show same")),
		CurveMetric: key.NewBinding(key.WithKeys("m"), key.WithHelp("m/M", "curve metric")),
		CurvePrev:   key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "prev metric")), // shown with CurveMetric
		Smooth:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "smoothing")),
		XAxis:       key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "x: step/time")),
	}
}

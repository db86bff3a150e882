package tuner

import (
	"slices"
	"strconv"
)

// The trials table's / search: it keeps the trials whose row, as the table
// and the detail lines show it (number, status, feasibility, metrics,
// params, run id), contains the query.

// CapturingInput reports whether the search line takes the keys.
func (s *Screen) CapturingInput() bool { return !s.picking && !s.specs.open && s.search.Editing() }

// keptTrials are the indexes into rep.Trials the search keeps.
func (s *Screen) keptTrials() []int {
	if s.rep == nil {
		return nil
	}
	rep := s.rep
	return s.search.Keep(len(rep.Trials), func(i int) []string {
		t := rep.Trials[i]
		cols := []string{"#" + strconv.Itoa(t.Number), t.Status, shortStatus(t.Status), feasibleMark(t.Feasible), t.RunID, t.Error}
		for _, m := range rep.Spec.Metrics {
			if v, ok := t.Metrics[m.Name]; ok {
				cols = append(cols, m.Name+"="+num(v))
			}
		}
		for _, p := range rep.Spec.Parameters {
			cols = append(cols, p.Name+"="+paramText(t.Params[p.Name]))
		}
		return cols
	})
}

// keepSelection moves the selection onto a kept trial when the search
// hides the selected one.
func (s *Screen) keepSelection() {
	kept := s.keptTrials()
	if len(kept) > 0 && !slices.Contains(kept, s.sel) {
		s.sel = kept[0]
	}
}

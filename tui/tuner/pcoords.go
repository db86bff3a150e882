package tuner

import (
	"fmt"
	"math"
	"slices"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/parcoords"
	"github.com/lathe-ml/lathe/tui/components/scatter"
	"github.com/lathe-ml/lathe/tui/styles"
)

// The parallel coordinates of the study's trials (p, in place of the
// scatter): an axis per parameter (log-scaled when searched on a log scale,
// categories in their spec order), then per objective and constraint; a
// line per trial, the Pareto front highlighted, infeasible and failed
// trials dimmed, the selected one on top.

// pcoordsPlot lays the report's trials out for parcoords.
func (s *Screen) pcoordsPlot() parcoords.Plot {
	rep := s.rep
	var p parcoords.Plot
	params := rep.Spec.Parameters
	for _, sp := range params {
		a := parcoords.Axis{Name: sp.Name, Log: sp.Transformation == "log"}
		if sp.Type == optimizer.TypeCategorical {
			a.Categories = sp.CategoricalValues
		}
		p.Axes = append(p.Axes, a)
	}
	metrics := axes(rep)[1:]
	for _, m := range metrics {
		p.Axes = append(p.Axes, parcoords.Axis{Name: m.name})
	}
	pareto := map[int]bool{}
	for _, n := range rep.Pareto {
		pareto[n] = true
	}
	for i, t := range rep.Trials {
		vals := make([]float64, 0, len(p.Axes))
		for k, sp := range params {
			vals = append(vals, paramValue(t.Params[sp.Name], p.Axes[k].Categories))
		}
		for _, m := range metrics {
			v, ok := t.Metrics[m.metric]
			if !ok {
				v = math.NaN()
			}
			vals = append(vals, v)
		}
		c := scatter.Normal
		switch {
		case i == s.sel:
			c = scatter.Selected
		case t.Feasible != nil && !*t.Feasible || t.Status == experiments.TrialFailed:
			c = scatter.Dim
		case pareto[t.Number]:
			c = scatter.Highlight
		}
		p.Lines = append(p.Lines, parcoords.Line{Values: vals, Class: c})
	}
	p.Text = s.c.Styles.Charset != ""
	return p
}

// paramValue is a trial's parameter on its axis: the number, or the
// category's index; NaN when absent (an inactive conditional parameter).
func paramValue(v any, cats []string) float64 {
	if len(cats) > 0 {
		if i := slices.Index(cats, fmt.Sprint(v)); v != nil && i >= 0 {
			return float64(i)
		}
		return math.NaN()
	}
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return math.NaN()
}

// pcoordsView draws the plot in w x h with a key to its lines.
func (s *Screen) pcoordsView(w, h int) string {
	st := s.c.Styles
	legend := "parallel coordinates · pareto front bright · infeasible dim · selected on top"
	if st.Charset != "" {
		marks := scatter.ClassMarks()
		legend = fmt.Sprintf("parallel coordinates · %c pareto · %c feasible · %c infeasible · %c selected",
			marks[scatter.Highlight], marks[scatter.Normal], marks[scatter.Dim], marks[scatter.Selected])
	}
	out := parcoords.Render(s.pcoordsPlot(), w, max(h-1, 0), classStyles(st))
	return frame.Fit(out+"\n"+st.Muted.Render(format.Clip(legend, w)), w, h)
}

// classStyles draw the trials' classes, in the scatter and the parallel
// coordinates alike.
func classStyles(st *styles.Styles) scatter.Styles {
	return scatter.Styles{
		scatter.Line:      st.Muted,
		scatter.Dim:       st.Muted.Faint(true),
		scatter.Normal:    st.Text,
		scatter.Highlight: st.Title,
		scatter.Selected:  st.Error,
	}
}

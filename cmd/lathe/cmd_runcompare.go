package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
)

// newRunsCompareCmd is `lathe runs compare A B [C...]`.
func newRunsCompareCmd(a *app) *cobra.Command {
	var metrics []string
	cmd := &cobra.Command{
		Use:   "compare A B [C...]",
		Short: "Compare runs side by side: params, final and best metrics, what differs",
		Long: `Print a table of the runs' params and of each metric's final and best value,
one column per run. Rows whose values differ between the runs are marked *;
the best run of each metric is marked (best). A metric's direction comes from
the study spec when a run is a trial, else from its name (loss- and error-like
names are minimized, accuracy-like ones maximized); without one, no best is
shown. --metric limits the metrics (repeatable); with --json their series are
included under "series".`,
		Example: "  lathe runs compare r3k9 r7qa r8zz\n  lathe runs compare r3k9 r7qa --metric val_loss --json",
		Args:    rangeArgs(2, 1<<20, "two or more run IDs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runsCompare(orBackground(cmd.Context()), args, metrics)
		},
		ValidArgsFunction: a.completeRunIDs(1 << 20),
	}
	cmd.Flags().StringArrayVar(&metrics, "metric", nil, "compare only this metric (repeatable); --json adds its series")
	return cmd
}

func (a *app) runsCompare(ctx context.Context, refs, metrics []string) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	c, err := e.CompareRuns(ctx, refs, engine.CompareOptions{Metrics: metrics})
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(c)
	}
	return a.printComparison(c)
}

// printComparison writes the comparison one row per field, one column per
// run; every value is the runs' text, escaped.
func (a *app) printComparison(c *engine.RunComparison) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	row := func(mark, field string, cells []string) {
		fmt.Fprintf(tw, "%s %s\t%s\n", mark, format.OneLine(field), strings.Join(cells, "\t"))
	}
	cells := func(f func(r engine.ComparedRun) string) []string {
		out := make([]string, len(c.Runs))
		for i, r := range c.Runs {
			out[i] = format.OneLine(f(r))
		}
		return out
	}
	row(" ", "RUN", cells(func(r engine.ComparedRun) string { return r.ID }))
	if names := cells(func(r engine.ComparedRun) string { return r.Name }); strings.Join(names, "") != "" {
		row(" ", "name", names)
	}
	row(" ", "status", cells(func(r engine.ComparedRun) string { return string(r.Status) }))
	for _, p := range c.Params {
		row(diffMark(p.Differs), "param "+p.Name, cells(func(r engine.ComparedRun) string {
			v, ok := r.Params[p.Name]
			if !ok {
				return "-"
			}
			return format.Value(v)
		}))
	}
	for _, m := range c.Metrics {
		dir := ""
		if m.Direction != "" {
			dir = " (" + m.Direction + ")"
		}
		row(diffMark(m.Differs), "final "+m.Name+dir, cells(func(r engine.ComparedRun) string {
			s, ok := r.Final[m.Name]
			if !ok {
				return "-"
			}
			return format.Metric(s.Value)
		}))
		if m.Direction == "" {
			continue
		}
		row(diffMark(m.BestDiffers), "best "+m.Name+dir, cells(func(r engine.ComparedRun) string {
			s, ok := r.Best[m.Name]
			if !ok {
				return "-"
			}
			out := fmt.Sprintf("%s @%d", format.Metric(s.Value), s.Step)
			if r.ID == m.BestRun && len(c.Runs) > 1 {
				out += " (best)"
			}
			return out
		}))
	}
	return tw.Flush()
}

func diffMark(differs bool) string {
	if differs {
		return "*"
	}
	return " "
}

package main

import (
	"context"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/tui/components/chart"
)

func newRunsPlotCmd(a *app) *cobra.Command {
	var metrics []string
	var width, height int
	var charset string
	var logY bool
	cmd := &cobra.Command{
		Use:   "plot RUN... --metric NAME",
		Short: "Print a text chart of metric series, for CI logs and scripts",
		Long: `Plot one or more metrics of one or more runs as a text chart (asciigraph), one
series per run and metric, overlaid on a shared step axis, with a legend giving
each series' last value. Box-drawing lines by default, 7-bit ASCII with
--charset ascii; colours unless NO_COLOR is set or --no-color is given. The
width is --width, else the terminal's, else 80 columns.`,
		Example: `  lathe runs plot r3k9 --metric val_loss
  lathe runs plot r3k9 r7qq --metric val_loss --metric train_loss --width 100 --charset ascii`,
		Args:              rangeArgs(1, 64, "one or more run IDs"),
		ValidArgsFunction: a.completeRunIDs(64),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runsPlot(orBackground(cmd.Context()), args, metrics, width, height, charset, logY)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&metrics, "metric", nil, "metric to plot (repeatable); required")
	f.IntVar(&width, "width", 0, "chart width in columns (default: the terminal's, else 80)")
	f.IntVar(&height, "height", 16, "chart height in lines, legend included")
	f.StringVar(&charset, "charset", chart.CharsetBox, "box (box-drawing lines) or ascii (7-bit)")
	f.BoolVar(&logY, "log", false, "log10 y axis")
	return cmd
}

func (a *app) runsPlot(ctx context.Context, prefixes, metrics []string, width, height int, charset string, logY bool) error {
	if len(metrics) == 0 {
		return &config.InputError{Field: "--metric", Msg: "required: the metric to plot, e.g. --metric val_loss (lathe runs metrics RUN lists them)"}
	}
	switch charset {
	case chart.CharsetBox, chart.CharsetASCII:
	default:
		return &config.InputError{Field: "--charset", Msg: strconv.Quote(charset) + " is not valid; use box or ascii"}
	}
	if width == 0 {
		width = 80
		if f, ok := a.stdout.(*os.File); ok {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
				width = w
			}
		}
	}
	if width < 20 || height < 6 {
		return &config.InputError{Field: "--width", Msg: "give at least 20 columns (--width) and 6 lines (--height)"}
	}
	e, err := a.engine()
	if err != nil {
		return err
	}
	ids := make([]string, len(prefixes))
	for i, p := range prefixes {
		if ids[i], err = e.ResolveRun(ctx, p); err != nil {
			return err
		}
	}
	curves, err := e.Curves(ctx, ids, metrics)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(curves)
	}
	var series []*chart.Series
	for _, c := range curves {
		label := c.RunID
		if c.Name != "" {
			label = c.Name
		}
		if len(metrics) > 1 {
			label += "/" + c.Metric
		}
		s := &chart.Series{Label: label}
		for _, p := range c.Points {
			s.Add(chart.Point{X: float64(p.Step), Y: p.Value})
		}
		series = append(series, s)
	}
	title := ""
	if len(metrics) == 1 {
		title = metrics[0]
	}
	noColor := a.noColor || os.Getenv("NO_COLOR") != ""
	a.printf("%s\n", chart.RenderText(width, height, series, chart.Options{NoColor: noColor, Title: title, Charset: charset, LogY: logY}))
	return nil
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
)

func newReportCmd(a *app) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report REF [--out report.html]",
		Short: "Write a self-contained HTML report of a run, a study or a dataset",
		Long: `Write one HTML file to share: it holds its charts (inline SVG) and styles, runs
no script and loads nothing, so it opens offline, in a mail attachment or a CI
artifact alike.

REF is resolved as by lathe lineage: a run id (or a unique prefix), a study
name, a dataset path or version (4+ hex digits of its sha256, dataset:ID or
the number lathe data ls prints), or KIND:ID. A data file that was never
registered is profiled as it is.

  run      status, command, parameters, a curve per metric (system metrics
           apart), metric values (last, min, max), inputs and artifacts
  study    the Pareto front of the first two objectives (infeasible trials
           dimmed, thresholds dashed, the dominated region shaded), each
           objective and the hypervolume by trial, the trials' learning
           curves, parameter importance, the trials table and the spec
  dataset  the profile: alerts, a column table, a histogram or the top
           values of every column, the strongest correlations

The file is REF.html in the current directory unless --out names one ("-"
writes the page to stdout); the path written is printed.`,
		Example: `  lathe report r3k9 --out run.html
  lathe report penguins-mlp
  lathe report data/penguins.csv --out - > profile.html`,
		Args:              exactArgs(1, "one REF (a run, a study or a dataset)"),
		ValidArgsFunction: a.completeLineageRef,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := a.withProgress(orBackground(cmd.Context()))
			e, err := a.dataEngine()
			if err != nil {
				return err
			}
			var info engine.ReportInfo
			if out == "-" {
				info, err = e.RenderReport(ctx, args[0], a.stdout)
				if err != nil {
					return err
				}
				a.progressf("wrote the %s report of %s (%s)\n", info.Kind, info.Ref, format.Bytes(info.Bytes))
				return nil
			}
			info, err = e.WriteReport(ctx, args[0], out)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(info)
			}
			a.progressf("wrote the %s report of %s (%s)\n", info.Kind, info.Ref, format.Bytes(info.Bytes))
			a.printf("%s\n", info.Path)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", `the HTML file to write (default REF.html here; "-": stdout)`)
	return cmd
}

func newPlotCmd(a *app) *cobra.Command {
	var req engine.PlotRequest
	cmd := &cobra.Command{
		Use:   "plot RUN... --metric NAME [--out curve.svg|curve.png]",
		Short: "Draw metric curves of runs as an SVG or PNG image",
		Long: `Draw one or more metrics of one or more runs on one chart, by step, with a
legend when there is more than one series, and write it as an image: SVG or
PNG by the --out file's extension (default METRIC.svg here; "-" writes SVG to
stdout). lathe runs plot prints the same curves as text, for a terminal or a
CI log.`,
		Example: `  lathe plot r3k9 --metric val_loss --out curve.png
  lathe plot r3k9 r7qq --metric val_loss --metric train_loss --width 1200 --height 600 --out losses.svg`,
		Args:              rangeArgs(1, 64, "one or more run IDs"),
		ValidArgsFunction: a.completeRunIDs(64),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			if req.Out != "" {
				if _, err := engine.PlotFormat(req.Out); err != nil {
					return err // before opening the workspace: a typo costs nothing
				}
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			req.Runs = args
			info, err := e.Plot(ctx, req, a.stdout)
			if err != nil {
				return err
			}
			if info.Path == "-" {
				return nil
			}
			if a.jsonOut {
				return a.printJSON(info)
			}
			a.printf("%s\n", info.Path)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&req.Metrics, "metric", nil, "metric to plot (repeatable); required")
	f.StringVarP(&req.Out, "out", "o", "", `image to write: .svg or .png (default METRIC.svg here; "-": SVG on stdout)`)
	f.IntVar(&req.Width, "width", 800, "image width in pixels")
	f.IntVar(&req.Height, "height", 480, "image height in pixels")
	f.BoolVar(&req.LogY, "log", false, "log10 value axis")
	return cmd
}

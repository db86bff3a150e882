package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
)

func newRunsExportCmd(a *app) *cobra.Command {
	var statuses []string
	var runner, formatName, out string
	var limit int
	cmd := &cobra.Command{
		Use:   "export [--format csv|jsonl|parquet] [--out FILE|-]",
		Short: "Export runs with their parameters and metrics as a table, for notebooks",
		Long: `Write one row per run, newest first, with the columns

  id, name, status, runner, image, exit_code,
  created_at, started_at, ended_at (RFC 3339, UTC), duration_s,
  param.NAME       for every parameter any run has (numbers where every
                   value is one, else text),
  metric.NAME      the metric's last value, and metric.NAME.min and
  metric.NAME.max  over its samples, for every metric any run reports.

A run without a parameter or metric has an empty cell (null in JSON Lines and
Parquet). The format is --format, else the --out file's extension (.csv,
.jsonl or .ndjson, .parquet), else CSV. Without --out (or with "-") the table
goes to stdout. pandas reads each: read_csv, read_json(lines=True),
read_parquet. The filters are runs ls's.`,
		Example: `  lathe runs export --out runs.csv
  lathe runs export --status completed --runner gpu1 --format parquet --out runs.parquet
  lathe runs export --format jsonl | jq .`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			f, err := a.runFilter(statuses, runner, limit)
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, 500*time.Millisecond)
			if err != nil {
				return err
			}
			fmtName, err := engine.ExportFormat(formatName, out)
			if err != nil {
				return err
			}
			if (out == "" || out == "-") && fmtName == "parquet" && isTerminal(a.stdout) {
				return &config.InputError{Field: "--out", Msg: "Parquet is binary: give --out FILE, or redirect stdout"}
			}
			info, err := e.ExportRuns(ctx, f, fmtName, out, a.stdout)
			if err != nil {
				return err
			}
			if info.Path == "-" {
				a.progressf("exported %d runs, %d columns (%s)\n", info.Rows, info.Columns, info.Format)
				return nil
			}
			if a.jsonOut {
				return a.printJSON(info)
			}
			a.progressf("exported %d runs, %d columns, %s\n", info.Rows, info.Columns, format.Bytes(info.Bytes))
			a.printf("%s\n", info.Path)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&formatName, "format", "", "csv, jsonl or parquet (default: by --out's extension, else csv)")
	fl.StringVarP(&out, "out", "o", "", `file to write ("-" or none: stdout)`)
	fl.StringSliceVar(&statuses, "status", nil, "only runs with these statuses (comma-separated)")
	fl.StringVar(&runner, "runner", "", "only runs on this runner")
	fl.IntVar(&limit, "limit", 0, "at most this many runs, the newest (0: all)")
	_ = cmd.RegisterFlagCompletionFunc("runner", a.completeRunners)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv", "jsonl", "parquet"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// runFilter reads runs ls's filter flags (exit 2 naming the flag).
func (a *app) runFilter(statuses []string, runner string, limit int) (experiments.RunFilter, error) {
	f := experiments.RunFilter{Runner: runner, Limit: limit}
	if limit < 0 {
		return f, &config.InputError{Field: "--limit", Msg: fmt.Sprintf("%d: give 0 (all) or a positive number of runs", limit)}
	}
	for _, s := range statuses {
		for _, part := range strings.Split(s, ",") {
			st := runstatus.Status(strings.TrimSpace(part))
			if !st.Valid() {
				return f, &config.InputError{Field: "--status", Msg: fmt.Sprintf("unknown status %q; valid: %s", part, joinStatuses())}
			}
			f.Status = append(f.Status, st)
		}
	}
	if runner != "" {
		if _, ok := a.cfg.Runner(runner); !ok {
			return f, &config.InputError{Field: "--runner", Msg: fmt.Sprintf("unknown runner %q; valid runners: %s", runner, strings.Join(a.cfg.RunnerNames(), ", "))}
		}
	}
	return f, nil
}

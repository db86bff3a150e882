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
	var rf runFilterFlags
	var formatName, out string
	cmd := &cobra.Command{
		Use:   "export [--format csv|jsonl|parquet] [--out FILE|-]",
		Short: "Export runs with their parameters and metrics as a table, for notebooks",
		Long: `Write one row per run, newest first, with the columns

  id, name, status, runner, image, exit_code,
  created_at, started_at, ended_at (RFC 3339, UTC), duration_s,
  tags (space-separated), note,
  param.NAME       for every parameter any run has (numbers where every
                   value is one, else text),
  metric.NAME      the metric's last value, and metric.NAME.min and
  metric.NAME.max  over its samples, for every metric any run reports.

A run without a parameter or metric has an empty cell (null in JSON Lines and
Parquet). The format is --format, else the --out file's extension (.csv,
.jsonl or .ndjson, .parquet), else CSV. Without --out (or with "-") the table
goes to stdout. pandas reads each: read_csv, read_json(lines=True),
read_parquet. The filters are runs ls's (--status, --runner, --tag, --since,
--param, --limit).`,
		Example: `  lathe runs export --out runs.csv
  lathe runs export --tag baseline --since 3d --param 'lr<=0.01' --out runs.csv
  lathe runs export --status completed --runner gpu1 --format parquet --out runs.parquet
  lathe runs export --format jsonl | jq .`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			f, err := rf.filter(a)
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
	rf.register(a, cmd, "at most this many runs, the newest (0: all)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv", "jsonl", "parquet"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// runFilterFlags are the filter flags runs ls and runs export share, read
// by one parser (engine.ParseRunQuery) so both take and refuse the same.
type runFilterFlags struct {
	engine.RunQuery
	runner string
}

func (rf *runFilterFlags) register(a *app, cmd *cobra.Command, limitHelp string) {
	fl := cmd.Flags()
	fl.StringSliceVar(&rf.Status, "status", nil, "only runs with these statuses (comma-separated: "+strings.Join(statusStrings(), ", ")+")")
	fl.StringVar(&rf.runner, "runner", "", "only runs on this runner")
	fl.IntVar(&rf.Limit, "limit", 0, limitHelp)
	fl.StringArrayVar(&rf.Tags, "tag", nil, "only runs with this tag (repeat: every one)")
	fl.StringVar(&rf.Since, "since", "", "only runs created since: a duration back (2h, 3d, 1w), a date (2026-12-01) or an RFC 3339 time")
	fl.StringArrayVar(&rf.Params, "param", nil, "only runs whose parameter satisfies NAME OP VALUE, OP one of > >= < <= = != (repeat: every one), e.g. 'lr>0.01'")
	_ = cmd.RegisterFlagCompletionFunc("runner", a.completeRunners)
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(statusStrings(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("tag", a.completeTags)
}

// filter validates the flags (exit 2 naming the flag).
func (rf *runFilterFlags) filter(a *app) (experiments.RunFilter, error) {
	f, err := engine.ParseRunQuery(rf.RunQuery, time.Now())
	if err != nil {
		return f, err
	}
	f.Runner = rf.runner
	if rf.runner != "" {
		if _, ok := a.cfg.Runner(rf.runner); !ok {
			return f, &config.InputError{Field: "--runner", Msg: fmt.Sprintf("unknown runner %q; valid runners: %s", rf.runner, strings.Join(a.cfg.RunnerNames(), ", "))}
		}
	}
	return f, nil
}

func statusStrings() []string {
	var out []string
	for _, s := range runstatus.All() {
		out = append(out, string(s))
	}
	return out
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/spf13/cobra"
)

// The `lathe runs` subcommands: records, logs, metrics, stop (diff and rerun
// are lineage's, in cmd_rundiff.go; plot in cmd_plot.go).

func newRunsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "runs",
		Short: "Run records, logs, metric series, stop, provenance diff and exact rerun",
		Example: `  lathe runs ls
  lathe runs logs r3k9... -f
  lathe runs metrics r3k9... --json
  lathe runs diff A B`,
	})
	cmd.AddCommand(newRunsLsCmd(a), newRunsShowCmd(a), newRunsLogsCmd(a), newRunsMetricsCmd(a), newRunsPlotCmd(a), newRunsExportCmd(a), newRunsStopCmd(a), newRunsCompareCmd(a),
		newRunsTagCmd(a), newRunsNoteCmd(a), newRunsRenameCmd(a))
	// Diff and rerun are lineage's (cmd_rundiff.go).
	diff, rerun := newRunsDiffCmd(a), newRunsRerunCmd(a)
	cmd.AddCommand(diff, rerun)
	return cmd
}

func newRunsLsCmd(a *app) *cobra.Command {
	var rf runFilterFlags
	var user, fromWS string
	var mine bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List runs, newest first",
		Example: "  lathe runs ls\n  lathe runs ls --status running,queued --runner gpu1 --json\n  lathe runs ls --tag baseline --since 3d --param 'lr>0.01'\n" +
			"  lathe runs ls --mine\n  lathe runs ls --user alice --from-workspace churn-model",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			f, err := rf.filter(a)
			if err != nil {
				return err
			}
			if mine && user != "" {
				return &config.InputError{Field: "--mine", Msg: "give --mine or --user NAME, not both"}
			}
			e, err := a.openEngine(ctx, 500*time.Millisecond)
			if err != nil {
				return err
			}
			f.User, f.Workspace = user, fromWS
			if mine {
				f.User = e.User()
			}
			recs, err := e.ListRunRecords(ctx, f)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(recs)
			}
			if len(recs) == 0 {
				a.progressf("no runs yet; launch one with: lathe run -- CMD\n")
				return nil
			}
			// A shared store lists the team's runs: say whose they are.
			users := map[string]bool{}
			for _, r := range recs {
				users[r.User] = true
			}
			by := func(r experiments.RunRecord) string { return "" }
			if len(users) > 1 {
				by = func(r experiments.RunRecord) string { return "\t" + format.OneLine(r.User) }
			}
			// Names and tags get columns once a run has one.
			named, tagged := func(experiments.RunRecord) string { return "" }, func(experiments.RunRecord) string { return "" }
			for _, r := range recs {
				if r.Name != "" {
					named = func(r experiments.RunRecord) string { return "\t" + format.Clip(format.OneLine(r.Name), 24) }
				}
				if len(r.Tags) > 0 {
					tagged = func(r experiments.RunRecord) string { return "\t" + format.Clip(strings.Join(r.Tags, ","), 24) }
				}
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			head := experiments.RunRecord{Run: experiments.Run{Name: "NAME", User: "USER", Tags: []string{"TAGS"}}}
			fmt.Fprintln(tw, "ID"+named(head)+"\tSTATUS\tRUNNER"+by(head)+tagged(head)+"\tDURATION\tPARAMS\tMETRICS")
			for _, r := range recs {
				metrics := format.Clip(kvMetrics(r.Metrics), 48)
				if r.Status == runstatus.Queued && r.Error != "" {
					metrics = format.Printable(r.Error) // why it waits: Slurm's pending reason
				}
				fmt.Fprintf(tw, "%s%s\t%s\t%s%s%s\t%s\t%s\t%s\n", r.ID, named(r), r.Status, r.Runner, by(r), tagged(r), runDuration(r.Run),
					format.Clip(formatParams(r.Params), 32), metrics)
			}
			return tw.Flush()
		},
	}
	rf.register(a, cmd, "at most this many runs (0: all)")
	cmd.Flags().BoolVar(&mine, "mine", false, "only runs I made (a shared store holds the whole team's)")
	cmd.Flags().StringVar(&user, "user", "", "only runs this user made")
	cmd.Flags().StringVar(&fromWS, "from-workspace", "", "only runs made in this workspace (its id, or its name: every workspace of that name)")
	return cmd
}

func runDuration(r experiments.Run) string {
	switch {
	case r.Started.IsZero():
		return "-"
	case r.Ended.IsZero():
		return format.Duration(time.Since(r.Started)) + "…"
	}
	return format.Duration(r.Ended.Sub(r.Started))
}

// kvMetrics lists the last values, validation metrics first (what a list
// of runs is read for).
func kvMetrics(m map[string]*float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if va, vb := strings.HasPrefix(a, "val"), strings.HasPrefix(b, "val"); va != vb {
			if va {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := "NaN"
		if m[k] != nil {
			v = format.Metric(*m[k])
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, " ")
}

// sysValue prints the newest value of a system metric in its unit.
func sysValue(key string, v float64) string {
	if strings.HasSuffix(key, "_mem") || strings.HasSuffix(key, "_rss") {
		return format.Bytes(int64(v))
	}
	return format.Short(v) + " %"
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func newRunsShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show one run record (an unambiguous id prefix will do)",
		Example:           "  lathe runs show r3k9\n  lathe runs show r3k9 --json",
		Args:              exactArgs(1, "one run ID"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, id, err := a.openRunEngine(ctx, args[0], 2*time.Second)
			if err != nil {
				return err
			}
			rec, err := e.RunRecord(ctx, id)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rec)
			}
			printRecord(a.stdout, rec)
			return nil
		},
	}
}

func printRecord(w io.Writer, r experiments.RunRecord) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", format.Printable(k), format.OneLine(v))
		}
	}
	row("id", r.ID)
	row("name", r.Name)
	row("tags", strings.Join(r.Tags, " "))
	row("status", describeEnd(r.Run))
	row("runner", r.Runner)
	row("host", r.Host)
	row("image", r.Image)
	row("image digest", r.ImageDigest)
	cmd, _ := json.Marshal(r.Command)
	row("command", string(cmd))
	row("params", formatParams(r.Params))
	row("gpus", r.GPUs)
	if r.Code.Commit != "" {
		c := r.Code.Commit
		if r.Code.Dirty {
			c += " (dirty)"
		}
		row("code", c)
	}
	row("created", r.Created.Local().Format(time.DateTime))
	if !r.Started.IsZero() {
		row("started", r.Started.Local().Format(time.DateTime))
	}
	if !r.Ended.IsZero() {
		row("ended", r.Ended.Local().Format(time.DateTime))
	}
	row("duration", runDuration(r.Run))
	if r.ExitCode != nil {
		row("exit code", fmt.Sprint(*r.ExitCode))
	}
	for _, k := range format.SortedKeys(r.Metrics) {
		v := "NaN"
		if r.Metrics[k] != nil {
			v = format.Metric(*r.Metrics[k])
		}
		row("metric "+k, v)
	}
	for _, k := range format.SortedKeys(r.System) {
		if v := r.System[k]; v != nil {
			row("system "+strings.TrimPrefix(k, engine.SystemPrefix), sysValue(k, *v))
		}
	}
	for _, k := range format.SortedKeys(r.Inputs) {
		d := r.Inputs[k]
		row("input "+k, fmt.Sprintf("%s (sha256 %.12s, %d bytes)", d.Path, d.SHA256, d.Size))
	}
	for _, o := range r.Outputs {
		row("output", fmt.Sprintf("%s (sha256 %.12s, %d bytes)", o.Path, o.SHA256, o.Size))
	}
	if r.Note != "" {
		for i, l := range strings.Split(r.Note, "\n") {
			k := ""
			if i == 0 {
				k = "note"
			}
			fmt.Fprintf(tw, "%s\t%s\n", k, format.Printable(strings.ReplaceAll(l, "\t", "    ")))
		}
	}
	tw.Flush()
}

func newRunsLogsCmd(a *app) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print a run's logs (-f: follow them until the run ends)",
		Long: `Print the run's stored output: stdout lines on stdout, stderr lines on stderr
(with --json, one JSON object per line on stdout). With -f, keep printing new
lines until the run ends, then exit with its status (0 completed, 1 otherwise).
A run nobody was watching is reattached first, so nothing it printed is missed.`,
		Example:           "  lathe runs logs r3k9\n  lathe runs logs r3k9 -f",
		Args:              exactArgs(1, "one run ID"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, id, err := a.openRunEngine(ctx, args[0], 500*time.Millisecond)
			if err != nil {
				return err
			}
			if follow && !a.jsonOut {
				return a.followRun(ctx, e, id, false)
			}
			enc := json.NewEncoder(a.stdout)
			print := func(ev engine.Event) {
				if ev.Kind != engine.EventLogs {
					return
				}
				for _, l := range ev.Logs {
					switch {
					case a.jsonOut:
						_ = enc.Encode(l)
					case l.Stream == experiments.StreamStderr:
						fmt.Fprintln(a.stderr, format.LogLine(l.Line))
					default:
						fmt.Fprintln(a.stdout, format.LogLine(l.Line))
					}
				}
			}
			if follow {
				if err := e.FollowWith(ctx, id, engine.FollowOptions{NoMetrics: true}, print); err != nil {
					return err
				}
				run, err := e.GetRun(ctx, id)
				if err != nil {
					return err
				}
				if code := runExit(run.Status); code != exitOK {
					return silentExit(code)
				}
				return nil
			}
			lines, err := e.Logs(ctx, id, 0, 0)
			if err != nil {
				return err
			}
			print(engine.Event{Kind: engine.EventLogs, Logs: lines})
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow new lines until the run ends")
	return cmd
}

func newRunsMetricsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "metrics ID",
		Short: "Print a run's metric series",
		Long: `Print every metric series of the run. With --json:
{"<metric>": [{"step": N, "value": X, "time": "RFC 3339"}, ...], ...}
(NaN and infinite values are null).`,
		Example:           "  lathe runs metrics r3k9 --json",
		Args:              exactArgs(1, "one run ID"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, id, err := a.openRunEngine(ctx, args[0], 2*time.Second)
			if err != nil {
				return err
			}
			series, err := e.MetricSeries(ctx, id)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if series == nil {
					series = map[string][]experiments.Sample{}
				}
				return a.printJSON(series)
			}
			if len(series) == 0 {
				a.progressf("run %s has reported no metrics\n", id)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "METRIC\tPOINTS\tLAST STEP\tLAST\tMIN\tMAX")
			keys := format.SortedKeys(series)
			slices.SortStableFunc(keys, func(a, b string) int { // system metrics after the run's own
				return cmpBool(engine.IsSystemMetric(a), engine.IsSystemMetric(b))
			})
			for _, k := range keys {
				s := series[k]
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, p := range s {
					if !math.IsNaN(p.Value) {
						lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
					}
				}
				last := s[len(s)-1]
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", format.OneLine(k), len(s), last.Step, format.Metric(last.Value), format.Metric(lo), format.Metric(hi))
			}
			return tw.Flush()
		},
	}
}

func newRunsStopCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "stop ID",
		Short:             "Stop a queued or running run (SIGTERM, then SIGKILL after runs.stop_grace)",
		Example:           "  lathe runs stop r3k9",
		Args:              exactArgs(1, "one run ID"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, id, err := a.openRunEngine(ctx, args[0], 500*time.Millisecond)
			if err != nil {
				return err
			}
			before, err := e.GetRun(ctx, id)
			if err != nil {
				return err
			}
			if before.Status.Terminal() {
				a.progressf("run %s already ended: %s\n", id, describeEnd(before))
			} else if err := e.Stop(ctx, id); err != nil {
				return err
			}
			run, err := e.GetRun(ctx, id)
			if err != nil {
				return err
			}
			if a.jsonOut {
				rec, err := e.RunRecord(ctx, id)
				if err != nil {
					return err
				}
				return a.printJSON(rec)
			}
			a.printf("%s %s\n", id, run.Status)
			return nil
		},
	}
}

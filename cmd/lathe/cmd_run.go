package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/examples/trainer/train"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
)

// openEngine opens the workspace's engine for one command; the caller closes
// it (the workspace stays the app's). Every command that touches runs
// reconciles first, so runs that ended or were left behind while no lathe
// watched are up to date before anything is printed.
func (a *app) openEngine(ctx context.Context, settle time.Duration, runIDs ...string) (*engine.Engine, error) {
	e, err := a.engine()
	if err != nil {
		return nil, err
	}
	o := engine.ReconcileOptions{Settle: settle}
	if len(runIDs) > 0 {
		o.RunIDs = runIDs
	}
	rep, err := e.Reconcile(ctx, o)
	if err != nil {
		return nil, err
	}
	for name, why := range rep.Unreachable {
		a.progressf("lathe: runner %s unreachable, its runs are left as they are: %s\n", name, why)
	}
	return e, nil
}

// tuiEngine is the engine the TUI (and every SSH session) shares. Runs that
// ended or were left behind while no lathe watched are harvested or followed
// again before the first frame (without waiting for them), and from then on
// every run nobody ingests is taken over.
func (a *app) tuiEngine() (*engine.Engine, error) {
	e, err := a.engine()
	if err != nil {
		return nil, err
	}
	if rep, err := e.Reconcile(context.Background(), engine.ReconcileOptions{Settle: -1}); err == nil {
		for name, why := range rep.Unreachable {
			a.progressf("lathe: runner %s unreachable, its runs are left as they are: %s\n", name, why)
		}
	}
	// Runs detached from other shells are followed live from here.
	e.WatchOrphans(0)
	return e, nil
}

// resolveRunArg expands a run id prefix (exit 2 when unknown or ambiguous).
func (a *app) resolveRunArg(ctx context.Context, prefix string) (string, error) {
	e, err := a.engine()
	if err != nil {
		return "", err
	}
	return e.ResolveRun(ctx, prefix)
}

// runExit maps a run's final status to lathe's exit status.
func runExit(st runstatus.Status) int {
	if st == runstatus.Completed {
		return exitOK
	}
	return exitFailed
}

func newRunCmd(a *app) *cobra.Command {
	var lf engine.LaunchFlags
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARG...]",
		Short: "Launch a run on a runner; follow its logs and exit with its status",
		Long: `Launch CMD as a run on a runner: a local process or a Docker container on the
local daemon or a remote host. {name} in CMD is replaced by the parameter's value;
the run also sees LATHE_RUN_ID, LATHE_PARAM_<NAME>, LATHE_PARAMS_FILE,
LATHE_INPUT_<NAME> and LATHE_OUTPUT_DIR. Every stdout line that is a JSON object is
a metrics record. On a local runner, a CMD named "lathe" is this lathe binary
(so "lathe trainer ..." runs the example trainer without a Go toolchain).

Lathe follows the run's logs and exits 0 when it completed, 1 when it failed, was
stopped, OOM-killed or lost. The run does not depend on this process: with
--detach (or Ctrl-C) lathe returns and the run goes on; 'lathe runs logs -f ID'
follows it again.`,
		Example: `  lathe run -- ./train --lr 0.01
  lathe run --runner gpu1 --image trainer:dev --gpus 1 --param lr=0.01 -- /trainer --lr={lr}
  lathe run --detach --input train=data/train.csv -- ./train
  lathe run --param lr=0.3 -- lathe trainer --lr {lr} --epochs 50`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &exitError{code: exitUsage, err: flagError{fmt.Errorf("%s needs a command after --, e.g. lathe run -- ./train --lr 0.01", cmd.CommandPath())}}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			cwd, err := os.Getwd()
			if err != nil {
				return err
			}
			req, err := lf.Request(args, cwd)
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, -1)
			if err != nil {
				return err
			}
			r, err := e.Launch(a.withProgress(ctx), req)
			if err != nil {
				return err
			}
			if lf.Detach {
				return a.detached(ctx, e, r)
			}
			return a.followRun(ctx, e, r.ID, true)
		},
	}
	// The first word that is not a flag starts the command, as with docker
	// run: `lathe run python train.py --epochs 3` needs no "--".
	cmd.Flags().SetInterspersed(false)
	lf.Register(cmd.Flags())
	_ = cmd.RegisterFlagCompletionFunc("runner", a.completeRunners)
	return cmd
}

// detached waits until the run left its runner's queue (a queued run needs
// this process's scheduler) and prints its id as the last word.
func (a *app) detached(ctx context.Context, e *engine.Engine, r *engine.Run) error {
	run, err := e.GetRun(ctx, r.ID)
	if err == nil && run.Status == runstatus.Queued {
		a.progressf("lathe: run %s is queued on %s; waiting for it to start\n", r.ID, run.Runner)
	}
	if run, err = r.WaitStarted(ctx); err != nil {
		return err
	}
	if a.jsonOut {
		rec, err := e.RunRecord(ctx, r.ID)
		if err != nil {
			return err
		}
		return a.printJSON(rec)
	}
	if run.Status.Terminal() {
		a.progressf("lathe: run %s already ended: %s\n", r.ID, describeEnd(run))
	} else {
		a.progressf("lathe: run %s is %s on %s; follow it with: lathe runs logs -f %s\n", r.ID, run.Status, run.Runner, r.ID)
	}
	a.printf("%s\n", r.ID)
	return nil
}

// followRun prints a run's logs until it ends and exits with its status. Its
// stdout lines go to stdout and stderr lines to stderr (all to stderr with
// --json, which prints the run record at the end). Ctrl-C detaches.
func (a *app) followRun(ctx context.Context, e *engine.Engine, id string, launched bool) error {
	parent := ctx
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := a.stdout
	if a.jsonOut {
		out = a.stderr
	}
	var final experiments.Run
	err := e.Follow(ctx, id, func(ev engine.Event) {
		switch ev.Kind {
		case engine.EventStatus:
			final = ev.Run
			if launched || ev.Run.Status.Terminal() {
				a.progressf("lathe: run %s %s\n", id, statusLine(ev.Run))
			}
		case engine.EventLogs:
			for _, l := range ev.Logs {
				w := out
				if l.Stream == experiments.StreamStderr {
					w = a.stderr
				}
				fmt.Fprintln(w, l.Line)
			}
		}
	})
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			a.progressf("lathe: detached; run %s goes on. Follow it again with: lathe runs logs -f %s\n", id, id)
			return silentExit(130)
		}
		return err
	}
	if a.jsonOut {
		rec, err := e.RunRecord(ctx, id)
		if err != nil {
			return err
		}
		if err := a.printJSON(rec); err != nil {
			return err
		}
	}
	if code := runExit(final.Status); code != exitOK {
		return silentExit(code)
	}
	return nil
}

func statusLine(r experiments.Run) string {
	switch r.Status {
	case runstatus.Queued:
		return "queued on " + r.Runner
	case runstatus.Running:
		return "running on " + r.Runner
	}
	return describeEnd(r)
}

// describeEnd says how a run ended: "completed in 3.2s", "failed: exit status 3".
func describeEnd(r experiments.Run) string {
	s := string(r.Status)
	if !r.Started.IsZero() && !r.Ended.IsZero() {
		s += " in " + format.Duration(r.Ended.Sub(r.Started))
	}
	if r.Error != "" {
		s += ": " + r.Error
	} else if r.ExitCode != nil && *r.ExitCode != 0 {
		s += fmt.Sprintf(": exit status %d", *r.ExitCode)
	}
	return s
}

// completeRunners completes --runner with the configured runner names.
func (a *app) completeRunners(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if a.cfg == nil {
		if err := a.loadConfig(nil); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var out []string
	for _, n := range a.cfg.RunnerNames() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeRunIDs completes a run id argument (newest first).
func (a *app) completeRunIDs(max int) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if a.cfg == nil {
			if err := a.loadConfig(nil); err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
		}
		e, err := a.engine()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		runs, err := e.ListLineageRoots(orBackground(cmd.Context()), 200)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, r := range runs.Runs {
			if strings.HasPrefix(r.ID, prefix) {
				out = append(out, r.ID+"\t"+string(r.Status)+" on "+r.Runner)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

func newRunsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "runs",
		Short: "Run records, logs, metric series, stop, provenance diff and exact rerun",
		Example: `  lathe runs ls
  lathe runs logs r3k9... -f
  lathe runs metrics r3k9... --json
  lathe runs diff A B`,
	})
	cmd.AddCommand(newRunsLsCmd(a), newRunsShowCmd(a), newRunsLogsCmd(a), newRunsMetricsCmd(a), newRunsStopCmd(a))
	// Diff and rerun are lineage's (cmd_rundiff.go).
	diff, rerun := newRunsDiffCmd(a), newRunsRerunCmd(a)
	cmd.AddCommand(diff, rerun)
	return cmd
}

func newRunsLsCmd(a *app) *cobra.Command {
	var statuses []string
	var runner, user, fromWS string
	var limit int
	var mine bool
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List runs, newest first",
		Example: "  lathe runs ls\n  lathe runs ls --status running,queued --runner gpu1 --json\n  lathe runs ls --mine\n  lathe runs ls --user alice --from-workspace churn-model",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			f := experiments.RunFilter{Runner: runner, Limit: limit}
			for _, s := range statuses {
				for _, part := range strings.Split(s, ",") {
					st := runstatus.Status(strings.TrimSpace(part))
					if !st.Valid() {
						return &config.InputError{Field: "--status", Msg: fmt.Sprintf("unknown status %q; valid: %s", part, joinStatuses())}
					}
					f.Status = append(f.Status, st)
				}
			}
			if runner != "" {
				if _, ok := a.cfg.Runner(runner); !ok {
					return &config.InputError{Field: "--runner", Msg: fmt.Sprintf("unknown runner %q; valid runners: %s", runner, strings.Join(a.cfg.RunnerNames(), ", "))}
				}
			}
			e, err := a.openEngine(ctx, 500*time.Millisecond)
			if err != nil {
				return err
			}
			if mine && user != "" {
				return &config.InputError{Field: "--mine", Msg: "give --mine or --user NAME, not both"}
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
				by = func(r experiments.RunRecord) string { return "\t" + r.User }
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tRUNNER"+by(experiments.RunRecord{Run: experiments.Run{User: "USER"}})+"\tDURATION\tPARAMS\tMETRICS")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Runner, by(r), runDuration(r.Run), format.Clip(kvParams(r.Params), 32), format.Clip(kvMetrics(r.Metrics), 48))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only runs with these statuses (comma-separated)")
	cmd.Flags().StringVar(&runner, "runner", "", "only runs on this runner")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many runs (0: all)")
	cmd.Flags().BoolVar(&mine, "mine", false, "only runs I made (a shared store holds the whole team's)")
	cmd.Flags().StringVar(&user, "user", "", "only runs this user made")
	cmd.Flags().StringVar(&fromWS, "from-workspace", "", "only runs made in this workspace (its id, or its name: every workspace of that name)")
	_ = cmd.RegisterFlagCompletionFunc("runner", a.completeRunners)
	_ = cmd.RegisterFlagCompletionFunc("status", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, s := range runstatus.All() {
			out = append(out, string(s))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func joinStatuses() string {
	var s []string
	for _, st := range runstatus.All() {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
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

func kvParams(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	return strings.Join(parts, " ")
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

func newRunsShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show one run record (an unambiguous id prefix will do)",
		Example:           "  lathe runs show r3k9\n  lathe runs show r3k9 --json",
		Args:              exactArgs(1, "one run ID"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			id, err := a.resolveRunArg(ctx, args[0])
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, 2*time.Second, id)
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
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("id", r.ID)
	row("name", r.Name)
	row("status", describeEnd(r.Run))
	row("runner", r.Runner)
	row("host", r.Host)
	row("image", r.Image)
	row("image digest", r.ImageDigest)
	cmd, _ := json.Marshal(r.Command)
	row("command", string(cmd))
	row("params", kvParams(r.Params))
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
	for _, k := range format.SortedKeys(r.Inputs) {
		d := r.Inputs[k]
		row("input "+k, fmt.Sprintf("%s (sha256 %.12s, %d bytes)", d.Path, d.SHA256, d.Size))
	}
	for _, o := range r.Outputs {
		row("output", fmt.Sprintf("%s (sha256 %.12s, %d bytes)", o.Path, o.SHA256, o.Size))
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
			id, err := a.resolveRunArg(ctx, args[0])
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, 500*time.Millisecond, id)
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
						fmt.Fprintln(a.stderr, l.Line)
					default:
						fmt.Fprintln(a.stdout, l.Line)
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
			id, err := a.resolveRunArg(ctx, args[0])
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, 2*time.Second, id)
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
			for _, k := range format.SortedKeys(series) {
				s := series[k]
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, p := range s {
					if !math.IsNaN(p.Value) {
						lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
					}
				}
				last := s[len(s)-1]
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", k, len(s), last.Step, format.Metric(last.Value), format.Metric(lo), format.Metric(hi))
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
			id, err := a.resolveRunArg(ctx, args[0])
			if err != nil {
				return err
			}
			e, err := a.openEngine(ctx, 500*time.Millisecond, id)
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

// newTrainerCmd is the example trainer (examples/trainer) inside lathe, so
// the demo workspace's local runner can launch it with nothing but this
// binary. Hidden: it is a demo aid, not part of the contract.
func newTrainerCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:                "trainer [FLAGS]",
		Short:              "Run the example trainer (softmax regression / MLP on penguins) in-process",
		Hidden:             true,
		DisableFlagParsing: true,
		// No workspace config: a run's environment is all it needs.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := train.Main(args, os.Getenv, a.stdout, a.stderr); code != 0 {
				return silentExit(code)
			}
			return nil
		},
	}
}

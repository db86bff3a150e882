package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

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
// openRunEngine resolves the run ID prefix arg, then opens the engine
// with that run reconciled (see openEngine).
func (a *app) openRunEngine(ctx context.Context, arg string, settle time.Duration) (*engine.Engine, string, error) {
	id, err := a.resolveRunArg(ctx, arg)
	if err != nil {
		return nil, "", err
	}
	e, err := a.openEngine(ctx, settle, id)
	return e, id, err
}

func (a *app) resolveRunArg(ctx context.Context, prefix string) (string, error) {
	_, id, err := a.runArg(ctx, prefix)
	return id, err
}

// runArg opens the engine and resolves the run ID prefix arg with it.
func (a *app) runArg(ctx context.Context, arg string) (*engine.Engine, string, error) {
	e, err := a.engine()
	if err != nil {
		return nil, "", err
	}
	id, err := e.ResolveRun(ctx, arg)
	return e, id, err
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
	said := ""
	err := e.Follow(ctx, id, func(ev engine.Event) {
		switch ev.Kind {
		case engine.EventStatus:
			final = ev.Run
			if line := statusLine(ev.Run); (launched || ev.Run.Status.Terminal()) && line != said {
				said = line
				a.progressf("lathe: run %s %s\n", id, line)
			}
		case engine.EventLogs:
			for _, l := range ev.Logs {
				w := out
				if l.Stream == experiments.StreamStderr {
					w = a.stderr
				}
				fmt.Fprintln(w, format.LogLine(l.Line))
			}
		}
	})
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			if final.Status == runstatus.Queued {
				a.progressf("lathe: detached; run %s stays queued, and the next lathe on this workspace (any command, the TUI) takes it over. Follow it with: lathe runs logs -f %s\n", id, id)
				return silentExit(130)
			}
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
		if r.Error != "" { // why it waits, e.g. a Slurm job's pending reason
			return "queued on " + r.Runner + ": " + format.Printable(r.Error)
		}
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

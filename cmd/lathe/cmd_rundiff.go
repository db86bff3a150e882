package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

// newRunsDiffCmd is `lathe runs diff A B`.
func newRunsDiffCmd(a *app) *cobra.Command {
	var noContent, patch bool
	var threshold float64
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Diff two runs across params, data, code, image, env, runner and metrics",
		Long: `Compare everything recorded about two runs, most likely explanation of a
metric change first: the input dataset versions (and how their content differs:
rows, schema, per-column drift, when both versions can still be read), the code
(files changed between the commits, uncommitted patches), parameters, command,
image digest, environment, runner and GPU, and finally the metrics themselves.`,
		Example: "  lathe runs diff r3k9... r7qa...\n  lathe runs diff r3k9 r7qa --patch\n  lathe runs diff r3k9 r7qa --json | jq .summary",
		Args:    rangeArgs(2, 2, "two run IDs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runsDiff(orBackground(cmd.Context()), args[0], args[1], engine.DiffOptions{NoContent: noContent, DriftThreshold: threshold}, patch)
		},
		ValidArgsFunction: a.completeRunIDs(2),
	}
	f := cmd.Flags()
	f.BoolVar(&noContent, "no-content", false, "compare recorded versions only; do not read the datasets")
	f.BoolVar(&patch, "patch", false, "print the code patches too")
	f.Float64Var(&threshold, "threshold", 0, "one limit for every drift statistic (JSD, L∞, KS, PSI; default: each its own, see lathe data drift --help)")
	return cmd
}

func (a *app) runsDiff(ctx context.Context, pa, pb string, opts engine.DiffOptions, patch bool) error {
	if opts.DriftThreshold < 0 || opts.DriftThreshold > 1 {
		return usageErrorf("--threshold %v: give a divergence between 0 and 1", opts.DriftThreshold)
	}
	e, err := a.engine()
	if err != nil {
		return err
	}
	ids := [2]string{}
	for i, p := range []string{pa, pb} {
		if ids[i], err = e.ResolveRun(ctx, p); err != nil {
			return err
		}
	}
	d, err := e.DiffRuns(a.withProgress(ctx), ids[0], ids[1], opts)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(d)
	}
	a.printRunDiff(d, patch)
	return nil
}

func (a *app) printRunDiff(d *engine.RunDiff, patch bool) {
	if len(d.Changes) == 0 {
		a.printf("runs %s and %s: no recorded differences\n", d.A, d.B)
		return
	}
	a.printf("runs %s → %s: %d difference(s), most likely causes first\n", d.A, d.B, len(d.Summary))
	for _, s := range d.Summary {
		a.printf("  • %s\n", format.OneLine(s))
	}
	for _, dd := range d.Data {
		for _, n := range dd.Notes {
			a.printf("    note (%s): %s\n", format.OneLine(dd.Input), format.OneLine(n))
		}
		if dd.Drift == nil || len(dd.Drift.Columns) == 0 {
			continue
		}
		a.printf("\n  drift of input %s (%s → %s):\n", dd.Input, dd.Drift.A, dd.Drift.B)
		tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    COLUMN\tKIND\tJSD\tPSI\tDRIFTED")
		for _, c := range dd.Drift.Columns {
			mark := ""
			if c.Drifted {
				mark = "yes"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%.3f\t%.3f\t%s\n", format.OneLine(c.Column), c.Kind, c.JSD, c.PSI, mark)
		}
		tw.Flush()
	}
	if c := d.Code; c != nil {
		if len(c.Files) > 0 {
			a.printf("\n  code %s → %s:\n", shortHash(c.CommitA), shortHash(c.CommitB))
			for _, f := range c.Files {
				if f.Added < 0 {
					a.printf("    %s (binary)\n", f.Path)
				} else {
					a.printf("    %s  +%d −%d\n", f.Path, f.Added, f.Deleted)
				}
			}
		}
		if patch {
			if c.Patch != "" {
				a.printf("\n%s", c.Patch)
			}
			for _, side := range []struct {
				name string
				d    *experiments.Dirty
			}{{d.A, c.DirtyA}, {d.B, c.DirtyB}} {
				if side.d != nil && side.d.Patch != "" {
					a.printf("\n# uncommitted changes of run %s\n%s", side.name, side.d.Patch)
				}
			}
			if c.Truncated {
				a.printf("\n(patches cut at %d KiB; see --json for the text)\n", experiments.DefaultMaxPatch>>10)
			}
		} else if c.Patch != "" || c.DirtyA != nil && c.DirtyA.Patch != "" || c.DirtyB != nil && c.DirtyB.Patch != "" {
			a.printf("  (--patch prints the code changes)\n")
		}
	}
}

func shortHash(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	if s == "" {
		return "(none)"
	}
	return s
}

// newRunsRerunCmd is `lathe runs rerun ID`.
func newRunsRerunCmd(a *app) *cobra.Command {
	var o engine.RerunOptions
	var detach bool
	cmd := &cobra.Command{
		Use:   "rerun ID",
		Short: "Rerun a run exactly, verifying its inputs and code first",
		Long: `Launch a new run with the same runner, image (by digest when one was recorded),
command, parameters, inputs, environment, GPUs and resources as run ID, linked to
it (rerun_of). First the inputs are hashed again and the workspace's code version
is compared with the recorded one: a changed input or code refuses the rerun
(exit 1) unless --allow-changed-data or --allow-code-change says otherwise.

When the rerun ends, its final metrics are compared with the original's: how
reproducible the training is. Logs go to stderr, the report to stdout; the exit
status follows the rerun's.`,
		Example: "  lathe runs rerun r3k9...\n  lathe runs rerun r3k9 --allow-changed-data --json",
		Args:    rangeArgs(1, 1, "one run ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runsRerun(orBackground(cmd.Context()), args[0], o, detach)
		},
		ValidArgsFunction: a.completeRunIDs(1),
	}
	f := cmd.Flags()
	f.BoolVar(&o.AllowChangedData, "allow-changed-data", false, "rerun even if an input's content changed")
	f.BoolVar(&o.AllowCodeChange, "allow-code-change", false, "rerun even if the code version differs")
	f.BoolVar(&detach, "detach", false, "print the new run's id and return once it started (no reproducibility report)")
	return cmd
}

// rerunReport is `lathe runs rerun --json`.
type rerunReport struct {
	Run             experiments.RunRecord   `json:"run"`
	Plan            *engine.RerunPlan       `json:"checks"`
	Reproducibility *engine.Reproducibility `json:"reproducibility,omitempty"`
}

func (a *app) runsRerun(ctx context.Context, prefix string, o engine.RerunOptions, detach bool) error {
	id, err := a.resolveRunArg(ctx, prefix)
	if err != nil {
		return err
	}
	e, err := a.openEngine(ctx, -1, id)
	if err != nil {
		return err
	}
	r, plan, err := e.Rerun(a.withProgress(ctx), id, o)
	var ce *engine.ChangedError
	if errors.As(err, &ce) {
		if a.jsonOut {
			_ = a.printJSON(map[string]any{"rerun_of": id, "refused": err.Error(), "checks": plan})
		}
		return failed(err)
	}
	if err != nil {
		return err
	}
	for _, in := range plan.Inputs {
		state := "unchanged"
		if in.Changed {
			state = "CHANGED, allowed by --allow-changed-data"
		}
		a.progressf("lathe: input %s %s @%s %s\n", in.Name, in.Path, shortHash(in.Recorded), state)
	}
	if plan.Code.Changed {
		a.progressf("lathe: code differs from run %s (allowed by --allow-code-change)\n", id)
	}
	if len(plan.EnvFromCurrent) > 0 {
		a.progressf("lathe: %s were redacted in the record; taken from the current environment\n", strings.Join(plan.EnvFromCurrent, ", "))
	}
	a.progressf("lathe: rerunning %s as %s\n", id, r.ID)
	if detach {
		return a.detached(ctx, e, r)
	}

	final, err := a.followQuietly(ctx, e, r.ID)
	if err != nil {
		return err
	}
	rep, err := e.Reproduce(ctx, id, r.ID)
	if err != nil {
		return err
	}
	if a.jsonOut {
		rec, err := e.RunRecord(ctx, r.ID)
		if err != nil {
			return err
		}
		if err := a.printJSON(rerunReport{Run: rec, Plan: plan, Reproducibility: &rep}); err != nil {
			return err
		}
	} else {
		a.printReproducibility(final, rep)
	}
	if code := runExit(final.Status); code != exitOK {
		return silentExit(code)
	}
	return nil
}

// followQuietly streams a run's logs to stderr until it ends (stdout is kept
// for the report) and returns its final record. Ctrl-C detaches.
func (a *app) followQuietly(ctx context.Context, e *engine.Engine, id string) (experiments.Run, error) {
	parent := ctx
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var final experiments.Run
	err := e.Follow(ctx, id, func(ev engine.Event) {
		switch ev.Kind {
		case engine.EventStatus:
			final = ev.Run
			a.progressf("lathe: run %s %s\n", id, statusLine(ev.Run))
		case engine.EventLogs:
			for _, l := range ev.Logs {
				fmt.Fprintln(a.stderr, format.LogLine(l.Line))
			}
		}
	})
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			a.progressf("lathe: detached; run %s goes on. Compare it later with: lathe runs diff %s %s\n", id, final.RerunOf, id)
			return final, silentExit(130)
		}
		return final, err
	}
	return final, nil
}

func (a *app) printReproducibility(final experiments.Run, rep engine.Reproducibility) {
	a.printf("rerun %s of %s %s\n", rep.Rerun, rep.Original, describeEnd(final))
	if rep.Total == 0 {
		a.printf("no final metrics to compare\n")
		return
	}
	a.printf("reproducibility: %d of %d final metrics identical", rep.Identical, rep.Total)
	if rep.Identical < rep.Total && rep.MaxRelDiff > 0 {
		a.printf("; largest relative difference %.3g", rep.MaxRelDiff)
	}
	a.printf("\n")
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  METRIC\tORIGINAL\tRERUN\tDIFFERENCE")
	val := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p, 'g', 8, 64)
	}
	for _, m := range rep.Metrics {
		diff := "identical"
		switch {
		case m.Identical:
		case m.AbsDiff != nil:
			diff = fmt.Sprintf("%+.3g (%.2g relative)", *m.Rerun-*m.Original, *m.RelDiff)
		default:
			diff = "only in one run"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", format.OneLine(m.Key), val(m.Original), val(m.Rerun), diff)
	}
	tw.Flush()
}

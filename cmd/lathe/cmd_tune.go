package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
)

func newTuneCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "tune",
		Short: "Multi-metric Bayesian optimization with constraints: run studies, or ask/tell",
		Long: `A study spec (YAML or JSON, SigOpt's vocabulary) names parameters, metrics with
objectives, constraints and thresholds, a budget and the parallelism. 'tune run'
launches trials on the spec's runner until the budget is spent; ask/tell serves an
external training loop.`,
		Example: `  lathe tune run study.yaml
  lathe tune create study.yaml && lathe tune ask penguins-mlp --count 2 --json
  lathe tune tell penguins-mlp 3 --metrics '{"val_accuracy":0.93}'`,
	})
	run := &cobra.Command{Use: "run SPEC", Short: "Run a study to its observation budget", Example: "  lathe tune run study.yaml --json\n  lathe tune run study.yaml --join   # one more worker, on any host sharing the store", Args: exactArgs(1, "one SPEC file"),
		RunE: func(c *cobra.Command, args []string) error {
			spec, err := parseSpecFile(args[0])
			if err != nil {
				return err
			}
			join, _ := c.Flags().GetBool("join")
			return a.driveStudy(c.Context(), func(ctx context.Context, e *engine.Engine, o engine.TuneOptions) (engine.StudyReport, error) {
				o.Join = join
				return e.RunStudy(ctx, spec, o)
			})
		}}
	run.Flags().Bool("join", false, "join the study as one more worker when it exists with the same spec (workers share the budget; each trial runs once)")
	create := &cobra.Command{Use: "create SPEC", Short: "Create a study for ask/tell", Example: "  lathe tune create study.yaml", Args: exactArgs(1, "one SPEC file"),
		RunE: func(c *cobra.Command, args []string) error {
			spec, err := parseSpecFile(args[0])
			if err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			st, err := e.CreateStudy(c.Context(), spec)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"study": st.Name, "id": st.ID, "status": st.Status})
			}
			a.printf("created study %s (%d parameters, %d metrics, budget %d)\n", st.Name, len(spec.Parameters), len(spec.Metrics), spec.ObservationBudget)
			return nil
		}}
	ask := &cobra.Command{Use: "ask STUDY", Short: "Ask for the next trial(s) to evaluate", Example: "  lathe tune ask penguins-mlp --count 4 --json", Args: exactArgs(1, "one STUDY name"),
		RunE: func(c *cobra.Command, args []string) error {
			n, _ := c.Flags().GetInt("count")
			e, err := a.engine()
			if err != nil {
				return err
			}
			ts, err := e.AskTrials(c.Context(), args[0], n)
			if err != nil && !(errors.Is(err, optimizer.ErrExhausted) && len(ts) > 0) {
				return err
			}
			if err != nil {
				a.progressf("lathe: %v\n", err)
			}
			if a.jsonOut {
				return a.printJSON(ts)
			}
			for _, t := range ts {
				a.printf("trial %d: %s\n", t.Number, formatParams(t.Params))
			}
			return nil
		}}
	ask.Flags().Int("count", 1, "number of trials to suggest")
	tell := &cobra.Command{Use: "tell STUDY TRIAL", Short: "Report a trial's metrics, or that it failed", Example: "  lathe tune tell penguins-mlp 3 --metrics '{\"val_accuracy\":0.93}'\n  lathe tune tell penguins-mlp 4 --failed", Args: exactArgs(2, "a STUDY name and a TRIAL number"),
		RunE: func(c *cobra.Command, args []string) error {
			raw, _ := c.Flags().GetString("metrics")
			isFailed, _ := c.Flags().GetBool("failed")
			number, err := strconv.Atoi(args[1])
			if err != nil || number < 1 {
				return &config.InputError{Field: "TRIAL", Msg: fmt.Sprintf("%q is not a trial number (1, 2, ...)", args[1])}
			}
			var metrics map[string]float64
			switch {
			case isFailed && raw != "":
				return &config.InputError{Field: "--failed", Msg: "give --metrics or --failed, not both"}
			case !isFailed && raw == "":
				return &config.InputError{Field: "--metrics", Msg: `give the trial's metrics as a JSON object (--metrics '{"val_accuracy":0.93}'), or --failed`}
			case !isFailed:
				if metrics, err = parseMetricsJSON(raw); err != nil {
					return err
				}
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			t, err := e.TellTrial(c.Context(), args[0], number, metrics, isFailed)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(t)
			}
			a.printf("trial %d: %s%s\n", t.Number, t.Status, feasibleText(t.Feasible))
			return nil
		}}
	tell.Flags().String("metrics", "", "metric values as a JSON object")
	tell.Flags().Bool("failed", false, "the trial failed")
	status := &cobra.Command{Use: "status STUDY", Short: "Show a study's trials, Pareto set and best trial", Example: "  lathe tune status penguins-mlp --json", Args: exactArgs(1, "one STUDY name"),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			rep, err := e.StudyStatus(c.Context(), args[0])
			if err != nil {
				return err
			}
			return a.printReport(rep)
		}}
	resume := &cobra.Command{Use: "resume STUDY", Short: "Resume a study after a crash, reattaching to running trials", Example: "  lathe tune resume penguins-mlp", Args: exactArgs(1, "one STUDY name"),
		RunE: func(c *cobra.Command, args []string) error {
			return a.driveStudy(c.Context(), func(ctx context.Context, e *engine.Engine, o engine.TuneOptions) (engine.StudyReport, error) {
				return e.ResumeStudy(ctx, args[0], o)
			})
		}}
	cmd.AddCommand(run, create, ask, tell, status, resume)
	return cmd
}

// parseSpecFile reads a study spec; a missing file is bad input (exit 2).
func parseSpecFile(path string) (engine.StudySpec, error) {
	spec, err := engine.ParseStudySpec(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return spec, &config.InputError{File: path, Field: "SPEC", Msg: "cannot read the spec file: " + err.Error(), Err: err}
	}
	return spec, err
}

// parseMetricsJSON reads --metrics: a JSON object of numbers.
func parseMetricsJSON(raw string) (map[string]float64, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		msg := "not a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &config.InputError{Field: "--metrics", Msg: msg + ` (e.g. '{"val_accuracy":0.93}')`}
	}
	if dec.More() {
		return nil, &config.InputError{Field: "--metrics", Msg: "trailing text after the JSON object"}
	}
	out := make(map[string]float64, len(obj))
	for k, v := range obj {
		n, ok := v.(json.Number)
		if !ok {
			return nil, &config.InputError{Field: "--metrics", Msg: fmt.Sprintf("metric %q must be a number, got %v", k, v)}
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, &config.InputError{Field: "--metrics", Msg: fmt.Sprintf("metric %q: %s is not a finite number", k, n)}
		}
		out[k] = f
	}
	return out, nil
}

// driveStudy opens an engine and runs a study driver, printing progress to
// stderr and the report (text or JSON) at the end. SIGINT/SIGTERM stop the
// driver; the trials go on and `tune resume` picks them up.
func (a *app) driveStudy(ctx context.Context, drive func(context.Context, *engine.Engine, engine.TuneOptions) (engine.StudyReport, error)) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := engine.TuneOptions{WorkDir: a.root, Progress: func(ev engine.TuneEvent) { a.progressf("%s\n", ev) }}
	if a.progressMode == "json" {
		// One JSON object a line instead of the event lines.
		o.Progress = nil
		ctx = a.withProgress(ctx)
	}
	rep, err := drive(ctx, e, o)
	if err != nil && rep.Study == "" {
		return err
	}
	if perr := a.printReport(rep); perr != nil {
		return perr
	}
	if err != nil {
		return failed(err)
	}
	return nil
}

func (a *app) printReport(rep engine.StudyReport) error {
	if a.jsonOut {
		return a.printJSON(rep)
	}
	writeReport(a.stdout, rep)
	return nil
}

// writeReport prints a study as a table: one row per trial, then the Pareto
// set, the best trial and the hypervolume.
func writeReport(w io.Writer, rep engine.StudyReport) {
	var params, metrics []string
	for _, p := range rep.Spec.Parameters {
		params = append(params, p.Name)
	}
	for _, m := range rep.Spec.Metrics {
		metrics = append(metrics, m.Name)
	}
	fmt.Fprintf(w, "study %s: %s, %d/%d trials\n", rep.Study, rep.Status, len(rep.Trials), rep.Budget)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := append([]string{"#", "STATUS", "FEASIBLE"}, upper(params)...)
	head = append(head, upper(metrics)...)
	head = append(head, "RUN")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	pareto := map[int]bool{}
	for _, n := range rep.Pareto {
		pareto[n] = true
	}
	for _, t := range rep.Trials {
		num := strconv.Itoa(t.Number)
		if pareto[t.Number] {
			num += "*"
		}
		row := []string{num, t.Status, feasibleCell(t.Feasible)}
		for _, p := range params {
			row = append(row, formatValue(t.Params[p]))
		}
		for _, m := range metrics {
			v, ok := t.Metrics[m]
			if !ok {
				row = append(row, "-")
				continue
			}
			row = append(row, strconv.FormatFloat(v, 'g', 5, 64))
		}
		run := t.RunID
		if run == "" {
			run = "-"
		}
		row = append(row, run)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(w, "pareto (*): %v\n", rep.Pareto)
	if rep.Best != nil {
		how := ""
		if rep.Noisy {
			how = " (best posterior mean: the objectives are noisy"
			if rep.NoisyInferred {
				how += ", inferred"
			}
			how += ")"
		}
		fmt.Fprintf(w, "best: trial %d%s\n", *rep.Best, how)
	} else {
		fmt.Fprintln(w, "best: none feasible yet")
	}
	fmt.Fprintf(w, "hypervolume: %.6g\n", rep.Hypervolume)
	if len(rep.Importance) > 0 {
		keys := make([]string, 0, len(rep.Importance))
		for k := range rep.Importance {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return rep.Importance[keys[i]] > rep.Importance[keys[j]] })
		var b bytes.Buffer
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %.2f", k, rep.Importance[k])
		}
		fmt.Fprintf(w, "importance: %s\n", b.String())
	}
}

func upper(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}

func feasibleCell(f *bool) string {
	switch {
	case f == nil:
		return "-"
	case *f:
		return "yes"
	}
	return "no"
}

func feasibleText(f *bool) string {
	switch {
	case f == nil:
		return ""
	case *f:
		return " (feasible)"
	}
	return " (infeasible)"
}

// formatParams prints params as sorted k=v pairs on one line (run lists,
// run records, trials).
func formatParams(p map[string]any) string {
	parts := make([]string, 0, len(p))
	for _, k := range format.SortedKeys(p) {
		parts = append(parts, k+"="+formatValue(p[k]))
	}
	return format.OneLine(strings.Join(parts, " "))
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	return fmt.Sprint(v)
}

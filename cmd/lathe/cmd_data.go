package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
)

func newDataCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "data",
		Short: "Profile, split, compare and check datasets; register dataset versions",
		Long: `Data commands read CSV, TSV, JSON arrays, JSON Lines and Parquet files (and gzip
of the text formats). The format comes from the extension, then the content.

profile, drift and check work on any path, with or without a workspace; add, ls
and split register dataset versions in the workspace store.

Exit status: 0 success; 1 a check was violated, drift was flagged with
--fail-on-drift, or reading failed; 2 bad input (the message names the file and
line) or bad usage.`,
		Example: `  lathe data profile data/penguins.json
  lathe data split data/train.csv --ratios 0.8,0.1,0.1 --stratify label --seed 7
  lathe data drift data/train.csv data/val.csv --threshold 0.1
  lathe data check data/train.csv --rules checks.yaml
  lathe data add data/train.csv && lathe data ls`,
	})

	var profileOnErr string
	profile := &cobra.Command{
		Use:   "profile PATH",
		Short: "Full profile of a file: types, statistics, histograms, correlations, alerts",
		Long: `Profile a file in one streaming pass: per column the type, count (non-missing),
missing, distinct, min, max, mean, sample standard deviation, quantiles, histogram
and top values; duplicate rows; correlations; and quality alerts. Missing-value
tokens, histogram bins, top values and alert thresholds come from the config
(lathe config show | grep explore).`,
		Example: `  lathe data profile data/seattle-weather.csv
  lathe data profile data/penguins.json --json | jq '.alerts[].message'
  lathe data profile big.csv.gz --on-error skip`,
		Args: exactArgs(1, "one PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataProfile(cmd.Context(), args[0], profileOnErr)
		},
	}
	onErrorFlag(profile, &profileOnErr)

	var sp splitFlags
	split := &cobra.Command{
		Use:   "split PATH",
		Short: "Split a file into train/val/test, register the splits, print the split-integrity report",
		Long: `Assign every row to exactly one of train, val and test (two ratios: train and
test), deterministically for a seed, and write <stem>.train.<ext>, <stem>.val.<ext>
and <stem>.test.<ext> in the input's format. --stratify keeps each class's share in
every split; --group keeps rows that share a value in one split.

In a workspace the input and the splits are registered as dataset versions, with
derived_from lineage edges that record the operation and its parameters.

The report lists rows duplicated across splits (leakage), the class balance per
split and the per-column drift between train and each other split.`,
		Example: `  lathe data split data/penguins.json --ratios 0.8,0.1,0.1 --stratify species --seed 7 --out data/splits
  lathe data split data/events.csv --ratios 0.8,0.2 --group user_id --json`,
		Args: exactArgs(1, "one PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataSplit(cmd.Context(), args[0], sp)
		},
	}
	split.Flags().StringVar(&sp.ratios, "ratios", "0.8,0.1,0.1", "train,val,test ratios summing to 1 (two values: train,test)")
	split.Flags().StringVar(&sp.stratify, "stratify", "", "column whose class shares each split keeps")
	split.Flags().StringVar(&sp.group, "group", "", "column whose groups never straddle two splits")
	split.Flags().Int64Var(&sp.seed, "seed", 0, "random seed (0 means 1); the same seed gives the same splits")
	split.Flags().StringVar(&sp.out, "out", "", "output directory (default: beside the input)")
	onErrorFlag(split, &sp.onErr)

	var dr driftFlags
	drift := &cobra.Command{
		Use:   "drift A B",
		Short: "Per-column drift between two files (JSD, PSI, KS, L-infinity)",
		Long: `Compare every column that A (the reference) and B (the current data) share:
Jensen-Shannon divergence (base 2, 0..1) over shared bins for numbers and over
frequencies for categories, population stability index, the Kolmogorov-Smirnov
statistic (numbers) and the largest frequency difference (categories). A column
drifts when its JSD exceeds --threshold. A file compared with itself gives 0.`,
		Example: `  lathe data drift data/train.csv data/test.csv
  lathe data drift data/train.csv data/test.csv --threshold 0.05 --fail-on-drift --json`,
		Args: exactArgs(2, "two files, A and B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataDrift(cmd.Context(), args[0], args[1], dr)
		},
	}
	drift.Flags().Float64Var(&dr.threshold, "threshold", 0.1, "flag columns whose Jensen-Shannon divergence exceeds this (0: any difference)")
	drift.Flags().BoolVar(&dr.failOnDrift, "fail-on-drift", false, "exit 1 when any column is flagged")
	onErrorFlag(drift, &dr.onErr)

	var ck checkFlags
	check := &cobra.Command{
		Use:   "check PATH",
		Short: "Run data checks from a rules file; exit 1 when a rule is violated",
		Long: `Evaluate a rules file against a data file. Rules (YAML):

  reference: ref.csv              # optional, for max_drift; relative to the rules file
  rules:
    - column: price
      not_null: true
      between: {min: 0, max: 1000}
      mostly: 0.99                # share of non-missing values that must pass
    - {column: species, in_set: [Adelie, Gentoo, Chinstrap]}
    - {column: id, unique: true}
    - {column: email, regex: '^[^@]+@[^@]+$'}
    - {column: age, type: integer, max_missing_fraction: 0.05}
    - {column: review, top_token: the}
    - {column: x, max_drift: 0.1}   # JSD against the reference
    - table: {row_count: {min: 100, max: 10000}}

Exit 1 when any rule is violated (the report names the column and the failing
share); exit 2 when the rules file is malformed (the message names its line).`,
		Example: "  lathe data check data/train.csv --rules checks.yaml\n  lathe data check data/train.csv --rules checks.yaml --json | jq '.results[] | select(.passed|not)'",
		Args:    exactArgs(1, "one PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataCheck(cmd.Context(), args[0], ck)
		},
	}
	check.Flags().StringVar(&ck.rules, "rules", "", "rules file (YAML), required")
	onErrorFlag(check, &ck.onErr)

	var addOnErr string
	add := &cobra.Command{
		Use:   "add PATH...",
		Short: "Register dataset versions (content hash, size, rows, format, schema)",
		Long: `Register a file as a dataset version in the workspace store: its sha256, size,
row count, format and schema (column names and types). The same content at the
same path is one version, however often it is added; changed content is a new
version.`,
		Example: "  lathe data add data/train.csv\n  lathe data add data/*.csv --json",
		Args:    rangeArgs(1, math.MaxInt, "one or more PATHs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataAdd(cmd.Context(), args, addOnErr)
		},
	}
	onErrorFlag(add, &addOnErr)

	ls := &cobra.Command{
		Use:     "ls",
		Short:   "List registered dataset versions, newest first",
		Example: "  lathe data ls\n  lathe data ls --json | jq '.[].path'",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataLs(cmd.Context())
		},
	}

	cmd.AddCommand(profile, split, drift, check, add, ls)
	return cmd
}

type splitFlags struct {
	ratios, stratify, group, out, onErr string
	seed                                int64
}

type driftFlags struct {
	threshold   float64
	failOnDrift bool
	onErr       string
}

type checkFlags struct {
	rules, onErr string
}

func onErrorFlag(c *cobra.Command, dst *string) {
	c.Flags().StringVar(dst, "on-error", "fail", "malformed rows: fail (exit 2 naming file and line) or skip (count them, report the first few)")
}

// readOptions maps the config and --on-error onto the readers' options.
func (a *app) readOptions(e *engine.Engine, onErr string) (explore.ReadOptions, error) {
	return e.ReadOptions(onErr)
}

func (a *app) dataProfile(ctx context.Context, path, onErr string) error {
	ctx = orBackground(ctx)
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := a.readOptions(e, onErr)
	if err != nil {
		return err
	}
	p, err := e.Profile(a.withProgress(ctx), path, e.ProfileOptions(ro))
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(p)
	}
	a.printProfile(p)
	return nil
}

func (a *app) printProfile(p *explore.Profile) {
	s := p.Source
	a.printf("%s  %s · %s · %s rows · %d columns · %s duplicate rows · %.2fs\n",
		s.Path, s.Format, format.Bytes(s.Bytes), format.Digits(p.Rows), len(p.Columns), format.Digits(p.DuplicateRows), p.Seconds)
	if s.SHA256 != "" {
		a.printf("sha256 %s\n", s.SHA256)
	}
	a.printf("\n")
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tMISSING\tDISTINCT\tMEAN\tSTD\tMIN\tP50\tMAX\tTOP")
	for i := range p.Columns {
		c := &p.Columns[i]
		distinct := format.Digits(c.Distinct)
		if !c.DistinctExact {
			distinct = "~" + distinct
		}
		var p50 string
		if c.Quantiles != nil {
			p50 = format.Num(float64(c.Quantiles.P50))
		}
		top := ""
		if len(c.Top) > 0 {
			top = fmt.Sprintf("%s (%s)", format.Clip(c.Top[0].Value, 24), format.Digits(c.Top[0].Count))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			format.Clip(c.Name, 28), c.Type, missingCell(c), distinct, format.Value(c.Mean), format.Value(c.Std),
			format.Clip(format.Value(c.Min), 20), p50, format.Clip(format.Value(c.Max), 20), top)
	}
	_ = tw.Flush()

	if strong := strongCorrelations(p.Correlations, 0.5); len(strong) > 0 {
		const show = 10
		a.printf("\nCorrelations (|value| ≥ 0.5, strongest method per pair)\n")
		tw = tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
		for i, c := range strong {
			if i == show {
				break
			}
			fmt.Fprintf(tw, "  %s ~ %s\t%s\t%+.3f\n", c.A, c.B, c.Method, c.Value)
		}
		_ = tw.Flush()
		if len(strong) > show {
			a.printf("  … and %d more pairs (--json lists every pair and method)\n", len(strong)-show)
		}
	}

	if p.Skipped.Count > 0 {
		a.printf("\nSkipped %d malformed record(s):\n", p.Skipped.Count)
		for _, e := range p.Skipped.Examples {
			a.printf("  line %d: %s\n", e.Line, e.Msg)
		}
	}

	if len(p.Alerts) == 0 {
		a.printf("\nNo alerts.\n")
		return
	}
	a.printf("\nAlerts (%d)\n", len(p.Alerts))
	tw = tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	for _, al := range p.Alerts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", al.Kind, strings.Join(al.Columns, ", "), al.Message)
	}
	_ = tw.Flush()
}

func missingCell(c *explore.Column) string {
	if c.Missing == 0 {
		return "0"
	}
	return fmt.Sprintf("%s (%s)", format.Digits(c.Missing), format.Pct(c.MissingShare))
}

// strongCorrelations keeps, for each pair, its strongest method when that
// reaches |value| ≥ min, strongest pairs first.
func strongCorrelations(cs []explore.Correlation, min float64) []explore.Correlation {
	var out []explore.Correlation
	at := map[[2]string]int{}
	for _, c := range cs {
		if math.Abs(c.Value) < min {
			continue
		}
		k := [2]string{c.A, c.B}
		if i, ok := at[k]; ok {
			if math.Abs(c.Value) > math.Abs(out[i].Value) {
				out[i] = c
			}
			continue
		}
		at[k] = len(out)
		out = append(out, c)
	}
	for i := 1; i < len(out); i++ { // insertion sort: a handful of pairs
		for j := i; j > 0 && math.Abs(out[j].Value) > math.Abs(out[j-1].Value); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (a *app) dataDrift(ctx context.Context, pa, pb string, f driftFlags) error {
	ctx = orBackground(ctx)
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := a.readOptions(e, f.onErr)
	if err != nil {
		return err
	}
	rep, err := e.Drift(a.withProgress(ctx), pa, pb, explore.DriftOptions{Read: ro, Threshold: f.threshold})
	if err != nil {
		return err
	}
	if a.jsonOut {
		if err := a.printJSON(rep); err != nil {
			return err
		}
	} else {
		a.printDrift(rep)
	}
	if f.failOnDrift && rep.Drifted > 0 {
		if a.jsonOut {
			a.progressf("lathe: %s\n", rep)
		}
		return silentExit(exitFailed)
	}
	return nil
}

func (a *app) printDrift(rep *explore.DriftReport) {
	a.printf("drift %s → %s  (%s)\n\n", rep.A, rep.B, rep)
	writeDriftTable(a, rep, "")
	if len(rep.Missing) > 0 {
		a.printf("\nonly in A: %s\n", strings.Join(rep.Missing, ", "))
	}
	if len(rep.Added) > 0 {
		a.printf("only in B: %s\n", strings.Join(rep.Added, ", "))
	}
}

func writeDriftTable(a *app, rep *explore.DriftReport, indent string) {
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%sCOLUMN\tKIND\tJSD\tPSI\tKS\tL∞\tDRIFT\n", indent)
	for _, c := range rep.Columns {
		flag := ""
		if c.Drifted {
			flag = "DRIFTED"
		}
		if c.Sampled {
			flag = strings.TrimSpace(flag + " (sampled)")
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%.4f\t%.4f\t%s\t%s\t%s\n", indent, format.Clip(c.Column, 28), c.Kind, c.JSD, c.PSI,
			format.Fixed(c.KS), format.Fixed(c.LInf), flag)
	}
	_ = tw.Flush()
}

func (a *app) dataCheck(ctx context.Context, path string, f checkFlags) error {
	ctx = orBackground(ctx)
	if f.rules == "" {
		return &exitError{code: exitUsage, err: flagError{errors.New("lathe data check needs --rules FILE (a YAML rules file; see lathe data check --help)")}}
	}
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := a.readOptions(e, f.onErr)
	if err != nil {
		return err
	}
	rep, err := e.Check(a.withProgress(ctx), path, f.rules, ro)
	if err != nil {
		return err
	}
	if a.jsonOut {
		if err := a.printJSON(rep); err != nil {
			return err
		}
	} else {
		a.printCheck(rep)
	}
	if !rep.Passed {
		if a.jsonOut {
			a.progressf("lathe: %d of %d checks failed\n", rep.Failed, len(rep.Results))
		}
		return silentExit(exitFailed)
	}
	return nil
}

func (a *app) printCheck(rep *explore.CheckReport) {
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tRULE\tCOLUMN\tCHECK\tFAILING\tSHARE\tMESSAGE")
	for _, r := range rep.Results {
		mark := "ok"
		if !r.Passed {
			mark = "FAIL"
		}
		col := r.Column
		if col == "" {
			col = "(table)"
		}
		share := ""
		if r.Total > 0 {
			share = format.Pct(r.FailingShare)
		}
		fmt.Fprintf(tw, "%s\t%s:%d\t%s\t%s\t%s/%s\t%s\t%s\n", mark, filepath.Base(rep.Rules), r.Line, format.Clip(col, 24), r.Check,
			format.Digits(r.Failing), format.Digits(r.Total), share, r.Message)
		if !r.Passed && len(r.Examples) > 0 {
			fmt.Fprintf(tw, "\t\t\t\t\t\te.g. %s\n", format.Clip(strings.Join(uniq(r.Examples), ", "), 60))
		}
	}
	_ = tw.Flush()
	if rep.Passed {
		a.printf("\n%s: all %d checks passed (%s rows)\n", rep.Path, len(rep.Results), format.Digits(rep.Rows))
	} else {
		a.printf("\n%s: %d of %d checks FAILED (%s rows)\n", rep.Path, rep.Failed, len(rep.Results), format.Digits(rep.Rows))
	}
}

// uniq keeps the first occurrence of each example, in order.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (a *app) dataAdd(ctx context.Context, paths []string, onErr string) error {
	ctx = orBackground(ctx)
	e, err := a.engine()
	if err != nil {
		return err
	}
	ro, err := a.readOptions(e, onErr)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := engine.NeedFile(p, ""); err != nil {
			return err
		}
	}
	var out []engine.Registered
	for _, p := range paths {
		r, err := e.AddDataset(a.withProgress(ctx), p, ro)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	if a.jsonOut {
		if len(out) == 1 {
			return a.printJSON(out[0])
		}
		return a.printJSON(out)
	}
	for _, r := range out {
		verb := "added"
		if !r.Added {
			verb = "already registered"
		}
		a.printf("%s %s  version %s  %s rows · %s · %s · %d columns\n", verb, r.Path, r.SHA256[:12],
			format.Digits(r.Rows), r.Format, format.Bytes(r.Size), schemaLen(r.Schema))
	}
	return nil
}

func (a *app) dataLs(ctx context.Context) error {
	ctx = orBackground(ctx)
	e, err := a.engine()
	if err != nil {
		return err
	}
	ds, err := e.ListDatasets(ctx)
	if err != nil {
		return err
	}
	if a.jsonOut {
		if ds == nil {
			ds = []experiments.Dataset{}
		}
		return a.printJSON(ds)
	}
	if len(ds) == 0 {
		a.printf("No dataset versions yet; register one with `lathe data add PATH`.\n")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPATH\tVERSION\tFORMAT\tROWS\tSIZE\tCOLUMNS\tREGISTERED")
	for _, d := range ds {
		rows := "?"
		if d.Rows >= 0 {
			rows = format.Digits(d.Rows)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Path, d.SHA256[:12], d.Format, rows,
			format.Bytes(d.Size), schemaLen(d.Schema), d.Created.Local().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func schemaLen(raw json.RawMessage) int {
	var fields []json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	return len(fields)
}

func (a *app) dataSplit(ctx context.Context, path string, f splitFlags) error {
	ctx = orBackground(ctx)
	ratios, err := parseRatios(f.ratios)
	if err != nil {
		return err
	}
	if f.seed < 0 {
		return &config.InputError{Field: "--seed", Msg: fmt.Sprintf("%d must be ≥ 0", f.seed)}
	}
	// Registration needs the workspace; without one the split still runs.
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := a.readOptions(e, f.onErr)
	if err != nil {
		return err
	}
	out, err := e.Split(a.withProgress(ctx), engine.SplitRequest{Path: path, Options: explore.SplitOptions{
		Read: ro, Ratios: ratios, Stratify: f.stratify, Group: f.group, Seed: uint64(f.seed), OutDir: f.out,
		Drift: explore.DriftOptions{Read: ro},
	}})
	if err != nil {
		return err
	}
	if !e.HasWorkspace() {
		a.progressf("lathe: no workspace here, so the splits are not registered as dataset versions\n")
	}
	if a.jsonOut {
		return a.printJSON(out)
	}
	a.printSplit(out)
	return nil
}

func (a *app) printSplit(out *engine.SplitResult) {
	rep := out.Report
	how := "random"
	switch {
	case rep.Stratify != "":
		how = "stratified by " + rep.Stratify
	case rep.Group != "":
		how = "grouped by " + rep.Group
	}
	a.printf("split %s  %s rows · %s · seed %d\n\n", out.Source, format.Digits(rep.Rows), how, rep.Seed)
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPLIT\tROWS\tSHARE\tFILE\tVERSION")
	for i, s := range rep.Splits {
		file, version := "", ""
		if i < len(out.Files) {
			file = out.Files[i].Path
		}
		if i < len(out.Datasets) {
			version = out.Datasets[i].SHA256[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, format.Digits(s.Rows), format.Pct(s.Share), file, version)
	}
	_ = tw.Flush()

	if len(rep.Splits) > 0 && len(rep.Splits[0].Classes) > 0 {
		a.printf("\nClass balance (%s)\n", rep.Stratify+rep.Group)
		tw = tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
		header := "  CLASS"
		for _, s := range rep.Splits {
			header += "\t" + strings.ToUpper(s.Name)
		}
		fmt.Fprintln(tw, header)
		classes := map[string][]string{}
		var order []string
		for si, s := range rep.Splits {
			for _, c := range s.Classes {
				if _, ok := classes[c.Class]; !ok {
					classes[c.Class] = make([]string, len(rep.Splits))
					order = append(order, c.Class)
				}
				classes[c.Class][si] = fmt.Sprintf("%s (%s)", format.Digits(c.Count), format.Pct(c.Share))
			}
		}
		for _, c := range order {
			fmt.Fprintf(tw, "  %s\t%s\n", format.Clip(c, 28), strings.Join(classes[c], "\t"))
		}
		_ = tw.Flush()
	}

	leaks := int64(0)
	for _, l := range rep.Leakage {
		leaks += l.Rows
	}
	if leaks == 0 {
		a.printf("\nLeakage: no row occurs in two splits.\n")
	} else {
		a.printf("\nLeakage: %s rows occur in more than one split\n", format.Digits(leaks))
		for _, l := range rep.Leakage {
			if l.Rows > 0 {
				a.printf("  %s rows of %s also in %s\n", format.Digits(l.Rows), l.B, l.A)
			}
		}
	}
	for _, d := range rep.Drift {
		if d == nil {
			continue
		}
		a.printf("\nDrift %s → %s: %s\n", filepath.Base(d.A), filepath.Base(d.B), d)
		writeDriftTable(a, d, "  ")
	}
	if out.Parent != nil {
		a.printf("\nRegistered %s (version %s) and %d splits derived from it.\n", out.Parent.Path, out.Parent.SHA256[:12], len(out.Datasets))
	}
}

func parseRatios(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &config.InputError{Field: "--ratios", Msg: fmt.Sprintf("%q is not a number; give train,val,test like 0.8,0.1,0.1", strings.TrimSpace(f))}
		}
		out = append(out, v)
	}
	return out, nil
}

func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

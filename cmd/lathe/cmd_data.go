package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

	var profRead engine.ReadFlags
	var profFlags engine.ProfileFlags
	profile := &cobra.Command{
		Use:   "profile PATH",
		Short: "Full profile of a file: types, statistics, histograms, correlations, alerts",
		Long: `Profile a file in one streaming pass: per column the type, count (non-missing),
missing, distinct, min, max, mean, sample standard deviation, quantiles, histogram
and top values; duplicate rows; correlations; and quality alerts. Missing-value
tokens, histogram bins, top values and alert thresholds come from the config
(lathe config show | grep explore); the flags below override it for one run.

The first row names the columns, as pandas reads a CSV (--header first-row);
--no-header numbers them column_1, column_2, ...; --header sniff guesses, as
Python's csv.Sniffer does.`,
		Example: `  lathe data profile data/seattle-weather.csv
  lathe data profile data/penguins.json --json | jq '.alerts[].message'
  lathe data profile big.csv.gz --on-error skip
  lathe data profile wide.csv --corr-columns 50 --disable-alert high_correlation
  lathe data profile sensors.csv --time-column timestamp --missing NA,-999`,
		Args: exactArgs(1, "one PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataProfile(cmd.Context(), args[0], profRead, profFlags)
		},
	}
	readFlags(profile, &profRead)
	pf := profile.Flags()
	pf.IntVar(&profFlags.CorrColumns, "corr-columns", 0, "correlate at most N numeric columns, the most variable (default: explore.correlation_columns, 200)")
	pf.StringSliceVar(&profFlags.CorrNames, "corr-names", nil, "correlate these columns (comma-separated)")
	pf.IntVar(&profFlags.CramersMax, "cramers-max", 0, "leave categoricals with more distinct values out of Cramér's V (default: explore.cramers_max_distinct, 100)")
	pf.StringVar(&profFlags.TimeColumn, "time-column", "", "the column that orders the rows, for the non-stationary and seasonal alerts (- for none; default: detected)")
	pf.StringArrayVar(&profFlags.DisableAlerts, "disable-alert", nil, "an alert kind not to raise (repeatable): "+strings.Join(explore.AlertKinds, ", "))

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
	readFlags(split, &sp.read)

	var dr driftFlags
	drift := &cobra.Command{
		Use:   "drift A B",
		Short: "Per-column drift between two files (KS, PSI, JSD, L-infinity)",
		Long: `Compare every column that A (the reference) and B (the current data) share,
by the tests of its type:
  numbers and dates  the Kolmogorov-Smirnov statistic (above --ks, 0.1) or the
                     population stability index (above --psi, 0.2), when the KS
                     test's p-value is below --alpha (0.05); dates compare as
                     times, with their range overlap
  categories         the Jensen-Shannon divergence (base 2, 0..1; above --jsd,
                     0.1) or the largest frequency difference (above --linf,
                     0.1), when a chi-squared test's p-value is below --alpha
The report names the statistic that decided. --threshold sets the limit of the
bounded statistics (KS, JSD, L-infinity) at once, and PSI then decides only with
--psi; 0 flags any difference, significant or not. Defaults come from explore.drift
in the config. A file compared with itself gives 0.`,
		Example: `  lathe data drift data/train.csv data/test.csv
  lathe data drift data/train.csv data/test.csv --ks 0.05 --fail-on-drift --json
  lathe data drift a.csv b.csv --threshold 0   # flag any difference`,
		Args: exactArgs(2, "two files, A and B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.dataDrift(cmd.Context(), args[0], args[1], dr)
		},
	}
	df := drift.Flags()
	df.Float64Var(&dr.threshold, "threshold", 0, "one limit for KS, JSD and L-infinity (PSI only with --psi; 0: any difference)")
	df.Float64Var(&dr.jsd, "jsd", 0, "categories: Jensen-Shannon divergence limit")
	df.Float64Var(&dr.linf, "linf", 0, "categories: largest frequency difference limit")
	df.Float64Var(&dr.ks, "ks", 0, "numbers and dates: Kolmogorov-Smirnov statistic limit")
	df.Float64Var(&dr.psi, "psi", 0, "numbers and dates: population stability index limit")
	df.Float64Var(&dr.alpha, "alpha", 0, "significance level of the KS and chi-squared tests")
	df.BoolVar(&dr.failOnDrift, "fail-on-drift", false, "exit 1 when any column is flagged")
	drift.PreRun = func(cmd *cobra.Command, args []string) {
		dr.set = map[string]bool{}
		cmd.Flags().Visit(func(f *pflag.Flag) { dr.set[f.Name] = true })
	}
	readFlags(drift, &dr.read)

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
	readFlags(check, &ck.read)

	var addRead engine.ReadFlags
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
			return a.dataAdd(cmd.Context(), args, addRead)
		},
	}
	readFlags(add, &addRead)

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
	ratios, stratify, group, out string
	seed                         int64
	read                         engine.ReadFlags
}

type driftFlags struct {
	threshold, jsd, linf, ks, psi, alpha float64
	set                                  map[string]bool // the flags given
	failOnDrift                          bool
	read                                 engine.ReadFlags
}

// limits are the drift limits given on the command line.
func (f driftFlags) limits() engine.DriftFlags {
	var d engine.DriftFlags
	pick := func(name string, v float64) *float64 {
		if f.set[name] {
			return &v
		}
		return nil
	}
	d.Threshold = pick("threshold", f.threshold)
	d.JSD, d.LInf, d.KS, d.PSI, d.Alpha = pick("jsd", f.jsd), pick("linf", f.linf), pick("ks", f.ks), pick("psi", f.psi), pick("alpha", f.alpha)
	return d
}

type checkFlags struct {
	rules string
	read  engine.ReadFlags
}

// readFlags adds the readers' flags every data command takes.
func readFlags(c *cobra.Command, f *engine.ReadFlags) {
	fl := c.Flags()
	fl.StringVar(&f.OnError, "on-error", "fail", "malformed rows: fail (exit 2 naming file and line) or skip (count them, report the first few)")
	fl.StringVar(&f.Header, "header", "", "CSV header: first-row (the default, as pandas), none or sniff (default: explore.header)")
	fl.BoolVar(&f.NoHeader, "no-header", false, "the CSV has no header row: columns are column_1, column_2, ...")
	fl.StringSliceVar(&f.Missing, "missing", nil, "cells read as missing, comma-separated (default: explore.missing_values, pandas' set)")
	fl.IntVar(&f.Parsers, "parsers", 0, "CSV parser goroutines (default: one per core)")
}

func (a *app) dataProfile(ctx context.Context, path string, rf engine.ReadFlags, pf engine.ProfileFlags) error {
	ctx = orBackground(ctx)
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := e.ReadOptionsFor(rf)
	if err != nil {
		return err
	}
	po, err := e.ProfileOptionsFor(ro, pf)
	if err != nil {
		return err
	}
	p, err := e.Profile(a.withProgress(ctx), path, po)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(p)
	}
	a.printProfile(p)
	return nil
}

func (a *app) dataDrift(ctx context.Context, pa, pb string, f driftFlags) error {
	ctx = orBackground(ctx)
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := e.ReadOptionsFor(f.read)
	if err != nil {
		return err
	}
	o, err := e.DriftOptionsFor(ro, f.limits())
	if err != nil {
		return err
	}
	rep, err := e.Drift(a.withProgress(ctx), pa, pb, o)
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

func (a *app) dataCheck(ctx context.Context, path string, f checkFlags) error {
	ctx = orBackground(ctx)
	if f.rules == "" {
		return &exitError{code: exitUsage, err: flagError{errors.New("lathe data check needs --rules FILE (a YAML rules file; see lathe data check --help)")}}
	}
	e, err := a.dataEngine()
	if err != nil {
		return err
	}
	ro, err := e.ReadOptionsFor(f.read)
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

func (a *app) dataAdd(ctx context.Context, paths []string, rf engine.ReadFlags) error {
	ctx = orBackground(ctx)
	e, err := a.engine()
	if err != nil {
		return err
	}
	ro, err := e.ReadOptionsFor(rf)
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
	ro, err := e.ReadOptionsFor(f.read)
	if err != nil {
		return err
	}
	do, err := e.DriftOptionsFor(ro, engine.DriftFlags{})
	if err != nil {
		return err
	}
	out, err := e.Split(a.withProgress(ctx), engine.SplitRequest{Path: path, Options: explore.SplitOptions{
		Read: ro, Ratios: ratios, Stratify: f.stratify, Group: f.group, Seed: uint64(f.seed), OutDir: f.out,
		Drift: do,
	}})
	if err != nil {
		return config.RenameField(err, "ratios", "--ratios")
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

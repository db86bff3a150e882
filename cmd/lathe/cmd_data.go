package main

import "github.com/spf13/cobra"

func newDataCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "data",
		Short: "Profile, split, compare and check datasets; register dataset versions",
		Long: `Data commands read CSV, TSV, JSON arrays, JSON Lines and Parquet files (and gzip
of the text formats). Bad input exits 2 naming the file and line.`,
		Example: `  lathe data profile data/penguins.json
  lathe data split data/train.csv --ratios 0.8,0.1,0.1 --stratify label --seed 7
  lathe data drift data/train.csv data/val.csv --threshold 0.1
  lathe data check data/train.csv --rules checks.yaml`,
	})

	profile := waitsFor(&cobra.Command{
		Use:     "profile PATH",
		Short:   "Full profile of a file: types, statistics, histograms, correlations, alerts",
		Example: "  lathe data profile data/seattle-weather.csv --json",
		Args:    exactArgs(1, "one PATH"),
	}, capExplore, issueExplore)
	profile.Flags().String("on-error", "fail", "malformed rows: fail (exit 2 naming file and line) or skip (count and report)")

	split := waitsFor(&cobra.Command{
		Use:     "split PATH",
		Short:   "Split a file into train/val/test, register the splits, print the split-integrity report",
		Example: "  lathe data split data/penguins.json --ratios 0.8,0.1,0.1 --stratify Species --seed 7 --out data/splits",
		Args:    exactArgs(1, "one PATH"),
	}, capExplore, issueExplore)
	split.Flags().String("ratios", "0.8,0.1,0.1", "train,val,test ratios (two values: train,test)")
	split.Flags().String("stratify", "", "column whose class shares each split keeps")
	split.Flags().String("group", "", "column whose groups never straddle two splits")
	split.Flags().Int64("seed", 0, "random seed; the same seed gives the same splits")
	split.Flags().String("out", "", "output directory (default: beside the input)")

	drift := waitsFor(&cobra.Command{
		Use:     "drift A B",
		Short:   "Per-column drift between two files (JSD, PSI, KS, L-infinity)",
		Example: "  lathe data drift data/train.csv data/test.csv --threshold 0.1 --fail-on-drift",
		Args:    exactArgs(2, "two files, A and B"),
	}, capExplore, issueExplore)
	drift.Flags().Float64("threshold", 0.1, "flag columns whose drift exceeds this")
	drift.Flags().Bool("fail-on-drift", false, "exit 1 when any column is flagged")

	check := waitsFor(&cobra.Command{
		Use:     "check PATH",
		Short:   "Run data checks from a rules file; exit 1 when a rule is violated",
		Example: "  lathe data check data/train.csv --rules checks.yaml --json",
		Args:    exactArgs(1, "one PATH"),
	}, capExplore, issueExplore)
	check.Flags().String("rules", "", "rules file (YAML)")

	add := waitsFor(&cobra.Command{
		Use:     "add PATH",
		Short:   "Register a dataset version (content hash, size, rows, schema)",
		Example: "  lathe data add data/train.csv",
		Args:    exactArgs(1, "one PATH"),
	}, capExplore, issueExplore)
	ls := waitsFor(&cobra.Command{
		Use:     "ls",
		Short:   "List registered dataset versions",
		Example: "  lathe data ls --json",
		Args:    exactArgs(0, "no arguments"),
	}, capExplore, issueExplore)

	cmd.AddCommand(profile, split, drift, check, add, ls)
	return cmd
}

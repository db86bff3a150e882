// Package explore reads tabular files (CSV, TSV, JSON, JSON Lines, Parquet,
// gzip), infers column types, profiles them in one streaming pass, raises
// quality alerts, splits datasets, measures drift and runs data checks.
//
// Entry points, which the engine calls for the CLI, the TUI and lathe serve:
//
//	Open(path, ReadOptions) (Reader, error)             // batches of text cells
//	ProfileFile(ctx, path, ProfileOptions) (*Profile, error)
//	Alerts(*Profile, AlertThresholds) []Alert
//	Drift(ctx, a, b, DriftOptions) (*DriftReport, error)
//	Split(ctx, path, SplitOptions) (*SplitResult, error)
//	LoadRules(path) (*Rules, error); Check(ctx, path, *Rules, ReadOptions) (*CheckReport, error)
//	FingerprintFile(ctx, path, ReadOptions) (Fingerprint, error)
//
// Bad data and bad rules are *config.InputError (file and line); I/O
// failures are ordinary errors.
//
// Reading follows pandas' read_csv: the first record is the header
// (ReadOptions.Header: HeaderAbsent, HeaderSniff), pandas' na_values are
// missing and the profile says which occurred, ±Inf is numeric, a column
// holding text counts its values by their text. CSV records are parsed on
// ReadOptions.Parsers goroutines and returned in file order; Parquet row
// groups are decoded column by column, several at once. Results do not
// depend on the number of goroutines.
//
// Alerts are ydata-profiling's (AlertKinds), each with a threshold; the
// non_stationary (augmented Dickey–Fuller) and seasonal (Hyndman's seasonal
// strength) alerts test numeric columns in the order of a time index.
// Drift is judged per column type (KS and PSI, JSD and L∞, datetimes as
// times). Correlations are capped at ProfileOptions.CorrColumns columns.
//
// Numbers follow pandas: count is non-missing values, std is the sample
// standard deviation (n−1), skewness is the adjusted Fisher–Pearson G1,
// quantiles use linear interpolation and histograms numpy's 10 equal bins.
// testdata/pandas holds reference outputs and the script that made them.
//
// Memory is bounded by budgets, not by the file: each column keeps an exact
// table of distinct values (which also gives exact quantiles and histograms)
// until its share of ProfileOptions.DistinctBudget is used, then HyperLogLog
// for the distinct count, its kept values for exact quantiles until
// ExactValuesBudget, then a KLL sketch. The JSON says which (distinct_exact,
// quantiles.method, histogram.exact).
//
// Imports: config and format of Lathe's packages; never engine, tui or cmd (engine/arch_test.go).
package explore

// Package explore reads tabular files (CSV, TSV, JSON, JSON Lines, Parquet,
// gzip), infers column types, profiles them in one streaming pass, raises
// quality alerts, splits datasets, measures drift and runs data checks.
package explore

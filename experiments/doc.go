// Package experiments owns the workspace (lathe.yaml beside a .lathe/ state
// directory), the SQLite store of runs, metric series, logs, dataset versions,
// artifacts, studies, trials and lineage edges, the content-addressed object
// store, and the provenance diff between runs.
package experiments

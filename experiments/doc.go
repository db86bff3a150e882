// Package experiments owns the workspace (lathe.yaml beside a .lathe/ state
// directory), the store of runs, metric series, logs, dataset versions,
// artifacts, studies, trials and lineage edges (the workspace's SQLite file,
// or a team's shared PostgreSQL: one implementation over both, dialect.go),
// the store's cross-process locks, the content-addressed object store, and
// the provenance diff between runs.
//
// Layout of a workspace:
//
//	lathe.yaml              config (written by Init, read by package config)
//	.lathe/.gitignore       "*": state never goes into git
//	.lathe/workspace-id     16 hex digits, random, stable (docker labels)
//	.lathe/store.db         SQLite, WAL mode (plus -wal and -shm beside it)
//	.lathe/objects/ab/c...  content-addressed files, named by sha256
//
// Store conventions, for everyone who writes into it:
//   - Times are INTEGER unix nanoseconds; NULL (time.Time{} in Go) is "not yet".
//   - Metric values are REAL; NULL stands for NaN, which SQLite cannot hold.
//   - Every write method runs in one transaction (SQLite: BEGIN IMMEDIATE;
//     PostgreSQL: READ COMMITTED with rewritten rows read FOR UPDATE), so
//     several processes (the TUI, a headless command, a detached run's
//     ingester), on one host or many, can share one store.
//   - Rows record the workspace and user that made them (Identity).
//   - Read-modify-write goes through UpdateRun/UpdateStudy/UpdateTrial, which
//     hand the current row to a callback inside the transaction.
//   - Lineage edges point downstream (dataset -used-> run -produced-> artifact,
//     source -derived_from-> derived, study -trial_of-> run); AddRunInput,
//     AddArtifact, CreateRun/CreateTrial/UpdateTrial with a study record theirs
//     themselves, and AddEdge is idempotent.
//   - The schema only grows by appending to migrations (schema.go).
//
// Imports: config, format and runstatus of Lathe's packages; never engine, tui or cmd (engine/arch_test.go).
package experiments

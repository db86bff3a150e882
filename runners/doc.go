// Package runners launches runs: the Runner interface, the local-process,
// Docker (local, ssh://, TLS, context) and Slurm (sbatch here or on an ssh://
// login node; see Slurm) runners, the per-runner scheduler with
// GPU allocation, GPU inventory, and the parser for metrics lines on stdout.
//
// Everything a run produces reaches the caller through a Sink (log lines,
// metric samples, properties, status changes), so the store, the JSON printer,
// the TUI and the tests consume the same events; this package never imports
// the store.
//
// Run protocol (DESIGN §4): "{name}" placeholders in Spec.Command are replaced
// per argument and the argv is executed directly, never through a shell; the
// program sees LATHE_RUN_ID, LATHE_PARAM_<NAME>, LATHE_PARAMS_FILE (a JSON
// object of strings), LATHE_INPUT_<NAME> and LATHE_OUTPUT_DIR. Every stdout
// line that is a JSON object is a metrics record (ParseLine); other lines are
// logs. Metric lines are also delivered as log lines, so logs are complete.
//
// Detach and reattach. Runs outlive lathe. The local runner writes output to
// files in the run's directory and records the exit status through a tiny
// /bin/sh wrapper (see Local); containers carry lathe.* labels. A later lathe
// calls Reconcile with the runs its store believes unfinished and the Cursor of
// the lines it already stored: running runs are followed from there, finished
// ones harvested, and those with no trace reported lost.
//
// Daemon restarts. A Docker follower whose daemon goes away waits for it
// (DockerOptions.ReconnectTimeout) and carries on: with --live-restore the
// container kept running and every line still arrives once; without it
// dockerd stopped the container on its way down, and the failed run's message
// says so. A daemon that stays away makes Wait return a *DaemonGoneError and
// no final status, so a later Reconcile settles the run.
//
// runstatus.All(): queued, running, completed (exit 0), failed (non-zero exit, or
// start failure), stopped (after Stop or Cancel), oom_killed (Docker's
// State.OOMKilled, never inferred from exit code 137 alone), lost.
//
// Imports: config, format and runstatus of Lathe's packages; never engine, tui or cmd (engine/arch_test.go).
package runners

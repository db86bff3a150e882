// Package engine is the one seam the CLI, the TUI and the SSH server call: it
// opens a workspace with its config and runners and offers the operations;
// nothing is implemented twice for headless and interactive.
//
// An Engine holds an open experiments.Workspace, the merged config.Config and,
// built lazily on first use, one runners.Runner with its runners.Scheduler per
// configured runner. It is safe for concurrent use (many SSH sessions share
// one), and it owns every goroutine it starts: Close stops following runs
// (the runs themselves go on) and flushes what was read.
//
// Operations, for every front end alike (the CLI, the TUI, lathe serve);
// front ends hold only an *Engine and share the domain's types, and
// arch_test.go fails the build when one calls a domain function:
//
//	workspace  Init, Find, Open, WithoutWorkspace, Info, HasWorkspace, DataVersion
//	data       ReadOptions, ProfileOptions, Profile, Split (registers the splits),
//	           Drift, Check, AddDataset, ListDatasets, DataFiles, SampleRows
//	runs       Launch (LaunchRequest, LaunchFlags, ParseLaunchLine), Follow,
//	           FollowWith, Stop, PlanRerun, Rerun, Reproduce, Reconcile,
//	           WatchOrphans, ListRuns (with last metrics), ListRunRecords, GetRun,
//	           RunRecord, Logs, MetricSeries, LastMetrics, Curves, ResolveRun
//	lineage    ResolveRef, Lineage, ListLineageRoots, DiffRuns, VersionContent
//	studies    ParseStudySpec, CreateStudy, AskTrials, TellTrial, StudyStatus,
//	           ListStudies, RunStudy, ResumeStudy
//	runners    Runners, CheckRunner, RunnerNames
//	artifacts  ListArtifacts, ExportArtifacts, GC
//
// Long operations report through the Progress in their context
// (WithProgress): the CLI prints it as a bar or JSON lines, the TUI as its
// progress bars. Slot and GPU claims are one transaction in the store
// (claims.go), so queues hold across processes.
//
// On a local runner, a command whose program is "lathe" runs this very
// binary (os.Executable), so `lathe trainer ...` works in the demo with no
// Go toolchain and no PATH setup.
//
// Bad input (an unknown runner, a malformed --param, a missing input file) is
// a *config.InputError, so the CLI exits 2; operational failures are wrapped
// errors.
//
// Ingestion. Everything a run produces reaches the store through a per-run
// sink that batches log lines, metric samples and properties and writes them
// with experiments.Store.Ingest (one transaction, so a line and its metrics are
// stored together) every 100 ms or every 1,000 items, whichever comes first.
// Status changes flush first and are then applied with UpdateRun; a terminal
// status also harvests $LATHE_OUTPUT_DIR into the object store as artifacts
// (with their `produced` edges) before the status is written, so whoever sees
// a run ended sees its outputs.
//
// Detach and reattach. One process at a time ingests a run: it holds an
// exclusive flock on .lathe/locks/<run id> (released by the kernel when the
// process dies, kill -9 included). Reconcile, called whenever a front end
// opens a workspace, takes the lock of every unfinished run nobody holds,
// computes the resume cursor from what the store already has (lines per
// stream, last line time, next step per metric) and hands the runs to their
// runners' Reconcile: running runs are followed again, finished ones are
// harvested, vanished ones marked lost. A run still queued whose launching
// process is gone never started; it is marked stopped with a message saying
// so. Each runner is probed with a connect timeout first, so an unreachable
// host leaves its runs as they are and does not delay the others.
//
// Queues hold across processes: a run another lathe process is running
// holds its slot (and the GPUs the store records for it) in this engine's
// scheduler until the store says it ended, so max_concurrent is the host's
// limit, not each process's. A run still queued in another process is not
// counted.
//
// Follow reads from the store, not from the runner, so it works the same
// whether this process, another lathe, or nobody yet is ingesting the run; an
// in-process notification wakes it as soon as this process stores something,
// and it polls every 100 ms for the rest.
//
// For the tuner: LaunchRequest.Trial creates the run as a study's trial
// (experiments.Store.CreateRunForTrial), and Run.Wait returns the final record.
package engine

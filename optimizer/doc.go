// Package optimizer is Lathe's multi-metric Bayesian optimizer: search spaces,
// Gaussian processes, acquisition functions, multi-objective and constraint
// handling, the ask/tell Study, and benchmark problems.
//
// A Study is built from a Spec (SigOpt's vocabulary, DESIGN §3) and driven by
// Ask and Tell:
//
//	s, _ := optimizer.NewStudy(spec)
//	ts, _ := s.Ask(spec.ParallelBandwidth)
//	_ = s.Tell(ts[0].Number, map[string]float64{"val_accuracy": 0.91})
//	_ = s.TellFailed(ts[1].Number)
//
// How it works:
//   - Space: parameters map to [0,1]^d (log parameters in log space, ints
//     widened by ±0.5 and rounded, categoricals one-hot); the models only ever
//     see points that decode to valid values.
//   - Initial design: a scrambled Sobol sequence (Joe–Kuo direction numbers,
//     Matoušek linear matrix scramble plus a random digital shift, seeded by
//     Spec.Seed); 10 trials by default.
//   - Models: one GP per optimize and constraint metric, Matérn-5/2 with ARD
//     length scales, standardized outputs, inferred noise, MAP hyperparameters
//     (LogNormal priors) by multi-start L-BFGS (gonum/optimize) warm-started
//     from the previous fit, Cholesky with jitter (gonum/mat).
//   - Acquisition: LogEI (Ament et al. 2023) for one objective; exact EHVI
//     over a strip decomposition for two; Monte Carlo EHVI for three or more.
//     Constraints multiply in the probability of feasibility; until a
//     feasible trial exists the study maximizes that probability alone.
//     Thresholds on optimize metrics are the hypervolume reference point,
//     otherwise it is nadir + 10 % of the front's range.
//   - Search: 1024 Sobol candidates plus perturbations of the incumbents,
//     refined by a pattern search (coordinate steps for doubles, ±1 for ints,
//     every value for categoricals) from the best few.
//   - Batches: pending trials are fantasized at their posterior mean (Kriging
//     believer). No assignment is ever suggested twice.
//   - Failures: a failed trial counts as the worst value seen for each
//     objective and constraint, and a success/failure GP adds P(success).
//     Pruned trials (TellPruned) keep the values they reached.
//
// Determinism: suggestions are a function of the spec (and its seed), the
// trials, and the fitted hyperparameters that warm-start the next fit.
// MarshalState/RestoreStudy carries all three, so a restored study continues
// exactly. NewStudy(spec, WithTrials(ts)) rebuilds from trials alone; it
// refits from the default starting points, so its suggestions are
// reproducible but need not equal those the uninterrupted study would have
// made. A driver that wants the exact continuation stores MarshalState.
//
// Not safe for concurrent use: the owner of a Study serializes calls. The
// package has no mutable package-level state.
//
// Imports: config and format of Lathe's packages; never engine, tui or cmd (engine/arch_test.go).
package optimizer

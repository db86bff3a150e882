// Package optimizer is Lathe's multi-metric Bayesian optimizer: search spaces,
// Gaussian processes, acquisition functions, multi-objective and constraint
// handling, the ask/tell Study, stopping rules, parameter importance, and
// benchmark problems.
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
//     widened by ±0.5 and rounded, so ordinal; categoricals one-hot with one
//     shared length scale, i.e. a Hamming-distance kernel); the models only
//     ever see points that decode to valid values. A conditional parameter
//     (conditions: {optimizer: sgd}) is absent from a trial where its
//     condition fails and sits at a constant in the models.
//   - Initial design: a scrambled Sobol sequence (Joe–Kuo direction numbers,
//     Matoušek linear matrix scramble plus a random digital shift, seeded by
//     Spec.Seed); 10 trials by default, fewer with WithPriorTrials.
//   - Models: one GP per optimize and constraint metric, Matérn-5/2 with ARD
//     length scales (Optuna-style prior, centred at 1 in the unit cube and at
//     √(d/6) beyond 6 inputs), standardized outputs (a single objective
//     Yeo-Johnson transformed when its good tail is long), MAP
//     hyperparameters by multi-start L-BFGS (gonum/optimize) warm-started from
//     the previous fit, on at most 200 observations. Noise: deterministic
//     unless the spec says noisy: true or the likelihood shows it (Noisy).
//     Cholesky by LAPACK (gonum), extended row by row between refits and for
//     fantasies; predictions batched through BLAS3.
//   - Acquisition: LogEI (Ament et al. 2023) for one objective, on the best
//     posterior mean when noisy; exact EHVI over a strip decomposition for
//     two; Monte Carlo EHVI for three or more. Constraints multiply in the
//     probability of feasibility; until a feasible trial exists the study
//     maximizes that probability alone. Thresholds on optimize metrics are
//     the hypervolume reference point, otherwise it is nadir + 10 % of the
//     front's range. The last 10 % of a single-objective budget takes
//     trust-region steps on a GP of the observations nearest the incumbent.
//   - Search: 1024 Sobol candidates plus perturbations of the incumbents,
//     refined from the best few by a box-constrained L-BFGS on analytic
//     gradients, then a pattern search over ints and categoricals and a
//     discrete neighbourhood step; the effort shrinks as 300/n beyond 300
//     observations.
//   - Batches: one fit per Ask; pending trials are fantasized at their
//     posterior mean (Kriging believer). No assignment is ever suggested
//     twice.
//   - Failures: a failed trial counts as the worst value seen for each
//     objective and constraint, and a success/failure GP adds P(success).
//     Pruned trials (TellPruned) keep the values they reached.
//   - Stopping: the median rule, ASHA and Hyperband (ShouldStopCurve) and
//     MO-ASHA for several objectives (ShouldStopTrial), as pure functions of
//     the reported curves.
//   - Importance: PED-ANOVA over the trials (Importance).
//
// Determinism: suggestions are a function of the spec (and its seed), the
// trials, and the fitted hyperparameters that warm-start the next fit.
// MarshalState/RestoreStudy carries all three, so a restored study continues
// exactly (prior trials are passed again with the option). NewStudy(spec,
// WithTrials(ts)) rebuilds from trials alone; it refits from the default
// starting points, so its suggestions are reproducible but need not equal
// those the uninterrupted study would have made. A driver that wants the
// exact continuation stores MarshalState. Nothing depends on time: the work
// caps that keep an ask fast at 1,000 observations count observations, not
// seconds.
//
// Not safe for concurrent use: the owner of a Study serializes calls. The
// package has no mutable package-level state.
//
// Imports: config and format of Lathe's packages; never engine, tui or cmd (engine/arch_test.go).
package optimizer

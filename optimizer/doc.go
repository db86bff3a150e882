// Package optimizer is Lathe's multi-metric Bayesian optimizer: search spaces,
// Gaussian processes, acquisition functions, multi-objective and constraint
// handling, the ask/tell Study, and benchmark problems.
package optimizer

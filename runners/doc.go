// Package runners launches runs: the Runner interface, the local-process and
// Docker (local, ssh://, TLS, context) runners, the per-runner scheduler with
// GPU allocation, GPU inventory, and the parser for metrics lines on stdout.
package runners

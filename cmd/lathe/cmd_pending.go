package main

import "github.com/spf13/cobra"

// Capabilities that later issues bring; a command waiting for one says so.
const (
	capExplore   = "Explore (profiling, splits, drift, data checks)"
	capRunners   = "Runners (local and Docker runs, logs, metrics, reattach)"
	capTuner     = "Tuner (multi-metric Bayesian optimization)"
	capLineage   = "Lineage (provenance, diff, rerun)"
	issueExplore = 3
	issueRunners = 4
	issueTuner   = 5
	issueLineage = 6
)

// waitsFor makes cmd exit 2 naming the capability it waits for. Its flags
// and help are real, so scripts can be written against the contract now.
func waitsFor(cmd *cobra.Command, capability string, issue int) *cobra.Command {
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return pending("`"+c.CommandPath()+"`", capability, issue)
	}
	return cmd
}

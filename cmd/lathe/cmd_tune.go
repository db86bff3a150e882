package main

import "github.com/spf13/cobra"

func newTuneCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "tune",
		Short: "Multi-metric Bayesian optimization with constraints: run studies, or ask/tell",
		Long: `A study spec (YAML or JSON, SigOpt's vocabulary) names parameters, metrics with
objectives, constraints and thresholds, a budget and the parallelism. 'tune run'
launches trials on the spec's runner until the budget is spent; ask/tell serves an
external training loop.`,
		Example: `  lathe tune run study.yaml
  lathe tune create study.yaml && lathe tune ask penguins-mlp --count 2 --json
  lathe tune tell penguins-mlp 3 --metrics '{"val_accuracy":0.93}'`,
	})
	run := waitsFor(&cobra.Command{Use: "run SPEC", Short: "Run a study to its observation budget", Example: "  lathe tune run study.yaml --json", Args: exactArgs(1, "one SPEC file")}, capTuner, issueTuner)
	create := waitsFor(&cobra.Command{Use: "create SPEC", Short: "Create a study for ask/tell", Example: "  lathe tune create study.yaml", Args: exactArgs(1, "one SPEC file")}, capTuner, issueTuner)
	ask := waitsFor(&cobra.Command{Use: "ask STUDY", Short: "Ask for the next trial(s) to evaluate", Example: "  lathe tune ask penguins-mlp --count 4 --json", Args: exactArgs(1, "one STUDY name")}, capTuner, issueTuner)
	ask.Flags().Int("count", 1, "number of trials to suggest")
	tell := waitsFor(&cobra.Command{Use: "tell STUDY TRIAL", Short: "Report a trial's metrics, or that it failed", Example: "  lathe tune tell penguins-mlp 3 --metrics '{\"val_accuracy\":0.93}'\n  lathe tune tell penguins-mlp 4 --failed", Args: exactArgs(2, "a STUDY name and a TRIAL number")}, capTuner, issueTuner)
	tell.Flags().String("metrics", "", "metric values as a JSON object")
	tell.Flags().Bool("failed", false, "the trial failed")
	status := waitsFor(&cobra.Command{Use: "status STUDY", Short: "Show a study's trials, Pareto set and best trial", Example: "  lathe tune status penguins-mlp --json", Args: exactArgs(1, "one STUDY name")}, capTuner, issueTuner)
	resume := waitsFor(&cobra.Command{Use: "resume STUDY", Short: "Resume a study after a crash, reattaching to running trials", Example: "  lathe tune resume penguins-mlp", Args: exactArgs(1, "one STUDY name")}, capTuner, issueTuner)
	cmd.AddCommand(run, create, ask, tell, status, resume)
	return cmd
}

package main

import "github.com/spf13/cobra"

func newRunCmd(a *app) *cobra.Command {
	cmd := waitsFor(&cobra.Command{
		Use:   "run [flags] -- CMD [ARG...]",
		Short: "Launch a run on a runner; follow its logs and exit with its status",
		Long: `Launch CMD as a run on a runner: a local process or a Docker container on the
local daemon or a remote host. {name} in CMD is replaced by the parameter's value;
the run also sees LATHE_RUN_ID, LATHE_PARAM_<NAME>, LATHE_PARAMS_FILE,
LATHE_INPUT_<NAME> and LATHE_OUTPUT_DIR. Every stdout line that is a JSON object is
a metrics record.`,
		Example: `  lathe run -- ./train --lr 0.01
  lathe run --runner gpu1 --image trainer:dev --gpus 1 --param lr=0.01 -- /trainer --lr={lr}
  lathe run --detach --input train=data/train.csv -- ./train`,
	}, capRunners, issueRunners)
	f := cmd.Flags()
	f.String("runner", "", "runner name (default: default_runner)")
	f.String("image", "", "container image (docker runners)")
	f.String("gpus", "", "GPUs: all, a count, or device ids (0,2)")
	f.StringArray("param", nil, "parameter k=v (repeatable)")
	f.StringArray("input", nil, "input name=PATH, mounted read-only (repeatable)")
	f.Bool("detach", false, "print the run id and return at once")
	f.String("cpus", "", "CPU limit (docker)")
	f.String("memory", "", "memory limit, e.g. 4g (docker)")
	f.String("shm-size", "", "shared memory size, e.g. 1g (docker)")
	return cmd
}

func newRunsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "runs",
		Short: "Run records, logs, metric series, stop, provenance diff and exact rerun",
		Example: `  lathe runs ls
  lathe runs logs 01HX... -f
  lathe runs metrics 01HX... --json
  lathe runs diff A B`,
	})
	sub := []struct {
		use, short, example string
		args                cobraArgs
		capability          string
		issue               int
	}{
		{"ls", "List runs", "  lathe runs ls --json", cobraArgs{0, 0, "no arguments"}, capRunners, issueRunners},
		{"show ID", "Show one run record", "  lathe runs show 01HX...", cobraArgs{1, 1, "one run ID"}, capRunners, issueRunners},
		{"logs ID", "Print a run's logs (-f to follow)", "  lathe runs logs 01HX... -f", cobraArgs{1, 1, "one run ID"}, capRunners, issueRunners},
		{"metrics ID", "Print a run's metric series", "  lathe runs metrics 01HX... --json", cobraArgs{1, 1, "one run ID"}, capRunners, issueRunners},
		{"stop ID", "Stop a queued or running run", "  lathe runs stop 01HX...", cobraArgs{1, 1, "one run ID"}, capRunners, issueRunners},
		{"diff A B", "Diff two runs across params, data, code, image, env, runner and metrics", "  lathe runs diff 01HX... 01HY...", cobraArgs{2, 2, "two run IDs"}, capLineage, issueLineage},
		{"rerun ID", "Rerun a run exactly, verifying its inputs and code first", "  lathe runs rerun 01HX...", cobraArgs{1, 1, "one run ID"}, capLineage, issueLineage},
	}
	for _, s := range sub {
		c := waitsFor(&cobra.Command{Use: s.use, Short: s.short, Example: s.example, Args: rangeArgs(s.args.min, s.args.max, s.args.what)}, s.capability, s.issue)
		switch c.Name() {
		case "logs":
			c.Flags().BoolP("follow", "f", false, "follow new lines until the run ends")
		case "rerun":
			c.Flags().Bool("allow-changed-data", false, "rerun even if an input's content changed")
			c.Flags().Bool("allow-code-change", false, "rerun even if the code version differs")
		}
		cmd.AddCommand(c)
	}
	return cmd
}

type cobraArgs struct {
	min, max int
	what     string
}

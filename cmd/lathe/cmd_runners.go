package main

import "github.com/spf13/cobra"

func newRunnersCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:     "runners",
		Short:   "Runners: health, daemon version, GPUs, load; check a team runners file",
		Example: "  lathe runners ls --json\n  lathe runners check gpu1",
	})
	ls := waitsFor(&cobra.Command{Use: "ls", Short: "List runners with reachability, GPUs, running and queued runs", Example: "  lathe runners ls --json", Args: exactArgs(0, "no arguments")}, capRunners, issueRunners)
	check := waitsFor(&cobra.Command{Use: "check [NAME]", Short: "Probe runner endpoints with a timeout", Example: "  lathe runners check gpu1", Args: rangeArgs(0, 1, "at most one runner NAME")}, capRunners, issueRunners)
	cmd.AddCommand(ls, check)
	return cmd
}

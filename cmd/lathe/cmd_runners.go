package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
)

func newRunnersCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:     "runners",
		Short:   "Runners: health, daemon version, GPUs, load; check a team runners file",
		Example: "  lathe runners ls --json\n  lathe runners check gpu1",
	})
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List runners with reachability, daemon version, GPUs, running and queued runs",
		Long: `List every configured runner (lathe.yaml, the team runners file, the user
config), probing each in parallel within a connect timeout: reachability, the
Docker daemon's version, the GPUs (index, name, memory, utilization) or why there
are none, and the runs running and queued on it.`,
		Example: "  lathe runners ls\n  lathe runners ls --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, err := a.openEngine(ctx, -1)
			if err != nil {
				return err
			}
			sts := e.Runners(ctx)
			if a.jsonOut {
				return a.printJSON(sts)
			}
			printRunners(a, sts)
			return nil
		},
	}
	check := &cobra.Command{
		Use:   "check [NAME]",
		Short: "Probe runner endpoints with a timeout (exit 1 if one is unreachable)",
		Long: `Validate the configuration (lathe.yaml, the team runners file named by
runners_file or LATHE_RUNNERS, the user config: errors name file, line and column
and exit 2), then probe NAME, or every runner, within a connect timeout. Exit 1
when a probed runner is unreachable.`,
		Example: "  lathe runners check\n  lathe runners check gpu1\n  LATHE_RUNNERS=team/runners.yaml lathe runners check",
		Args:    rangeArgs(0, 1, "at most one runner NAME"),
		ValidArgsFunction: func(c *cobra.Command, args []string, p string) ([]string, cobra.ShellCompDirective) {
			return a.completeRunners(c, args, p)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			// No reconcile: checking must not touch runs.
			e, err := a.engine()
			if err != nil {
				return err
			}
			var sts []engine.RunnerStatus
			if len(args) == 1 {
				st, err := e.CheckRunner(ctx, args[0])
				if err != nil {
					return err
				}
				sts = []engine.RunnerStatus{st}
			} else {
				sts = e.Runners(ctx)
			}
			if a.jsonOut {
				if err := a.printJSON(sts); err != nil {
					return err
				}
			}
			bad := 0
			for _, st := range sts {
				if !st.Reachable {
					bad++
				}
				if a.jsonOut {
					continue
				}
				if st.Reachable {
					a.printf("ok    %s: %s\n", st.Name, describeRunner(st))
				} else {
					a.printf("FAIL  %s: %s\n", st.Name, st.Error)
				}
			}
			if !a.jsonOut && a.cfg.RunnersFile != "" {
				a.progressf("team runners file %s is valid\n", a.cfg.RunnersFile)
			}
			if bad > 0 {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	cmd.AddCommand(ls, check)
	return cmd
}

func describeRunner(st engine.RunnerStatus) string {
	var parts []string
	switch {
	case st.Daemon != nil:
		parts = append(parts, fmt.Sprintf("docker %s (API %s, %s/%s) at %s", st.Daemon.Version, st.Daemon.APIVersion, st.Daemon.OS, st.Daemon.Arch, st.Host))
	case st.Kube != nil:
		parts = append(parts, format.OneLine(fmt.Sprintf("kubernetes %s at %s, namespace %s", st.Kube.Version, st.Host, st.Kube.Namespace)))
		var perms []string
		for _, p := range st.Kube.Permissions {
			mark := "yes"
			if !p.Allowed {
				mark = "no"
			}
			perms = append(perms, fmt.Sprintf("%s %s: %s", p.Verb, p.Resource, mark))
		}
		parts = append(parts, strings.Join(perms, ", "))
	case st.Type == "local":
		parts = append(parts, "local processes on "+st.Host)
	case st.Cluster != nil:
		return clusterSummary(st)
	case len(st.Members) > 0:
		return "pool of " + strings.Join(st.Members, ", ")
	}
	parts = append(parts, gpuSummary(st))
	return strings.Join(parts, "; ")
}

// clusterSummary is a Slurm runner's version, partitions and queue.
func clusterSummary(st engine.RunnerStatus) string {
	c := st.Cluster
	parts := []string{format.OneLine(c.Version) + " at " + format.OneLine(st.Host)}
	for _, p := range c.Partitions {
		parts = append(parts, fmt.Sprintf("partition %s: %d nodes (%d idle), GPUs %d/%d allocated", format.OneLine(p.Name), p.Nodes, p.IdleNodes, p.GPUsAlloc, p.GPUs))
	}
	parts = append(parts, fmt.Sprintf("%d of this workspace's jobs in the queue", len(c.Jobs)))
	return strings.Join(parts, "; ")
}

func gpuSummary(st engine.RunnerStatus) string {
	if st.Kube != nil && len(st.Kube.Nodes) > 0 {
		var n []string
		for _, node := range st.Kube.Nodes {
			n = append(n, fmt.Sprintf("%s %d/%d GPUs used", format.OneLine(node.Name), node.GPUUsed, node.GPUAllocatable))
		}
		return strings.Join(n, ", ")
	}
	if c := st.Cluster; c != nil {
		total, alloc := 0, 0
		for _, p := range c.Partitions {
			total, alloc = total+p.GPUs, alloc+p.GPUsAlloc
		}
		return fmt.Sprintf("%d GPUs, %d idle (Slurm)", total, total-alloc)
	}
	if len(st.GPUs) == 0 {
		if st.NoGPU != "" {
			return st.NoGPU
		}
		return "no GPU"
	}
	var g []string
	for _, gpu := range st.GPUs {
		s := fmt.Sprintf("%d:%s", gpu.Index, gpu.Name)
		if gpu.MemoryUsedMiB != nil && gpu.MemoryTotalMiB != nil {
			s += fmt.Sprintf(" %d/%d MiB", *gpu.MemoryUsedMiB, *gpu.MemoryTotalMiB)
		}
		if gpu.UtilizationPct != nil {
			s += fmt.Sprintf(" %d%%", *gpu.UtilizationPct)
		}
		g = append(g, s)
	}
	return strings.Join(g, ", ")
}

func printRunners(a *app, sts []engine.RunnerStatus) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tHOST\tSTATUS\tDAEMON\tGPUS\tRUNNING\tQUEUED")
	for _, st := range sts {
		status, daemon := "ok", "-"
		if !st.Reachable {
			status = "unreachable"
		}
		if st.Daemon != nil {
			daemon = st.Daemon.Version
		}
		if st.Kube != nil {
			daemon = format.OneLine(st.Kube.Version)
		}
		if st.Cluster != nil {
			daemon = st.Cluster.Version
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\n", st.Name, st.Type, orDash(st.Host), status, daemon,
			format.Clip(gpuSummary(st), 48), len(st.Running), st.MaxConcurrent, len(st.Queued))
	}
	tw.Flush()
	for _, st := range sts {
		if st.Error != "" {
			a.progressf("%s: %s\n", st.Name, st.Error)
		}
		if st.Kube != nil {
			for _, p := range st.Kube.Pending {
				a.printf("%s: run %s pending: %s\n", st.Name, format.OneLine(p.RunID), format.OneLine(p.Reason))
			}
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
)

func newGCCmd(a *app) *cobra.Command {
	var dry, containers, yes bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove objects no dataset version, artifact or code diff refers to",
		Long: `Remove files from the workspace's object store (.lathe/objects) that nothing in
the store refers to: no dataset version, no run's artifact, no run's code
patch. Objects younger than --grace are kept even so, because a run that is
ending stores its outputs before it records them.

With --containers, list instead the lathe containers (label lathe.run_id) of
this workspace's finished runs still on each docker runner's daemon, and
remove them with --yes. Containers of queued or running runs are never
touched.`,
		Example: "  lathe gc --dry-run\n  lathe gc --json\n  lathe gc --containers\n  lathe gc --containers --yes",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if containers {
				return a.gcContainers(orBackground(cmd.Context()), !yes || dry)
			}
			if yes {
				return &config.InputError{Field: "--yes", Msg: "confirms removing leftover containers; give it together with --containers"}
			}
			return a.gc(orBackground(cmd.Context()), dry, grace)
		},
	}
	cmd.Flags().BoolVar(&containers, "containers", false, "list leftover containers of finished runs (remove them with --yes)")
	cmd.Flags().BoolVar(&yes, "yes", false, "with --containers: remove them")
	cmd.Flags().BoolVarP(&dry, "dry-run", "n", false, "list what would be removed, remove nothing")
	cmd.Flags().DurationVar(&grace, "grace", time.Hour, "keep unreferenced objects younger than this")
	return cmd
}

func (a *app) gc(ctx context.Context, dry bool, grace time.Duration) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	rep, err := e.GC(ctx, dry, grace)
	if err != nil {
		return err
	}
	removed, bytes := rep.Removed, rep.Bytes
	if a.jsonOut {
		return a.printJSON(rep)
	}
	verb := "removed"
	if dry {
		verb = "would remove"
		for _, sha := range removed {
			a.printf("%s\n", sha)
		}
	}
	a.printf("lathe gc: %s %d unreferenced object(s), %s; %d kept\n", verb, len(removed), format.Bytes(bytes), rep.Kept)
	return nil
}

func (a *app) gcContainers(ctx context.Context, dry bool) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	rep, err := e.GCContainers(ctx, dry)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(rep)
	}
	nFailed := 0
	for _, l := range rep.Leftovers {
		st := l.RunStatus
		if st == "" {
			st = "no such run"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s (%s)", l.Name, format.Clip(l.ContainerID, 12), l.State, l.RunID, st)
		if l.Error != "" {
			nFailed++
			line += "\tnot removed: " + l.Error
		}
		a.printf("%s\n", format.Printable(line))
	}
	for _, name := range format.SortedKeys(rep.Unreachable) {
		a.printf("%s\n", format.Printable("runner "+name+": "+rep.Unreachable[name]))
	}
	switch {
	case dry && len(rep.Leftovers) > 0:
		a.printf("lathe gc: %d container(s) of finished runs; remove them with lathe gc --containers --yes\n", len(rep.Leftovers))
	case dry:
		a.printf("lathe gc: no containers of finished runs\n")
	default:
		a.printf("lathe gc: removed %d container(s) of finished runs\n", len(rep.Leftovers)-nFailed)
	}
	if nFailed > 0 || len(rep.Unreachable) > 0 {
		return failed(fmt.Errorf("lathe gc: %d container(s) not removed, %d runner(s) unreachable", nFailed, len(rep.Unreachable)))
	}
	return nil
}

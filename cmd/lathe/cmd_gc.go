package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/format"
)

func newGCCmd(a *app) *cobra.Command {
	var dry bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove objects no dataset version, artifact or code diff refers to",
		Long: `Remove files from the workspace's object store (.lathe/objects) that nothing in
the store refers to: no dataset version, no run's artifact, no run's code
patch. Objects younger than --grace are kept even so, because a run that is
ending stores its outputs before it records them.`,
		Example: "  lathe gc --dry-run\n  lathe gc --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.gc(orBackground(cmd.Context()), dry, grace)
		},
	}
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

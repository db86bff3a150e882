package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

func newArtifactsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "artifacts",
		Short: "A run's output files: list them, copy them out of the object store",
		Long: `Everything a run writes under $LATHE_OUTPUT_DIR is kept in the workspace's
content-addressed object store (.lathe/objects) when the run ends. These
commands list a run's artifacts and copy them out, checking each file's sha256
on the way; paths are checked so that nothing lands outside --out.`,
		Example: "  lathe artifacts ls r3k9...\n  lathe artifacts get r3k9 model.json --out best-model.json\n  lathe artifacts get r3k9 checkpoints --out ckpt/",
	})
	var out string
	get := &cobra.Command{
		Use:   "get RUN PATH",
		Short: "Copy an artifact (or a directory of them) out of the object store",
		Long: `Copy the artifact at PATH (relative to the run's output directory, as
'lathe artifacts ls' prints it) to --out FILE, or every artifact under the
directory PATH into --out DIR ("." for all of them). --out defaults to PATH's
base name in the current directory; "-" writes a single file to stdout.`,
		Args: exactArgs(2, "RUN and PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.artifactsGet(orBackground(cmd.Context()), args[0], args[1], out)
		},
		ValidArgsFunction: a.completeRunIDs(1),
	}
	get.Flags().StringVarP(&out, "out", "o", "", "destination file or directory (default: PATH's base name here; - for stdout)")
	ls := &cobra.Command{
		Use:   "ls RUN",
		Short: "List a run's artifacts (path, size, sha256)",
		Args:  exactArgs(1, "one run ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.artifactsLs(orBackground(cmd.Context()), args[0])
		},
		ValidArgsFunction: a.completeRunIDs(1),
	}
	cmd.AddCommand(ls, get)
	return cmd
}

func (a *app) artifactsLs(ctx context.Context, prefix string) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	id, err := e.ResolveRun(ctx, prefix)
	if err != nil {
		return err
	}
	arts, err := e.ListArtifacts(ctx, id)
	if err != nil {
		return err
	}
	if a.jsonOut {
		plain := make([]experiments.Artifact, len(arts))
		for i, ar := range arts {
			plain[i] = ar.Artifact
		}
		return a.printJSON(plain)
	}
	if len(arts) == 0 {
		a.printf("Run %s has no artifacts (nothing was written under $LATHE_OUTPUT_DIR, or it has not ended yet).\n", id)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tSIZE\tSHA256\tSTORED")
	var total int64
	for _, ar := range arts {
		stored := "yes"
		if !ar.Stored {
			stored = "MISSING"
		}
		total += ar.Size
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ar.Path, format.Bytes(ar.Size), ar.SHA256[:12], stored)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	a.printf("%d artifact(s), %s\n", len(arts), format.Bytes(total))
	return nil
}

func (a *app) artifactsGet(ctx context.Context, prefix, p, out string) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	id, err := e.ResolveRun(ctx, prefix)
	if err != nil {
		return err
	}
	done, err := e.ExportArtifacts(ctx, id, p, out, a.stdout)
	if err != nil || out == "-" {
		return err // with -, the artifact itself was the output
	}
	if a.jsonOut {
		return a.printJSON(done)
	}
	var total int64
	for _, d := range done {
		total += d.Size
		a.printf("%s\n", d.To)
	}
	a.progressf("lathe: wrote %d file(s), %s, sha256 verified\n", len(done), format.Bytes(total))
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
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
	ws, err := a.workspace()
	if err != nil {
		return err
	}
	id, err := ws.Store.ResolveRun(ctx, prefix)
	if err != nil {
		return err
	}
	arts, err := ws.Store.ListArtifacts(ctx, id)
	if err != nil {
		return err
	}
	if a.jsonOut {
		if arts == nil {
			arts = []experiments.Artifact{}
		}
		return a.printJSON(arts)
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
		if !ws.Objects.Has(ar.SHA256) {
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

// exported is one file `artifacts get --json` wrote.
type exported struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	To     string `json:"to"`
}

func (a *app) artifactsGet(ctx context.Context, prefix, p, out string) error {
	ws, err := a.workspace()
	if err != nil {
		return err
	}
	id, err := ws.Store.ResolveRun(ctx, prefix)
	if err != nil {
		return err
	}
	arts, dir, err := ws.Store.SelectArtifacts(ctx, id, p)
	if err != nil {
		return err
	}
	clean, _ := experiments.CleanArtifactPath(p)
	var done []exported
	if !dir {
		ar := arts[0]
		if out == "-" {
			f, err := ws.Objects.Open(ar.SHA256)
			if err != nil {
				return fmt.Errorf("artifact %s: %w", ar.Path, err)
			}
			defer f.Close()
			return experiments.CopyVerified(a.stdout, f, ar.SHA256)
		}
		if out == "" {
			out = path.Base(ar.Path)
		}
		if fi, err := os.Stat(out); err == nil && fi.IsDir() {
			out = filepath.Join(out, path.Base(ar.Path))
		}
		root, err := os.OpenRoot(filepath.Dir(out))
		if err != nil {
			return &config.InputError{Field: "--out", Msg: fmt.Sprintf("%s: its directory cannot be opened: %v", out, err)}
		}
		defer root.Close()
		if err := ws.Objects.Export(ar, root, filepath.Base(out)); err != nil {
			return err
		}
		done = append(done, exported{ar.Path, ar.SHA256, ar.Size, out})
	} else {
		if out == "-" {
			return &config.InputError{Field: "--out", Msg: fmt.Sprintf("%q is a directory of %d artifacts; give --out DIR", clean, len(arts))}
		}
		if out == "" {
			out = path.Base(clean)
			if clean == "." {
				out = "artifacts-" + id
			}
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return &config.InputError{Field: "--out", Msg: err.Error(), Err: err}
		}
		root, err := os.OpenRoot(out)
		if err != nil {
			return &config.InputError{Field: "--out", Msg: err.Error(), Err: err}
		}
		defer root.Close()
		for _, ar := range arts {
			rel := ar.Path
			if clean != "." {
				rel = strings.TrimPrefix(ar.Path, clean+"/")
			}
			// The store's paths are checked too: a record edited by hand (or a
			// future writer with a bug) must not place a file outside DIR.
			if rel, err = experiments.CleanArtifactPath(rel); err != nil || rel == "." {
				return fmt.Errorf("artifact %q of run %s: refusing to write it outside %s", ar.Path, id, out)
			}
			if err := ws.Objects.Export(ar, root, rel); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%w (was it removed by hand? `lathe gc` never removes a referenced object)", err)
				}
				return err
			}
			done = append(done, exported{ar.Path, ar.SHA256, ar.Size, filepath.Join(out, filepath.FromSlash(rel))})
		}
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

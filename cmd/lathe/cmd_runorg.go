package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

// Organising runs: `lathe runs tag`, `runs note` and `runs rename`.

func newRunsTagCmd(a *app) *cobra.Command {
	var remove bool
	cmd := &cobra.Command{
		Use:   "tag ID TAG...",
		Short: "Tag a run (--remove: take the tags off); runs ls --tag filters by them",
		Long: `Add tags to a run, or take them off with --remove (a tag the run does not
have is no error). A tag is up to 64 letters, digits and - _ . : / @ +.
Prints the run's tags afterwards.`,
		Example:           "  lathe runs tag r3k9 baseline lr-sweep\n  lathe runs tag r3k9 lr-sweep --remove\n  lathe runs ls --tag baseline",
		Args:              rangeArgs(2, 1<<16, "a run ID and at least one tag"),
		ValidArgsFunction: a.completeRunThenTags,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, id, err := a.runArg(ctx, args[0])
			if err != nil {
				return err
			}
			r, err := e.TagRun(ctx, id, args[1:], remove)
			if err != nil {
				return err
			}
			return a.printOrganized(ctx, r, strings.Join(r.Tags, " "))
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "take these tags off the run")
	return cmd
}

func newRunsNoteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "note ID TEXT|-",
		Short: `Set a run's note, free text ("-": read it from stdin; "": clear it)`,
		Long: `Replace the run's note with TEXT, or with what stdin holds when TEXT is "-"
(a trailing newline is dropped). An empty TEXT clears the note. A note is
UTF-8 text of up to 64 KiB; lines and tabs are kept, other control
characters are refused. runs show prints it.`,
		Example:           "  lathe runs note r3k9 'diverged after step 40; lr too high'\n  git log -1 --format=%B | lathe runs note r3k9 -\n  lathe runs note r3k9 ''",
		Args:              exactArgs(2, "a run ID and the note (or - to read it from stdin)"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			id, err := a.resolveRunArg(ctx, args[0])
			if err != nil {
				return err
			}
			note := args[1]
			if note == "-" {
				b, err := io.ReadAll(io.LimitReader(a.stdin, experiments.MaxNoteLen+2))
				if err != nil {
					return fmt.Errorf("read the note from stdin: %w", err)
				}
				note = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			r, err := e.SetRunNote(ctx, id, note)
			if err != nil {
				return err
			}
			return a.printOrganized(ctx, r, format.Clip(format.OneLine(r.Note), 72))
		},
	}
}

func newRunsRenameCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "rename ID NAME",
		Short:             `Name a run (one line of up to 200 characters; "" clears the name)`,
		Example:           "  lathe runs rename r3k9 'baseline, lr 0.01'",
		Args:              exactArgs(2, "a run ID and its new name"),
		ValidArgsFunction: a.completeRunIDs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := orBackground(cmd.Context())
			e, id, err := a.runArg(ctx, args[0])
			if err != nil {
				return err
			}
			r, err := e.RenameRun(ctx, id, args[1])
			if err != nil {
				return err
			}
			return a.printOrganized(ctx, r, format.OneLine(r.Name))
		},
	}
}

// printOrganized prints the changed run: its record with --json, else its
// id and what changed.
func (a *app) printOrganized(ctx context.Context, r experiments.Run, what string) error {
	if a.jsonOut {
		e, err := a.engine()
		if err != nil {
			return err
		}
		rec, err := e.RunRecord(ctx, r.ID)
		if err != nil {
			return err
		}
		return a.printJSON(rec)
	}
	a.printf("%s %s\n", r.ID, what)
	return nil
}

// completeTags completes --tag with the tags in use, most used first.
func (a *app) completeTags(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if a.cfg == nil {
		if err := a.loadConfig(nil); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	e, err := a.engine()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	tags, err := e.RunTags(orBackground(cmd.Context()))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, t := range tags {
		if strings.HasPrefix(t.Tag, prefix) {
			out = append(out, fmt.Sprintf("%s\t%d runs", t.Tag, t.Runs))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeRunThenTags completes runs tag's run id, then its tags.
func (a *app) completeRunThenTags(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return a.completeRunIDs(1)(cmd, args, prefix)
	}
	return a.completeTags(cmd, args, prefix)
}

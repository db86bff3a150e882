package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
)

func newStoreCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "store",
		Short: "The store of runs, lineage and studies: which one, its schema, joining a shared one",
		Long: `By default a workspace keeps its records in its own SQLite file, .lathe/store.db.
A team shares one PostgreSQL instead: set store: postgres://user@host/db?sslmode=require
in lathe.yaml, the user config or the team's runners file (or LATHE_STORE); the
password comes from PGPASSWORD, ~/.pgpass, or the variable named by
store: {url: ..., password_env: NAME}, never from a file. Share objects: too
(a mounted directory) so artifacts and code patches are everyone's.`,
		Example: "  lathe store info\n  lathe store copy --to postgres://alice@db.team/lathe?sslmode=require\n  lathe store migrate",
	})
	info := &cobra.Command{
		Use:   "info",
		Short: "Show the store this workspace uses, its schema version and the workspaces in it",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			inf, err := e.StoreInfo(orBackground(c.Context()))
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(inf)
			}
			a.printf("store:   %s (%s)\nschema:  version %d (this lathe writes %d)\nuser:    %s\n", inf.Store, inf.Backend, inf.Schema, inf.Latest, inf.User)
			if inf.Backend == "postgres" {
				live := "yes (LISTEN/NOTIFY)"
				if !inf.Live {
					live = "not yet (polling)"
				}
				a.printf("live:    %s\n", live)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "\nWORKSPACE\tNAME\tUSER\tHOST\tROOT")
			for _, w := range inf.Workspaces {
				mark := ""
				if w.ID == inf.Workspace {
					mark = " (this)"
				}
				fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", w.ID, mark, w.Name, w.User, w.Host, w.Root)
			}
			return tw.Flush()
		},
	}
	migrate := &cobra.Command{
		Use:   "migrate",
		Short: "Upgrade the store's schema to this lathe's",
		Long: `A workspace's own SQLite store is upgraded whenever lathe opens it. A shared store
is upgraded only by this command, because every lathe that shares it must
understand the new schema: upgrade the team's lathes first (an older lathe refuses
a newer schema, and says so).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, args []string) error {
			if a.root == "" {
				return &config.InputError{Msg: "no workspace here: run it in a workspace (or pass --workspace DIR) whose store: names the store"}
			}
			m, err := engine.MigrateStore(orBackground(c.Context()), a.root, a.cfg)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(m)
			}
			if m.From == m.To {
				a.printf("store %s: schema version %d, up to date\n", m.Store, m.To)
			} else {
				a.printf("store %s: schema version %d -> %d\n", m.Store, m.From, m.To)
			}
			return nil
		},
	}
	var to, pwEnv, objects string
	cp := &cobra.Command{
		Use:   "copy --to URL",
		Short: "Copy this workspace's history (.lathe/store.db) into a shared store",
		Long: `Copies every finished run (with its inputs, metrics, logs, properties and
artifacts), dataset version, study, trial and lineage edge of this workspace's own
SQLite store into the shared store at URL, recorded as this workspace's and yours,
and the objects they name into the team's objects: directory (or --objects). It is
idempotent and resumable: run it again after an interruption, or later for runs
that were still running, and nothing is copied twice. Then set store: to URL.`,
		Example: "  PGPASSWORD=... lathe store copy --to postgres://alice@db.team/lathe?sslmode=require --objects /mnt/team/lathe-objects",
		Args:    exactArgs(0, "no arguments (the target is --to URL)"),
		RunE: func(c *cobra.Command, args []string) error {
			if a.root == "" {
				return &config.InputError{Msg: "no workspace here: run it in the workspace whose history to copy (or pass --workspace DIR)"}
			}
			ctx := orBackground(c.Context())
			rep, err := engine.CopyStore(ctx, a.root, a.cfg, engine.CopyOptions{To: to, PasswordEnv: pwEnv, Objects: objects,
				Progress: func(done, total int) { a.progressf("copied %d/%d runs\r", done, total) }})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			a.progressf("\n")
			a.printf("copied %s -> %s: %d runs (%d there already), %d dataset versions, %d studies, %d trials, %d edges, %d objects\n",
				rep.From, rep.To, rep.Runs, rep.RunsThere, rep.Datasets, rep.Studies, rep.Trials, rep.Edges, rep.Objects)
			for from, to := range rep.RenamedStudies {
				a.printf("study %s is %s there (another study has its name)\n", from, to)
			}
			if n := len(rep.Unfinished); n > 0 {
				a.printf("%d unfinished run(s) not copied (%s): copy again once they have ended\n", n, strings.Join(rep.Unfinished, ", "))
			}
			if rep.ObjectsDir == "" {
				a.printf("objects stay in .lathe/objects: set objects: to a directory the team shares, and copy again\n")
			}
			return nil
		},
	}
	cp.Flags().StringVar(&to, "to", "", "the shared store: postgres://user@host[:port]/db?sslmode=... (no password in it)")
	cp.Flags().StringVar(&pwEnv, "password-env", "", "the environment variable holding its password (default: PGPASSWORD or ~/.pgpass)")
	cp.Flags().StringVar(&objects, "objects", "", "the team's object directory (default: the objects: setting)")
	cmd.AddCommand(info, migrate, cp)
	return cmd
}

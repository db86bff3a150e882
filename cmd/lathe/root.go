package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lathe-ml/lathe/format"
)

// execute runs the command tree on args and returns the exit status.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	defer a.close()
	root := newRoot(a)
	root.SetArgs(args)
	err := root.Execute()
	code := exitCode(err)
	var se silentExit
	if err != nil && !errors.As(err, &se) {
		// Errors quote what runs and files hold (metric names, cells):
		// escaped, as every text output is.
		fmt.Fprintf(stderr, "lathe: %s\n", format.Printable(err.Error()))
		if code == exitUsage && isFlagOrArgError(err) {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", commandPathFor(root, args))
		}
	}
	return code
}

// newRoot builds the whole command tree around one app.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "lathe",
		Short: "A terminal workstation for ML experiments and data exploration",
		Long: `Lathe profiles datasets, traces lineage, launches training runs on local or
remote GPU hosts (plain processes or Docker over ssh:// or TLS), tunes them with a
multi-metric Bayesian optimizer, and plots their curves live, in one terminal app.

Run with no command to open the TUI on the workspace found from the current
directory (or on the demo workspace when there is none). Every action is also a
subcommand with --json output for scripts and CI.

Exit status: 0 success, 1 the operation ran and failed, 2 bad input or usage.`,
		Example: `  lathe                       # open the TUI here (or on the demo workspace)
  lathe init my-project       # create a workspace
  lathe data profile data/train.csv --json
  lathe run --runner gpu1 --gpus 1 -- python train.py --lr {lr}
  lathe config show`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownSubcommand(cmd, args[0])
			}
			return nil
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := checkProgressMode(a.progressMode); err != nil {
				return err
			}
			if skipConfig(cmd) {
				return nil
			}
			return a.loadConfig(nil)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.openTUI(cmd.Context())
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: flagError{plainFlagError(err)}}
	})
	pf := root.PersistentFlags()
	pf.StringVarP(&a.workspaceFlag, "workspace", "w", "", "workspace directory (default: search upward for lathe.yaml; env LATHE_WORKSPACE)")
	pf.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON on stdout (progress goes to stderr)")
	pf.BoolVar(&a.noColor, "no-color", false, "disable colour (also NO_COLOR=1)")
	pf.StringVar(&a.progressMode, "progress", "auto", "progress of long operations on stderr: auto (a bar on a terminal), text, json (one object a line) or none")
	root.SetVersionTemplate("lathe {{.Version}}\n")

	root.AddGroup(
		&cobra.Group{ID: "work", Title: "Workspace:"},
		&cobra.Group{ID: "data", Title: "Data and experiments:"},
		&cobra.Group{ID: "more", Title: "Interfaces and settings:"},
	)
	for _, c := range []*cobra.Command{newInitCmd(a), newDemoCmd(a)} {
		c.GroupID = "work"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newDataCmd(a), newRunCmd(a), newRunsCmd(a), newTuneCmd(a), newLineageCmd(a), newReportCmd(a), newPlotCmd(a), newArtifactsCmd(a), newGCCmd(a), newRunnersCmd(a)} {
		c.GroupID = "data"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newServeCmd(a), newShellCmd(a), newStoreCmd(a), newConfigCmd(a), newVersionCmd(a), newCompletionCmd(a)} {
		c.GroupID = "more"
		root.AddCommand(c)
	}
	root.AddCommand(newTrainerCmd(a)) // hidden: the demo's example trainer
	root.SetHelpCommandGroupID("more")
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// flagError marks errors from flag parsing and argument validation.
type flagError struct{ error }

// plainFlagError words pflag's "invalid argument "x" for "--limit" flag:
// strconv.ParseInt: parsing "x": invalid syntax" as "--limit: "x" is not a
// whole number", naming the flag and the kind of value it takes.
func plainFlagError(err error) error {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) {
		return err
	}
	want := map[string]string{
		"int": "a whole number", "int8": "a whole number", "int16": "a whole number",
		"int32": "a whole number", "int64": "a whole number", "uint": "a whole number of at least 0",
		"uint8": "a whole number of at least 0", "uint16": "a whole number of at least 0",
		"uint32": "a whole number of at least 0", "uint64": "a whole number of at least 0",
		"float32": "a number", "float64": "a number", "bool": "true or false",
		"duration": "a duration such as 90s, 5m or 1h30m", "count": "a whole number",
	}[ive.GetFlag().Value.Type()]
	if want == "" {
		return err
	}
	return fmt.Errorf("--%s: %q is not %s", ive.GetFlag().Name, ive.GetValue(), want)
}

func (e flagError) Unwrap() error { return e.error }

func isFlagOrArgError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// commandPathFor names the deepest command args reach, for the usage hint.
func commandPathFor(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return root.CommandPath()
	}
	return c.CommandPath()
}

// exactArgs is cobra.ExactArgs with an exit-2 error that names the command.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &exitError{code: exitUsage, err: flagError{fmt.Errorf("%s takes %s (got %d argument(s))", cmd.CommandPath(), what, len(args))}}
		}
		return nil
	}
}

// rangeArgs is cobra.RangeArgs with an exit-2 error that names the command.
func rangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return &exitError{code: exitUsage, err: flagError{fmt.Errorf("%s takes %s (got %d argument(s))", cmd.CommandPath(), what, len(args))}}
		}
		return nil
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/demo"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui"
)

func newInitCmd(a *app) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a workspace: a commented lathe.yaml and the .lathe/ state directory",
		Long: `Create a workspace in DIR (default: the current directory): a commented
lathe.yaml with a local runner and a docker runner entry, and .lathe/ holding the
SQLite store and the content-addressed object store. Running it again in an
existing workspace only makes sure .lathe/ is complete.`,
		Example: "  lathe init\n  lathe init ~/projects/churn --name churn-model",
		Args:    rangeArgs(0, 1, "at most one DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return &config.InputError{Field: "DIR", Msg: err.Error()}
			}
			if name == "" {
				name = filepath.Base(abs)
			}
			ws, err := engine.Init(abs, name)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"root": ws.Root, "name": name, "state_dir": ws.StateDir, "id": ws.ID})
			}
			a.printf("Workspace %q ready in %s\n  config: %s\n  state:  %s\nNext: edit lathe.yaml, then run `lathe` to open it.\n",
				name, ws.Root, filepath.Join(ws.Root, "lathe.yaml"), ws.StateDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "workspace name (default: the directory's name)")
	return cmd
}

func newDemoCmd(a *app) *cobra.Command {
	var dir string
	var noOpen bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Create or refresh the demo workspace (real shipped data, a local runner) and open it",
		Long: `Create the demo workspace in the user cache directory (or --dir), or refresh its
shipped files, and open the TUI on it. The data (Palmer penguins, Seattle weather,
auto MPG, stocks) is embedded in the binary with its sources; nothing is downloaded
and neither Docker nor Python is needed.`,
		Example: "  lathe demo\n  lathe demo --no-open --json   # create it and print where",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := a.ensureDemo(dir)
			if err != nil {
				return err
			}
			if noOpen {
				if a.jsonOut {
					return a.printJSON(map[string]any{"root": root, "files": demo.Files()})
				}
				a.printf("%s\n", root)
				return nil
			}
			return a.openTUI(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "where to put the demo workspace (default: <user cache dir>/lathe/demo)")
	cmd.Flags().BoolVar(&noOpen, "no-open", false, "create or refresh it and print its path, without opening the TUI")
	return cmd
}

// ensureDemo creates or refreshes the demo workspace and makes it the
// current one.
func (a *app) ensureDemo(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = demo.DefaultDir(); err != nil {
			return "", err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", &config.InputError{Field: "--dir", Msg: err.Error()}
	}
	if err := demo.Ensure(abs); err != nil {
		return "", err
	}
	a.close()
	a.workspaceFlag = abs
	if err := a.loadConfig(nil); err != nil {
		return "", err
	}
	// The Tuner opens on a finished study (about a second, the first time).
	e, err := a.engine()
	if err != nil {
		return "", err
	}
	if err := demo.Seed(context.Background(), e, abs); err != nil {
		return "", err
	}
	return abs, nil
}

// openTUI opens the TUI on the current workspace, or on the demo workspace
// when there is none.
func (a *app) openTUI(ctx context.Context) error {
	if a.root == "" {
		if _, err := a.ensureDemo(""); err != nil {
			return err
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	opts, err := a.tuiOptions()
	if err != nil {
		return err
	}
	return tui.Run(ctx, opts) // the app's close stops following runs; they go on
}

func (a *app) tuiOptions() (tui.Options, error) {
	e, err := a.tuiEngine()
	if err != nil {
		return tui.Options{}, err
	}
	return tui.Options{Engine: e, Version: version, NoColor: a.noColor || os.Getenv("NO_COLOR") != ""}, nil
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print Lathe's version",
		Example: "  lathe version --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			info := versionInfo()
			if a.jsonOut {
				return a.printJSON(info)
			}
			a.printf("lathe %s (%s, %s/%s)\n", info["version"], info["go"], info["os"], info["arch"])
			return nil
		},
	}
}

func newCompletionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish. Completion covers commands,
flags and file paths.`,
		Example: `  source <(lathe completion bash)
  lathe completion zsh > "${fpath[1]}/_lathe"
  lathe completion fish > ~/.config/fish/completions/lathe.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      exactArgs(1, "one shell: bash, zsh or fish"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(a.stdout, true)
			case "zsh":
				return root.GenZshCompletion(a.stdout)
			case "fish":
				return root.GenFishCompletion(a.stdout, true)
			}
			return usageErrorf("unknown shell %q: valid are bash, zsh, fish", args[0])
		},
	}
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
)

// Exit statuses shared by every command (DESIGN §5).
const (
	exitOK     = 0
	exitFailed = 1 // the operation ran and failed
	exitUsage  = 2 // bad input or usage
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an explicit exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports bad input or usage (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failedError reports an operation that ran and failed (exit 1) when err
// carries its own message already.
func failed(err error) error { return &exitError{code: exitFailed, err: err} }

// silentExit ends the command with code and no extra message (the command
// has printed what the user needs).
type silentExit int

func (s silentExit) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// exitCode maps an error to the process exit status in one place.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var se silentExit
	if errors.As(err, &se) {
		return int(se)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if config.IsInput(err) {
		return exitUsage
	}
	return exitFailed
}

// app is the state one invocation of the command tree shares: global flags,
// standard streams, and the lazily opened workspace and config.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	workspaceFlag string
	jsonOut       bool
	noColor       bool
	progressMode  string // --progress: auto, text, json, none

	root string         // resolved workspace root, "" when none
	cfg  *config.Config // loaded config (with or without a workspace)
	eng  *engine.Engine // opened on first use; the one door to the workspace
}

// resolveRoot finds the workspace root: --workspace, then LATHE_WORKSPACE,
// then a search upward from the current directory. It returns "" with no
// error when there is no workspace and none was asked for.
func (a *app) resolveRoot() (string, error) {
	dir := a.workspaceFlag
	source := "--workspace"
	if dir == "" {
		dir = os.Getenv("LATHE_WORKSPACE")
		source = "LATHE_WORKSPACE"
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", &config.InputError{Field: source, Msg: err.Error()}
		}
		if st, err := os.Stat(abs); err == nil && !st.IsDir() {
			return "", &config.InputError{Field: source, Msg: fmt.Sprintf("%s is a file, not a workspace directory (one holding lathe.yaml)", dir)}
		}
		if _, err := os.Stat(filepath.Join(abs, "lathe.yaml")); err != nil {
			return "", &config.InputError{Field: source, Msg: fmt.Sprintf("%s has no lathe.yaml; create one with `lathe init %s`", dir, dir)}
		}
		return abs, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := engine.Find(cwd)
	if errors.Is(err, engine.ErrNoWorkspace) {
		return "", nil
	}
	return root, err
}

// loadConfig resolves the workspace and loads the layered config. Every
// command but init, help and completion calls it, so a broken lathe.yaml is
// reported (exit 2) whatever the user ran.
func (a *app) loadConfig(flags map[string]string) error {
	root, err := a.resolveRoot()
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.Options{WorkspaceDir: root, Flags: flags})
	if err != nil {
		return err
	}
	a.root, a.cfg = root, cfg
	return nil
}

// engine opens the workspace's engine, once per invocation; the workspace
// must exist.
func (a *app) engine() (*engine.Engine, error) {
	if a.eng != nil && a.eng.HasWorkspace() {
		return a.eng, nil
	}
	if a.root == "" {
		return nil, &config.InputError{Msg: "no workspace here: run `lathe init` to create one, pass --workspace DIR, or try `lathe demo`"}
	}
	e, err := engine.Open(a.root, a.cfg, engine.Options{Version: version})
	if err != nil {
		return nil, err
	}
	if a.eng != nil {
		_ = a.eng.Close()
	}
	a.eng = e
	return e, nil
}

// dataEngine is the workspace's engine when there is a workspace, else one
// without (profile, drift, check and split work on any file).
func (a *app) dataEngine() (*engine.Engine, error) {
	if a.root != "" {
		return a.engine()
	}
	if a.eng == nil {
		a.eng = engine.WithoutWorkspace(a.cfg, engine.Options{Version: version})
	}
	return a.eng, nil
}

// close stops following runs (they go on), writes what was read and closes
// the workspace.
func (a *app) close() {
	if a.eng != nil {
		_ = a.eng.Close()
		a.eng = nil
	}
}

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printf writes human output to stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// progressf writes progress to stderr, so stdout stays clean for --json.
func (a *app) progressf(format string, args ...any) {
	fmt.Fprintf(a.stderr, format, args...)
}

// skipConfig lists the commands that run without loading a workspace config.
func skipConfig(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "init", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return true
		}
	}
	return false
}

// group makes cmd a pure container of subcommands: run bare, it prints help;
// run with an unknown subcommand, it exits 2 naming it and the valid ones.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return unknownSubcommand(c, args[0])
	}
	return cmd
}

func unknownSubcommand(c *cobra.Command, name string) error {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q; valid: %s", name, c.CommandPath(), strings.Join(names, ", "))
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usageErrorf("%s", msg)
}

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	prompt "github.com/c-bata/go-prompt"
	"github.com/c-bata/go-prompt/completer"
	"github.com/lathe-ml/lathe/engine"
	"github.com/spf13/cobra"
)

func newShellCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "shell",
		Short: "An interactive prompt over the same commands, with completion and history",
		Long: `An interactive prompt over Lathe's command tree: type a command without the
leading 'lathe'. Tab completes commands, flags, file paths and (as they exist) run
ids, study names and runner names, from the same completion as bash/zsh/fish.
History is kept in the workspace's .lathe/shell_history. 'exit' or ctrl+d quits.`,
		Example: "  lathe shell\n  lathe> data profile data/penguins.json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			histPath := ""
			if a.root != "" {
				histPath = filepath.Join(a.root, ".lathe", "shell_history")
			}
			history := readHistory(histPath)
			base := a.baseArgs()
			exec := func(line string) {
				line = strings.TrimSpace(line)
				if line == "" || line == "exit" || line == "quit" {
					return
				}
				appendHistory(histPath, line)
				words, err := engine.SplitWords(line)
				if err != nil {
					fmt.Fprintf(a.stderr, "lathe: %v\n", err)
					return
				}
				if len(words) > 0 && words[0] == "lathe" {
					words = words[1:]
				}
				if len(words) > 0 && words[0] == "shell" {
					fmt.Fprintln(a.stderr, "lathe: already in the shell")
					return
				}
				if code := execute(append(base, words...), a.stdin, a.stdout, a.stderr); code != 0 {
					fmt.Fprintf(a.stderr, "[exit %d]\n", code)
				}
			}
			p := prompt.New(exec, func(d prompt.Document) []prompt.Suggest { return shellComplete(base, d) },
				prompt.OptionPrefix("lathe> "),
				prompt.OptionTitle("lathe shell"),
				prompt.OptionHistory(history),
				prompt.OptionSetExitCheckerOnInput(func(in string, breakline bool) bool {
					in = strings.TrimSpace(in)
					return breakline && (in == "exit" || in == "quit")
				}),
			)
			p.Run()
			return nil
		},
	}
}

// baseArgs repeats the global flags of this invocation for each shell line.
func (a *app) baseArgs() []string {
	var base []string
	if a.root != "" {
		base = append(base, "--workspace", a.root)
	}
	if a.noColor {
		base = append(base, "--no-color")
	}
	return base
}

var pathCompleter = completer.FilePathCompleter{IgnoreCase: true}

// shellComplete asks the command tree's own completion (cobra's __complete,
// the one bash, zsh and fish use) what may follow, and falls back to file
// paths where the command allows them.
func shellComplete(base []string, d prompt.Document) []prompt.Suggest {
	before := d.TextBeforeCursor()
	words, err := engine.SplitWords(before)
	if err != nil {
		return nil
	}
	toComplete := ""
	if len(words) > 0 && !strings.HasSuffix(before, " ") {
		toComplete = words[len(words)-1]
		words = words[:len(words)-1]
	}
	cands, directive := cobraComplete(base, words, toComplete)
	var out []prompt.Suggest
	for _, c := range cands {
		out = append(out, prompt.Suggest{Text: c[0], Description: c[1]})
	}
	if len(out) == 0 && directive&cobra.ShellCompDirectiveNoFileComp == 0 && !strings.HasPrefix(toComplete, "-") {
		return pathCompleter.Complete(d)
	}
	return prompt.FilterHasPrefix(out, toComplete, false)
}

// cobraComplete runs `lathe __complete words... toComplete` in process and
// returns the candidates (text, description) and the directive.
func cobraComplete(base, words []string, toComplete string) ([][2]string, cobra.ShellCompDirective) {
	var out, errb bytes.Buffer
	args := append([]string{cobra.ShellCompRequestCmd}, base...)
	args = append(append(args, words...), toComplete)
	execute(args, strings.NewReader(""), &out, &errb)
	var cands [][2]string
	directive := cobra.ShellCompDirectiveDefault
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ":") {
			var d int
			fmt.Sscanf(line, ":%d", &d)
			directive = cobra.ShellCompDirective(d)
			continue
		}
		if line == "" || strings.HasPrefix(line, "Completion ended") {
			continue
		}
		text, desc, _ := strings.Cut(line, "\t")
		cands = append(cands, [2]string{text, desc})
	}
	return cands, directive
}

func readHistory(path string) []string {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 1000 {
		lines = lines[len(lines)-1000:]
	}
	return lines
}

func appendHistory(path, line string) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

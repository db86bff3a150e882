package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/format"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "config",
		Short: "Show the merged configuration and where each key came from",
		Long: `Lathe layers its configuration, lowest first: built-in defaults, the user config
($XDG_CONFIG_HOME/lathe/config.yaml), the team runners file (runners_file: or
LATHE_RUNNERS), the workspace lathe.yaml, LATHE_* environment variables, flags.`,
		Example: "  lathe config show\n  lathe config show --json | jq '.keys[] | select(.layer==\"team\")'",
	})
	show := &cobra.Command{
		Use:     "show",
		Short:   "Print the merged config with each key's layer and source",
		Example: "  lathe config show --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			entries := a.cfg.Show()
			if a.jsonOut {
				return a.printJSON(map[string]any{"workspace": a.root, "config": a.cfg, "keys": entries})
			}
			if a.root != "" {
				a.printf("workspace: %s\n\n", a.root)
			} else {
				a.printf("workspace: none (defaults, user config and environment only)\n\n")
			}
			tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tVALUE\tLAYER\tSOURCE")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Key, showValue(e.Value), e.Layer, e.Source)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(show)
	return cmd
}

// showValue prints strings bare and everything else (lists, maps, empty
// strings) as JSON, so an empty missing-value token stays visible.
// A long one (a list) is clipped to showValueWidth, so one key does not
// widen every row past the terminal; --json has it whole.
func showValue(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return format.Clip(s, showValueWidth)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<NA>", not "\u003cNA\u003e"
	if err := enc.Encode(v); err != nil {
		return format.Clip(fmt.Sprint(v), showValueWidth)
	}
	return format.Clip(strings.TrimSuffix(b.String(), "\n"), showValueWidth)
}

// showValueWidth is the widest value `config show` prints.
const showValueWidth = 60

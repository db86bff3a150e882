package main

import "github.com/spf13/cobra"

func newLineageCmd(a *app) *cobra.Command {
	cmd := waitsFor(&cobra.Command{
		Use:   "lineage REF",
		Short: "Lineage graph around a run, a study, a dataset path or a version hash",
		Example: `  lathe lineage 01HX... --up
  lathe lineage data/penguins.json --down --json
  lathe lineage 3fa9c2 --dot | dot -Tsvg > lineage.svg`,
		Args: exactArgs(1, "one REF"),
	}, capLineage, issueLineage)
	f := cmd.Flags()
	f.Bool("up", false, "only ancestors")
	f.Bool("down", false, "only descendants")
	f.Int("depth", 0, "maximum depth (0: unlimited)")
	f.Bool("dot", false, "print Graphviz dot")
	return cmd
}

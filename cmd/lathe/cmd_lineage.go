package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

func newLineageCmd(a *app) *cobra.Command {
	var f lineageFlags
	cmd := &cobra.Command{
		Use:   "lineage REF",
		Short: "Lineage graph around a run, a study, a dataset path or a version hash",
		Long: `Print what REF was made from (--up) and what was made from it (--down), or
both. REF is a run id (or a unique prefix), a study name, a registered dataset
path (its most recently registered version), 4+ hex digits of a dataset
version's or an artifact's sha256, or KIND:ID as the JSON prints node ids
(dataset:3, run:r..., artifact:7, study:NAME).

Nodes are datasets, runs, artifacts and studies; edges point downstream:
dataset -used-> run -produced-> artifact, source -derived_from-> derived
dataset, study -trial_of-> run, and run -rerun_of-> its rerun.`,
		Example: `  lathe lineage r3k9... --up
  lathe lineage data/penguins.json --down --json
  lathe lineage 3fa9c2 --dot | dot -Tsvg > lineage.svg`,
		Args: exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.lineage(orBackground(cmd.Context()), args[0], f)
		},
		ValidArgsFunction: a.completeLineageRef,
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.up, "up", false, "only ancestors: what REF was made from")
	fl.BoolVar(&f.down, "down", false, "only descendants: what was made from REF")
	fl.IntVar(&f.depth, "depth", 0, "at most this many edges from REF (0: unlimited)")
	fl.BoolVar(&f.dot, "dot", false, "print Graphviz dot (render with: dot -Tsvg)")
	return cmd
}

type lineageFlags struct {
	up, down, dot bool
	depth         int
}

// lineageJSON is DESIGN §5's lineage shape, nodes carrying a few more
// fields so a script need not look each one up.
type lineageJSON struct {
	Roots []string      `json:"roots"`
	Nodes []lineageNode `json:"nodes"`
	Edges []lineageEdge `json:"edges"`
}

type lineageNode struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Label   string            `json:"label"`
	Path    string            `json:"path,omitempty"`
	SHA256  string            `json:"sha256,omitempty"`
	Bytes   *int64            `json:"bytes,omitempty"`
	Rows    *int64            `json:"rows,omitempty"`
	Status  string            `json:"status,omitempty"`
	RunID   string            `json:"run_id,omitempty"`
	Params  map[string]any    `json:"params,omitempty"`
	Created *time.Time        `json:"created,omitempty"`
	Missing bool              `json:"missing,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

type lineageEdge struct {
	From      string          `json:"from"`
	To        string          `json:"to"`
	Kind      string          `json:"kind"`
	Operation string          `json:"operation,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
}

func (a *app) lineage(ctx context.Context, ref string, f lineageFlags) error {
	if f.depth < 0 {
		return &config.InputError{Field: "--depth", Msg: fmt.Sprintf("%d: give 0 (unlimited) or a positive number of edges", f.depth)}
	}
	if f.dot && a.jsonOut {
		return &config.InputError{Field: "--dot", Msg: "choose one of --dot and --json"}
	}
	e, err := a.engine()
	if err != nil {
		return err
	}
	roots, err := e.ResolveRef(ctx, ref)
	if err != nil {
		return err
	}
	dir := experiments.Both
	switch {
	case f.up && !f.down:
		dir = experiments.Up
	case f.down && !f.up:
		dir = experiments.Down
	}
	g, err := e.Lineage(ctx, roots, dir, f.depth)
	if err != nil {
		return err
	}
	switch {
	case f.dot:
		a.printf("%s", g.DOT())
		return nil
	case a.jsonOut:
		return a.printJSON(lineageToJSON(g))
	}
	a.printLineageTrees(g, dir)
	return nil
}

func lineageToJSON(g *experiments.Graph) lineageJSON {
	out := lineageJSON{Roots: []string{}, Nodes: []lineageNode{}, Edges: []lineageEdge{}}
	for _, r := range g.Roots {
		out.Roots = append(out.Roots, r.String())
	}
	for _, n := range g.Nodes {
		out.Nodes = append(out.Nodes, nodeJSON(n))
	}
	for _, e := range g.Edges {
		le := lineageEdge{From: e.From.String(), To: e.To.String(), Kind: e.Kind, Operation: e.Operation}
		if len(e.Params) > 0 && string(e.Params) != "{}" {
			le.Params = e.Params
		}
		out.Edges = append(out.Edges, le)
	}
	return out
}

func nodeJSON(n experiments.GraphNode) lineageNode {
	ln := lineageNode{ID: n.String(), Kind: n.Kind, Label: n.Label, Missing: n.Missing}
	ptr := func(v int64) *int64 { return &v }
	tm := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	switch {
	case n.Dataset != nil:
		d := n.Dataset
		ln.Path, ln.SHA256, ln.Bytes, ln.Created = d.Path, d.SHA256, ptr(d.Size), tm(d.Created)
		if d.Rows >= 0 {
			ln.Rows = ptr(d.Rows)
		}
	case n.Artifact != nil:
		ar := n.Artifact
		ln.Path, ln.SHA256, ln.Bytes, ln.RunID, ln.Created = ar.Path, ar.SHA256, ptr(ar.Size), ar.RunID, tm(ar.Created)
	case n.Run != nil:
		r := n.Run
		ln.Status, ln.Params, ln.Created = string(r.Status), r.Params, tm(r.Created)
	case n.Study != nil:
		ln.Status, ln.Created = n.Study.Status, tm(n.Study.Created)
	}
	return ln
}

// printLineageTrees draws, for each root, the tree of what it was made from
// and the tree of what was made from it.
func (a *app) printLineageTrees(g *experiments.Graph, dir experiments.Direction) {
	for i, r := range g.Roots {
		if i > 0 {
			a.printf("\n")
		}
		rn, _ := g.Node(r)
		a.printf("%s %s\n", rn.Kind, format.OneLine(rn.Label))
		for _, up := range []bool{true, false} {
			if up && dir == experiments.Down || !up && dir == experiments.Up {
				continue
			}
			title := "made from (--up)"
			if !up {
				title = "made from it (--down)"
			}
			lines := g.Tree(r, up)
			if len(lines) <= 1 {
				a.printf("  %s: nothing recorded\n", title)
				continue
			}
			a.printf("  %s:\n", title)
			for _, l := range lines[1:] {
				a.printf("    %s%s\n", l.Prefix, format.OneLine(treeText(l)))
			}
		}
	}
}

func treeText(l experiments.TreeLine) string {
	edge := l.Edge
	if op := l.Via.Operation; op != "" {
		edge += " (" + op + ")"
	}
	s := edge + ": " + l.Node.Kind + " " + l.Node.Label
	if l.Repeat {
		s += " (shown above)"
	}
	return strings.TrimSpace(s)
}

// completeLineageRef completes REF with run ids, study names and registered
// dataset paths (newest first).
func (a *app) completeLineageRef(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	none := cobra.ShellCompDirectiveNoFileComp
	if len(args) > 0 {
		return nil, none
	}
	if a.cfg == nil {
		if err := a.loadConfig(nil); err != nil {
			return nil, none
		}
	}
	e, err := a.engine()
	if err != nil {
		return nil, none
	}
	ctx := orBackground(cmd.Context())
	var out []string
	seen := map[string]bool{}
	add := func(v, desc string) {
		if strings.HasPrefix(v, prefix) && !seen[v] && len(out) < 200 {
			seen[v] = true
			out = append(out, v+"\t"+desc)
		}
	}
	if r, err := e.ListLineageRoots(ctx, 200); err == nil {
		for _, r := range r.Runs {
			add(r.ID, "run, "+string(r.Status))
		}
		for _, st := range r.Studies {
			add(st.Name, "study")
		}
		for _, d := range r.Datasets {
			add(d.Path, "dataset")
		}
	}
	return out, none | cobra.ShellCompDirectiveKeepOrder
}

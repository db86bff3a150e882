package experiments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/config"
)

// EdgeRerunOf links a run to its rerun (original -> rerun). It is not stored
// in the edges table (runs.rerun_of holds it) but Lineage reports it like the
// others, so a rerun's graph shows where it came from.
const EdgeRerunOf = "rerun_of"

// Direction says which way Lineage walks from its roots.
type Direction int

const (
	Both Direction = iota // ancestors and descendants
	Up                    // ancestors: inputs, sources, producers, studies
	Down                  // descendants: runs, artifacts, derived datasets
)

// GraphNode is a lineage node with what the store knows about it; exactly one
// of Dataset, Run, Artifact and Study is set, or none when an edge points at
// a row that no longer exists (Missing).
type GraphNode struct {
	Node
	Label    string
	Dataset  *Dataset
	Run      *Run
	Artifact *Artifact
	Study    *Study
	Missing  bool
}

// Graph is the part of the lineage graph around some roots.
type Graph struct {
	Roots []Node
	Nodes []GraphNode // roots first, then in the order the walk met them
	Edges []Edge      // each once; Edge.ID is 0 for rerun_of edges
	index map[Node]int
	up    map[Node][]int // edges entering a node (indexes into Edges)
	down  map[Node][]int // edges leaving a node
}

// Node returns the graph's node n.
func (g *Graph) Node(n Node) (GraphNode, bool) {
	i, ok := g.index[n]
	if !ok {
		return GraphNode{}, false
	}
	return g.Nodes[i], true
}

// Lineage walks the lineage graph from roots up (towards inputs and
// sources), down (towards outputs and derived data) or both, at most depth
// edges from a root (depth <= 0: unlimited), and loads every node it meets.
// The walk is breadth first; cycles (which the store does not forbid)
// terminate.
func (s *Store) Lineage(ctx context.Context, roots []Node, dir Direction, depth int) (*Graph, error) {
	g := &Graph{Roots: roots, index: map[Node]int{}, up: map[Node][]int{}, down: map[Node][]int{}}
	seenEdge := map[string]bool{}
	addEdge := func(e Edge) {
		k := e.From.String() + ">" + e.To.String() + ">" + e.Kind
		if seenEdge[k] {
			return
		}
		seenEdge[k] = true
		g.Edges = append(g.Edges, e)
		i := len(g.Edges) - 1
		g.down[e.From] = append(g.down[e.From], i)
		g.up[e.To] = append(g.up[e.To], i)
	}
	order := []Node{}
	met := map[Node]bool{}
	meet := func(n Node) {
		if !met[n] {
			met[n] = true
			order = append(order, n)
		}
	}
	for _, r := range roots {
		meet(r)
	}
	for _, up := range []bool{true, false} {
		if up && dir == Down || !up && dir == Up {
			continue
		}
		seen := map[Node]bool{}
		frontier := append([]Node(nil), roots...)
		for _, r := range roots {
			seen[r] = true
		}
		for d := 0; len(frontier) > 0 && (depth <= 0 || d < depth); d++ {
			var next []Node
			for _, n := range frontier {
				es, err := s.step(ctx, n, up)
				if err != nil {
					return nil, err
				}
				for _, e := range es {
					addEdge(e)
					other := e.To
					if up {
						other = e.From
					}
					meet(other)
					if !seen[other] {
						seen[other] = true
						next = append(next, other)
					}
				}
			}
			frontier = next
		}
	}
	for _, n := range order {
		gn, err := s.loadNode(ctx, n)
		if err != nil {
			return nil, err
		}
		g.index[n] = len(g.Nodes)
		g.Nodes = append(g.Nodes, gn)
	}
	return g, nil
}

// step returns the edges one step up or down from n: the stored ones, plus
// the links the store implies without an edge row: a run's rerun_of, and
// content identity between an artifact and a dataset version with the same
// sha256 (a run's output registered with `lathe data add`, or given to the
// next run as an input), drawn as derived_from with operation SameContent.
func (s *Store) step(ctx context.Context, n Node, up bool) ([]Edge, error) {
	es, err := s.edgesOf(ctx, n, up)
	if err != nil {
		return nil, err
	}
	var more []Edge
	switch {
	case n.Kind == KindRun:
		more, err = s.rerunEdges(ctx, n, up)
	case n.Kind == KindArtifact && !up || n.Kind == KindDataset && up:
		more, err = s.contentEdges(ctx, n)
	}
	return append(es, more...), err
}

// SameContent is the operation of an implied artifact -> dataset edge.
const SameContent = "same content"

// contentEdges links an artifact to the dataset versions with its content
// (n an artifact), or a dataset version to the artifacts with its content.
func (s *Store) contentEdges(ctx context.Context, n Node) ([]Edge, error) {
	var q, back string
	if n.Kind == KindArtifact {
		q = `SELECT d.id FROM artifacts a JOIN datasets d ON d.sha256 = a.sha256 WHERE a.id = ? ORDER BY d.id`
	} else {
		q = `SELECT a.id FROM datasets d JOIN artifacts a ON a.sha256 = d.sha256 WHERE d.id = ? ORDER BY a.id`
		back = "up"
	}
	rows, err := s.db.QueryContext(ctx, q, n.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Edge
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		e := Edge{From: n, To: Node{KindDataset, strconv.FormatInt(id, 10)}, Kind: EdgeDerivedFrom, Operation: SameContent}
		if back != "" {
			e.From, e.To = Node{KindArtifact, strconv.FormatInt(id, 10)}, n
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) rerunEdges(ctx context.Context, n Node, up bool) ([]Edge, error) {
	if up {
		var orig string
		err := s.db.QueryRowContext(ctx, `SELECT COALESCE(rerun_of, '') FROM runs WHERE id = ?`, n.ID).Scan(&orig)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if orig == "" {
			return nil, nil
		}
		return []Edge{{From: Node{KindRun, orig}, To: n, Kind: EdgeRerunOf}}, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM runs WHERE rerun_of = ? ORDER BY created, rowid`, n.ID)
	if err != nil {
		return nil, err
	}
	ids, err := collectStrings(rows)
	if err != nil {
		return nil, err
	}
	var out []Edge
	for _, id := range ids {
		out = append(out, Edge{From: n, To: Node{KindRun, id}, Kind: EdgeRerunOf})
	}
	return out, nil
}

// loadNode reads the row behind a node and labels it.
func (s *Store) loadNode(ctx context.Context, n Node) (GraphNode, error) {
	gn := GraphNode{Node: n}
	var err error
	switch n.Kind {
	case KindRun:
		var r Run
		if r, err = s.GetRun(ctx, n.ID); err == nil {
			gn.Run = &r
			gn.Label = RunLabel(r)
		}
	case KindDataset, KindArtifact, KindStudy:
		id, perr := strconv.ParseInt(n.ID, 10, 64)
		if perr != nil {
			err = fmt.Errorf("%s: %w", n, ErrNotFound)
			break
		}
		switch n.Kind {
		case KindDataset:
			var d Dataset
			if d, err = s.GetDataset(ctx, id); err == nil {
				gn.Dataset = &d
				gn.Label = d.Path + " @" + short(d.SHA256)
			}
		case KindArtifact:
			var a Artifact
			if a, err = s.GetArtifact(ctx, id); err == nil {
				gn.Artifact = &a
				gn.Label = a.Path + " @" + short(a.SHA256)
			}
		case KindStudy:
			var st Study
			if st, err = s.GetStudyByID(ctx, id); err == nil {
				gn.Study = &st
				gn.Label = st.Name
			}
		}
	}
	if errors.Is(err, ErrNotFound) {
		gn.Missing = true
		gn.Label = n.String() + " (missing)"
		return gn, nil
	}
	return gn, err
}

// RunLabel is how lineage names a run: its id, its name when it has one, and
// its status.
func RunLabel(r Run) string {
	l := r.ID
	if r.Name != "" {
		l += " " + r.Name
	}
	return l + " (" + string(r.Status) + ")"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// TreeLine is one line of a lineage tree drawn from a root.
type TreeLine struct {
	Prefix string // box-drawing indentation, e.g. "│  └─ "
	Depth  int    // 0 for the root
	Edge   string // kind of the edge that led here; "" for the root
	Via    Edge   // that edge, with its operation and params
	Node   GraphNode
	Repeat bool // shown earlier in this tree; its subtree is not repeated
}

// Tree lays out the graph as an indented tree from root: up follows edges
// backwards (what root was made from), down forwards (what was made from
// it). A node reachable twice is drawn in full once and marked Repeat after,
// which also ends cycles.
func (g *Graph) Tree(root Node, up bool) []TreeLine {
	rn, ok := g.Node(root)
	if !ok {
		return nil
	}
	out := []TreeLine{{Node: rn}}
	shown := map[Node]bool{root: true}
	var walk func(n Node, prefix string, depth int)
	walk = func(n Node, prefix string, depth int) {
		idx := slices.Clone(g.down[n])
		if up {
			idx = slices.Clone(g.up[n])
		}
		// Inputs and sources first, then the producer, reruns and studies;
		// alphabetical within a kind, so the tree reads the same every time.
		sort.SliceStable(idx, func(a, b int) bool {
			ea, eb := g.Edges[idx[a]], g.Edges[idx[b]]
			if ra, rb := treeRank(ea.Kind), treeRank(eb.Kind); ra != rb {
				return ra < rb
			}
			return g.label(ea, up) < g.label(eb, up)
		})
		for k, i := range idx {
			e := g.Edges[i]
			other := e.To
			if up {
				other = e.From
			}
			last := k == len(idx)-1
			branch, cont := "├─ ", "│  "
			if last {
				branch, cont = "└─ ", "   "
			}
			on, _ := g.Node(other)
			line := TreeLine{Prefix: prefix + branch, Depth: depth + 1, Edge: e.Kind, Via: e, Node: on, Repeat: shown[other]}
			out = append(out, line)
			if line.Repeat {
				continue
			}
			shown[other] = true
			walk(other, prefix+cont, depth+1)
		}
	}
	walk(root, "", 0)
	return out
}

// treeRank orders a node's branches by the kind of edge leading to them.
func treeRank(kind string) int {
	switch kind {
	case EdgeUsed:
		return 0
	case EdgeDerivedFrom:
		return 1
	case EdgeProduced:
		return 2
	case EdgeRerunOf:
		return 3
	}
	return 4
}

// label is the label of the node at the far end of e.
func (g *Graph) label(e Edge, up bool) string {
	n := e.To
	if up {
		n = e.From
	}
	gn, _ := g.Node(n)
	return gn.Label
}

// Neighbours returns the nodes one edge away from n, upstream ones first.
func (g *Graph) Neighbours(n Node) []Node {
	var out []Node
	for _, i := range g.up[n] {
		out = append(out, g.Edges[i].From)
	}
	for _, i := range g.down[n] {
		out = append(out, g.Edges[i].To)
	}
	return out
}

// DOT renders the graph in Graphviz's dot language, left to right, one shape
// per node kind, roots in bold.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	roots := map[Node]bool{}
	for _, r := range g.Roots {
		roots[r] = true
	}
	shapes := map[string]string{KindDataset: "cylinder", KindRun: "box", KindArtifact: "note", KindStudy: "hexagon"}
	for _, n := range g.Nodes {
		attrs := fmt.Sprintf("label=%s, shape=%s", dotQuote(n.Kind+"\n"+n.Label), shapes[n.Kind])
		if roots[n.Node] {
			attrs += ", style=bold, penwidth=2"
		}
		if n.Missing {
			attrs += ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(n.String()), attrs)
	}
	for _, e := range g.Edges {
		label := e.Kind
		if e.Operation != "" {
			label += " (" + e.Operation + ")"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotQuote(e.From.String()), dotQuote(e.To.String()), dotQuote(label))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote makes s a dot double-quoted string: quotes and backslashes
// escaped, newlines as \n (centred lines).
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

// RefHelp says what a lineage REF may be, for error messages.
const RefHelp = "a run id (or a unique prefix), a study name, a registered dataset path (see `lathe data ls`), " +
	"4+ hex digits of a dataset version's or an artifact's sha256, or KIND:ID (dataset:3, run:r…, artifact:7, study:NAME)"

// ResolveRef turns what a user typed into lineage roots: a run id prefix, a
// study name, a dataset path (its current, i.e. most recently registered,
// version), a sha256 prefix of dataset versions or artifacts (every node
// with that content), or an explicit KIND:ID. Nothing matching, or a hash
// prefix naming two different contents, is an InputError.
func (w *Workspace) ResolveRef(ctx context.Context, ref string) ([]Node, error) {
	s := w.Store
	if ref == "" {
		return nil, &config.InputError{Field: "REF", Msg: "empty REF; give " + RefHelp}
	}
	if kind, id, ok := strings.Cut(ref, ":"); ok && validKinds[kind] {
		return w.resolveExplicit(ctx, kind, id)
	}
	if strings.HasPrefix(ref, "r") && len(ref) >= 2 {
		id, err := s.ResolveRun(ctx, ref)
		if err == nil {
			return []Node{{KindRun, id}}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err // ambiguous, or the store failed
		}
	}
	if st, err := s.GetStudy(ctx, ref); err == nil {
		return []Node{{KindStudy, strconv.FormatInt(st.ID, 10)}}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	for _, p := range datasetPathCandidates(w, ref) {
		d, err := s.DatasetByPath(ctx, p)
		if err == nil {
			return []Node{{KindDataset, strconv.FormatInt(d.ID, 10)}}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	if h := strings.ToLower(ref); len(h) >= 4 && len(h) <= 64 && isHex(h) {
		nodes, err := w.resolveHash(ctx, h)
		if err != nil || len(nodes) > 0 {
			return nodes, err
		}
	}
	return nil, &config.InputError{Field: "REF", Msg: fmt.Sprintf("nothing in the lineage matches %q; REF is %s", ref, RefHelp), Err: ErrNotFound}
}

// datasetPathCandidates are the stored forms ref may mean: relative to the
// current directory (as a shell completes it), then relative to the
// workspace root (as `lathe data ls` prints it).
func datasetPathCandidates(w *Workspace, ref string) []string {
	out := []string{w.Rel(ref)}
	if !filepath.IsAbs(ref) {
		if p := filepath.ToSlash(filepath.Clean(ref)); p != out[0] {
			out = append(out, p)
		}
	}
	return out
}

func (w *Workspace) resolveHash(ctx context.Context, h string) ([]Node, error) {
	ds, err := w.Store.DatasetsBySHA(ctx, h)
	if err != nil {
		return nil, err
	}
	as, err := w.Store.ArtifactsBySHA(ctx, h)
	if err != nil {
		return nil, err
	}
	shas := map[string]bool{}
	var nodes []Node
	for _, d := range ds {
		shas[d.SHA256] = true
		nodes = append(nodes, Node{KindDataset, strconv.FormatInt(d.ID, 10)})
	}
	for _, a := range as {
		shas[a.SHA256] = true
		nodes = append(nodes, Node{KindArtifact, strconv.FormatInt(a.ID, 10)})
	}
	if len(shas) > 1 {
		list := make([]string, 0, len(shas))
		for sha := range shas {
			list = append(list, short(sha))
		}
		sort.Strings(list)
		return nil, &config.InputError{Field: "REF", Msg: fmt.Sprintf("hash prefix %s is ambiguous: it matches %s; give more digits", h, strings.Join(list, ", "))}
	}
	return nodes, nil
}

func (w *Workspace) resolveExplicit(ctx context.Context, kind, id string) ([]Node, error) {
	s := w.Store
	notFound := func() ([]Node, error) {
		return nil, &config.InputError{Field: "REF", Msg: fmt.Sprintf("no %s %q in the store", kind, id), Err: ErrNotFound}
	}
	switch kind {
	case KindRun:
		full, err := s.ResolveRun(ctx, id)
		if err != nil {
			return nil, err
		}
		return []Node{{KindRun, full}}, nil
	case KindStudy:
		if st, err := s.GetStudy(ctx, id); err == nil {
			return []Node{{KindStudy, strconv.FormatInt(st.ID, 10)}}, nil
		}
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return notFound()
	}
	switch kind {
	case KindDataset:
		_, err = s.GetDataset(ctx, n)
	case KindArtifact:
		_, err = s.GetArtifact(ctx, n)
	case KindStudy:
		_, err = s.GetStudyByID(ctx, n)
	}
	if errors.Is(err, ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return nil, err
	}
	return []Node{{kind, strconv.FormatInt(n, 10)}}, nil
}

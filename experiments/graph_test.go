package experiments

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// chain is a lineage built through the store API: penguins.csv -split->
// train.csv -used-> run1 -produced-> model.json, run1 -rerun_of-> run2, and
// study -trial_of-> run1.
type chain struct {
	ws                         *Workspace
	source, train              Dataset
	run1, run2                 Run
	model                      Artifact
	study                      Study
	srcN, trainN, r1N          Node
	r2N, modelN, studyN        Node
	srcSHA, trainSHA, modelSHA string
}

func buildChain(t *testing.T, be testBackend) chain {
	t.Helper()
	ctx := context.Background()
	ws := be.workspace(t, filepath.Join(t.TempDir(), "ws"), "graph")
	var err error
	c := chain{ws: ws, srcSHA: strings.Repeat("a", 64), trainSHA: strings.Repeat("b", 63) + "1", modelSHA: "c0ffee" + strings.Repeat("0", 58)}
	c.study, err = ws.Store.CreateStudy(ctx, Study{Name: "penguins-mlp", Spec: []byte(`{"name":"penguins-mlp"}`)})
	if err != nil {
		t.Fatal(err)
	}
	c.registerSplit(t, ctx)
	c.run1 = Run{Name: "first", Command: []string{"train"}, Params: map[string]any{"lr": "0.1"}, StudyID: c.study.ID}
	if err := ws.Store.CreateRun(ctx, &c.run1); err != nil {
		t.Fatal(err)
	}
	if err := ws.Store.AddRunInput(ctx, c.run1.ID, "train", c.train.ID); err != nil {
		t.Fatal(err)
	}
	if c.model, err = ws.Store.AddArtifact(ctx, Artifact{RunID: c.run1.ID, Path: "model.json", SHA256: c.modelSHA, Size: 42}); err != nil {
		t.Fatal(err)
	}
	c.run2 = Run{Command: []string{"train"}, RerunOf: c.run1.ID}
	if err := ws.Store.CreateRun(ctx, &c.run2); err != nil {
		t.Fatal(err)
	}
	c.srcN, c.trainN = Node{KindDataset, itoa(c.source.ID)}, Node{KindDataset, itoa(c.train.ID)}
	c.r1N, c.r2N = Node{KindRun, c.run1.ID}, Node{KindRun, c.run2.ID}
	c.modelN, c.studyN = Node{KindArtifact, itoa(c.model.ID)}, Node{KindStudy, itoa(c.study.ID)}
	return c
}

// registerSplit registers the source and its split, as `data split` does.
func (c *chain) registerSplit(t *testing.T, ctx context.Context) {
	t.Helper()
	var err error
	if c.source, _, err = c.ws.Store.AddDataset(ctx, Dataset{SHA256: c.srcSHA, Path: "data/penguins.csv", Format: "csv", Size: 100, Rows: 10}); err != nil {
		t.Fatal(err)
	}
	if c.train, _, err = c.ws.Store.AddDataset(ctx, Dataset{SHA256: c.trainSHA, Path: "data/penguins.train.csv", Format: "csv", Size: 80, Rows: 8}); err != nil {
		t.Fatal(err)
	}
	err = c.ws.Store.AddEdge(ctx, Edge{From: Node{KindDataset, itoa(c.source.ID)}, To: Node{KindDataset, itoa(c.train.ID)},
		Kind: EdgeDerivedFrom, Operation: "split", Params: []byte(`{"seed":7}`)})
	if err != nil {
		t.Fatal(err)
	}
}

type edgeKey struct{ from, to, kind string }

func edgeSet(g *Graph) []edgeKey {
	var out []edgeKey
	for _, e := range g.Edges {
		out = append(out, edgeKey{e.From.String(), e.To.String(), e.Kind})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from+out[i].to < out[j].from+out[j].to })
	return out
}

func keys(es ...edgeKey) []edgeKey {
	sort.Slice(es, func(i, j int) bool { return es[i].from+es[i].to < es[j].from+es[j].to })
	return es
}

func TestLineageWalksBothWays(t *testing.T) { forEachBackend(t, testLineageWalksBothWays) }

func testLineageWalksBothWays(t *testing.T, be testBackend) {
	c := buildChain(t, be)
	ctx := context.Background()
	s := c.ws.Store
	derived := edgeKey{c.srcN.String(), c.trainN.String(), EdgeDerivedFrom}
	used := edgeKey{c.trainN.String(), c.r1N.String(), EdgeUsed}
	trial := edgeKey{c.studyN.String(), c.r1N.String(), EdgeTrialOf}
	produced := edgeKey{c.r1N.String(), c.modelN.String(), EdgeProduced}
	rerun := edgeKey{c.r1N.String(), c.r2N.String(), EdgeRerunOf}

	up, err := s.Lineage(ctx, []Node{c.r2N}, Up, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := edgeSet(up), keys(rerun, used, trial, derived); !reflect.DeepEqual(got, want) {
		t.Errorf("up from the rerun:\n got %v\nwant %v", got, want)
	}
	down, err := s.Lineage(ctx, []Node{c.srcN}, Down, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := edgeSet(down), keys(derived, used, produced, rerun); !reflect.DeepEqual(got, want) {
		t.Errorf("down from the source:\n got %v\nwant %v", got, want)
	}
	one, err := s.Lineage(ctx, []Node{c.r1N}, Both, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := edgeSet(one), keys(used, trial, produced, rerun); !reflect.DeepEqual(got, want) {
		t.Errorf("depth 1 around run1:\n got %v\nwant %v", got, want)
	}
	// Nodes carry their rows and labels; the root comes first.
	if one.Nodes[0].Node != c.r1N || one.Nodes[0].Run == nil || one.Nodes[0].Label != c.run1.ID+" first (queued)" {
		t.Errorf("root node %+v", one.Nodes[0])
	}
	m, ok := one.Node(c.modelN)
	if !ok || m.Artifact == nil || m.Artifact.Size != 42 || m.Label != "model.json @c0ffee000000" {
		t.Errorf("artifact node %+v", m)
	}
	if st, ok := one.Node(c.studyN); !ok || st.Study == nil || st.Label != "penguins-mlp" {
		t.Errorf("study node %+v", st)
	}
	if tr, ok := one.Node(c.trainN); !ok || tr.Dataset == nil || tr.Label != "data/penguins.train.csv @bbbbbbbbbbbb" {
		t.Errorf("dataset node %+v", tr)
	}
}

func TestLineageTree(t *testing.T) { forEachBackend(t, testLineageTree) }

func testLineageTree(t *testing.T, be testBackend) {
	c := buildChain(t, be)
	ctx := context.Background()
	g, err := c.ws.Store.Lineage(ctx, []Node{c.r1N}, Both, 0)
	if err != nil {
		t.Fatal(err)
	}
	var up []string
	for _, l := range g.Tree(c.r1N, true) {
		up = append(up, l.Prefix+l.Edge+" "+l.Node.Kind)
	}
	want := []string{" run", "├─ used dataset", "│  └─ derived_from dataset", "└─ trial_of study"}
	if !reflect.DeepEqual(up, want) {
		t.Errorf("up tree\n got %q\nwant %q", up, want)
	}
	var down []string
	for _, l := range g.Tree(c.r1N, false) {
		down = append(down, l.Prefix+l.Edge+" "+l.Node.Kind)
	}
	want = []string{" run", "├─ produced artifact", "└─ rerun_of run"}
	if !reflect.DeepEqual(down, want) {
		t.Errorf("down tree\n got %q\nwant %q", down, want)
	}

	// A diamond: the source feeds the run directly too. The second path to
	// the run is drawn as a repeat, not expanded again.
	if err := c.ws.Store.AddRunInput(ctx, c.run1.ID, "raw", c.source.ID); err != nil {
		t.Fatal(err)
	}
	g, err = c.ws.Store.Lineage(ctx, []Node{c.srcN}, Down, 0)
	if err != nil {
		t.Fatal(err)
	}
	var repeats, runs int
	for _, l := range g.Tree(c.srcN, false) {
		if l.Node.Node == c.r1N {
			runs++
			if l.Repeat {
				repeats++
			}
		}
	}
	if runs != 2 || repeats != 1 {
		t.Errorf("the run appears %d times (%d repeats), want 2 and 1", runs, repeats)
	}
}

func TestLineageDOT(t *testing.T) { forEachBackend(t, testLineageDOT) }

func testLineageDOT(t *testing.T, be testBackend) {
	c := buildChain(t, be)
	g, err := c.ws.Store.Lineage(context.Background(), []Node{c.r1N}, Both, 0)
	if err != nil {
		t.Fatal(err)
	}
	dot := g.DOT()
	for _, want := range []string{"digraph lineage {", `"run:` + c.run1.ID + `" [label="run\n` + c.run1.ID, `-> "artifact:` + itoa(c.model.ID) + `" [label="produced"]`, `[label="derived_from (split)"]`} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %q:\n%s", want, dot)
		}
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("graphviz not installed; syntax not checked by dot")
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "<svg") {
		t.Fatalf("dot rejects the graph: %v\n%s", err, out)
	}
}

func TestDOTQuotesHostileLabels(t *testing.T) {
	if got := dotQuote("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("dotQuote = %s", got)
	}
}

func TestResolveRef(t *testing.T) { forEachBackend(t, testResolveRef) }

func testResolveRef(t *testing.T, be testBackend) {
	c := buildChain(t, be)
	ctx := context.Background()
	// A dataset with the same content at another path: a hash names both.
	twin, _, err := c.ws.Store.AddDataset(ctx, Dataset{SHA256: c.srcSHA, Path: "backup/penguins.csv", Rows: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(c.ws.Root))
	if err := os.MkdirAll(filepath.Join(c.ws.Root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ref  string
		want []Node
	}{
		{c.run1.ID, []Node{c.r1N}},
		{c.run1.ID[:len(c.run1.ID)-1], []Node{c.r1N}},
		{"penguins-mlp", []Node{c.studyN}},
		{"data/penguins.train.csv", []Node{c.trainN}},
		{filepath.Join(c.ws.Root, "data", "penguins.csv"), []Node{c.srcN}},
		{"bbbb", []Node{c.trainN}},
		{"C0FFEE", []Node{c.modelN}},
		{"aaaaaa", []Node{c.srcN, {KindDataset, itoa(twin.ID)}}},
		{"dataset:" + itoa(c.train.ID), []Node{c.trainN}},
		{"artifact:" + itoa(c.model.ID), []Node{c.modelN}},
		{"study:penguins-mlp", []Node{c.studyN}},
		{"study:" + itoa(c.study.ID), []Node{c.studyN}},
		{"run:" + c.run2.ID, []Node{c.r2N}},
	}
	for _, tc := range cases {
		got, err := c.ws.ResolveRef(ctx, tc.ref)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ResolveRef(%q) = %v, %v; want %v", tc.ref, got, err, tc.want)
		}
	}
	// From a subdirectory a workspace-relative path still resolves.
	t.Chdir(filepath.Join(c.ws.Root, "data"))
	if got, err := c.ws.ResolveRef(ctx, "penguins.train.csv"); err != nil || !reflect.DeepEqual(got, []Node{c.trainN}) {
		t.Errorf("relative to cwd: %v, %v", got, err)
	}
	if got, err := c.ws.ResolveRef(ctx, "data/penguins.csv"); err != nil || !reflect.DeepEqual(got, []Node{c.srcN}) {
		t.Errorf("relative to the root: %v, %v", got, err)
	}

	// Another content starting with the same digits makes the prefix ambiguous.
	if _, _, err := c.ws.Store.AddDataset(ctx, Dataset{SHA256: "aaaa" + strings.Repeat("f", 60), Path: "x.csv", Rows: -1}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"aaaa", "nope.csv", "dataset:999", "artifact:x", "rzzzzz", "study:none"} {
		_, err := c.ws.ResolveRef(ctx, ref)
		var ie *config.InputError
		if !errors.As(err, &ie) {
			t.Errorf("ResolveRef(%q) = %v, want an InputError", ref, err)
			continue
		}
		if ref == "aaaa" && !strings.Contains(ie.Msg, "ambiguous") {
			t.Errorf("ambiguous prefix message %q", ie.Msg)
		}
		if ref == "nope.csv" && !strings.Contains(ie.Msg, "study name") {
			t.Errorf("unknown REF message does not list the valid kinds: %q", ie.Msg)
		}
	}
}

// A run's output registered as a dataset (`lathe data add` of the artifact's
// file) is linked to the artifact by content, so lineage crosses from the
// run into the data it produced and on to the runs that used it.
func TestLineageFollowsContentIdentity(t *testing.T) {
	forEachBackend(t, testLineageFollowsContentIdentity)
}

func testLineageFollowsContentIdentity(t *testing.T, be testBackend) {
	c := buildChain(t, be)
	ctx := context.Background()
	out, _, err := c.ws.Store.AddDataset(ctx, Dataset{SHA256: c.modelSHA, Path: "models/best.json", Rows: -1})
	if err != nil {
		t.Fatal(err)
	}
	outN := Node{KindDataset, itoa(out.ID)}
	same := edgeKey{c.modelN.String(), outN.String(), EdgeDerivedFrom}
	up, err := c.ws.Store.Lineage(ctx, []Node{outN}, Up, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := keys(same, edgeKey{c.r1N.String(), c.modelN.String(), EdgeProduced}, edgeKey{c.trainN.String(), c.r1N.String(), EdgeUsed},
		edgeKey{c.studyN.String(), c.r1N.String(), EdgeTrialOf}, edgeKey{c.srcN.String(), c.trainN.String(), EdgeDerivedFrom})
	if got := edgeSet(up); !reflect.DeepEqual(got, want) {
		t.Errorf("up from the registered output:\n got %v\nwant %v", got, want)
	}
	for _, e := range up.Edges {
		if e.From == c.modelN && e.Operation != SameContent {
			t.Errorf("implied edge %+v", e)
		}
	}
	down, err := c.ws.Store.Lineage(ctx, []Node{c.srcN}, Down, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := down.Node(outN); !ok {
		t.Errorf("down from the source does not reach the registered output: %v", edgeSet(down))
	}
}

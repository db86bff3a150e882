package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// lineageGraph mirrors `lathe lineage --json` (DESIGN §5's shape).
type lineageGraph struct {
	Roots []string `json:"roots"`
	Nodes []struct {
		ID, Kind, Label, Path, SHA256 string
	} `json:"nodes"`
	Edges []struct {
		From, To, Kind, Operation string
	} `json:"edges"`
}

func (g lineageGraph) node(kind, path string) string {
	for _, n := range g.Nodes {
		if n.Kind == kind && n.Path == path {
			return n.ID
		}
	}
	return ""
}

func (g lineageGraph) hasEdge(from, to, kind string) bool {
	for _, e := range g.Edges {
		if e.From == from && e.To == to && e.Kind == kind {
			return true
		}
	}
	return false
}

// splitAndTrain splits the demo's penguins with `lathe data split` and trains
// the example trainer (the built lathe binary's `trainer` command) on the
// splits with `lathe run`, as a user would.
func splitAndTrain(t *testing.T, ws, bin string) (experiments.RunRecord, string, string) {
	t.Helper()
	src := filepath.Join(ws, "data", "penguins.json")
	outDir := filepath.Join(ws, "data", "splits")
	mustRun(t, 0, "--workspace", ws, "--json", "data", "split", src, "--ratios", "0.8,0.2", "--stratify", "Species", "--seed", "7", "--out", outDir)
	train, val := filepath.Join(outDir, "penguins.train.json"), filepath.Join(outDir, "penguins.test.json")
	var rec experiments.RunRecord
	runJSON(t, &rec, "--workspace", ws, "--json", "run", "--runner", "local", "--param", "lr=0.2",
		"--input", "train="+train, "--input", "val="+val, "--", bin, "trainer", "--lr", "{lr}", "--epochs", "20", "--hidden", "8")
	if rec.Status != runstatus.Completed || len(rec.Outputs) != 1 || rec.Outputs[0].Path != "model.json" {
		t.Fatalf("training run: %+v", rec)
	}
	return rec, train, val
}

// Done-when of issue 6: a split → run → artifact chain made with the real
// CLI is traced both ways: --up from the run reaches the original file
// through used and derived_from; --down from the original file reaches the
// run and its artifact.
func TestLineageChainBothWays(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := demoWorkspace(t)
	rec, _, _ := splitAndTrain(t, ws, bin)
	runNode := "run:" + rec.ID

	var up lineageGraph
	runJSON(t, &up, "--workspace", ws, "--json", "lineage", rec.ID[:6], "--up")
	train, val := up.node("dataset", "data/splits/penguins.train.json"), up.node("dataset", "data/splits/penguins.test.json")
	src := up.node("dataset", "data/penguins.json")
	if train == "" || val == "" || src == "" || !slices.Equal(up.Roots, []string{runNode}) {
		t.Fatalf("--up from the run lacks the datasets: %+v", up)
	}
	for _, e := range [][3]string{{train, runNode, "used"}, {val, runNode, "used"}, {src, train, "derived_from"}, {src, val, "derived_from"}} {
		if !up.hasEdge(e[0], e[1], e[2]) {
			t.Errorf("--up lacks %s -%s-> %s: %+v", e[0], e[2], e[1], up.Edges)
		}
	}
	if up.node("artifact", "model.json") != "" {
		t.Errorf("--up reached the run's outputs: %+v", up.Nodes)
	}

	var down lineageGraph
	runJSON(t, &down, "--workspace", ws, "--json", "lineage", filepath.Join(ws, "data", "penguins.json"), "--down")
	model := down.node("artifact", "model.json")
	if model == "" || !down.hasEdge(runNode, model, "produced") || !down.hasEdge(down.node("dataset", "data/splits/penguins.train.json"), runNode, "used") {
		t.Fatalf("--down from the source does not reach the run and its model: %+v", down)
	}
	// The same from the model's hash, upwards, reaches the source too.
	var fromHash lineageGraph
	runJSON(t, &fromHash, "--workspace", ws, "--json", "lineage", rec.Outputs[0].SHA256[:8], "--up")
	if fromHash.node("dataset", "data/penguins.json") == "" || !slices.Equal(fromHash.Roots, []string{model}) {
		t.Errorf("--up from the model's hash: %+v", fromHash)
	}
	// --depth 1 down from the source stops at the splits.
	var one lineageGraph
	runJSON(t, &one, "--workspace", ws, "--json", "lineage", "data/penguins.json", "--down", "--depth", "1", "-w", ws)
	if len(one.Edges) != 2 || one.Edges[0].Kind != "derived_from" || one.Edges[0].Operation != "split" {
		t.Errorf("--depth 1: %+v", one.Edges)
	}

	// The text tree reads both ways from the run.
	text := mustRun(t, 0, "--workspace", ws, "lineage", rec.ID)
	for _, want := range []string{"made from (--up):", "├─ used: dataset data/splits/penguins.test.json @",
		"│  └─ derived_from (split): dataset data/penguins.json @", "made from it (--down):", "└─ produced: artifact model.json @"} {
		if !strings.Contains(text, want) {
			t.Errorf("text tree lacks %q:\n%s", want, text)
		}
	}
	// A node reached twice (the source, through both splits) is not expanded twice.
	if !strings.Contains(text, "(shown above)") {
		t.Errorf("repeated node not marked:\n%s", text)
	}

	dot := mustRun(t, 0, "--workspace", ws, "lineage", rec.ID, "--dot")
	if !strings.HasPrefix(dot, "digraph lineage {") {
		t.Fatalf("--dot: %s", dot)
	}
	if _, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command("dot", "-Tsvg")
		cmd.Stdin = strings.NewReader(dot)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "<svg") {
			t.Errorf("graphviz rejects --dot: %v\n%s", err, out)
		}
	}

	// REF completes with run ids and dataset paths.
	cands, _ := cobraComplete([]string{"--workspace", ws}, []string{"lineage"}, "data/spl")
	if len(cands) != 2 || cands[0][0] != "data/splits/penguins.test.json" && cands[0][0] != "data/splits/penguins.train.json" {
		t.Errorf("completing a dataset path: %v", cands)
	}
	if cands, _ := cobraComplete([]string{"--workspace", ws}, []string{"lineage"}, rec.ID[:4]); len(cands) != 1 || cands[0][0] != rec.ID {
		t.Errorf("completing a run id: %v", cands)
	}

	code, _, errs := run(t, "--workspace", ws, "lineage", "no-such-thing")
	if code != 2 || !strings.Contains(errs, "study name") || !strings.Contains(errs, "dataset path") {
		t.Errorf("unknown REF: exit %d, %s", code, errs)
	}
	if code, _, errs := run(t, "--workspace", ws, "--json", "lineage", rec.ID, "--dot"); code != 2 || !strings.Contains(errs, "--dot") {
		t.Errorf("--json with --dot: exit %d, %s", code, errs)
	}
}

// `runs rerun` reproduces a deterministic trainer run to identical final
// metrics, and refuses (exit 1) once an input file changed.
func TestRunsRerunReproducesThenRefuses(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := demoWorkspace(t)
	rec, _, val := splitAndTrain(t, ws, bin)

	var rep struct {
		Run             experiments.RunRecord  `json:"run"`
		Checks          engine.RerunPlan       `json:"checks"`
		Reproducibility engine.Reproducibility `json:"reproducibility"`
	}
	runJSON(t, &rep, "--workspace", ws, "--json", "runs", "rerun", rec.ID)
	if rep.Run.RerunOf != rec.ID || rep.Run.Status != runstatus.Completed || rep.Checks.Code.Changed || len(rep.Checks.Inputs) != 2 {
		t.Fatalf("rerun record %+v, checks %+v", rep.Run.Run, rep.Checks)
	}
	for _, m := range rep.Reproducibility.Metrics {
		if m.Key == "inference_ms" || m.Key == "train_seconds" {
			continue // wall-clock timings: never expected to repeat
		}
		if !m.Identical || m.Original == nil || *m.Original != *rec.Metrics[m.Key] {
			t.Errorf("%s not reproduced: %+v (original record %v)", m.Key, m, rec.Metrics[m.Key])
		}
	}
	if rep.Reproducibility.Identical < 4 || rep.Run.Outputs[0].SHA256 != rec.Outputs[0].SHA256 {
		t.Errorf("reproducibility %+v; models %s vs %s", rep.Reproducibility, rep.Run.Outputs[0].SHA256, rec.Outputs[0].SHA256)
	}
	text := mustRun(t, 0, "--workspace", ws, "runs", "rerun", rec.ID[:7])
	if !strings.Contains(text, "reproducibility: ") || !strings.Contains(text, "val_accuracy") {
		t.Errorf("text report:\n%s", text)
	}

	// The validation split is edited: the rerun is refused, nothing launched.
	before, _ := listRuns(t, ws)
	if err := os.WriteFile(val, []byte("[]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "--workspace", ws, "runs", "rerun", rec.ID)
	if code != 1 || out != "" || !strings.Contains(errs, "input val") || !strings.Contains(errs, "changed since run "+rec.ID) ||
		!strings.Contains(errs, "--allow-changed-data") {
		t.Errorf("rerun after a data change: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	if after, _ := listRuns(t, ws); len(after) != len(before) {
		t.Errorf("a refused rerun launched a run: %d runs, had %d", len(after), len(before))
	}
}

// `runs diff` names a changed parameter, a changed dataset and a changed
// commit, data first, and says how the data differs.
func TestRunsDiffNamesParamDataAndCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	isolate(t)
	ws := newWorkspace(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", ws, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	os.MkdirAll(filepath.Join(ws, "data"), 0o755)
	writeFile(t, filepath.Join(ws, "data", "a.csv"), "x,label\n1,a\n2,b\n3,a\n4,b\n")
	writeFile(t, filepath.Join(ws, "data", "b.csv"), "x,label\n10,a\n20,a\n30,a\n")
	writeFile(t, filepath.Join(ws, ".gitignore"), "data/\n")
	writeFile(t, filepath.Join(ws, "train.sh"), "echo v1\n")
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	script := `if [ "$LATHE_PARAM_LR" = 0.1 ]; then echo '{"loss": 0.5}'; else echo '{"loss": 0.4}'; fi`
	launch := func(lr, data string) string {
		out := mustRun(t, 0, "--workspace", ws, "run", "--detach", "--param", "lr="+lr, "--input", "train="+filepath.Join(ws, "data", data),
			"--", "/bin/sh", "-c", script)
		return lastWord(out)
	}
	a := launch("0.1", "a.csv")
	writeFile(t, filepath.Join(ws, "train.sh"), "echo v2\n")
	git("commit", "-q", "-am", "two")
	b := launch("0.3", "b.csv")
	// Both must have ended before their metrics are compared.
	for _, id := range []string{a, b} {
		mustRun(t, 0, "--workspace", ws, "runs", "logs", "-f", id)
	}

	var d engine.RunDiff
	runJSON(t, &d, "--workspace", ws, "--json", "runs", "diff", a, b)
	var keys []string
	for _, c := range d.Changes {
		keys = append(keys, c.Category+"/"+c.Key)
	}
	if want := "data/input train code/commit params/lr metrics/loss"; strings.Join(keys, " ") != want {
		t.Errorf("changes %v, want %s", keys, want)
	}
	if len(d.Data) != 1 || d.Data[0].RowsA == nil || *d.Data[0].RowsA != 4 || *d.Data[0].RowsB != 3 || d.Data[0].Drift == nil {
		t.Errorf("data diff %+v", d.Data)
	}
	text := mustRun(t, 0, "--workspace", ws, "runs", "diff", a[:6], b[:6], "--patch")
	for _, want := range []string{"input train: data/a.csv @", "→ data/b.csv @", "rows 4 → 3 (-1)", "code: commit ", "train.sh",
		"param lr: 0.1 → 0.3", "metric loss: 0.5 → 0.4", "-echo v1\n+echo v2"} {
		if !strings.Contains(text, want) {
			t.Errorf("text diff lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "input train"), strings.Index(text, "param lr"); i < 0 || j < i {
		t.Errorf("data is not listed before params:\n%s", text)
	}
	same := mustRun(t, 0, "--workspace", ws, "runs", "diff", a, a)
	if !strings.Contains(same, "no recorded differences") {
		t.Errorf("a run against itself: %s", same)
	}
}

// artifacts ls/get and gc on a real run's outputs: a symlink the run left in
// its output directory is not harvested, a ../ path is refused, a symlink in
// the destination cannot redirect the copy, and gc removes only
// unreferenced objects.
func TestArtifactsAndGC(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	secret := filepath.Join(t.TempDir(), "secret.txt")
	writeFile(t, secret, "not yours\n")
	id := lastWord(mustRun(t, 0, "--workspace", ws, "run", "--", "/bin/sh", "-c",
		`mkdir -p "$LATHE_OUTPUT_DIR/ckpt" && printf '{"w":1}' > "$LATHE_OUTPUT_DIR/model.json" && printf one > "$LATHE_OUTPUT_DIR/ckpt/e1.bin" && ln -s `+secret+` "$LATHE_OUTPUT_DIR/leak.txt"; echo "$LATHE_RUN_ID"`))

	var arts []experiments.Artifact
	runJSON(t, &arts, "--workspace", ws, "--json", "artifacts", "ls", id)
	var paths []string
	for _, ar := range arts {
		paths = append(paths, ar.Path)
	}
	if !slices.Equal(paths, []string{"ckpt/e1.bin", "model.json"}) {
		t.Fatalf("artifacts %v (a symlink must not be harvested)", paths)
	}
	ls := mustRun(t, 0, "--workspace", ws, "artifacts", "ls", id)
	if !strings.Contains(ls, "model.json") || !strings.Contains(ls, "2 artifact(s)") {
		t.Errorf("ls:\n%s", ls)
	}

	dst := t.TempDir()
	mustRun(t, 0, "--workspace", ws, "artifacts", "get", id, "model.json", "--out", filepath.Join(dst, "m.json"))
	if b, _ := os.ReadFile(filepath.Join(dst, "m.json")); string(b) != `{"w":1}` {
		t.Errorf("got %q", b)
	}
	if out := mustRun(t, 0, "--workspace", ws, "artifacts", "get", id, "ckpt/e1.bin", "--out", "-"); out != "one" {
		t.Errorf("--out -: %q", out)
	}
	for _, bad := range []string{"../../../../etc/passwd", "/etc/passwd", "leak.txt", "nope"} {
		if code, _, errs := run(t, "--workspace", ws, "artifacts", "get", id, bad, "--out", filepath.Join(dst, "x")); code != 2 {
			t.Errorf("get %s: exit %d (%s), want 2", bad, code, errs)
		}
	}
	// A directory export into a DIR whose ckpt/ is a symlink to elsewhere:
	// refused, nothing written there.
	elsewhere := t.TempDir()
	out := filepath.Join(t.TempDir(), "all")
	os.MkdirAll(out, 0o755)
	os.Symlink(elsewhere, filepath.Join(out, "ckpt"))
	if code, _, errs := run(t, "--workspace", ws, "artifacts", "get", id, ".", "--out", out); code != 1 {
		t.Errorf("export through a symlinked dir: exit %d (%s), want 1", code, errs)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("files escaped into the symlink's target: %v", entries)
	}
	out2 := filepath.Join(t.TempDir(), "ck")
	mustRun(t, 0, "--workspace", ws, "artifacts", "get", id, "ckpt", "--out", out2)
	if b, _ := os.ReadFile(filepath.Join(out2, "e1.bin")); string(b) != "one" {
		t.Errorf("directory export: %q", b)
	}

	// gc: one old unreferenced object goes, a fresh one and the referenced stay.
	w, err := experiments.Open(ws)
	if err != nil {
		t.Fatal(err)
	}
	oldSHA, _, err := w.Objects.Put(strings.NewReader("orphan from a crashed harvest"))
	if err != nil {
		t.Fatal(err)
	}
	freshSHA, _, _ := w.Objects.Put(strings.NewReader("being harvested right now"))
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(w.Objects.Path(oldSHA), past, past)
	w.Close()

	var g engine.GCReport
	runJSON(t, &g, "--workspace", ws, "--json", "gc", "--dry-run")
	if !g.DryRun || !slices.Equal(g.Removed, []string{oldSHA}) || g.Bytes != int64(len("orphan from a crashed harvest")) {
		t.Errorf("dry run %+v", g)
	}
	if _, err := os.Stat(filepath.Join(ws, ".lathe", "objects", oldSHA[:2], oldSHA[2:])); err != nil {
		t.Errorf("--dry-run removed the object: %v", err)
	}
	runJSON(t, &g, "--workspace", ws, "--json", "gc")
	if g.DryRun || !slices.Equal(g.Removed, []string{oldSHA}) || g.Kept != 3 {
		t.Errorf("gc %+v", g)
	}
	w, _ = experiments.Open(ws)
	defer w.Close()
	if w.Objects.Has(oldSHA) || !w.Objects.Has(freshSHA) {
		t.Errorf("after gc: old present %v, fresh present %v", w.Objects.Has(oldSHA), w.Objects.Has(freshSHA))
	}
	for _, ar := range arts {
		if !w.Objects.Has(ar.SHA256) {
			t.Errorf("gc removed referenced artifact %s", ar.Path)
		}
	}
	if code, _, _ := run(t, "--workspace", ws, "gc", "--grace", "-1s"); code != 2 {
		t.Errorf("negative grace: exit %d", code)
	}
}

// The Lineage screen in the real binary under tmux at 80x24: pick the
// trained run, read its trees, jump to the source dataset and back.
func TestLineageScreenInTmux80x24(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := demoWorkspace(t)
	rec, _, _ := splitAndTrain(t, ws, bin)
	s := newTmux(t, 80, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "HOME="+os.Getenv("HOME"), "TERM=xterm-256color")
	s.keys(bin+" --workspace "+ws+"; echo LATHE_EXIT=$?", "Enter")
	s.waitFor(20*time.Second, "Lineage", "Runners")
	s.keys("2")
	s.waitFor(5*time.Second, "Runs (1)", "Datasets (3)", rec.ID)
	s.keys("Enter")
	scr := s.waitFor(5*time.Second, "▲ made from", "● run "+rec.ID, "used ← dataset data/splits/penguins.test.json", "produced → artifact model.json")
	if lines := strings.Split(strings.TrimRight(scr, "\n"), "\n"); len(lines) > 24 {
		t.Errorf("%d lines at 80x24", len(lines))
	}
	// Up from the root: the train split's source, then jump to it.
	s.keys("k")
	s.waitFor(5*time.Second, "via       derived_from (split of ←)")
	s.keys("Enter")
	s.waitFor(5*time.Second, "dataset data/penguins.json", "(esc: back, 1)", "split → dataset data/splits/penguins.train.json", "used by → run "+rec.ID)
	s.keys("Escape")
	s.waitFor(5*time.Second, "● run "+rec.ID)
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

// A docker run is rerun from its recorded image digest, not its tag: the tag
// is moved to another image between the run and the rerun, and the rerun
// still gets the original image and reproduces its metrics. Needs a docker
// daemon (skipped without one, as the other docker tests).
func TestDockerRerunPinsTheImageDigest(t *testing.T) {
	modRoot, _ := filepath.Abs("../..")
	d := dockerOrSkip(t) // closed after the image cleanup below (cleanups run last-in first-out)
	ctx := context.Background()
	const tag = "lathe-trainer:lineage-test"
	bin := filepath.Join(t.TempDir(), "trainer")
	if err := runners.BuildGoBinary(ctx, modRoot, "./examples/trainer", bin); err != nil {
		t.Fatal(err)
	}
	first, err := d.BuildScratchImage(ctx, runners.ScratchImage{Tag: tag, Files: map[string]string{"/trainer": bin}})
	if err != nil {
		t.Fatal(err)
	}
	// Both images go when the test ends (containers are removed with their runs).
	t.Cleanup(func() {
		for _, img := range []string{tag, first} {
			d.Client().ImageRemove(context.Background(), img, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		}
	})
	isolate(t)
	ws := newWorkspace(t)
	var orig experiments.RunRecord
	runJSON(t, &orig, "--workspace", ws, "--json", "run", "--runner", "docker", "--image", tag, "--param", "lr=0.3",
		"--", "/trainer", "--lr={lr}", "--epochs", "6")
	if orig.Status != runstatus.Completed || orig.ImageDigest == "" {
		t.Fatalf("docker run: %+v", orig.Run)
	}
	// The same trainer with one more file is another image; the tag moves to it.
	note := writeFile(t, filepath.Join(t.TempDir(), "MOVED"), "the tag moved\n")
	second, err := d.BuildScratchImage(ctx, runners.ScratchImage{Tag: tag, Files: map[string]string{"/trainer": bin, "/MOVED": note}})
	if err != nil || second == first {
		t.Fatalf("moving the tag: %v (images %s, %s)", err, first, second)
	}
	var rep struct {
		Run             experiments.RunRecord  `json:"run"`
		Reproducibility engine.Reproducibility `json:"reproducibility"`
	}
	runJSON(t, &rep, "--workspace", ws, "--json", "runs", "rerun", orig.ID)
	if rep.Run.Image != orig.ImageDigest || rep.Run.ImageDigest != orig.ImageDigest || rep.Run.Status != runstatus.Completed {
		t.Errorf("rerun image %q digest %q, want the original %q", rep.Run.Image, rep.Run.ImageDigest, orig.ImageDigest)
	}
	if rep.Reproducibility.Identical < 4 {
		t.Errorf("reproducibility %+v", rep.Reproducibility)
	}
}

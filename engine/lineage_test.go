package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/examples/trainer/train"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/runstatus"
)

// TestTrainerHelper is the example trainer as a child process: a run's
// command is this test binary re-executed with -test.run=^TestTrainerHelper$
// (the os/exec helper-process pattern), so the tests need neither a Go
// toolchain at run time nor Docker.
func TestTrainerHelper(t *testing.T) {
	if os.Getenv("LATHE_TEST_TRAINER") != "1" {
		t.Skip("only run as a run's process")
	}
	i := slices.Index(os.Args, "--")
	os.Exit(train.Main(os.Args[i+1:], os.Getenv, os.Stdout, os.Stderr))
}

func trainerCommand(args ...string) []string {
	return append([]string{os.Args[0], "-test.run=^TestTrainerHelper$", "--"}, args...)
}

// penguinSplits splits the shipped penguins (testdata, see SOURCES.md) into
// train and test files in dir, as `lathe data split` would.
func penguinSplits(t testing.TB, dir string, seed uint64) (trainPath, valPath string) {
	t.Helper()
	src := filepath.Join(dir, "penguins.json")
	b, err := os.ReadFile("testdata/penguins.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := explore.Split(context.Background(), src, explore.SplitOptions{Ratios: []float64{0.8, 0.2}, Stratify: "Species", Seed: seed, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 {
		t.Fatalf("split files %+v", res.Files)
	}
	return res.Files[0].Path, res.Files[1].Path
}

func waitRun(t testing.TB, r *Run) experiments.Run {
	t.Helper()
	run, err := r.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// A rerun repeats a deterministic training run to bit-identical final
// metrics and model, links to the original, and is refused once an input
// file changed unless --allow-changed-data.
func TestRerunReproducesAndRefusesChangedData(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	dataDir := filepath.Join(e.ws.Root, "data")
	os.MkdirAll(dataDir, 0o755)
	trainPath, valPath := penguinSplits(t, dataDir, 7)

	r, err := e.Launch(ctx, LaunchRequest{Name: "mlp", Runner: "local",
		Command: trainerCommand("--epochs", "25", "--hidden", "8", "--lr", "{lr}"),
		Params:  map[string]string{"lr": "0.2"},
		Inputs:  map[string]string{"train": trainPath, "val": valPath},
		Env:     map[string]string{"LATHE_TEST_TRAINER": "1", "API_TOKEN": "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	orig := waitRun(t, r)
	if orig.Status != runstatus.Completed {
		t.Fatalf("original run %s: %s", orig.Status, orig.Error)
	}

	plan, err := e.PlanRerun(ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Refusal(RerunOptions{}) != nil || plan.Code.Changed || len(plan.Inputs) != 2 || plan.Inputs[0].Changed {
		t.Fatalf("plan of an unchanged workspace: %+v", plan)
	}
	if !slices.Equal(plan.EnvFromCurrent, []string{"API_TOKEN"}) || plan.Request.Env["API_TOKEN"] != "" {
		t.Errorf("redacted env must come from the current environment, not the record: %v %v", plan.EnvFromCurrent, plan.Request.Env)
	}
	r2, _, err := e.Rerun(ctx, orig.ID, RerunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again := waitRun(t, r2)
	if again.Status != runstatus.Completed || again.RerunOf != orig.ID || again.Params["lr"] != "0.2" ||
		!slices.Equal(again.Command, orig.Command) {
		t.Fatalf("rerun %+v", again)
	}
	rep, err := e.Reproduce(ctx, orig.ID, again.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The trainer's documented determinism: everything but the timings.
	got := map[string]MetricRepro{}
	for _, m := range rep.Metrics {
		got[m.Key] = m
	}
	for _, k := range []string{"val_accuracy", "val_loss", "train_loss", "model_params"} {
		m, ok := got[k]
		if !ok || !m.Identical || m.Original == nil || *m.Original != *m.Rerun {
			t.Errorf("%s not reproduced: %+v", k, m)
		}
	}
	if va := got["val_accuracy"]; va.Original == nil || *va.Original < 0.9 {
		t.Errorf("val_accuracy %v: the MLP did not train on the inputs", va.Original)
	}
	if rep.Total != 6 || rep.Identical < 4 {
		t.Errorf("report %d of %d identical", rep.Identical, rep.Total)
	}
	arts := func(id string) map[string]string {
		as, err := e.ws.Store.ListArtifacts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, a := range as {
			m[a.Path] = a.SHA256
		}
		return m
	}
	if a, b := arts(orig.ID), arts(again.ID); a["model.json"] == "" || a["model.json"] != b["model.json"] {
		t.Errorf("models differ: %v vs %v", a, b)
	}

	// The validation file changes: refused, exit-1 kind of error, naming it.
	if err := os.WriteFile(valPath, []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.Rerun(ctx, orig.ID, RerunOptions{})
	var ce *ChangedError
	if !errors.As(err, &ce) || len(ce.Inputs) != 1 || ce.Inputs[0].Name != "val" || ce.Code != nil {
		t.Fatalf("rerun after a data change: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "input val") || !strings.Contains(msg, "--allow-changed-data") ||
		!strings.Contains(msg, orig.ID) {
		t.Errorf("message %q", msg)
	}
	// A gone input refuses even with --allow-changed-data, and says why.
	os.Rename(trainPath, trainPath+".moved")
	_, _, err = e.Rerun(ctx, orig.ID, RerunOptions{AllowChangedData: true})
	if !errors.As(err, &ce) || len(ce.Inputs) != 1 || ce.Inputs[0].Name != "train" || !strings.Contains(err.Error(), "is gone") ||
		strings.Contains(err.Error(), "--allow-changed-data") {
		t.Errorf("rerun with a gone input: %v", err)
	}
	os.Rename(trainPath+".moved", trainPath)
	// Allowed, it runs on the current (empty) validation set, and fails.
	r3, _, err := e.Rerun(ctx, orig.ID, RerunOptions{AllowChangedData: true})
	if err != nil {
		t.Fatal(err)
	}
	if changed := waitRun(t, r3); changed.RerunOf != orig.ID || changed.Status == runstatus.Completed {
		t.Errorf("rerun on an empty validation set: %s %s", changed.Status, changed.Error)
	}
}

// A rerun from a workspace whose code moved to another commit is refused
// unless --allow-code-change.
func TestRerunRefusesCodeChange(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	e := newEngine(t)
	ctx := context.Background()
	root := e.ws.Root
	git := gitIn(t, root)
	git("init", "-q")
	os.WriteFile(filepath.Join(root, "train.sh"), []byte("echo '{\"loss\": 1}'\n"), 0o644)
	git("add", ".")
	git("commit", "-q", "-m", "one")
	r, err := e.Launch(ctx, LaunchRequest{Runner: "local", Command: sh(`echo '{"loss": 1}'`), WorkDir: root})
	if err != nil {
		t.Fatal(err)
	}
	orig := waitRun(t, r)
	if orig.Code.Commit == "" || orig.Code.Dirty {
		t.Fatalf("code version not recorded: %+v", orig.Code)
	}
	os.WriteFile(filepath.Join(root, "train.sh"), []byte("echo '{\"loss\": 2}'\n"), 0o644)
	git("commit", "-q", "-am", "two")

	_, _, err = e.Rerun(ctx, orig.ID, RerunOptions{AllowChangedData: true})
	var ce *ChangedError
	if !errors.As(err, &ce) || ce.Code == nil || len(ce.Inputs) != 0 || !strings.Contains(err.Error(), "--allow-code-change") {
		t.Fatalf("rerun after a commit: %v", err)
	}
	r2, _, err := e.Rerun(ctx, orig.ID, RerunOptions{AllowCodeChange: true})
	if err != nil {
		t.Fatal(err)
	}
	if run := waitRun(t, r2); run.Status != runstatus.Completed || run.Code.Commit == orig.Code.Commit {
		t.Errorf("allowed rerun %+v", run)
	}
}

// runs diff names the changed parameter, dataset (with rows, schema and
// drift when both contents are at hand) and commit, data first.
func TestDiffRunsNamesParamDataAndCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	e := newEngine(t)
	ctx := context.Background()
	root := e.ws.Root
	git := gitIn(t, root)
	dataDir := filepath.Join(root, "data")
	os.MkdirAll(dataDir, 0o755)
	// Two versions of the training data at two paths: the second drops the
	// Gentoo penguins, so rows fall and the species and size columns drift.
	v1 := filepath.Join(dataDir, "train_v1.csv")
	v2 := filepath.Join(dataDir, "train_v2.csv")
	var all, noGentoo strings.Builder
	all.WriteString("species,mass\n")
	noGentoo.WriteString("species,mass\n")
	for i := range 60 {
		sp, mass := "Adelie", 3700+i
		if i%2 == 1 {
			sp, mass = "Gentoo", 5000+i
		}
		line := sp + "," + strconv.Itoa(mass) + "\n"
		all.WriteString(line)
		if sp != "Gentoo" {
			noGentoo.WriteString(line)
		}
	}
	os.WriteFile(v1, []byte(all.String()), 0o644)
	os.WriteFile(v2, []byte(noGentoo.String()), 0o644)
	os.WriteFile(filepath.Join(root, ".gitignore"), []byte("data/\n"), 0o644)
	os.WriteFile(filepath.Join(root, "train.py"), []byte("lr = 0.1\n"), 0o644)
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	launch := func(lr, data string) experiments.Run {
		// The same command both times; the loss follows the lr.
		r, err := e.Launch(ctx, LaunchRequest{Runner: "local", WorkDir: root,
			Command: sh(`if [ "$LATHE_PARAM_LR" = 0.1 ]; then echo '{"loss": 0.5}'; else echo '{"loss": 0.25}'; fi`),
			Params:  map[string]string{"lr": lr, "epochs": "5"}, Inputs: map[string]string{"train": data}})
		if err != nil {
			t.Fatal(err)
		}
		return waitRun(t, r)
	}
	a := launch("0.1", v1)
	os.WriteFile(filepath.Join(root, "train.py"), []byte("lr = 0.3\nseed = 1\n"), 0o644)
	git("commit", "-q", "-am", "two")
	b := launch("0.3", v2)

	d, err := e.DiffRuns(ctx, a.ID, b.ID, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cats []string
	for _, c := range d.Changes {
		cats = append(cats, c.Category+"/"+c.Key)
	}
	if want := "data/input train code/commit params/lr metrics/loss"; strings.Join(cats, " ") != want {
		t.Errorf("changes %v, want %s", cats, want)
	}
	if len(d.Data) != 1 {
		t.Fatalf("data diffs %+v", d.Data)
	}
	dd := d.Data[0]
	if dd.RowsA == nil || *dd.RowsA != 60 || dd.RowsB == nil || *dd.RowsB != 30 || dd.Drift == nil {
		t.Fatalf("data diff %+v", dd)
	}
	drifted := map[string]bool{}
	for _, c := range dd.Drift.Columns {
		drifted[c.Column] = c.Drifted
	}
	if !drifted["species"] || !drifted["mass"] {
		t.Errorf("drift %+v", dd.Drift.Columns)
	}
	if d.Code == nil || len(d.Code.Files) != 1 || d.Code.Files[0] != (experiments.FileChange{Path: "train.py", Added: 2, Deleted: 1}) {
		t.Errorf("code diff %+v", d.Code)
	}
	if len(d.Summary) != 4 {
		t.Fatalf("summary %q", d.Summary)
	}
	for i, want := range []string{"input train: data/train_v1.csv @", "code: commit ", "param lr: 0.1 → 0.3", "metric loss: 0.5 → 0.25 (-0.25, -50.00%)"} {
		if !strings.HasPrefix(d.Summary[i], want) {
			t.Errorf("summary[%d] = %q, want prefix %q", i, d.Summary[i], want)
		}
	}
	for _, want := range []string{"rows 60 → 30 (-30)", "2 of 2 columns drifted: species, mass"} {
		if !strings.Contains(d.Summary[0], want) {
			t.Errorf("data line %q lacks %q", d.Summary[0], want)
		}
	}
	if !strings.Contains(d.Summary[1], "(1 files, +2 −1: train.py)") {
		t.Errorf("code line %q", d.Summary[1])
	}

	// The first version changes in place: its content is gone, and the diff
	// says so instead of comparing the wrong bytes.
	os.WriteFile(v1, []byte("species,mass\nAdelie,1\n"), 0o644)
	d, err = e.DiffRuns(ctx, a.ID, b.ID, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dd := d.Data[0]; dd.Drift != nil || len(dd.Notes) != 1 || !strings.Contains(dd.Notes[0], "has changed since") || dd.RowsB == nil {
		t.Errorf("diff against a changed file: %+v", dd)
	}
}

// gitIn returns a function that runs git in root as a test committer,
// failing t when git does.
func gitIn(t *testing.T, root string) func(args ...string) {
	return func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

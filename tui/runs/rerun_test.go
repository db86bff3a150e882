package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// run launches cmd (through sh -c) on the local runner, waits for its end
// and reloads the list.
func run(t *testing.T, s *Screen, e *engine.Engine, script string, params, inputs map[string]string) experiments.Run {
	t.Helper()
	r, err := e.Launch(context.Background(), engine.LaunchRequest{Runner: "local", Command: []string{"sh", "-c", script},
		Params: params, Inputs: inputs, WorkDir: e.Info().Root})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Wait(context.Background())
	if err != nil || rec.Status != runstatus.Completed {
		t.Fatalf("run %s: %s %s %v", r.ID, rec.Status, rec.Error, err)
	}
	drive(t, s, s.load(true))
	return rec
}

func countRuns(t *testing.T, e *engine.Engine) int {
	t.Helper()
	rs, err := e.ListRuns(context.Background(), experiments.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// waitVerdict ticks the detail until the rerun's verdict is shown.
func waitVerdict(t *testing.T, s *Screen) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tick(t, s)
		if s.detail != nil && s.detail.verdict != "" {
			return s.detail.verdict
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("no verdict; detail %+v", s.Detail())
	return ""
}

func sha(b string) string {
	h := sha256.Sum256([]byte(b))
	return hex.EncodeToString(h[:])
}

// R on a deterministic run: the checks pass, the rerun starts at once, its
// detail replaces the list, and when it ends the verdict says the final
// metrics are identical. A run whose metric moves between runs (a counter
// file outside the workspace) gets its largest relative difference:
// |2-1| / max(1, 2) = 0.5.
func TestRerunGivesReproducibilityVerdict(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	orig := run(t, s, e, `echo '{"step":1,"loss":0.25,"val_acc":0.75}'; echo '{"step":2,"loss":0.125,"val_acc":0.875}'`, nil, nil)
	hit(t, s, "R")
	if s.err != nil {
		t.Fatal(s.err)
	}
	ids := s.Detail()
	if len(ids) != 1 || ids[0] == orig.ID {
		t.Fatalf("after R the detail shows %v, want the new run", ids)
	}
	re := waitEnded(t, e, ids[0])
	if re.RerunOf != orig.ID {
		t.Errorf("rerun_of %q", re.RerunOf)
	}
	if v := waitVerdict(t, s); v != "rerun of "+orig.ID+": final metrics identical (2 of 2)" {
		t.Errorf("verdict %q", v)
	}
	if v := plain(s); !strings.Contains(v, "final metrics identical (2 of 2)") {
		t.Errorf("verdict not shown:\n%s", v)
	}
	checkBox(t, s, 80, 24)
	s.SetSize(200, 50)
	checkBox(t, s, 200, 50)
	s.SetSize(80, 24)
	hit(t, s, "esc")

	counter := filepath.Join(t.TempDir(), "n")
	moving := run(t, s, e, `n=$(cat `+counter+` 2>/dev/null || echo 1); echo $((n+1)) > `+counter+`; echo "{\"loss\":$n,\"acc\":0.5}"`, nil, nil)
	s.list.cursor = 0 // newest first
	if r, _ := s.selected(); r.Run.ID != moving.ID {
		t.Fatalf("selected %s", r.Run.ID)
	}
	hit(t, s, "R")
	waitEnded(t, e, s.Detail()[0])
	if v := waitVerdict(t, s); v != "rerun of "+moving.ID+": 1 of 2 final metrics identical; max relative difference 0.5 (loss)" {
		t.Errorf("verdict %q", v)
	}
}

// A changed input asks first, naming the input and both hashes; n launches
// nothing, y reruns on the new content. A missing input is refused with the
// engine's message and asks nothing.
func TestRerunAsksOnChangedDataRefusesMissing(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	path := filepath.Join(e.Info().Root, "train.csv")
	before, after := "x,y\n1,2\n", "x,y\n1,3\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := run(t, s, e, `wc -l < "$LATHE_INPUT_TRAIN"`, nil, map[string]string{"train": path})
	os.WriteFile(path, []byte(after), 0o644)

	hit(t, s, "R")
	if s.confirm == nil || !s.CapturingInput() {
		t.Fatalf("no question after a data change; err %v note %q", s.err, s.note)
	}
	q := "input train: sha " + sha(before)[:4] + "… → " + sha(after)[:4] + "…; rerun anyway with changed data? y/n"
	if s.confirm.question != q {
		t.Errorf("question %q, want %q", s.confirm.question, q)
	}
	if v := plain(s); !strings.Contains(v, "rerun anyway with changed data? y/n") {
		t.Errorf("question not shown:\n%s", v)
	}
	checkBox(t, s, 80, 24)
	hit(t, s, "q") // neither quits (the router hands every key over) nor answers
	if s.confirm == nil {
		t.Fatal("q answered the question")
	}
	hit(t, s, "n")
	if s.confirm != nil || countRuns(t, e) != 1 || s.Detail() != nil {
		t.Fatalf("n: confirm %v, %d runs, detail %v", s.confirm, countRuns(t, e), s.Detail())
	}
	if !strings.Contains(plain(s), "nothing launched") {
		t.Errorf("n says nothing:\n%s", plain(s))
	}

	hit(t, s, "R")
	hit(t, s, "y")
	if countRuns(t, e) != 2 || len(s.Detail()) != 1 {
		t.Fatalf("y: %d runs, detail %v, err %v", countRuns(t, e), s.Detail(), s.err)
	}
	re := waitEnded(t, e, s.Detail()[0])
	rec, err := e.RunRecord(context.Background(), re.ID)
	ins := rec.Inputs
	if err != nil || len(ins) != 1 || firstInput(ins).SHA256 != sha(after) || re.RerunOf != orig.ID {
		t.Errorf("rerun %+v on %+v %v", re, ins, err)
	}
	// wc -l prints no metrics: nothing to compare, and the verdict says the
	// data had changed.
	waitVerdict(t, s)
	if v := plain(s); !strings.Contains(v, "rerun of "+orig.ID+": no final metrics to compare (on changed data)") {
		t.Errorf("verdict of a rerun on changed data:\n%s", v)
	}
	hit(t, s, "esc")

	// The file is gone: refused, with the message, and nothing asked.
	os.Remove(path)
	s.list.cursor = 1 // the original, below its rerun
	if r, _ := s.selected(); r.Run.ID != orig.ID {
		t.Fatalf("selected %s", r.Run.ID)
	}
	hit(t, s, "R")
	if s.confirm != nil || s.err == nil || !strings.Contains(s.err.Error(), "train.csv is gone") || countRuns(t, e) != 2 {
		t.Fatalf("missing input: confirm %v err %v, %d runs", s.confirm, s.err, countRuns(t, e))
	}
	v := plain(s)
	if !strings.Contains(v, "refusing to rerun: input train:") || !strings.Contains(v, "restore that file") {
		t.Errorf("refusal not shown whole:\n%s", v)
	}
	checkBox(t, s, 80, 24)
}

// A workspace whose code moved since the run asks about the code.
func TestRerunAsksOnChangedCode(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	s, e := newScreen(t, 80, 24)
	root := e.Info().Root
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	os.WriteFile(filepath.Join(root, "train.py"), []byte("print(1)\n"), 0o644)
	os.WriteFile(filepath.Join(root, ".gitignore"), []byte(".lathe/\n"), 0o644)
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	orig := run(t, s, e, "true", nil, nil)
	if orig.Code.Commit == "" || orig.Code.Dirty {
		t.Fatalf("code version %+v", orig.Code)
	}
	os.WriteFile(filepath.Join(root, "train.py"), []byte("print(2)\n"), 0o644)
	hit(t, s, "R")
	c := orig.Code.Commit[:7]
	want := "code: commit " + c + " → commit " + c + " + uncommitted changes; rerun anyway with changed code? y/n"
	if s.confirm == nil || s.confirm.question != want {
		t.Fatalf("question %+v, want %q (err %v)", s.confirm, want, s.err)
	}
	if !s.confirm.opts.AllowCodeChange || s.confirm.opts.AllowChangedData {
		t.Errorf("options %+v", s.confirm.opts)
	}
	hit(t, s, "esc")
	if s.confirm != nil || countRuns(t, e) != 1 {
		t.Errorf("esc: %v, %d runs", s.confirm, countRuns(t, e))
	}
}

// Mark one run, move to another, D: the diff page opens with the changed
// parameter as the first line under the summary heading, then the
// sections; it scrolls, fits 80x24 and 200x50, and esc goes back.
func TestDiffWith(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	script := `echo "{\"loss\":{lr}}"`
	a := run(t, s, e, script, map[string]string{"lr": "0.1", "seed": "7"}, nil)
	b := run(t, s, e, script, map[string]string{"lr": "0.2", "seed": "7"}, nil)
	// Newest first: b, then a. Nothing marked: D says how.
	hit(t, s, "D")
	if s.diff != nil || s.err == nil || !strings.Contains(s.err.Error(), "mark a run") {
		t.Fatalf("D with nothing marked: %v", s.err)
	}
	hit(t, s, "down") // a
	hit(t, s, "space")
	hit(t, s, "up") // b
	if !strings.Contains(plain(s), "1 marked") {
		t.Errorf("list:\n%s", plain(s))
	}
	hit(t, s, "D")
	if s.diff == nil || s.diff.res == nil {
		t.Fatalf("no diff: %+v err %v", s.diff, s.err)
	}
	if s.diff.a != a.ID || s.diff.b != b.ID {
		t.Errorf("diff %s → %s, want the marked %s → the selected %s", s.diff.a, s.diff.b, a.ID, b.ID)
	}
	lines := DiffLines(s.diff.res.d, s.diff.res.a, s.diff.res.b)
	if lines[0].kind != lineHead || strings.TrimSpace(lines[1].text) != "param lr: 0.1 → 0.2" {
		t.Errorf("first lines %q, %q", lines[0].text, lines[1].text)
	}
	v := plain(s)
	body := strings.Split(v, "\n")
	if !strings.HasPrefix(body[0], "diff "+a.ID+" → "+b.ID) || !strings.Contains(body[1], "Summary") ||
		strings.TrimSpace(body[2]) != "param lr: 0.1 → 0.2" || strings.TrimSpace(body[3]) != "metric loss: 0.1 → 0.2 (+0.1, +100.00%)" {
		t.Errorf("diff page:\n%s", v)
	}
	for _, want := range []string{"Params", "lr: 0.1 → 0.2", "same: seed=7", "Data", "same input versions", "Code", "Image"} {
		if !strings.Contains(v, want) {
			t.Errorf("diff page lacks %q:\n%s", want, v)
		}
	}
	checkBox(t, s, 80, 24)
	hit(t, s, "G")
	if v := plain(s); !strings.Contains(v, "Metrics (final values)") || !strings.Contains(v, "loss: 0.1 → 0.2  (+0.1, +100.00%)") {
		t.Errorf("bottom of the diff:\n%s", v)
	}
	checkBox(t, s, 80, 24)
	s.SetSize(200, 50)
	checkBox(t, s, 200, 50)
	if v := plain(s); !strings.Contains(v, "Summary") || !strings.Contains(v, "Metrics (final values)") {
		t.Errorf("200x50:\n%s", v)
	}
	s.SetSize(80, 24)
	hit(t, s, "esc")
	if s.diff != nil {
		t.Fatal("esc kept the diff")
	}

	// Two marked: older → newer, whatever the cursor; esc while computing
	// cancels and the late result is dropped.
	hit(t, s, "space") // b is selected: now a and b are marked
	_, cmd := s.Update(press("D"))
	if s.diff == nil || s.diff.a != a.ID || s.diff.b != b.ID || !s.diff.loading() {
		t.Fatalf("two marked: %+v", s.diff)
	}
	if !strings.Contains(plain(s), "Comparing") {
		t.Errorf("loading page:\n%s", plain(s))
	}
	hit(t, s, "esc")
	drive(t, s, cmd)
	if s.diff != nil || s.err != nil {
		t.Errorf("a cancelled diff came back: %+v %v", s.diff, s.err)
	}
}

// L asks the router for the Lineage screen on the run, from the list, the
// detail and the diff page.
func TestLineageJump(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	r := run(t, s, e, "true", nil, nil)
	jump := func() common.JumpMsg {
		t.Helper()
		_, cmd := s.Update(press("L"))
		return tuitest.JumpOf(t, cmd)
	}
	want := common.JumpMsg{Screen: common.Lineage, ID: r.ID}
	if j := jump(); j != want {
		t.Errorf("list: %+v", j)
	}
	hit(t, s, "enter")
	if j := jump(); j != want {
		t.Errorf("detail: %+v", j)
	}
	// The rerun's detail: D diffs it with its original.
	hit(t, s, "R")
	re := s.Detail()[0]
	waitEnded(t, e, re)
	for s.detail.runs[0].RerunOf == "" {
		tick(t, s)
	}
	hit(t, s, "D")
	if s.diff == nil || s.diff.a != r.ID || s.diff.b != re {
		t.Fatalf("D in a rerun's detail: %+v %v", s.diff, s.err)
	}
	if j := jump(); j != (common.JumpMsg{Screen: common.Lineage, ID: re}) {
		t.Errorf("diff page: %+v", j)
	}
	if v := plain(s); !strings.Contains(v, "none: same params, data, code") {
		t.Errorf("diff of a rerun:\n%s", v)
	}
}

// Every new view fits the smallest sizes too.
func TestNewViewsFitSmallSizes(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	run(t, s, e, `echo '{"a":1}'`, map[string]string{"p": "1"}, nil)
	run(t, s, e, `echo '{"a":2}'`, map[string]string{"p": "2"}, nil)
	hit(t, s, "space")
	hit(t, s, "D")
	for _, sz := range [][2]int{{80, 24}, {200, 50}, {40, 10}, {20, 5}, {120, 3}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
		hit(t, s, "G")
		checkBox(t, s, sz[0], sz[1])
	}
	hit(t, s, "esc")
	s.confirm = &confirmState{question: strings.Repeat("input x: sha 1234… → 5678…; ", 8) + "rerun anyway? y/n"}
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {20, 5}, {120, 3}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
	}
}

// firstInput is the only input of a run record.
func firstInput(ins map[string]experiments.Dataset) experiments.Dataset {
	for _, d := range ins {
		return d
	}
	return experiments.Dataset{}
}

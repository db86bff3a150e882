package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runstatus"
)

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTuneAskTellBranin drives a Branin study through the CLI alone, one
// process-like invocation per step, as an external training loop would: the
// study state goes through the store between every call.
func TestTuneAskTellBranin(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	p, _ := optimizer.ProblemByName("Branin")
	spec := p.Spec(2, 15)
	spec.Name = "branin"
	// The same study in process: the CLI, with the state going through the
	// store between calls, must make exactly the same suggestions.
	direct, err := optimizer.NewStudy(spec)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(spec)
	specPath := writeFile(t, filepath.Join(t.TempDir(), "branin.json"), string(raw))
	if code, _, errs := run(t, "-w", ws, "tune", "create", specPath); code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	if code, _, errs := run(t, "-w", ws, "tune", "create", specPath); code != 2 || !strings.Contains(errs, "already exists") {
		t.Fatalf("create twice: exit %d: %s", code, errs)
	}
	best := 1e9
	for i := 0; i < 15; i++ {
		code, out, errs := run(t, "-w", ws, "tune", "ask", "branin", "--json")
		if code != 0 {
			t.Fatalf("ask %d: exit %d: %s", i, code, errs)
		}
		var ts []struct {
			Number int            `json:"number"`
			Params map[string]any `json:"params"`
		}
		if err := json.Unmarshal([]byte(out), &ts); err != nil || len(ts) != 1 {
			t.Fatalf("ask output %q: %v", out, err)
		}
		if ts[0].Number != i+1 {
			t.Fatalf("ask %d gave trial %d", i, ts[0].Number)
		}
		m := p.Metrics(ts[0].Params)
		best = min(best, m["f0"])
		want, _ := direct.Ask(1)
		if dm := p.Metrics(want[0].Params); dm["f0"] != m["f0"] {
			t.Fatalf("trial %d: CLI suggested %v (f0 %v), the in-process study %v (f0 %v)", i+1, ts[0].Params, m["f0"], want[0].Params, dm["f0"])
		}
		_ = direct.Tell(want[0].Number, m)
		mj, _ := json.Marshal(m)
		if code, _, errs := run(t, "-w", ws, "tune", "tell", "branin", fmt.Sprint(ts[0].Number), "--metrics", string(mj)); code != 0 {
			t.Fatalf("tell %d: exit %d: %s", ts[0].Number, code, errs)
		}
	}
	// Branin's optimum is 0.397887 (BoTorch); 15 evaluations must come within 0.6.
	if best >= 1.0 {
		t.Errorf("best Branin value after 15 ask/tell rounds = %v, want < 1.0", best)
	}
	code, out, errs := run(t, "-w", ws, "tune", "status", "branin", "--json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	var rep engine.StudyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Trials) != 15 || rep.Best == nil {
		t.Fatalf("status: %d trials, best %v", len(rep.Trials), rep.Best)
	}
	bt := rep.Trials[*rep.Best-1]
	if bt.Metrics["f0"] != best || bt.Status != "completed" || bt.Feasible == nil || !*bt.Feasible {
		t.Errorf("best trial %+v, want f0 = %v, completed, feasible", bt, best)
	}
	if len(rep.Pareto) != 1 || rep.Pareto[0] != *rep.Best {
		t.Errorf("pareto %v, want [%d]", rep.Pareto, *rep.Best)
	}
	if len(rep.HypervolumeHistory) != 15 || rep.HypervolumeHistory[14] != rep.Hypervolume {
		t.Errorf("hypervolume history %v, final %v", rep.HypervolumeHistory, rep.Hypervolume)
	}
	code, out, _ = run(t, "-w", ws, "tune", "status", "branin")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("best: trial %d", *rep.Best)) {
		t.Errorf("text status (exit %d):\n%s", code, out)
	}
}

func TestTuneTellErrorsExit2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), `name: s
parameters:
  - {name: x, type: double, bounds: {min: 0, max: 1}}
metrics:
  - {name: loss, objective: minimize}
  - {name: ms, objective: minimize, strategy: constraint, threshold: 10}
observation_budget: 5
`)
	if code, _, errs := run(t, "-w", ws, "tune", "create", spec); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	if code, _, errs := run(t, "-w", ws, "tune", "ask", "s", "--count", "2"); code != 0 {
		t.Fatalf("ask: %d %s", code, errs)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"tell", "s", "1", "--metrics", "{loss: 1"}, "--metrics"},
		{[]string{"tell", "s", "1", "--metrics", `{"loss":"a"}`}, "must be a number"},
		{[]string{"tell", "s", "9", "--metrics", `{"loss":1}`}, "no trial 9"},
		{[]string{"tell", "s", "x", "--failed"}, "not a trial number"},
		{[]string{"tell", "s", "1", "--metrics", `{"ms":1}`}, "loss"},
		{[]string{"tell", "s", "1", "--metrics", `{"loss":1,"acc":2}`}, `unknown metric "acc"`},
		{[]string{"tell", "s", "1"}, "--metrics"},
		{[]string{"tell", "nope", "1", "--failed"}, `no study named "nope"`},
		{[]string{"ask", "nope"}, `no study named "nope"`},
		{[]string{"status", "nope"}, `no study named "nope"`},
		{[]string{"ask", "s", "--count", "0"}, "--count"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, errs := run(t, append([]string{"-w", ws, "tune"}, c.args...)...)
			if code != 2 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, c.want)
			}
		})
	}
	// A correct tell works after the bad ones, and telling twice is an error.
	if code, out, errs := run(t, "-w", ws, "tune", "tell", "s", "1", "--metrics", `{"loss":0.5,"ms":20}`); code != 0 || !strings.Contains(out, "completed (infeasible)") {
		t.Fatalf("tell: %d %q %s", code, out, errs)
	}
	if code, _, errs := run(t, "-w", ws, "tune", "tell", "s", "1", "--failed"); code != 2 || !strings.Contains(errs, "already completed") {
		t.Errorf("tell twice: %d %s", code, errs)
	}
	if code, out, errs := run(t, "-w", ws, "tune", "tell", "s", "2", "--failed"); code != 0 || !strings.Contains(out, "failed") {
		t.Errorf("tell failed: %d %q %s", code, out, errs)
	}
}

func TestTuneBadSpecsExit2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	dir := t.TempDir()
	cases := []struct {
		name, text, want string
	}{
		{"minmax.yaml", "name: s\nparameters:\n  - {name: x, type: double, bounds: {min: 1, max: 0}}\nmetrics:\n  - {name: l, objective: minimize}\n", "minmax.yaml:3"},
		{"noobj.yaml", "name: s\nparameters:\n  - {name: x, type: int, bounds: {min: 0, max: 3}}\nmetrics:\n  - {name: l, strategy: store}\n", "optimize"},
		{"unknown.yaml", "name: s\nparamters: []\n", "paramters"},
		{"bad.json", `{"name": "s", "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}, "transformation": "log"}], "metrics": [{"name": "l", "objective": "minimize"}]}`, "log"},
	}
	for _, c := range cases {
		path := writeFile(t, filepath.Join(dir, c.name), c.text)
		for _, verb := range []string{"create", "run"} {
			code, out, errs := run(t, "-w", ws, "tune", verb, path)
			if code != 2 || !strings.Contains(errs, c.want) || out != "" {
				t.Errorf("tune %s %s: exit %d, stdout %q, stderr %q; want 2 naming %q", verb, c.name, code, out, errs, c.want)
			}
		}
	}
	// Specs the driver could not launch are refused before a study exists.
	base := "parameters:\n  - {name: x, type: int, bounds: {min: 0, max: 3}}\nmetrics:\n  - {name: l, objective: minimize}\n"
	for _, c := range []struct{ name, text, want string }{
		{"norunner.yaml", "name: a\nrunner: nope\ncommand: [echo]\n" + base, `unknown runner "nope"`},
		{"nocmd.yaml", "name: b\nrunner: local\n" + base, "command"},
		{"placeholder.yaml", "name: c\nrunner: local\ncommand: [echo, \"{y}\"]\n" + base, "{y}"},
		{"noimage.yaml", "name: d\nrunner: docker\ncommand: [/trainer]\n" + base, "image"},
	} {
		path := writeFile(t, filepath.Join(dir, c.name), c.text)
		code, _, errs := run(t, "-w", ws, "tune", "run", path)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("tune run %s: exit %d, stderr %q; want 2 naming %q", c.name, code, errs, c.want)
		}
	}
	if code, out, _ := run(t, "-w", ws, "tune", "status", "a"); code != 2 || out != "" {
		t.Errorf("a refused spec left a study behind: exit %d %q", code, out)
	}
	if code, _, errs := run(t, "-w", ws, "tune", "create", filepath.Join(dir, "missing.yaml")); code != 2 || !strings.Contains(errs, "missing.yaml") {
		t.Errorf("missing spec: exit %d, %s", code, errs)
	}
}

// TestTuneConcurrentAsk asks from many goroutines at once, each with its own
// workspace handle (as separate processes would have): every trial number
// and every assignment is handed out once.
func TestTuneConcurrentAsk(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), `name: c
parameters:
  - {name: x, type: double, bounds: {min: 0, max: 1}}
  - {name: k, type: int, bounds: {min: 1, max: 50}}
metrics:
  - {name: loss, objective: minimize}
`)
	if code, _, errs := run(t, "-w", ws, "tune", "create", spec); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	var mu sync.Mutex
	seen := map[int]string{}
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				code, out, errs := run(t, "-w", ws, "tune", "ask", "c", "--json")
				if code != 0 {
					t.Errorf("ask: %d %s", code, errs)
					return
				}
				var ts []struct {
					Number int            `json:"number"`
					Params map[string]any `json:"params"`
				}
				if err := json.Unmarshal([]byte(out), &ts); err != nil || len(ts) != 1 {
					t.Errorf("ask output %q", out)
					return
				}
				mu.Lock()
				if prev, dup := seen[ts[0].Number]; dup {
					t.Errorf("trial %d handed out twice (%s)", ts[0].Number, prev)
				}
				seen[ts[0].Number] = fmt.Sprint(ts[0].Params)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	params := map[string]bool{}
	for n := 1; n <= 18; n++ {
		p, ok := seen[n]
		if !ok {
			t.Errorf("trial %d missing", n)
		}
		if params[p] {
			t.Errorf("assignment %s suggested twice", p)
		}
		params[p] = true
	}
}

// TestTuneRunKill9Resume runs a real study of the example trainer (the
// binary's hidden `trainer` command) on the local runner, two trials at a
// time, kills `lathe tune run` with SIGKILL mid-study, and resumes it: every
// trial number appears once, each trial has its own run, no run belongs to
// two trials, and the budget is met.
func TestTuneRunKill9Resume(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	specPath := writeFile(t, filepath.Join(t.TempDir(), "study.yaml"), fmt.Sprintf(`name: mlp
runner: local
command: [%q, "trainer", "--lr={lr}", "--hidden={hidden}", "--act={activation}", "--epochs=25", "--epoch-pause=40ms"]
parameters:
  - {name: lr, type: double, bounds: {min: 1.0e-3, max: 1.0}, transformation: log}
  - {name: hidden, type: int, bounds: {min: 0, max: 32}}
  - {name: activation, type: categorical, categorical_values: [relu, tanh]}
metrics:
  - {name: val_accuracy, objective: maximize}
  - {name: model_params, objective: minimize, threshold: 2000}
  - {name: inference_ms, objective: minimize, strategy: constraint, threshold: 50}
  - {name: train_seconds, strategy: store}
observation_budget: 8
parallel_bandwidth: 2
seed: 7
`, bin))
	cmd := exec.Command(bin, "--workspace", ws, "tune", "run", specPath)
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	store, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	// Kill it once two trials are told and two are running.
	deadline := time.Now().Add(60 * time.Second)
	var before []experiments.Trial
	for time.Now().Before(deadline) {
		if st, err := store.GetStudy(ctx, "mlp"); err == nil {
			before, _ = store.ListTrials(ctx, st.ID)
			done, running := 0, 0
			for _, tr := range before {
				switch tr.Status {
				case experiments.TrialCompleted, experiments.TrialFailed, experiments.TrialPruned:
					done++
				case experiments.TrialRunning:
					running++
				}
			}
			if done >= 2 && running == 2 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(before) >= 8 {
		t.Fatalf("the study had all %d trials when killed; the test proves nothing", len(before))
	}
	out, err := exec.Command(bin, "--workspace", ws, "--json", "tune", "resume", "mlp").Output()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	var rep engine.StudyReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("resume output: %v\n%s", err, out)
	}
	if rep.Status != "completed" || len(rep.Trials) != 8 {
		t.Fatalf("after resume: %s with %d trials, want completed with 8", rep.Status, len(rep.Trials))
	}
	runsOfTrials := map[string]int{}
	for i, tr := range rep.Trials {
		if tr.Number != i+1 {
			t.Errorf("trial %d numbered %d", i+1, tr.Number)
		}
		if tr.RunID == "" || (tr.Status != "completed" && tr.Status != "failed" && tr.Status != "pruned") {
			t.Errorf("trial %d: status %s, run %q", tr.Number, tr.Status, tr.RunID)
		}
		if prev, dup := runsOfTrials[tr.RunID]; dup {
			t.Errorf("run %s belongs to trials %d and %d", tr.RunID, prev, tr.Number)
		}
		runsOfTrials[tr.RunID] = tr.Number
		if tr.Status == "completed" && (tr.Metrics["val_accuracy"] <= 0.3 || tr.Metrics["model_params"] <= 0) {
			t.Errorf("trial %d metrics %v", tr.Number, tr.Metrics)
		}
	}
	// No trial ran twice: the only runs besides the trials' own are runs the
	// killed driver queued but never started (a trial in that state gets a
	// new run on resume), and those never ran a process.
	runs, err := store.ListRuns(ctx, experiments.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	started := 0
	for _, r := range runs {
		if r.PID != 0 {
			started++
		}
		if _, ok := runsOfTrials[r.ID]; !ok && (r.Status != runstatus.Stopped || r.PID != 0) {
			t.Errorf("run %s (%s, pid %d) belongs to no trial and ran", r.ID, r.Status, r.PID)
		}
	}
	if started != 8 {
		t.Errorf("%d runs started a process, want 8 (one per trial)", started)
	}
	// Trials that were running at the kill were reattached, not failed.
	for _, tr := range before {
		if tr.Status != experiments.TrialRunning {
			continue
		}
		got := rep.Trials[tr.Number-1]
		old, _ := store.GetRun(ctx, tr.RunID)
		if got.Status != "completed" || (got.RunID != tr.RunID && old.PID != 0) {
			t.Errorf("trial %d running at the kill ended %s (%s) with run %s (was %s: %s, pid %d)", tr.Number, got.Status, got.Error, got.RunID, tr.RunID, old.Status, old.PID)
		}
	}
	if rep.Best == nil || len(rep.Pareto) == 0 {
		t.Errorf("no best trial or Pareto set: %v %v", rep.Best, rep.Pareto)
	}
}

// TestTuneRunJSON runs a small study to its budget in process on the local
// runner with a shell "trainer" (loss = (x-0.3)^2 in thousandths, computed by
// the shell) and checks the DESIGN §5 JSON shape and values.
func TestTuneRunJSON(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	script := writeFile(t, filepath.Join(t.TempDir(), "train.sh"),
		`x=$1; d=$((x - 300)); echo "{\"step\": 1, \"loss\": $((d * d / 1000)), \"x\": $x}"`+"\n")
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), fmt.Sprintf(`name: quad
runner: local
command: ["/bin/sh", %q, "{x}"]
parameters:
  - {name: x, type: int, bounds: {min: 0, max: 1000}}
metrics:
  - {name: loss, objective: minimize}
  - {name: x, strategy: store}
observation_budget: 6
parallel_bandwidth: 2
seed: 3
`, script))
	code, out, errs := run(t, "-w", ws, "--json", "tune", "run", spec)
	if code != 0 {
		t.Fatalf("tune run: exit %d: %s", code, errs)
	}
	var rep struct {
		Study  string `json:"study"`
		Status string `json:"status"`
		Trials []struct {
			Number   int                `json:"number"`
			Status   string             `json:"status"`
			Params   map[string]float64 `json:"params"`
			Metrics  map[string]float64 `json:"metrics"`
			Feasible *bool              `json:"feasible"`
			RunID    string             `json:"run_id"`
		} `json:"trials"`
		Pareto []int `json:"pareto"`
		Best   *int  `json:"best"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Study != "quad" || rep.Status != "completed" || len(rep.Trials) != 6 || rep.Best == nil {
		t.Fatalf("report %+v", rep)
	}
	bestLoss := 1e18
	for _, tr := range rep.Trials {
		x := tr.Params["x"]
		d := int(x) - 300
		want := float64(d * d / 1000) // the shell's integer arithmetic
		if tr.Status != "completed" || tr.Metrics["loss"] != want || tr.Metrics["x"] != x || tr.RunID == "" || tr.Feasible == nil || !*tr.Feasible {
			t.Errorf("trial %d: %+v, want completed with loss %v", tr.Number, tr, want)
		}
		bestLoss = min(bestLoss, want)
	}
	if got := rep.Trials[*rep.Best-1].Metrics["loss"]; got != bestLoss || len(rep.Pareto) != 1 || rep.Pareto[0] != *rep.Best {
		t.Errorf("best #%d has loss %v, want %v; pareto %v", *rep.Best, got, bestLoss, rep.Pareto)
	}
	// The trials' runs are in the store with the study's lineage edge.
	code, out, _ = run(t, "-w", ws, "--json", "lineage", rep.Trials[0].RunID)
	if code == 0 && !strings.Contains(out, "trial_of") {
		t.Errorf("lineage of a trial's run lacks the trial_of edge:\n%s", out)
	}
	// Running the same spec again is bad input: resume it instead.
	if code, _, errs := run(t, "-w", ws, "tune", "run", spec); code != 2 || !strings.Contains(errs, "already exists") {
		t.Errorf("second tune run: exit %d: %s", code, errs)
	}
	// Resuming a finished study does nothing more.
	if code, out, errs := run(t, "-w", ws, "--json", "tune", "resume", "quad"); code != 0 || strings.Count(out, `"run_id"`) != 6 {
		t.Errorf("resume of a finished study: exit %d: %s\n%s", code, errs, out)
	}
}

// TestTunerInTmux80x24 opens the real binary's Tuner screen at 80x24 on a
// workspace with a study told through ask/tell.
func TestTunerInTmux80x24(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), `name: twoobj
parameters:
  - {name: a, type: double, bounds: {min: 0, max: 1}}
metrics:
  - {name: f1, objective: minimize}
  - {name: f2, objective: minimize, threshold: 1.5}
observation_budget: 8
`)
	if code, _, errs := run(t, "-w", ws, "tune", "create", spec); code != 0 {
		t.Fatal(errs)
	}
	for i := 1; i <= 6; i++ {
		code, out, errs := run(t, "-w", ws, "--json", "tune", "ask", "twoobj")
		if code != 0 {
			t.Fatal(errs)
		}
		var ts []struct {
			Params map[string]float64 `json:"params"`
		}
		_ = json.Unmarshal([]byte(out), &ts)
		a := ts[0].Params["a"]
		m := fmt.Sprintf(`{"f1": %g, "f2": %g}`, a, (1-a)*(1-a))
		if code, _, errs := run(t, "-w", ws, "tune", "tell", "twoobj", fmt.Sprint(i), "--metrics", m); code != 0 {
			t.Fatal(errs)
		}
	}
	s := newTmux(t, 80, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	s.keys(fmt.Sprintf("%s --workspace %s; echo LATHE_EXIT=$?", bin, ws), "Enter")
	s.waitFor(20*time.Second, "Tuner")
	s.keys("4")
	scr := s.waitFor(10*time.Second, "twoobj", "6/8 trials", "HV", "x: f1  y: f2", "importance")
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if len(lines) > 24 {
		t.Errorf("%d lines at 80x24", len(lines))
	}
	braille := 0
	for _, r := range scr {
		if r > 0x2800 && r <= 0x28FF {
			braille++
		}
	}
	if braille == 0 {
		t.Errorf("no scatter points:\n%s", scr)
	}
	s.keys("j")
	s.waitFor(5*time.Second, "#2 completed")
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

// TestTuneRunDocker drives a study of the example trainer in containers on
// the docker runner (the local daemon), two at a time.
func TestTuneRunDocker(t *testing.T) {
	tag := trainerImage(t)
	isolate(t)
	ws := newWorkspace(t)
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), `name: mlp-docker
runner: docker
image: `+tag+`
command: ["/trainer", "--lr={lr}", "--hidden={hidden}", "--act={activation}", "--epochs=15"]
parameters:
  - {name: lr, type: double, bounds: {min: 1.0e-3, max: 1.0}, transformation: log}
  - {name: hidden, type: int, bounds: {min: 0, max: 32}}
  - {name: activation, type: categorical, categorical_values: [relu, tanh]}
metrics:
  - {name: val_accuracy, objective: maximize}
  - {name: model_params, objective: minimize, threshold: 2000}
observation_budget: 4
parallel_bandwidth: 2
seed: 5
`)
	code, out, errs := run(t, "-w", ws, "--json", "tune", "run", spec)
	if code != 0 {
		t.Fatalf("tune run: exit %d: %s", code, errs)
	}
	var rep engine.StudyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status != "completed" || len(rep.Trials) != 4 {
		t.Fatalf("%s with %d trials", rep.Status, len(rep.Trials))
	}
	store, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, tr := range rep.Trials {
		r, err := store.GetRun(context.Background(), tr.RunID)
		if err != nil || r.Runner != "docker" || r.ContainerID == "" || r.Image != tag {
			t.Errorf("trial %d: run %+v (%v), want a docker container of %s", tr.Number, r, err, tag)
		}
		if tr.Status != "completed" || tr.Metrics["val_accuracy"] <= 0 || tr.Metrics["model_params"] <= 0 {
			t.Errorf("trial %d: %s %v", tr.Number, tr.Status, tr.Metrics)
		}
	}
}

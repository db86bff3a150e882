package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/optimizer"
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

package main

import (
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/engine"
)

// `runs compare` of two real runs: the text table marks the differing
// param and metrics and the best run, escapes a run name's control
// characters; --json decodes with final and best values and, with
// --metric, the series; one run or an unknown metric is a usage error.
func TestRunsCompare(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	var ids []string
	for i, lr := range []string{"0.1", "0.3"} {
		script := `s=1; while [ $s -le 5 ]; do echo "{\"step\": $s, \"val_loss\": $(( (` + lr[2:] + `0 + 10) / s )), \"epochs\": 5}"; s=$((s+1)); done`
		name := "plain"
		if i == 1 {
			name = "evil\x1b[31mred\a"
		}
		out := mustRun(t, 0, "-w", ws, "run", "--detach", "--name", name, "--param", "lr="+lr, "--param", "opt=adam", "--", "sh", "-c", script)
		ids = append(ids, lastWord(out))
	}
	for _, id := range ids {
		mustRun(t, 0, "-w", ws, "runs", "logs", "-f", id)
	}
	text := mustRun(t, 0, "-w", ws, "runs", "compare", ids[0], ids[1])
	if strings.ContainsAny(text, "\x1b\a") || !strings.Contains(text, `evil\x1b[31mred\x07`) {
		t.Errorf("run name not escaped:\n%q", text)
	}
	for _, want := range []string{"* param lr", "  param opt", "* final val_loss (min)", "  final epochs ", "* best val_loss (min)", "(best)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "best epochs") {
		t.Errorf("a best without a direction:\n%s", text)
	}
	var c engine.RunComparison
	runJSON(t, &c, "-w", ws, "--json", "runs", "compare", ids[0], ids[1], "--metric", "val_loss")
	if len(c.Runs) != 2 || len(c.Metrics) != 1 || c.Metrics[0].BestRun != ids[0] || c.Metrics[0].Direction != "min" {
		t.Fatalf("JSON %+v", c)
	}
	// val_loss of lr=0.1 is 20/s: 20 at step 1, 4 at step 5.
	if f, b := c.Runs[0].Final["val_loss"], c.Runs[0].Best["val_loss"]; f.Value != 4 || b.Value != 4 || b.Step != 5 {
		t.Errorf("final %+v, best %+v", f, b)
	}
	if len(c.Series[ids[1]]["val_loss"]) != 5 {
		t.Errorf("series %v", c.Series)
	}
	for _, args := range [][]string{{"runs", "compare", ids[0]}, {"runs", "compare", ids[0], ids[1], "--metric", "nope"}} {
		code, _, errs := run(t, append([]string{"-w", ws}, args...)...)
		if code != 2 || errs == "" {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errs)
		}
	}
}

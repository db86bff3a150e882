package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/engine"
)

// `lathe runs plot` draws the stored series of real runs as text, headless:
// one line per series in the legend with its last value, the title, the
// step axis; --json gives the same points; bad input is exit 2.
func TestRunsPlot(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	script := func(scale int) string {
		return `i=1; while [ $i -le 10 ]; do echo "{\"step\": $i, \"val_loss\": $(( ` + strconv.Itoa(scale) + ` / i ))}"; i=$((i+1)); done`
	}
	var ids []string
	for _, scale := range []int{100, 50} {
		_, out, errs := run(t, "--workspace", ws, "--json", "run", "--name", "s"+strconv.Itoa(scale), "--", "sh", "-c", script(scale))
		var rec struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Status != "completed" {
			t.Fatalf("run: %v %s %s", err, out, errs)
		}
		ids = append(ids, rec.ID)
	}
	t.Setenv("NO_COLOR", "1")
	code, out, errs := run(t, append([]string{"--workspace", ws, "runs", "plot", "--metric", "val_loss", "--width", "72", "--height", "14", "--charset", "ascii"}, ids...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 14 {
		t.Errorf("%d lines, want 14:\n%s", len(lines), out)
	}
	for _, want := range []string{"val_loss", "* s100 10", "+ s50 5", "100 +", "|", "1 "} {
		if !strings.Contains(out, want) {
			t.Errorf("plot lacks %q:\n%s", want, out)
		}
	}
	for _, r := range out {
		if r > 0x7e || r == 0x1b {
			t.Fatalf("--charset ascii with NO_COLOR printed %q:\n%s", r, out)
		}
	}
	// --json: the curves themselves.
	code, out, _ = run(t, "--workspace", ws, "--json", "runs", "plot", "--metric", "val_loss", ids[0])
	var curves []engine.Curve
	if err := json.Unmarshal([]byte(out), &curves); code != 0 || err != nil || len(curves) != 1 || len(curves[0].Points) != 10 || curves[0].Points[9].Value != 10 {
		t.Errorf("--json: exit %d, %v, %+v", code, err, curves)
	}
	// Bad input names the flag.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "plot", ids[0]}, "--metric"},
		{[]string{"runs", "plot", ids[0], "--metric", "nope"}, `no metric "nope"`},
		{[]string{"runs", "plot", ids[0], "--metric", "val_loss", "--charset", "utf9"}, "--charset"},
		{[]string{"runs", "plot", "zzzz", "--metric", "val_loss"}, "zzzz"},
	} {
		code, _, errs := run(t, append([]string{"--workspace", ws}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d %q, want 2 naming %s", c.args, code, errs, c.want)
		}
	}
}

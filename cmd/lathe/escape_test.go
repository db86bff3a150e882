package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Control characters and NUL in run logs and data cells never reach the
// terminal raw from text output (issue 11 item 7); JSON keeps them, escaped
// by encoding/json. A carriage-return progress bar shows its last state.
func TestTextOutputEscapesControlCharacters(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	script := `printf 'title \033]0;pwned\007 red \033[31mX\033[0m nul \000 end\n'; printf '10%%\r50%%\r100%% done\n'`
	_, out, errs := run(t, "--workspace", ws, "--json", "run", "--", "sh", "-c", script)
	var rec struct{ ID, Status string }
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Status != "completed" {
		t.Fatalf("run: %v %s %s", err, out, errs)
	}
	code, text, _ := run(t, "--workspace", ws, "runs", "logs", rec.ID)
	if code != 0 {
		t.Fatalf("runs logs exit %d", code)
	}
	for _, bad := range []string{"\x1b", "\x07", "\x00", "\r"} {
		if strings.Contains(text, bad) {
			t.Errorf("runs logs printed %q raw:\n%q", bad, text)
		}
	}
	for _, want := range []string{`\x1b]0;pwned\x07`, `\x1b[31mX\x1b[0m`, `nul \x00 end`, "100% done"} {
		if !strings.Contains(text, want) {
			t.Errorf("runs logs lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "50%") {
		t.Errorf("the overwritten progress states are shown:\n%s", text)
	}
	_, js, _ := run(t, "--workspace", ws, "--json", "runs", "logs", rec.ID)
	if !strings.Contains(js, `\u001b]0;pwned\u0007`) || !strings.Contains(js, `\u0000`) {
		t.Errorf("--json does not keep the raw line, escaped:\n%s", js)
	}

	// A data cell and a column name with control characters.
	csv := filepath.Join(t.TempDir(), "evil.csv")
	if err := os.WriteFile(csv, []byte("name,\x1b[2Jcol\nalice,\x1b]0;x\x07\nbob,\x00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, text, errs = run(t, "data", "profile", csv)
	if code != 0 {
		t.Fatalf("profile exit %d: %s", code, errs)
	}
	for _, bad := range []string{"\x1b", "\x07", "\x00"} {
		if strings.Contains(text, bad) {
			t.Errorf("data profile printed %q raw:\n%q", bad, text)
		}
	}
	if !strings.Contains(text, `\x1b[2Jcol`) {
		t.Errorf("the column name is not shown escaped:\n%s", text)
	}
}

// A metric name the run printed with control characters (an escape sequence,
// a tab) is shown escaped on one line by `runs metrics`, as logs are; --json
// keeps the raw name.
func TestRunsMetricsEscapesMetricNames(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	script := `printf '{"step": 1, "\\u001b]0;pwned\\u0007acc\\tx": 0.5, "loss": 1}\n'`
	_, out, errs := run(t, "--workspace", ws, "--json", "run", "--", "sh", "-c", script)
	var rec struct{ ID, Status string }
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Status != "completed" {
		t.Fatalf("run: %v %s %s", err, out, errs)
	}
	code, text, errs := run(t, "--workspace", ws, "runs", "metrics", rec.ID)
	if code != 0 {
		t.Fatalf("runs metrics exit %d: %s", code, errs)
	}
	for _, bad := range []string{"\x1b", "\x07", "\t"} {
		if strings.Contains(text, bad) {
			t.Errorf("runs metrics printed %q raw:\n%q", bad, text)
		}
	}
	if !strings.Contains(text, `\x1b]0;pwned\x07acc x`) {
		t.Errorf("the metric name is not shown escaped:\n%s", text)
	}
	_, js, _ := run(t, "--workspace", ws, "--json", "runs", "metrics", rec.ID)
	if !strings.Contains(js, `\u001b]0;pwned\u0007acc\tx`) {
		t.Errorf("--json does not keep the raw name:\n%s", js)
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input found by walking the README's tour as a new user: each exits 2
// with a message naming the flag or file and what is valid, never a Go
// error's text.

// A flag value of the wrong type names the flag and the type wanted, not
// strconv's error.
func TestFlagValueOfWrongTypeNamesFlagAndType(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	code, _, errs := run(t, "--workspace", ws, "runs", "ls", "--limit", "x")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", code, errs)
	}
	for _, want := range []string{`--limit: "x" is not a whole number`, "lathe runs ls --help"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	for _, bad := range []string{"strconv", "ParseInt", "invalid syntax"} {
		if strings.Contains(errs, bad) {
			t.Errorf("stderr %q shows Go's %q", errs, bad)
		}
	}
}

// A directory given as a study spec or a rules file is bad input (exit 2)
// that says which kind of file is wanted.
func TestDirectoryForSpecOrRulesExits2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	dir := t.TempDir()
	csv := filepath.Join(t.TempDir(), "train.csv")
	if err := os.WriteFile(csv, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"tune", "run", dir}, []string{dir, "is a directory", "study spec file"}},
		{[]string{"tune", "create", dir}, []string{dir, "is a directory", "study spec file"}},
		{[]string{"data", "check", csv, "--rules", dir}, []string{dir, "--rules", "is a directory", "rules file (YAML)"}},
	} {
		code, _, errs := run(t, append([]string{"--workspace", ws}, tc.args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, code, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, errs, w)
			}
		}
		if strings.Contains(errs, "data file") {
			t.Errorf("%v: stderr %q asks for a data file", tc.args, errs)
		}
	}
}

// Text a run printed (a metric name with an escape sequence) is shown
// escaped in error messages and in `runs diff`, as in logs.
func TestRunTextEscapedInErrorsAndDiff(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	ids := make([]string, 2)
	for i, v := range []string{"0.5", "0.7"} {
		script := `printf '{"step": 1, "\\u001b[31mred\\u0007": ` + v + `}\n'`
		_, out, errs := run(t, "--workspace", ws, "--json", "run", "--", "sh", "-c", script)
		var rec struct{ ID, Status string }
		if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Status != "completed" {
			t.Fatalf("run: %v %s %s", err, out, errs)
		}
		ids[i] = rec.ID
	}
	code, _, errs := run(t, "--workspace", ws, "runs", "plot", ids[0], "--metric", "nosuch")
	if code != 2 || strings.ContainsAny(errs, "\x1b\x07") || !strings.Contains(errs, `\x1b[31mred\x07`) {
		t.Errorf("runs plot --metric nosuch: exit %d, stderr %q; want exit 2 and the metric names escaped", code, errs)
	}
	code, out, errs := run(t, "--workspace", ws, "runs", "diff", ids[0], ids[1])
	if code != 0 || strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `\x1b[31mred\x07`) {
		t.Errorf("runs diff: exit %d (stderr %q), stdout %q; want the metric name escaped", code, errs, out)
	}
}

// --workspace naming a file says so, instead of offering `lathe init FILE`.
func TestWorkspaceFlagNamingAFile(t *testing.T) {
	isolate(t)
	f := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "--workspace", f, "runs", "ls")
	if code != 2 || !strings.Contains(errs, "--workspace") || !strings.Contains(errs, f+" is a file, not a workspace directory") || strings.Contains(errs, "lathe init") {
		t.Errorf("exit %d, stderr %q; want exit 2 saying %s is a file", code, errs, f)
	}
}

// `config show` keeps its table readable on a terminal: a long value (the
// missing-value tokens) is clipped (--json has it whole) and printed as
// written, not HTML-escaped ("\u003cNA\u003e").
func TestConfigShowClipsLongValues(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	code, out, errs := run(t, "--workspace", ws, "config", "show")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out, `\u003c`) {
		t.Errorf("values are HTML-escaped:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "explore.missing_values") {
			if !strings.Contains(line, "…") || len([]rune(strings.Fields(line)[1])) > showValueWidth {
				t.Errorf("long value not clipped to %d: %q", showValueWidth, line)
			}
		}
	}
	_, js, _ := run(t, "--workspace", ws, "--json", "config", "show")
	if !strings.Contains(js, `"null"`) {
		t.Errorf("--json lacks the whole missing_values list:\n%.400s", js)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issues 10 and 11 at the command line: bad input exits 2 and names the key,
// file or flag; a followed run's status line comes last.

// runners_file naming a directory (issue 11 item 5): exit 2 at the file and
// line that names it (or the variable), not exit 1 "is a directory".
func TestRunnersFileDirectoryExits2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	dir := t.TempDir()
	yaml := "name: demo\ndefault_runner: local\nrunners_file: " + dir + "\nrunners:\n  - name: local\n    type: local\n"
	if err := os.WriteFile(filepath.Join(ws, "lathe.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "--workspace", ws, "runners", "ls")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", code, errs)
	}
	for _, want := range []string{"lathe.yaml:3", "runners_file", dir, "is a directory", "runners YAML file"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q does not contain %q", errs, want)
		}
	}
	t.Setenv("LATHE_RUNNERS", dir)
	code, _, errs = run(t, "--workspace", ws, "runners", "ls")
	if code != 2 || !strings.Contains(errs, "LATHE_RUNNERS") || !strings.Contains(errs, "is a directory") {
		t.Errorf("LATHE_RUNNERS=%s: exit %d, stderr %q; want exit 2 naming LATHE_RUNNERS", dir, code, errs)
	}
}

// --memory on a local runner (issue 10 item 9) is refused, not ignored.
func TestLocalRunMemoryFlagExits2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	code, _, errs := run(t, "--workspace", ws, "run", "--runner", "local", "--memory", "64m", "--", "true")
	if code != 2 || !strings.Contains(errs, "--memory") || !strings.Contains(errs, "docker runners only") {
		t.Fatalf("exit %d, stderr %q; want exit 2 naming --memory", code, errs)
	}
	if code, out, _ := run(t, "--workspace", ws, "runs", "ls", "--json"); code != 0 || strings.Contains(out, `"id"`) {
		t.Errorf("the refused run was recorded: %s", out)
	}
}

// `lathe run` and `lathe runs logs -f` print the run's last stderr line
// before its final status line (issue 10 item 9). Following a run that has
// ended is where the status and the lines are read together every time.
func TestFollowPrintsStatusLineLast(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	check := func(what string, code int, out, errs string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code != 0 || out != "out\n" || len(lines) < 2 {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", what, code, out, errs)
		}
		if last := lines[len(lines)-1]; !strings.Contains(last, "completed") || lines[len(lines)-2] != "last-err" {
			t.Fatalf("%s: stderr ends %q; want the program's last line, then the status line", what, lines[len(lines)-2:])
		}
	}
	code, out, errs := run(t, "--workspace", ws, "run", "--", "sh", "-c", "echo out; echo last-err >&2")
	check("lathe run", code, out, errs)
	var runs []struct{ ID string }
	runJSON(t, &runs, "--workspace", ws, "runs", "ls", "--json")
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	code, out, errs = run(t, "--workspace", ws, "runs", "logs", "-f", runs[0].ID)
	check("runs logs -f", code, out, errs)
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input found in issues 10 and 11 exits 2 and names the key, file or
// flag.

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

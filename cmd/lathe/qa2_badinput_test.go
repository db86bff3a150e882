package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input found by QA: each exits 2 naming the flag (not an internal
// field name) or the file's line where the mistake is, says what is valid,
// and shows no Go error text or doubled names.
func TestQABadInputNamesFlagOrLine(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "cars.csv")
	rules := filepath.Join(dir, "rules.yaml")
	for name, body := range map[string]string{
		csv:   "x,y\n1,2\n3,4\n5,6\n7,8\n",
		rules: "rules:\n  - column: x\n   bad: [\n",
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missingKeys := filepath.Join(dir, "nonexistent")
	for _, tc := range []struct {
		args   []string
		want   []string
		reject []string
	}{
		{[]string{"data", "split", csv, "--ratios", "0.8,0.5", "--out", dir},
			[]string{"--ratios: ", "sum to 1.3", "must sum to 1", "0.8,0.1,0.1"}, []string{"lathe: ratios:"}},
		{[]string{"run", "--gpus", "x", "--", "true"},
			[]string{`--gpus: "x"`, "valid: all"}, []string{"lathe: gpus:"}},
		{[]string{"run", "--input", "x=nope.csv", "--", "true"},
			[]string{"--input x: nope.csv does not exist or cannot be read"}, []string{"input x: input x"}},
		{[]string{"store", "copy", "--to", "bogus://x"},
			[]string{"--to: bogus://x is not a postgres:// URL"}, []string{"store:"}},
		{[]string{"serve", "--authorized-keys", missingKeys},
			[]string{"--authorized-keys: " + missingKeys + " does not exist", "authorized_keys format"}, []string{"stat ", "no such file"}},
		{[]string{"data", "check", csv, "--rules", rules},
			[]string{rules + ":3: ", "invalid YAML"}, []string{":1: ", "line 1"}},
	} {
		t.Run(strings.Join(tc.args[:2], " "), func(t *testing.T) {
			code, out, errs := run(t, append([]string{"--workspace", ws}, tc.args...)...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and no stdout", code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(errs, r) {
					t.Errorf("stderr %q has %q", errs, r)
				}
			}
		})
	}
}

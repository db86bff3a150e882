package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/engine"
)

// run executes the command tree in process with isolated user config.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "LATHE_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	// Run from an empty directory so no lathe.yaml is found upward by accident.
	t.Chdir(t.TempDir())
}

func newWorkspace(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ws")
	if code, _, errs := run(t, "init", dir); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	return dir
}

func TestHelpListsEveryCommand(t *testing.T) {
	isolate(t)
	code, out, _ := run(t, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, name := range []string{"init", "demo", "data", "run", "runs", "tune", "lineage", "runners", "serve", "shell", "config", "version", "completion"} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && f[0] == name {
				found = true
			}
		}
		if !found {
			t.Errorf("lathe --help does not list %q:\n%s", name, out)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"data", "profil"}, `did you mean "profile"`},
		{[]string{"data", "profile"}, "takes one PATH"},
		{[]string{"runs", "show"}, "one run ID"},
		{[]string{"version", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"completion", "tcsh"}, "valid are bash, zsh, fish"},
		{[]string{"serve"}, "--authorized-keys"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, errs := run(t, append([]string{"--workspace", ws}, c.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errs)
			}
			if !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q does not contain %q", errs, c.want)
			}
		})
	}
}

func TestMisspelledKeyExits2WithSuggestion(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	bad := "name: demo\ndefault_runner: local\nrunerz:\n  - name: local\n    type: local\n"
	if err := os.WriteFile(filepath.Join(ws, "lathe.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"config", "show"}, {"version"}, {"runs", "ls"}} {
		code, _, errs := run(t, append([]string{"--workspace", ws}, args...)...)
		if code != 2 {
			t.Fatalf("%v: exit %d, want 2 (stderr %q)", args, code, errs)
		}
		for _, want := range []string{"lathe.yaml", ":3", `"runners"`} {
			if !strings.Contains(errs, want) {
				t.Errorf("%v: stderr %q does not contain %q", args, errs, want)
			}
		}
	}
}

func TestConfigShowJSONOrigins(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	t.Setenv("LATHE_DEFAULT_RUNNER", "docker")
	code, out, errs := run(t, "--workspace", ws, "config", "show", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Keys []struct {
			Key    string `json:"key"`
			Layer  string `json:"layer"`
			Source string `json:"source"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	layers := map[string]string{}
	for _, k := range got.Keys {
		layers[k.Key] = k.Layer
	}
	want := map[string]string{"name": "workspace", "default_runner": "env", "runners.local.type": "workspace"}
	for k, layer := range want {
		if layers[k] != layer {
			t.Errorf("key %s: layer %q, want %q (all: %v)", k, layers[k], layer, layers)
		}
	}
}

func TestInitCreatesWorkspaceAndIsIdempotent(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	for _, p := range []string{"lathe.yaml", ".lathe"} {
		if _, err := os.Stat(filepath.Join(ws, p)); err != nil {
			t.Errorf("init did not create %s: %v", p, err)
		}
	}
	if code, _, errs := run(t, "init", ws); code != 0 {
		t.Errorf("second init of the same workspace: exit %d: %s", code, errs)
	}
	code, out, errs := run(t, "--json", "init", filepath.Join(t.TempDir(), "other"), "--name", "other")
	if code != 0 {
		t.Fatalf("init --json: exit %d: %s", code, errs)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil || got["name"] != "other" || got["id"] == "" {
		t.Errorf("init --json printed %q (err %v)", out, err)
	}
}

func TestNoWorkspaceIsAClearError(t *testing.T) {
	isolate(t)
	code, _, errs := run(t, "--workspace", t.TempDir(), "config", "show")
	if code != 2 || !strings.Contains(errs, "lathe init") {
		t.Errorf("exit %d, stderr %q; want 2 and a hint to run lathe init", code, errs)
	}
}

func TestDemoNoOpenCreatesWorkspaceWithData(t *testing.T) {
	isolate(t)
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errs := run(t, "demo", "--no-open", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.TrimSpace(out) != dir {
		t.Errorf("printed %q, want %q", out, dir)
	}
	for _, f := range []string{"lathe.yaml", "data/penguins.json", "data/penguins.parquet", "data/seattle-weather.csv", "data/SOURCES.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo workspace lacks %s", f)
		}
	}
	// It opens with one finished study (the Tuner is never empty).
	code, out, errs = run(t, "--workspace", dir, "tune", "status", "penguins-quick", "--json")
	if code != 0 || !strings.Contains(out, `"status": "completed"`) {
		t.Errorf("demo study: exit %d, %s %s; want penguins-quick completed", code, out, errs)
	}
	// A refresh restores a damaged shipped file and keeps the user's own.
	if err := os.WriteFile(filepath.Join(dir, "data", "penguins.json"), []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "mine.csv"), []byte("a\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "demo", "--no-open", "--dir", dir); code != 0 {
		t.Fatalf("refresh: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "data", "penguins.json")); !bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		t.Errorf("refresh did not restore penguins.json")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "mine.csv")); err != nil {
		t.Errorf("refresh removed a user file")
	}
}

func TestCompletionScripts(t *testing.T) {
	isolate(t)
	for shell, want := range map[string]string{"bash": "__start_lathe", "zsh": "#compdef lathe", "fish": "complete -c lathe"} {
		code, out, errs := run(t, "completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, output lacks %q (stderr %q)", shell, code, want, errs)
		}
	}
}

func TestShellCompletionUsesCommandTree(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	base := []string{"--workspace", ws}
	cands, _ := cobraComplete(base, []string{"data"}, "pr")
	if len(cands) != 1 || cands[0][0] != "profile" {
		t.Errorf("completing `data pr`: %v, want [profile]", cands)
	}
	cands, _ = cobraComplete(base, []string{"data", "split", "x.csv"}, "--str")
	if len(cands) != 1 || cands[0][0] != "--stratify" {
		t.Errorf("completing `data split x.csv --str`: %v, want [--stratify]", cands)
	}
}

func TestSplitWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{`data profile "my file.csv"`, []string{"data", "profile", "my file.csv"}, false},
		{`tune tell s 3 --metrics '{"a": 1}'`, []string{"tune", "tell", "s", "3", "--metrics", `{"a": 1}`}, false},
		{`a\ b c`, []string{"a b", "c"}, false},
		{`x "unterminated`, nil, true},
		{`   `, nil, false},
	}
	for _, c := range cases {
		got, err := engine.SplitWords(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
	}
}

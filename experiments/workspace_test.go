package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

func TestInitOpenFind(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "churn")
	w, err := Init(dir, "churn-model")
	if err != nil {
		t.Fatal(err)
	}
	yml, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	if string(yml) != config.WorkspaceTemplate("churn-model") {
		t.Errorf("lathe.yaml = %q", yml)
	}
	for _, p := range []string{".lathe/store.db", ".lathe/objects", ".lathe/.gitignore", ".lathe/workspace-id"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	if len(w.ID) != 16 || !isHex(w.ID) || w.Root != dir || w.StateDir != filepath.Join(dir, ".lathe") {
		t.Errorf("workspace = %+v", w)
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".lathe/.gitignore"))
	if !strings.Contains(string(gi), "\n*\n") {
		t.Errorf(".gitignore = %q, want it to ignore everything", gi)
	}
	id := w.ID
	w.Close()

	// Re-init of the same workspace keeps the id and the file.
	w, err = Init(dir, "churn-model")
	if err != nil || w.ID != id {
		t.Fatalf("re-init: id %v err %v (was %s)", w, err, id)
	}
	w.Close()
	// Re-init under another name is fine too once .lathe/ exists: it is this workspace.
	if w, err = Init(dir, ""); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// A foreign lathe.yaml without state, for another name, is refused.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, ConfigFile), []byte("name: team-thing\n"), 0o644)
	_, err = Init(other, "mine")
	var ie *config.InputError
	if !errors.As(err, &ie) || ie.File != filepath.Join(other, ConfigFile) || !strings.Contains(ie.Msg, `"team-thing"`) {
		t.Errorf("init over a foreign lathe.yaml: %v", err)
	}
	// The same file with the matching name (a fresh clone): state is created.
	w, err = Init(other, "team-thing")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	// Find walks up from a subdirectory.
	sub := filepath.Join(dir, "src", "models")
	os.MkdirAll(sub, 0o755)
	if root, err := Find(sub); err != nil || root != dir {
		t.Errorf("Find(sub) = %q, %v; want %s", root, err, dir)
	}
	lonely := t.TempDir()
	if _, err := Find(lonely); !errors.Is(err, ErrNoWorkspace) {
		t.Errorf("Find outside a workspace: %v", err)
	}
	if _, err := Open(lonely); !errors.Is(err, ErrNoWorkspace) {
		t.Errorf("Open outside a workspace: %v", err)
	}

	// Open recreates deleted state (a fresh clone) with a new id.
	os.RemoveAll(filepath.Join(dir, ".lathe"))
	w, err = Open(dir)
	if err != nil || w.ID == id {
		t.Fatalf("open after removing .lathe: %v (id %v)", err, w)
	}
	defer w.Close()
	if got := w.Rel(filepath.Join(dir, "data", "x.csv")); got != "data/x.csv" {
		t.Errorf("Rel inside = %q", got)
	}
	if got := w.Rel("/elsewhere/y.csv"); got != "/elsewhere/y.csv" {
		t.Errorf("Rel outside = %q", got)
	}
	if got := w.RunDir("r123"); got != filepath.Join(dir, ".lathe", "runs", "r123") {
		t.Errorf("RunDir = %q", got)
	}
	if got := w.Abs("data/x.csv"); got != filepath.Join(dir, "data", "x.csv") {
		t.Errorf("Abs = %q", got)
	}
	if v, err := w.Store.SchemaVersion(context.Background()); err != nil || v != SchemaLatest {
		t.Errorf("store version %d %v", v, err)
	}
}

func TestRedactEnv(t *testing.T) {
	in := map[string]string{
		"AWS_SECRET_ACCESS_KEY": "x", "HF_TOKEN": "x", "DB_PASSWORD": "x", "my-api.key": "x", "GITHUB_AUTH": "x",
		"KEYBOARD_LAYOUT": "us", "PWD": "/w", "MONKEY": "x", "EMPTY_TOKEN": "",
		"MLFLOW_URI": "https://alice:hunter2@mlflow:5000/x", "PLAIN_URL": "https://mlflow:5000",
	}
	want := map[string]string{
		"AWS_SECRET_ACCESS_KEY": Redacted, "HF_TOKEN": Redacted, "DB_PASSWORD": Redacted, "my-api.key": Redacted, "GITHUB_AUTH": Redacted,
		"KEYBOARD_LAYOUT": "us", "PWD": "/w", "MONKEY": "x", "EMPTY_TOKEN": "",
		"MLFLOW_URI": "https://alice:REDACTED@mlflow:5000/x", "PLAIN_URL": "https://mlflow:5000",
	}
	got := RedactEnv(in)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if in["HF_TOKEN"] != "x" {
		t.Error("RedactEnv modified its input")
	}
}

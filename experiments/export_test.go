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

func TestCleanArtifactPath(t *testing.T) {
	ok := map[string]string{"model.json": "model.json", "./ckpt//e1.bin": "ckpt/e1.bin", "a/../b": "b", ".": ".", `ckpt\e1.bin`: "ckpt/e1.bin"}
	for in, want := range ok {
		if got, err := CleanArtifactPath(in); err != nil || got != want {
			t.Errorf("CleanArtifactPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "..", "../x", "a/../../x", "/etc/passwd", `C:\x`, "a\x00b", `..\x`} {
		_, err := CleanArtifactPath(in)
		var ie *config.InputError
		if !errors.As(err, &ie) {
			t.Errorf("CleanArtifactPath(%q) = %v, want an InputError", in, err)
		}
	}
}

func TestSelectAndExportArtifacts(t *testing.T) {
	ctx := context.Background()
	w, err := Init(filepath.Join(t.TempDir(), "ws"), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	run := Run{}
	if err := w.Store.CreateRun(ctx, &run); err != nil {
		t.Fatal(err)
	}
	put := func(p, content string) Artifact {
		sha, size, err := w.Objects.Put(strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.Store.AddArtifact(ctx, Artifact{RunID: run.ID, Path: p, SHA256: sha, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	model := put("model.json", `{"w":[1,2]}`)
	put("ckpt/e1.bin", "one")
	put("ckpt/e2.bin", "two")

	if as, dir, err := w.Store.SelectArtifacts(ctx, run.ID, "./model.json"); err != nil || dir || len(as) != 1 || as[0].ID != model.ID {
		t.Errorf("exact: %v %v %v", as, dir, err)
	}
	if as, dir, err := w.Store.SelectArtifacts(ctx, run.ID, "ckpt"); err != nil || !dir || len(as) != 2 {
		t.Errorf("dir: %v %v %v", as, dir, err)
	}
	if as, _, err := w.Store.SelectArtifacts(ctx, run.ID, "."); err != nil || len(as) != 3 {
		t.Errorf("all: %v %v", as, err)
	}
	if _, _, err := w.Store.SelectArtifacts(ctx, run.ID, "ck"); !config.IsInput(err) || !errors.Is(err, ErrNotFound) {
		t.Errorf("a name prefix is not a directory: %v", err)
	}

	out := t.TempDir()
	root, err := os.OpenRoot(out)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := w.Objects.Export(model, root, "sub/m.json"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "sub", "m.json")); string(b) != `{"w":[1,2]}` {
		t.Errorf("exported %q", b)
	}

	// Nothing escapes the root: not by "..", not through a symlinked directory.
	outside := t.TempDir()
	if err := w.Objects.Export(model, root, "../escape.json"); err == nil {
		t.Error("exported through ..")
	}
	if err := os.Symlink(outside, filepath.Join(out, "link")); err != nil {
		t.Fatal(err)
	}
	if err := w.Objects.Export(model, root, "link/escape.json"); err == nil {
		t.Error("exported through a symlink to a directory outside")
	}
	if _, err := os.Stat(filepath.Join(outside, "escape.json")); err == nil {
		t.Error("a file appeared outside the output directory")
	}
	// A symlink at the destination name is replaced, not written through.
	victim := filepath.Join(outside, "victim.txt")
	os.WriteFile(victim, []byte("keep"), 0o644)
	if err := os.Symlink(victim, filepath.Join(out, "model.json")); err != nil {
		t.Fatal(err)
	}
	if err := w.Objects.Export(model, root, "model.json"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("wrote through the symlink: victim now %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(out, "model.json")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("destination is not a regular file: %v %v", fi, err)
	}

	// A damaged object fails the export and leaves nothing behind.
	p := w.Objects.Path(model.SHA256)
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("tampered"), 0o644)
	if err := w.Objects.Export(model, root, "again.json"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt object: %v", err)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name() == "again.json" || strings.HasPrefix(e.Name(), ".lathe-export-") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}

package experiments

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// The stored patch, applied to a clean checkout of the recorded commit,
// reproduces the dirty work tree (small untracked files included, large ones
// left out); git itself is the independent judge.
func TestCodeVersion(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	ctx := context.Background()
	repo := t.TempDir()
	gitT(t, repo, "init", "-q")
	os.WriteFile(filepath.Join(repo, "train.py"), []byte("lr = 0.1\n"), 0o644)
	os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("*.ckpt\n"), 0o644)
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-q", "-m", "first")

	w, err := Init(filepath.Join(repo, "exp"), "exp")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// lathe.yaml is new and untracked, so the tree is dirty; commit it to get clean.
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-q", "-m", "workspace")
	head := gitT(t, repo, "rev-parse", "HEAD")
	cv, err := w.CodeVersion(ctx)
	if err != nil || cv.Commit != head || cv.Dirty || cv.DiffSHA != "" {
		t.Fatalf("clean tree: %+v %v; want commit %s, clean (.lathe/ must not count)", cv, err, head)
	}

	os.WriteFile(filepath.Join(repo, "train.py"), []byte("lr = 0.01\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "model.py"), []byte("hidden = 64\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "big.bin"), bytes.Repeat([]byte{7}, maxUntrackedFile+1), 0o644)
	os.WriteFile(filepath.Join(repo, "w.ckpt"), []byte("ignored"), 0o644)
	cv, err = w.CodeVersion(ctx)
	if err != nil || cv.Commit != head || !cv.Dirty || !w.Objects.Has(cv.DiffSHA) {
		t.Fatalf("dirty tree: %+v %v", cv, err)
	}
	f, _ := w.Objects.Open(cv.DiffSHA)
	patch, _ := io.ReadAll(f)
	f.Close()
	if strings.Contains(string(patch), "big.bin") || strings.Contains(string(patch), "w.ckpt") {
		t.Errorf("patch includes a large or ignored file:\n%s", patch)
	}

	clone := t.TempDir()
	gitT(t, clone, "clone", "-q", repo, ".")
	gitT(t, clone, "checkout", "-q", cv.Commit)
	pf := filepath.Join(t.TempDir(), "p.diff")
	os.WriteFile(pf, patch, 0o644)
	gitT(t, clone, "apply", pf)
	for name, want := range map[string]string{"train.py": "lr = 0.01\n", "model.py": "hidden = 64\n"} {
		got, _ := os.ReadFile(filepath.Join(clone, name))
		if string(got) != want {
			t.Errorf("%s after applying the patch = %q, want %q", name, got, want)
		}
	}

	// Outside any repository: zero, no error.
	plain, err := Init(t.TempDir(), "plain")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if cv, err := plain.CodeVersion(ctx); err != nil || cv != (CodeVersion{}) {
		t.Errorf("outside git: %+v %v", cv, err)
	}
}

func TestGC(t *testing.T) {
	ctx := context.Background()
	w, err := Init(t.TempDir(), "gc")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	kept, _, _ := w.Objects.Put(strings.NewReader("artifact"))
	orphan, _, _ := w.Objects.Put(strings.NewReader("orphan!"))
	fresh, _, _ := w.Objects.Put(strings.NewReader("just written"))
	r := Run{}
	w.Store.CreateRun(ctx, &r)
	w.Store.AddArtifact(ctx, Artifact{RunID: r.ID, Path: "a", SHA256: kept, Size: 8})
	old := time.Now().Add(-2 * time.Hour)
	for _, sha := range []string{kept, orphan} {
		os.Chtimes(w.Objects.Path(sha), old, old)
	}
	removed, n, err := w.GC(ctx, true, time.Hour)
	if err != nil || len(removed) != 1 || removed[0] != orphan || n != 7 || !w.Objects.Has(orphan) {
		t.Fatalf("dry run: %v %d %v", removed, n, err)
	}
	// Put of existing content freshens it, protecting it for the grace period.
	w.Objects.Put(strings.NewReader("orphan!"))
	if removed, _, _ := w.GC(ctx, false, time.Hour); len(removed) != 0 {
		t.Errorf("freshened object collected: %v", removed)
	}
	os.Chtimes(w.Objects.Path(orphan), old, old)
	removed, _, err = w.GC(ctx, false, time.Hour)
	if err != nil || len(removed) != 1 || w.Objects.Has(orphan) || !w.Objects.Has(kept) || !w.Objects.Has(fresh) {
		t.Errorf("gc removed %v (%v); orphan gone %v, kept there %v, fresh there %v", removed, err, !w.Objects.Has(orphan), w.Objects.Has(kept), w.Objects.Has(fresh))
	}
}

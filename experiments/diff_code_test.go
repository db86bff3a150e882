package experiments

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCodeDiff(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	ctx := context.Background()
	repo := t.TempDir()
	gitT(t, repo, "init", "-q")
	os.WriteFile(filepath.Join(repo, "train.py"), []byte("lr = 0.1\nepochs = 10\n"), 0o644)
	w, err := Init(filepath.Join(repo, "exp"), "exp")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	gitT(t, repo, "add", ".")
	gitT(t, repo, "commit", "-q", "-m", "first")
	first, err := w.CodeVersion(ctx)
	if err != nil || first.Dirty {
		t.Fatalf("first: %+v %v", first, err)
	}
	os.WriteFile(filepath.Join(repo, "train.py"), []byte("lr = 0.3\nepochs = 10\nseed = 7\n"), 0o644)
	gitT(t, repo, "commit", "-q", "-am", "second")
	second, _ := w.CodeVersion(ctx)
	os.WriteFile(filepath.Join(repo, "model.py"), []byte("hidden = 64\n"), 0o644)
	dirty, _ := w.CodeVersion(ctx)
	if !dirty.Dirty || dirty.DiffSHA == "" || dirty.Commit != second.Commit {
		t.Fatalf("dirty: %+v", dirty)
	}

	d, err := w.CodeDiff(ctx, first, second, 0)
	if err != nil {
		t.Fatal(err)
	}
	// git diff --numstat counts: one line replaced, one added.
	if want := []FileChange{{Path: "train.py", Added: 2, Deleted: 1}}; !reflect.DeepEqual(d.Files, want) {
		t.Errorf("files %+v, want %+v", d.Files, want)
	}
	if !strings.Contains(d.Patch, "-lr = 0.1\n+lr = 0.3\n") || d.DirtyA != nil || d.DirtyB != nil || d.CommitsNote != "" {
		t.Errorf("commit diff %+v", d)
	}

	d, err = w.CodeDiff(ctx, second, dirty, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Files != nil || d.DirtyA != nil || d.DirtyB == nil || !reflect.DeepEqual(d.DirtyB.Files, []string{"model.py"}) ||
		!strings.Contains(d.DirtyB.Patch, "+hidden = 64") {
		t.Errorf("dirty diff %+v (dirty_b %+v)", d, d.DirtyB)
	}

	// A limit cuts the patch at a line end and says so.
	d, _ = w.CodeDiff(ctx, first, second, 60)
	if !d.Truncated || len(d.Patch) > 60 || !strings.HasSuffix(d.Patch, "\n") {
		t.Errorf("truncated patch %q (truncated=%v)", d.Patch, d.Truncated)
	}

	// A commit this repository never had is reported, not an error.
	gone := CodeVersion{Commit: strings.Repeat("1", 40)}
	if d, err = w.CodeDiff(ctx, gone, second, 0); err != nil || !strings.Contains(d.CommitsNote, "not in the repository") {
		t.Errorf("unknown commit: %+v %v", d, err)
	}
	if d, err = w.CodeDiff(ctx, CodeVersion{Commit: "--output=/tmp/x"}, second, 0); err != nil || !strings.Contains(d.CommitsNote, "not a commit hash") {
		t.Errorf("option-like commit: %+v %v", d, err)
	}
}

func TestPatchFiles(t *testing.T) {
	p := "diff --git a/a.py b/a.py\nindex 1..2\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\ndiff --git a/dir/my file.txt b/dir/my file.txt\nnew file mode 100644\n"
	if got := PatchFiles([]byte(p)); !reflect.DeepEqual(got, []string{"a.py", "dir/my file.txt"}) {
		t.Errorf("PatchFiles = %q", got)
	}
}

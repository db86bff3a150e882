package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// ContentSHA against sums computed outside Go: a file is its sha256; a
// directory is the sha256 of "relpath\0filesha\n" lines in path order,
// computed with Python's hashlib:
//
//	a, b = sha256(b'abc').hexdigest(), sha256(b'hello\n').hexdigest()
//	sha256(f'a.txt\0{a}\nsub/b.txt\0{b}\n'.encode()).hexdigest()
//
// and Launch records the very same version for a directory input, so
// PlanRerun finds it unchanged until a file inside changes.
func TestContentSHAKnownValuesAndLaunchAgree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "in")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("abc"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b.txt"), []byte("hello\n"), 0o644)
	os.Symlink("a.txt", filepath.Join(dir, "link")) // not a regular file: skipped

	sum, size, err := ContentSHA(filepath.Join(dir, "a.txt"))
	if err != nil || sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || size != 3 {
		t.Errorf("file: %s %d %v", sum, size, err)
	}
	const dirSum = "ac36d3984f6f8116f61b53d9b51bafcdd5afbbe448f9ba3b7a0bfa3cca373aa7"
	sum, size, err = ContentSHA(dir)
	if err != nil || sum != dirSum || size != 9 {
		t.Errorf("dir: %s %d %v", sum, size, err)
	}
	if _, _, err := ContentSHA(filepath.Join(dir, "nope")); !os.IsNotExist(err) {
		t.Errorf("missing path: %v", err)
	}

	e := newEngine(t)
	ctx := context.Background()
	r, err := e.Launch(ctx, LaunchRequest{Runner: "local", Command: sh("true"), Inputs: map[string]string{"in": dir}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	ins, err := e.ws.Store.RunInputs(ctx, r.ID)
	if err != nil || len(ins) != 1 || ins[0].Dataset.SHA256 != dirSum || ins[0].Dataset.Size != 9 || ins[0].Dataset.Format != "dir" {
		t.Fatalf("recorded input %+v %v", ins, err)
	}
	plan, err := e.PlanRerun(ctx, r.ID)
	if err != nil || plan.Inputs[0].Changed || plan.Inputs[0].Current != dirSum {
		t.Fatalf("plan %+v %v", plan, err)
	}
	os.WriteFile(filepath.Join(dir, "sub", "b.txt"), []byte("hello!\n"), 0o644)
	plan, err = e.PlanRerun(ctx, r.ID)
	if err != nil || !plan.Inputs[0].Changed {
		t.Fatalf("plan after a change inside the directory %+v %v", plan, err)
	}
}

package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
)

// The content-hash cache end to end on real files and a real store. The
// fixtures are written first and the test then waits out
// experiments.RacyWindow once, so that the entries Launch records are ones the
// cache trusts: otherwise every lookup would be a racy miss and the tests
// below would pass without the cache's stat comparison doing anything.
func TestContentSHACached(t *testing.T) {
	const (
		shaABC   = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // sha256("abc")
		shaABD   = "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9" // sha256("abd")
		shaHello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" // sha256("hello\n")
		// hashlib, as in TestContentSHAKnownValuesAndLaunchAgree: the
		// directory {a.txt: "abc", sub/b.txt: "hello\n"}.
		dirSum = "ac36d3984f6f8116f61b53d9b51bafcdd5afbbe448f9ba3b7a0bfa3cca373aa7"
	)
	e := newEngine(t)
	ctx := context.Background()
	store := e.ws.Store
	tmp := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	probe := filepath.Join(tmp, "probe.txt")
	rewritten := filepath.Join(tmp, "rewritten.txt")
	dir := filepath.Join(tmp, "dir")
	write(probe, "abc")
	write(rewritten, "abc")
	write(filepath.Join(dir, "a.txt"), "abc")
	write(filepath.Join(dir, "sub", "b.txt"), "hello\n")
	write(filepath.Join(dir, "gone.txt"), "bye")
	time.Sleep(experiments.RacyWindow + 100*time.Millisecond)

	stampOf := func(p string) experiments.FileStamp {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := experiments.StampOf(fi)
		if !ok {
			t.Skip("no inode or ctime on this platform: the cache is off")
		}
		return st
	}
	entry := func(p string) (experiments.ContentHash, bool) {
		t.Helper()
		c, err := store.ContentHashes(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := c[p]
		return h, ok
	}

	t.Run("a hit is not read again", func(t *testing.T) {
		sum, size, err := ContentSHACached(ctx, store, probe)
		if err != nil || sum != shaABC || size != 3 {
			t.Fatalf("first: %s %d %v", sum, size, err)
		}
		h, ok := entry(probe)
		if !ok || h.SHA256 != shaABC || h.Stamp != stampOf(probe) || !h.Fresh(stampOf(probe)) {
			t.Fatalf("entry %+v (found %v), stamp now %+v", h, ok, stampOf(probe))
		}
		// Swap the cached sum for one no file has: the next call can only
		// return it by answering from the cache without reading.
		bogus := strings.Repeat("0", 63) + "1"
		h.SHA256 = bogus
		if err := store.UpdateContentHashes(ctx, []experiments.ContentHash{h}, nil); err != nil {
			t.Fatal(err)
		}
		if sum, size, err := ContentSHACached(ctx, store, probe); err != nil || sum != bogus || size != 3 {
			t.Fatalf("second: %s %d %v; want the cached %s", sum, size, err, bogus)
		}
		// Relative paths are made absolute before the lookup.
		wd, _ := os.Getwd()
		if rel, err := filepath.Rel(wd, probe); err == nil {
			if sum, _, err := ContentSHACached(ctx, store, rel); err != nil || sum != bogus {
				t.Fatalf("relative %s: %s %v", rel, sum, err)
			}
		}
		// ContentSHA itself never consults the cache.
		if sum, _, err := ContentSHA(probe); err != nil || sum != shaABC {
			t.Fatalf("ContentSHA: %s %v", sum, err)
		}
	})

	// The case: the same size, the mtime put back with os.Chtimes.
	// Only the ctime (and the content) differ, and the rerun check must see
	// the change.
	t.Run("a same-size rewrite with its mtime restored is detected", func(t *testing.T) {
		r, err := e.Launch(ctx, LaunchRequest{Runner: "local", Command: sh("true"), Inputs: map[string]string{"in": rewritten}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		before := stampOf(rewritten)
		h, ok := entry(rewritten)
		if !ok || h.SHA256 != shaABC || !h.Fresh(before) {
			t.Fatalf("Launch left no fresh entry: %+v %v (stamp %+v)", h, ok, before)
		}
		fi, _ := os.Stat(rewritten)
		mtime := fi.ModTime()
		// The kernel stamps ctime from a clock that ticks once per jiffy
		// (<= 10 ms); wait for a tick so the rewrite's ctime can differ.
		time.Sleep(20 * time.Millisecond)
		f, err := os.OpenFile(rewritten, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("d"), 2); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chtimes(rewritten, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		after := stampOf(rewritten)
		if after.Size != before.Size || after.Mtime != before.Mtime || after.Inode != before.Inode || after.Ctime == before.Ctime {
			t.Fatalf("the rewrite should change only the ctime: before %+v, after %+v", before, after)
		}
		plan, err := e.PlanRerun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if in := plan.Inputs[0]; !in.Changed || in.Recorded != shaABC || in.Current != shaABD {
			t.Fatalf("rerun check %+v; want changed %s -> %s", in, shaABC, shaABD)
		}
		if err := plan.Refusal(RerunOptions{}); err == nil {
			t.Fatal("rerun on a changed input was not refused")
		}
		if h, ok := entry(rewritten); !ok || h.SHA256 != shaABD || h.Stamp != after {
			t.Fatalf("entry after the re-hash %+v %v", h, ok)
		}
	})

	t.Run("directory: per-file entries, same sum, gone files dropped", func(t *testing.T) {
		if sum, size, err := ContentSHACached(ctx, store, dir); err != nil || size != 12 {
			t.Fatalf("with gone.txt: %s %d %v", sum, size, err)
		}
		c, err := store.ContentHashes(ctx, dir)
		if err != nil || len(c) != 3 || c[filepath.Join(dir, "sub", "b.txt")].SHA256 != shaHello {
			t.Fatalf("entries %+v %v", c, err)
		}
		if err := os.Remove(filepath.Join(dir, "gone.txt")); err != nil {
			t.Fatal(err)
		}
		// A directory given through a symlink is walked at its target,
		// as ContentSHA does.
		link := filepath.Join(tmp, "link")
		if err := os.Symlink(dir, link); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{dir, link} {
			sum, size, err := ContentSHACached(ctx, store, p)
			if err != nil || sum != dirSum || size != 9 {
				t.Fatalf("%s: %s %d %v; want %s", p, sum, size, err, dirSum)
			}
			if sum, _, err := ContentSHA(p); err != nil || sum != dirSum {
				t.Fatalf("ContentSHA(%s) = %s %v", p, sum, err)
			}
		}
		c, err = store.ContentHashes(ctx, dir)
		if err != nil || len(c) != 2 || c[filepath.Join(dir, "a.txt")].SHA256 != shaABC {
			t.Fatalf("entries after gone.txt was removed %+v %v", c, err)
		}
		if !c[filepath.Join(dir, "a.txt")].Fresh(stampOf(filepath.Join(dir, "a.txt"))) {
			t.Fatal("entry for an unchanged old file is not fresh")
		}
		// A file inside changes: only it is read again, and the sum moves.
		write(filepath.Join(dir, "sub", "b.txt"), "hello!\n")
		if sum, _, err := ContentSHACached(ctx, store, dir); err != nil || sum == dirSum {
			t.Fatalf("after a change inside: %s %v", sum, err)
		}
	})

	t.Run("a cancelled hash stops", func(t *testing.T) {
		big := filepath.Join(tmp, "big.bin")
		if err := os.WriteFile(big, make([]byte, 4<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := ContentSHACached(cctx, store, big); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if _, _, err := ContentSHACached(ctx, store, filepath.Join(tmp, "nope")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("missing: %v", err)
		}
	})
}

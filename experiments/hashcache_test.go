package experiments

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StampOf against GNU stat(1), which reads the same inode through its own
// code: size, mtime and ctime in nanoseconds, and the inode number.
func TestStampOfAgreesWithStat(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the ctime field is read per platform; checked against GNU stat on Linux")
	}
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("stat", "-c", "%s %.9Y %.9Z %i", path).Output()
	if err != nil {
		t.Skipf("GNU stat not available: %v", err)
	}
	f := strings.Fields(string(out))
	ns := func(s string) int64 { // "1795646163.027348922" -> ns, exactly
		sec, frac, _ := strings.Cut(s, ".")
		a, _ := strconv.ParseInt(sec, 10, 64)
		b, _ := strconv.ParseInt(frac, 10, 64)
		return a*1e9 + b
	}
	size, _ := strconv.ParseInt(f[0], 10, 64)
	ino, _ := strconv.ParseUint(f[3], 10, 64)
	want := FileStamp{Size: size, Mtime: ns(f[1]), Ctime: ns(f[2]), Inode: ino}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := StampOf(fi)
	if !ok || got != want || got.Size != 8 || got.Inode == 0 {
		t.Fatalf("StampOf = %+v, %v; stat(1) says %+v", got, ok, want)
	}
}

// An entry answers only while every field of the stamp matches and the file
// had not changed within RacyWindow before it was hashed.
func TestContentHashFreshness(t *testing.T) { forEachBackend(t, testContentHashFreshness) }

func testContentHashFreshness(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	const sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	ctime := time.Date(2026, 11, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	// The top bit set: the inode is a uint64 stored in an int64 column.
	st := FileStamp{Size: 3, Mtime: ctime - 5e9, Ctime: ctime, Inode: 1<<63 | 42}
	cases := []struct {
		name     string
		hashedAt time.Time
		now      func(FileStamp) FileStamp
		hit      bool
	}{
		{"unchanged", time.Unix(0, ctime).Add(RacyWindow + time.Nanosecond), func(s FileStamp) FileStamp { return s }, true},
		{"long unchanged", time.Unix(0, ctime).Add(time.Hour), func(s FileStamp) FileStamp { return s }, true},
		{"size", time.Unix(0, ctime).Add(time.Hour), func(s FileStamp) FileStamp { s.Size++; return s }, false},
		{"mtime", time.Unix(0, ctime).Add(time.Hour), func(s FileStamp) FileStamp { s.Mtime++; return s }, false},
		{"ctime", time.Unix(0, ctime).Add(time.Hour), func(s FileStamp) FileStamp { s.Ctime++; return s }, false},
		{"inode", time.Unix(0, ctime).Add(time.Hour), func(s FileStamp) FileStamp { s.Inode ^= 1; return s }, false},
		// Hashed within the window after the last change: a write right
		// after the hash may have kept the ctime, so it is not trusted.
		{"racy", time.Unix(0, ctime).Add(RacyWindow), func(s FileStamp) FileStamp { return s }, false},
		{"racy, ctime ahead of our clock", time.Unix(0, ctime).Add(-time.Second), func(s FileStamp) FileStamp { return s }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/data/" + strings.ReplaceAll(c.name, " ", "_") + ".csv"
			if err := s.UpdateContentHashes(ctx, []ContentHash{{Path: path, Stamp: st, SHA256: sha, HashedAt: c.hashedAt}}, nil); err != nil {
				t.Fatal(err)
			}
			cache, err := s.ContentHashes(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if h := cache[path]; h.Stamp != st || h.SHA256 != sha || !h.HashedAt.Equal(c.hashedAt) {
				t.Fatalf("round trip: %+v", h)
			}
			got, ok := cache.Lookup(path, c.now(st))
			if ok != c.hit || (ok && got != sha) || (!ok && got != "") {
				t.Fatalf("Lookup = %q, %v; want hit=%v", got, ok, c.hit)
			}
		})
	}
}

// ContentHashes(root) returns root and what lies below it, not its
// neighbours that share a prefix; UpdateContentHashes replaces and drops; the
// entries outlive the process's handle.
func TestContentHashesRangePutDrop(t *testing.T) { forEachBackend(t, testContentHashesRangePutDrop) }

func testContentHashesRangePutDrop(t *testing.T, be testBackend) {
	ctx := context.Background()
	s, err := OpenStoreWith(ctx, be.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	sha := func(c byte) string { return strings.Repeat(string(c), 64) }
	at := time.Unix(1_800_000_000, 0)
	var put []ContentHash
	all := []string{"/c", "/d", "/d/a", "/d/sub/b", "/d0/x", "/d.x", "/d-1/y", "/dd/y", "/e"}
	for i, p := range all {
		put = append(put, ContentHash{Path: p, Stamp: FileStamp{Size: int64(i), Inode: uint64(i + 1)}, SHA256: sha('a'), HashedAt: at})
	}
	if err := s.UpdateContentHashes(ctx, put, nil); err != nil {
		t.Fatal(err)
	}
	keys := func(root string) []string {
		t.Helper()
		c, err := s.ContentHashes(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range c {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := keys("/d"), []string{"/d", "/d/a", "/d/sub/b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("under /d: %v, want %v", got, want)
	}
	if got, want := keys("/d/"), []string{"/d", "/d/a", "/d/sub/b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("under /d/ (cleaned): %v, want %v", got, want)
	}
	if got, want := keys("/d/sub/b"), []string{"/d/sub/b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a file: %v, want %v", got, want)
	}
	if got := keys("/"); len(got) != len(all) {
		t.Errorf("under /: %v, want all %d", got, len(all))
	}
	if got := keys("/nothing"); len(got) != 0 {
		t.Errorf("under /nothing: %v", got)
	}

	repl := ContentHash{Path: "/d/a", Stamp: FileStamp{Size: 99, Mtime: 1, Ctime: 2, Inode: 3}, SHA256: sha('b'), HashedAt: at.Add(time.Hour)}
	if err := s.UpdateContentHashes(ctx, []ContentHash{repl}, []string{"/d/sub/b", "/never/there"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = OpenStoreWith(ctx, be.opts); err != nil {
		t.Fatal(err)
	}
	// Another workspace sharing the store has its own cache: its files are
	// on another host.
	o := be.opts
	o.Identity.Workspace = "fedcba9876543210"
	if other := be.openWith(t, o); true {
		if c, err := other.ContentHashes(ctx, "/d"); err != nil || len(c) != 0 {
			t.Errorf("another workspace sees %v (%v)", c, err)
		}
	}
	c, err := s.ContentHashes(ctx, "/d")
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 2 || c["/d/a"].Stamp != repl.Stamp || c["/d/a"].SHA256 != sha('b') || !c["/d/a"].HashedAt.Equal(repl.HashedAt) || c["/d"].SHA256 != sha('a') {
		t.Errorf("after replace and drop, reopened: %+v", c)
	}

	for _, bad := range []ContentHash{
		{Path: "rel/path", SHA256: sha('a')},
		{Path: "/d/../e", SHA256: sha('a')},
		{Path: "/d/a", SHA256: "abc"},
	} {
		if err := s.UpdateContentHashes(ctx, []ContentHash{bad}, nil); err == nil {
			t.Errorf("put %+v: no error", bad)
		}
	}
	if _, err := s.ContentHashes(ctx, "rel"); err == nil {
		t.Error("ContentHashes of a relative path: no error")
	}
}

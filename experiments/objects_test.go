package experiments

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// Digests computed independently with coreutils: printf 'hello\n' | sha256sum.
const (
	helloSHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
	emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func TestObjectsPutOpenDedupe(t *testing.T) {
	o, err := NewObjects(filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	sha, size, err := o.Put(strings.NewReader("hello\n"))
	if err != nil || sha != helloSHA || size != 6 {
		t.Fatalf("Put = %s %d %v; want %s 6", sha, size, err, helloSHA)
	}
	if want := filepath.Join(o.Dir(), "58", helloSHA[2:]); o.Path(sha) != want {
		t.Errorf("Path = %s, want %s", o.Path(sha), want)
	}
	sha2, _, err := o.Put(strings.NewReader("hello\n"))
	if err != nil || sha2 != sha {
		t.Fatal(sha2, err)
	}
	file := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(file, nil, 0o644)
	if esha, esize, err := o.PutFile(file); err != nil || esha != emptySHA || esize != 0 {
		t.Errorf("PutFile(empty) = %s %d %v", esha, esize, err)
	}
	list, err := o.List()
	if want := []string{helloSHA, emptySHA}; err != nil || !reflect.DeepEqual(list, want) {
		t.Errorf("List = %v %v; want one object per content %v", list, err, want)
	}
	// No temp files left behind by the deduplicated write.
	entries, _ := os.ReadDir(o.Dir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("stray temp file %s", e.Name())
		}
	}
	f, err := o.Open(sha)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello\n" {
		t.Errorf("content = %q", b)
	}
	if ok, err := o.Verify(sha); !ok || err != nil {
		t.Errorf("Verify = %v %v", ok, err)
	}
	if fi, _ := os.Stat(o.Path(sha)); fi.Mode().Perm()&0o222 != 0 {
		t.Errorf("object is writable: %v", fi.Mode())
	}

	if got, err := o.Resolve("5891"); err != nil || got != helloSHA {
		t.Errorf("Resolve = %s %v", got, err)
	}
	if _, err := o.Resolve("58"); !config.IsInput(err) {
		t.Errorf("short prefix: %v", err)
	}
	if _, err := o.Resolve("ffff"); !config.IsInput(err) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent prefix: %v", err)
	}
	// Make an ambiguous prefix: plant a second name starting "5891".
	twin := helloSHA[:4] + strings.Repeat("9", 60)
	os.WriteFile(o.Path(twin), nil, 0o444)
	if _, err := o.Resolve("5891"); !config.IsInput(err) || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if ok, _ := o.Verify(twin); ok {
		t.Error("Verify accepted content that does not match its name")
	}

	if err := o.Remove(sha); err != nil || o.Has(sha) {
		t.Errorf("Remove: %v, still there: %v", err, o.Has(sha))
	}
	if err := o.Remove(sha); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if _, err := o.Open(sha); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove: %v", err)
	}
	if o.Has("../../etc/passwd") || o.Has("") {
		t.Error("Has accepted a non-digest")
	}
}

// While a Put is still receiving bytes, nothing under its final name exists
// and List shows no object; a reader that fails midway leaves no trace.
func TestObjectsPutAtomic(t *testing.T) {
	o, _ := NewObjects(filepath.Join(t.TempDir(), "objects"))
	pr, pw := io.Pipe()
	type result struct {
		sha string
		err error
	}
	done := make(chan result)
	go func() {
		sha, _, err := o.Put(pr)
		done <- result{sha, err}
	}()
	pw.Write([]byte("hel"))
	// The first half has been consumed by Put (Write returns once read).
	if list, _ := o.List(); len(list) != 0 {
		t.Errorf("partial object visible: %v", list)
	}
	if o.Has(helloSHA) {
		t.Error("final name exists before the write finished")
	}
	pw.Write([]byte("lo\n"))
	pw.Close()
	r := <-done
	if r.err != nil || r.sha != helloSHA || !o.Has(helloSHA) {
		t.Fatalf("Put = %+v", r)
	}

	boom := errors.New("disk on fire")
	_, _, err := o.Put(io.MultiReader(bytes.NewReader([]byte("partial")), errReader{boom}))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the reader's error", err)
	}
	entries, _ := os.ReadDir(o.Dir())
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"58"}) {
		t.Errorf("after a failed Put the store holds %v, want only the earlier object's directory", names)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

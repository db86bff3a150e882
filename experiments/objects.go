package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
)

// Objects is a content-addressed file store: each object lives at
// <dir>/<first 2 hex digits>/<remaining 62> of its sha256, as git lays out
// loose objects, so no directory grows past 1/256 of the store.
type Objects struct {
	dir string
}

// NewObjects returns the object store rooted at dir, creating it if needed.
func NewObjects(dir string) (*Objects, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	return &Objects{dir: dir}, nil
}

// Dir is the store's root directory.
func (o *Objects) Dir() string { return o.dir }

// Path is where the object sha lives (whether or not it exists). sha must be
// a full lowercase hex digest; anything else yields a path that never exists.
func (o *Objects) Path(sha string) string {
	if !validSHA(sha) {
		return filepath.Join(o.dir, "invalid", filepath.Base(sha))
	}
	return filepath.Join(o.dir, sha[:2], sha[2:])
}

// Put copies r into the store and returns its sha256 and size. The bytes go
// to a temporary file in the store's root (same file system), are fsynced,
// and only then renamed into place, so a reader never sees a partial object
// and a crash leaves at most a stray temp file. Storing the same content
// again keeps the one existing object.
func (o *Objects) Put(r io.Reader) (sha string, size int64, err error) {
	tmp, err := os.CreateTemp(o.dir, ".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("object store: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), r)
	if err != nil {
		return "", 0, fmt.Errorf("object store: write: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("object store: sync: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("object store: %w", err)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	final := o.Path(sha)
	if _, statErr := os.Stat(final); statErr == nil {
		os.Remove(tmp.Name()) // deduplicated
		// Freshen it, as git does, so a concurrent GC's grace period covers
		// the caller that is about to record a reference to it.
		now := time.Now()
		os.Chtimes(final, now, now)
		return sha, size, nil
	}
	// Objects are immutable; read-only files make accidental edits fail loudly.
	if err = os.Chmod(tmp.Name(), 0o444); err != nil {
		return "", 0, fmt.Errorf("object store: %w", err)
	}
	sub := filepath.Dir(final)
	if err = os.MkdirAll(sub, 0o755); err != nil {
		return "", 0, fmt.Errorf("object store: %w", err)
	}
	// rename(2) is atomic; when two writers race on the same content the
	// second rename replaces identical bytes, which readers cannot notice.
	if err = os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("object store: %w", err)
	}
	// Make the rename itself durable (the new directory entry).
	if d, derr := os.Open(sub); derr == nil {
		d.Sync()
		d.Close()
	}
	return sha, size, nil
}

// PutFile stores the file at path.
func (o *Objects) PutFile(path string) (sha string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	sha, size, err = o.Put(f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return sha, size, nil
}

// Open opens an object for reading; the error wraps fs.ErrNotExist when the
// store does not have it.
func (o *Objects) Open(sha string) (*os.File, error) {
	if !validSHA(sha) {
		return nil, fmt.Errorf("object %q: not a sha256 hex digest: %w", sha, fs.ErrNotExist)
	}
	return os.Open(o.Path(sha))
}

// Has reports whether the object is in the store.
func (o *Objects) Has(sha string) bool {
	if !validSHA(sha) {
		return false
	}
	fi, err := os.Stat(o.Path(sha))
	return err == nil && fi.Mode().IsRegular()
}

// Remove deletes an object; removing one that is absent is not an error.
func (o *Objects) Remove(sha string) error {
	if !validSHA(sha) {
		return fmt.Errorf("object %q: not a sha256 hex digest", sha)
	}
	err := os.Remove(o.Path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Verify re-hashes an object and reports whether its content still matches
// its name (disk corruption, or someone editing .lathe/objects by hand).
func (o *Objects) Verify(sha string) (bool, error) {
	f, err := o.Open(sha)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == sha, nil
}

// List returns every object's sha256, sorted. Temp files of writes in
// progress are not objects and are skipped.
func (o *Objects) List() ([]string, error) {
	return o.list("")
}

func (o *Objects) list(prefix string) ([]string, error) {
	subs, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	var out []string
	for _, sub := range subs {
		name := sub.Name()
		if !sub.IsDir() || len(name) != 2 || !isHex(name) {
			continue
		}
		if len(prefix) >= 2 && name != prefix[:2] || len(prefix) == 1 && name[0] != prefix[0] {
			continue
		}
		files, err := os.ReadDir(filepath.Join(o.dir, name))
		if err != nil {
			return nil, fmt.Errorf("object store: %w", err)
		}
		for _, f := range files {
			sha := name + f.Name()
			if f.Type().IsRegular() && validSHA(sha) && strings.HasPrefix(sha, prefix) {
				out = append(out, sha)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Resolve expands a hex prefix (at least 4 digits) to the one object it
// names. No match or several are InputErrors, since the prefix came from a
// user.
func (o *Objects) Resolve(prefix string) (string, error) {
	prefix = strings.ToLower(prefix)
	if len(prefix) < 4 || len(prefix) > 64 || !isHex(prefix) {
		return "", &config.InputError{Field: "hash", Msg: fmt.Sprintf("%q: give 4 to 64 hex digits of a sha256", prefix)}
	}
	shas, err := o.list(prefix)
	if err != nil {
		return "", err
	}
	switch len(shas) {
	case 0:
		return "", &config.InputError{Field: "hash", Msg: fmt.Sprintf("no object %s in the store", prefix), Err: fs.ErrNotExist}
	case 1:
		return shas[0], nil
	}
	return "", &config.InputError{Field: "hash", Msg: fmt.Sprintf("hash prefix %s is ambiguous (%d objects); give more digits", prefix, len(shas))}
}

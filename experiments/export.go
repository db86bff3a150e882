package experiments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/lathe-ml/lathe/config"
)

// CleanArtifactPath checks a path naming a run's output (as typed by a user,
// or as found in the store) and returns it cleaned: slash-separated,
// relative, and inside the output directory. "." names the whole directory.
// Anything that would climb out (an absolute path, "..", a NUL) is an
// InputError.
func CleanArtifactPath(p string) (string, error) {
	bad := func(why string) (string, error) {
		return "", &config.InputError{Field: "PATH", Msg: fmt.Sprintf("%q %s; give a path relative to the run's output directory (see `lathe artifacts ls RUN`)", p, why)}
	}
	if p == "" {
		return bad("is empty")
	}
	if strings.ContainsRune(p, 0) {
		return bad("holds a NUL byte")
	}
	p = strings.ReplaceAll(p, `\`, "/")
	if strings.HasPrefix(p, "/") || len(p) >= 2 && p[1] == ':' {
		return bad("is absolute")
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return bad("leaves the output directory")
	}
	return c, nil
}

// SelectArtifacts returns the run's artifacts that p names: the one at
// exactly p, or every one under p when p is a directory of them ("." for
// all); dir says which. Naming nothing is an InputError.
func (s *Store) SelectArtifacts(ctx context.Context, runID, p string) (arts []Artifact, dir bool, err error) {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return nil, false, err
	}
	all, err := s.ListArtifacts(ctx, runID)
	if err != nil {
		return nil, false, err
	}
	for _, a := range all {
		if a.Path == c {
			return []Artifact{a}, false, nil
		}
	}
	for _, a := range all {
		if c == "." || strings.HasPrefix(a.Path, c+"/") {
			arts = append(arts, a)
		}
	}
	if len(arts) == 0 {
		return nil, false, &config.InputError{Field: "PATH", Msg: fmt.Sprintf("run %s has no artifact %q (it has %d; see `lathe artifacts ls %s`)", runID, c, len(all), runID), Err: ErrNotFound}
	}
	return arts, true, nil
}

// Export writes artifact a's content to name inside root (an os.Root, so
// neither ".." nor a symlink in name can reach outside it), checking it
// against a's sha256 on the way. The bytes go to a temporary file that is
// renamed over name only when complete and verified: an interrupted export
// or a corrupt object never leaves a partial file, and an existing symlink
// at name is replaced, not written through.
func (o *Objects) Export(a Artifact, root *os.Root, name string) (err error) {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("export %s: %w", a.Path, err)
		}
	}
	src, err := o.Open(a.SHA256)
	if err != nil {
		return fmt.Errorf("export %s: object %s: %w", a.Path, short(a.SHA256), err)
	}
	defer src.Close()
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), ".lathe-export-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("export %s: %w", a.Path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if err = CopyVerified(f, src, a.SHA256); err != nil {
		return fmt.Errorf("export %s: %w", a.Path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("export %s: %w", a.Path, err)
	}
	if err = root.Rename(tmp, name); err != nil {
		return fmt.Errorf("export %s: %w", a.Path, err)
	}
	return nil
}

// CopyVerified copies src to dst and fails when the bytes do not hash to
// sha (an object damaged on disk).
func CopyVerified(dst io.Writer, src io.Reader, sha string) error {
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(dst, h), src); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("object %s is corrupt: its content hashes to %s", short(sha), short(got))
	}
	return nil
}

package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Limits on what CodeVersion copies into the object store: untracked files
// are often data or checkpoints someone forgot to ignore, and copying them on
// every run would fill the disk.
const (
	maxUntrackedFile  = 1 << 20  // larger untracked files are left out of the diff
	maxUntrackedTotal = 16 << 20 // and so are all untracked files past this total
	maxTrackedDiff    = 64 << 20 // a larger diff is not stored at all (Dirty still says so)
)

// CodeVersion records the git state of the repository holding the
// workspace: the HEAD commit, whether the work tree differs from it, and when
// it does, a patch (`git diff HEAD --binary` plus small untracked files as
// new-file hunks) stored in the object store, its hash in DiffSHA. A
// workspace outside git, or a machine without git, gives a zero CodeVersion
// and no error: not every experiment lives in a repository.
func (w *Workspace) CodeVersion(ctx context.Context) (CodeVersion, error) {
	var cv CodeVersion
	git := func(args ...string) ([]byte, error) { return w.git(ctx, args...) }
	if _, err := exec.LookPath("git"); err != nil {
		return cv, nil
	}
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return cv, nil // not a repository
	}
	topDir := strings.TrimSpace(string(top))
	if head, err := git("rev-parse", "--verify", "-q", "HEAD"); err == nil {
		cv.Commit = strings.TrimSpace(string(head))
	}
	status, err := git("status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return cv, fmt.Errorf("code version of %s: %w", w.Root, err)
	}
	cv.Dirty = len(bytes.TrimSpace(status)) > 0
	if !cv.Dirty {
		return cv, nil
	}

	var patch bytes.Buffer
	if cv.Commit != "" {
		d, err := git("diff", "HEAD", "--binary", "--no-color", "--no-ext-diff")
		if err != nil {
			return cv, fmt.Errorf("code version of %s: %w", w.Root, err)
		}
		if len(d) > maxTrackedDiff {
			return cv, nil
		}
		patch.Write(d)
	}
	untracked, err := git("ls-files", "--others", "--exclude-standard", "-z", "--full-name", ":/")
	if err != nil {
		return cv, fmt.Errorf("code version of %s: %w", w.Root, err)
	}
	total := 0
	for _, name := range strings.Split(strings.TrimRight(string(untracked), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		fi, err := os.Lstat(filepath.Join(topDir, filepath.FromSlash(name)))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxUntrackedFile || total+int(fi.Size()) > maxUntrackedTotal {
			continue
		}
		total += int(fi.Size())
		cmd := exec.CommandContext(ctx, "git", "-C", topDir, "diff", "--no-index", "--binary", "--no-color", "--no-ext-diff", "--", "/dev/null", name)
		cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
		d, err := cmd.Output()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1 means "differs", as it must
			return cv, fmt.Errorf("code version of %s: diff %s: %w", w.Root, name, err)
		}
		patch.Write(d)
	}
	if patch.Len() == 0 {
		return cv, nil
	}
	cv.DiffSHA, _, err = w.Objects.Put(&patch)
	if err != nil {
		return cv, fmt.Errorf("code version of %s: %w", w.Root, err)
	}
	return cv, nil
}

// GC removes objects that no dataset, artifact or code diff refers to and
// returns their hashes and total size. Objects modified within grace are
// kept even when unreferenced: a harvesting runner stores an object before
// it records the artifact, and must not lose the race to a concurrent gc.
// With dryRun nothing is removed.
func (w *Workspace) GC(ctx context.Context, dryRun bool, grace time.Duration) (removed []string, bytes int64, err error) {
	refs, err := w.Store.ReferencedObjects(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("gc: %w", err)
	}
	all, err := w.Objects.List()
	if err != nil {
		return nil, 0, fmt.Errorf("gc: %w", err)
	}
	cutoff := time.Now().Add(-grace)
	for _, sha := range all {
		if refs[sha] {
			continue
		}
		fi, err := os.Stat(w.Objects.Path(sha))
		if err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		if !dryRun {
			if err := w.Objects.Remove(sha); err != nil {
				return removed, bytes, fmt.Errorf("gc: %w", err)
			}
		}
		removed = append(removed, sha)
		bytes += fi.Size()
	}
	// Temp files of writes that crashed long ago.
	if entries, err := os.ReadDir(w.Objects.Dir()); err == nil {
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) && !dryRun {
				os.Remove(filepath.Join(w.Objects.Dir(), e.Name()))
			}
		}
	}
	return removed, bytes, nil
}

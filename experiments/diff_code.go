package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
)

// DefaultMaxPatch bounds each patch a CodeDiff carries: enough to read a
// change, not enough to flood a terminal with a vendored dependency.
const DefaultMaxPatch = 256 << 10

// CodeDiff is how the code of two runs differs: the diff between their
// commits when both are in the workspace's repository, and each run's
// uncommitted changes as recorded in the object store.
type CodeDiff struct {
	CommitA string `json:"commit_a,omitempty"`
	CommitB string `json:"commit_b,omitempty"`
	// Files changed between the commits (git diff --numstat A B), with the
	// lines added and deleted (-1 for binary files).
	Files []FileChange `json:"files,omitempty"`
	Patch string       `json:"patch,omitempty"` // git diff A B, cut at the limit
	// CommitsNote says why the commit diff is missing (a commit not in
	// this repository, no git), empty when it is there or not needed.
	CommitsNote string `json:"commits_note,omitempty"`
	DirtyA      *Dirty `json:"dirty_a,omitempty"`
	DirtyB      *Dirty `json:"dirty_b,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"` // some patch was cut at the limit
}

// FileChange is one file of a diff.
type FileChange struct {
	Path    string `json:"path"`
	Added   int    `json:"added"`
	Deleted int    `json:"deleted"`
}

// Dirty is a run's uncommitted patch: the files it touches and its text.
type Dirty struct {
	SHA256 string   `json:"sha256,omitempty"`
	Files  []string `json:"files"`
	Patch  string   `json:"patch,omitempty"`
	Note   string   `json:"note,omitempty"` // e.g. "patch not stored (too large)"
}

// CodeDiff compares two recorded code versions. Only what differs is filled
// in: the commit diff when the commits differ, a run's dirty patch when the
// two runs' uncommitted states differ. maxPatch <= 0 means DefaultMaxPatch.
// A repository that lacks one of the commits is not an error: CommitsNote
// says so, since runs are often diffed long after a rebase.
func (w *Workspace) CodeDiff(ctx context.Context, a, b CodeVersion, maxPatch int) (CodeDiff, error) {
	if maxPatch <= 0 {
		maxPatch = DefaultMaxPatch
	}
	d := CodeDiff{CommitA: a.Commit, CommitB: b.Commit}
	if a.Commit != b.Commit {
		switch {
		case a.Commit == "" || b.Commit == "":
			d.CommitsNote = "one run has no recorded commit (its workspace was not in a git repository)"
		default:
			if err := w.commitDiff(ctx, &d, maxPatch); err != nil {
				return d, err
			}
		}
	}
	if a.Dirty != b.Dirty || a.DiffSHA != b.DiffSHA {
		var err error
		if d.DirtyA, err = w.dirty(a, maxPatch, &d.Truncated); err != nil {
			return d, err
		}
		if d.DirtyB, err = w.dirty(b, maxPatch, &d.Truncated); err != nil {
			return d, err
		}
	}
	return d, nil
}

// git runs git in the workspace root; its error carries git's stderr.
func (w *Workspace) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", w.Root}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C") // a read-only probe must not take index.lock
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func (w *Workspace) commitDiff(ctx context.Context, d *CodeDiff, maxPatch int) error {
	if _, err := exec.LookPath("git"); err != nil {
		d.CommitsNote = "git is not installed, so the commits cannot be compared"
		return nil
	}
	for _, c := range []string{d.CommitA, d.CommitB} {
		// Recorded commits come from our own store, but a hand-edited store
		// must not smuggle options into git's argument list.
		if len(c) < 7 || len(c) > 64 || !isHex(c) {
			d.CommitsNote = fmt.Sprintf("%q is not a commit hash", c)
			return nil
		}
		if _, err := w.git(ctx, "cat-file", "-e", c+"^{commit}"); err != nil {
			d.CommitsNote = fmt.Sprintf("commit %s is not in the repository at %s (rebased away, or another clone)", short(c), w.Root)
			return nil
		}
	}
	num, err := w.git(ctx, "diff", "--numstat", "--no-color", "--no-ext-diff", d.CommitA, d.CommitB, "--")
	if err != nil {
		return fmt.Errorf("code diff: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(num)), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		fc := FileChange{Path: f[2], Added: -1, Deleted: -1}
		fmt.Sscan(f[0], &fc.Added)
		fmt.Sscan(f[1], &fc.Deleted)
		d.Files = append(d.Files, fc)
	}
	patch, err := w.git(ctx, "diff", "--no-color", "--no-ext-diff", d.CommitA, d.CommitB, "--")
	if err != nil {
		return fmt.Errorf("code diff: %w", err)
	}
	d.Patch = cut(string(patch), maxPatch, &d.Truncated)
	return nil
}

func (w *Workspace) dirty(c CodeVersion, maxPatch int, truncated *bool) (*Dirty, error) {
	if !c.Dirty {
		return nil, nil
	}
	out := &Dirty{SHA256: c.DiffSHA, Files: []string{}}
	if c.DiffSHA == "" {
		out.Note = "patch not stored (larger than the limit, or only ignored and oversized files changed)"
		return out, nil
	}
	f, err := w.Objects.Open(c.DiffSHA)
	if errors.Is(err, fs.ErrNotExist) {
		out.Note = "patch object " + short(c.DiffSHA) + " is gone from the object store"
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read the whole patch for its file list, but keep only maxPatch of it.
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("patch %s: %w", short(c.DiffSHA), err)
	}
	out.Files = PatchFiles(b)
	out.Patch = cut(string(b), maxPatch, truncated)
	return out, nil
}

// PatchFiles lists the files a git patch touches, in order.
func PatchFiles(patch []byte) []string {
	files := []string{}
	for _, line := range bytes.Split(patch, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("diff --git a/"))
		if !ok {
			continue
		}
		// "diff --git a/X b/X": X may hold spaces, so take the b/ half's length.
		s := string(rest)
		if i := strings.Index(s, " b/"); i >= 0 {
			files = append(files, s[:i])
		}
	}
	return files
}

func cut(s string, n int, truncated *bool) string {
	if len(s) <= n {
		return s
	}
	*truncated = true
	// Cut at a line end so the patch stays readable.
	if i := strings.LastIndexByte(s[:n], '\n'); i > 0 {
		return s[:i+1]
	}
	return s[:n]
}

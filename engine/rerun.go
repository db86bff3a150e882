package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

// RerunOptions say which differences from the original run a rerun accepts.
type RerunOptions struct {
	// AllowChangedData reruns on the inputs' current content when it no
	// longer hashes to the recorded version.
	AllowChangedData bool
	// AllowCodeChange reruns although the workspace's code version (commit,
	// uncommitted patch) differs from the recorded one.
	AllowCodeChange bool
}

// RerunPlan is the launch request that repeats a run, and what was checked
// before launching it.
type RerunPlan struct {
	Of      string        `json:"rerun_of"`
	Request LaunchRequest `json:"-"`
	Image   string        `json:"image,omitempty"` // the digest when one was recorded
	Inputs  []InputCheck  `json:"inputs"`
	Code    CodeCheck     `json:"code"`
	// EnvFromCurrent lists variables whose recorded values were redacted:
	// the rerun takes them from the launching environment (runner
	// pass_env), since the store never held the secrets.
	EnvFromCurrent []string `json:"env_from_current,omitempty"`
}

// InputCheck compares an input's recorded version with the file now at its
// path.
type InputCheck struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Recorded string `json:"recorded_sha256"`
	Current  string `json:"current_sha256,omitempty"` // "" when the file is gone
	Changed  bool   `json:"changed"`
}

// CodeCheck compares the run's code version with the workspace's now.
type CodeCheck struct {
	Recorded experiments.CodeVersion `json:"recorded"`
	Current  experiments.CodeVersion `json:"current"`
	Changed  bool                    `json:"changed"`
}

// ChangedError refuses a rerun whose inputs or code differ from the
// original's. It is an operational failure (exit 1), not bad input: the
// request was fine, the world changed.
type ChangedError struct {
	RunID  string
	Inputs []InputCheck // the changed ones
	Code   *CodeCheck   // set when the code changed
}

func (e *ChangedError) Error() string {
	var parts []string
	for _, in := range e.Inputs {
		if in.Current == "" {
			parts = append(parts, fmt.Sprintf("input %s: %s is gone (run %s used version %s; restore that file to rerun)", in.Name, in.Path, e.RunID, shortSHA(in.Recorded)))
		} else {
			parts = append(parts, fmt.Sprintf("input %s: %s changed since run %s (recorded %s, now %s)",
				in.Name, in.Path, e.RunID, shortSHA(in.Recorded), shortSHA(in.Current)))
		}
	}
	var flags []string
	for _, in := range e.Inputs {
		if in.Current != "" {
			flags = append(flags, "--allow-changed-data to rerun on the current data")
			break
		}
	}
	if c := e.Code; c != nil {
		parts = append(parts, fmt.Sprintf("code changed since run %s: recorded %s, now %s", e.RunID, codeLabel(c.Recorded), codeLabel(c.Current)))
		flags = append(flags, "--allow-code-change to rerun with the current code")
	}
	msg := "refusing to rerun: " + strings.Join(parts, "; ")
	if len(flags) > 0 {
		msg += " (use " + strings.Join(flags, ", or ") + ")"
	}
	return msg
}

func codeLabel(c experiments.CodeVersion) string {
	s := "commit " + shortCommit(c.Commit)
	if c.Commit == "" {
		s = "no commit"
	}
	if c.Dirty {
		s += " + uncommitted changes"
		if c.DiffSHA != "" {
			s += " " + shortSHA(c.DiffSHA)
		}
	}
	return s
}

// PlanRerun builds the request that repeats run id: the same runner, image
// (by digest when one was recorded), command, params, inputs (by path),
// environment, GPUs, resources, working directory and priority; and checks
// the inputs' content and the code version against the record. It launches
// nothing, so a front end can show the plan first.
func (e *Engine) PlanRerun(ctx context.Context, id string) (*RerunPlan, error) {
	rec, err := e.ws.Store.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	ins, err := e.ws.Store.RunInputs(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &RerunPlan{Of: rec.ID, Inputs: []InputCheck{}}
	req := LaunchRequest{Name: rec.Name, Runner: rec.Runner, Image: rec.Image, Command: slices.Clone(rec.Command),
		Params: map[string]string{}, Inputs: map[string]string{}, GPUs: rec.GPUs, Env: map[string]string{},
		WorkDir: rec.Workdir, Priority: rec.Priority, RerunOf: rec.ID}
	if rec.ImageDigest != "" {
		req.Image = rec.ImageDigest // the exact image, even if the tag moved
	}
	p.Image = req.Image
	for k, v := range rec.Params {
		req.Params[k] = rerunParam(v)
	}
	for k, v := range rec.Env {
		switch {
		case isPerRunEnv(k):
			// The engine sets these for the new run.
		case v == experiments.Redacted || strings.Contains(v, ":REDACTED@"):
			p.EnvFromCurrent = append(p.EnvFromCurrent, k)
		default:
			req.Env[k] = v
		}
	}
	slices.Sort(p.EnvFromCurrent)
	if v := rec.Resources["cpus"]; v != "" {
		req.CPUs, _ = strconv.ParseFloat(v, 64)
	}
	if v := rec.Resources["memory"]; v != "" {
		req.Memory, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := rec.Resources["shm_size"]; v != "" {
		req.ShmSize, _ = strconv.ParseInt(v, 10, 64)
	}
	req.Entrypoint = rec.Resources["entrypoint"]
	for _, in := range ins {
		path := e.ws.Abs(in.Dataset.Path)
		req.Inputs[in.Name] = path
		ic := InputCheck{Name: in.Name, Path: in.Dataset.Path, Recorded: in.Dataset.SHA256}
		ic.Current, _, err = ContentSHACached(ctx, e.ws.Store, path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("check input %s: %w", in.Name, err)
		}
		ic.Changed = ic.Current != ic.Recorded
		p.Inputs = append(p.Inputs, ic)
	}
	cur, err := e.ws.CodeVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("code version: %w", err)
	}
	p.Code = CodeCheck{Recorded: rec.Code, Current: cur,
		Changed: cur.Commit != rec.Code.Commit || cur.Dirty != rec.Code.Dirty || cur.DiffSHA != rec.Code.DiffSHA}
	p.Request = req
	return p, nil
}

// Refusal returns the ChangedError that opts do not allow, or nil.
func (p *RerunPlan) Refusal(opts RerunOptions) error {
	ce := &ChangedError{RunID: p.Of}
	for _, in := range p.Inputs {
		// A gone input cannot be rerun on at all, whatever the options say.
		if in.Changed && (!opts.AllowChangedData || in.Current == "") {
			ce.Inputs = append(ce.Inputs, in)
		}
	}
	if p.Code.Changed && !opts.AllowCodeChange {
		c := p.Code
		ce.Code = &c
	}
	if len(ce.Inputs) == 0 && ce.Code == nil {
		return nil
	}
	return ce
}

// Rerun plans a rerun of run id, refuses it (*ChangedError) when the inputs
// or the code changed and opts do not allow that, and launches it otherwise.
// The new run records rerun_of = id. An input file that is gone refuses the
// rerun even with AllowChangedData.
func (e *Engine) Rerun(ctx context.Context, id string, opts RerunOptions) (*Run, *RerunPlan, error) {
	if err := permit(ctx, "rerun", fmt.Sprintf("%q", id)); err != nil {
		return nil, nil, err
	}
	p, err := e.PlanRerun(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := p.Refusal(opts); err != nil {
		return nil, p, err
	}
	r, err := e.Launch(ctx, p.Request)
	return r, p, err
}

// ContentSHA hashes the file or directory at path as Launch records an
// input's dataset version: a file's sha256, or for a directory the sha256 of
// its sorted list of regular files, one "relpath NUL filesha\n" line each
// (WalkDir order is lexical; a directory given through a symlink is walked
// at its target). size is the total of the hashed bytes. Launch and the
// rerun check share it, so a rerun's check agrees with the record; both go
// through ContentSHACached, which gives the same answer.
func ContentSHA(path string) (sum string, size int64, err error) {
	return contentSHA(context.Background(), nil, path)
}

// ContentSHACached is ContentSHA through the store's content-hash cache
// (experiments.ContentHashes): a file whose size, mtime, ctime and inode all
// still match its entry, hashed at least experiments.RacyWindow after the
// file last changed, is not read again; every other file is read and its
// entry refreshed, and entries under a directory for files no longer there
// are dropped. The sum is ContentSHA's, so the rerun check through it still
// sees every change that rewrites a file or its metadata (restoring the mtime
// with touch or os.Chtimes still moves the ctime). A nil store caches nothing.
func ContentSHACached(ctx context.Context, store *experiments.Store, path string) (sum string, size int64, err error) {
	return contentSHA(ctx, store, path)
}

func contentSHA(ctx context.Context, store *experiments.Store, path string) (string, int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", 0, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", 0, err
	}
	root := abs
	if st.IsDir() {
		// WalkDir does not descend into a symlink given as its root.
		if root, err = filepath.EvalSymlinks(abs); err != nil {
			return "", 0, err
		}
	}
	c := &contentHasher{ctx: ctx, store: store, buf: make([]byte, 256<<10)}
	if store != nil {
		if c.cache, err = store.ContentHashes(ctx, root); err != nil {
			return "", 0, fmt.Errorf("content hash cache: %w", err)
		}
		c.seen = map[string]bool{}
	}
	var sum string
	var size int64
	if !st.IsDir() {
		sum, size, err = c.file(abs, st)
	} else {
		h := sha256.New()
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			fsum, n, err := c.file(p, info)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			fmt.Fprintf(h, "%s\x00%s\n", filepath.ToSlash(rel), fsum)
			size += n
			return nil
		})
		sum = hex.EncodeToString(h.Sum(nil))
	}
	if err != nil {
		return "", 0, err
	}
	if store != nil {
		var drop []string
		for p := range c.cache {
			if !c.seen[p] {
				drop = append(drop, p)
			}
		}
		if err := store.UpdateContentHashes(ctx, c.put, drop); err != nil {
			return "", 0, fmt.Errorf("content hash cache: %w", err)
		}
	}
	return sum, size, nil
}

// contentHasher hashes the files of one ContentSHA call, answering from the
// cache snapshot where it can and collecting the entries to write back.
type contentHasher struct {
	ctx   context.Context
	store *experiments.Store // nil: no cache
	cache experiments.ContentHashes
	seen  map[string]bool
	put   []experiments.ContentHash
	buf   []byte
}

// file returns the sha256 and size of the regular file at p, whose stat
// (taken by the caller) is info.
func (c *contentHasher) file(p string, info fs.FileInfo) (string, int64, error) {
	if c.store != nil {
		c.seen[p] = true
		if stamp, ok := experiments.StampOf(info); ok {
			if sum, ok := c.cache.Lookup(p, stamp); ok {
				return sum, stamp.Size, nil
			}
		}
	}
	// The clock is read before opening, so a write after it that left the
	// same ctime lies within RacyWindow of HashedAt (experiments.ContentHash.Fresh).
	at := time.Now()
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, ctxReader{c.ctx, f}, c.buf)
	if err != nil {
		return "", 0, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if c.store == nil {
		return sum, n, nil
	}
	// The stamps come from the open file, so they describe the bytes read;
	// a file that changed while it was read is not cached.
	after, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	sb, ok1 := experiments.StampOf(before)
	sa, ok2 := experiments.StampOf(after)
	if ok1 && ok2 && sb == sa && sb.Size == n {
		c.put = append(c.put, experiments.ContentHash{Path: p, Stamp: sb, SHA256: sum, HashedAt: at})
	}
	return sum, n, nil
}

// ctxReader stops a long read (a 10 GB input takes ~10 s) when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func rerunParam(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func isPerRunEnv(k string) bool {
	switch k {
	case "LATHE_RUN_ID", "LATHE_OUTPUT_DIR", "LATHE_PARAMS_FILE":
		return true
	}
	return strings.HasPrefix(k, "LATHE_INPUT_") || strings.HasPrefix(k, "LATHE_PARAM_")
}

// Reproducibility compares the final metrics of a run and its rerun: how
// far apart the two trainings on the same inputs landed.
type Reproducibility struct {
	Original  string        `json:"original"`
	Rerun     string        `json:"rerun"`
	Metrics   []MetricRepro `json:"metrics"`
	Identical int           `json:"identical"` // metrics with bit-identical final values
	Total     int           `json:"total"`
	// MaxRelDiff is the largest |b-a| / max(|a|, |b|) over metrics present
	// in both runs (0 when all are identical).
	MaxRelDiff float64 `json:"max_rel_diff"`
}

// MetricRepro is one metric's final value in both runs.
type MetricRepro struct {
	Key       string   `json:"key"`
	Original  *float64 `json:"original"` // nil: absent, NaN or infinite
	Rerun     *float64 `json:"rerun"`
	AbsDiff   *float64 `json:"abs_diff,omitempty"`
	RelDiff   *float64 `json:"rel_diff,omitempty"`
	Identical bool     `json:"identical"`
}

// Reproduce compares the final metrics of runs orig and rerun.
func (e *Engine) Reproduce(ctx context.Context, orig, rerun string) (Reproducibility, error) {
	if err := e.need(); err != nil {
		return Reproducibility{}, err
	}
	st := e.ws.Store
	rep := Reproducibility{Original: orig, Rerun: rerun, Metrics: []MetricRepro{}}
	a, err := st.LastMetrics(ctx, orig)
	if err != nil {
		return rep, err
	}
	b, err := st.LastMetrics(ctx, rerun)
	if err != nil {
		return rep, err
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for _, k := range format.SortedKeys(keys) {
		sa, okA := a[k]
		sb, okB := b[k]
		m := MetricRepro{Key: k, Original: finiteOrNil(sa.Value, okA), Rerun: finiteOrNil(sb.Value, okB)}
		switch {
		case okA && okB && (sa.Value == sb.Value || math.IsNaN(sa.Value) && math.IsNaN(sb.Value)):
			m.Identical = true
			zero := 0.0
			m.AbsDiff, m.RelDiff = &zero, &zero
		case m.Original != nil && m.Rerun != nil:
			d := math.Abs(*m.Rerun - *m.Original)
			r := d / math.Max(math.Abs(*m.Original), math.Abs(*m.Rerun))
			m.AbsDiff, m.RelDiff = &d, &r
			rep.MaxRelDiff = math.Max(rep.MaxRelDiff, r)
		}
		if m.Identical {
			rep.Identical++
		}
		rep.Total++
		rep.Metrics = append(rep.Metrics, m)
	}
	return rep, nil
}

func finiteOrNil(v float64, ok bool) *float64 {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

package engine

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
)

// Study spec files in the workspace, for the Tuner's spec picker: every
// YAML or JSON file under the root (hidden directories and .lathe aside,
// a few levels deep) whose top level is a mapping with a parameters: or
// metrics: key, the spec DESIGN §3 describes. Data files (JSON arrays) and
// lathe.yaml are not specs.

const (
	specMaxDepth = 4
	specMaxBytes = 1 << 20
	specMaxFiles = 200
)

// SpecFile is one study spec file of the workspace.
type SpecFile struct {
	Path string // relative to the workspace root, slash-separated
	Name string // the spec's name: ("" when it does not parse)
	// Err is why it cannot be started: a *config.InputError naming the file,
	// line and field, as `lathe tune run` would report it.
	Err error
	// Study is the stored study of that name, when there is one.
	Study *experiments.Study
}

// StudySpecFiles lists the workspace's study spec files, sorted by path,
// each parsed and checked as `lathe tune run` would.
func (e *Engine) StudySpecFiles(ctx context.Context) ([]SpecFile, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	root := e.ws.Root
	var out []SpecFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // unreadable corners are not specs
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || strings.Count(rel, string(filepath.Separator)) >= specMaxDepth-1) {
				return filepath.SkipDir
			}
			return nil
		}
		if len(out) >= specMaxFiles || rel == "lathe.yaml" || !specExt(p) {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > specMaxBytes || !info.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || !looksLikeSpec(data) {
			return nil
		}
		out = append(out, e.specFile(ctx, filepath.ToSlash(rel), data))
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

func specExt(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// looksLikeSpec is a cheap test before parsing: a mapping (not a JSON array
// of records) that mentions parameters or metrics at its top level.
func looksLikeSpec(data []byte) bool {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] == '[' {
		return false
	}
	if t[0] == '{' {
		return bytes.Contains(t, []byte(`"parameters"`)) || bytes.Contains(t, []byte(`"metrics"`))
	}
	for _, line := range bytes.Split(t, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("parameters:")) || bytes.HasPrefix(line, []byte("metrics:")) {
			return true
		}
	}
	return false
}

func (e *Engine) specFile(ctx context.Context, rel string, data []byte) SpecFile {
	sf := SpecFile{Path: rel}
	spec, err := ParseStudySpecBytes(rel, data)
	if err == nil {
		sf.Name = spec.Name
		err = e.checkStudyLaunch(spec)
		if ie := (*config.InputError)(nil); errors.As(err, &ie) && ie.File == "" {
			ie.File = rel
		}
	}
	sf.Err = err
	if sf.Name != "" {
		if st, err := e.ws.Store.GetStudy(ctx, sf.Name); err == nil {
			sf.Study = &st
		}
	}
	return sf
}

// StartSpecFile starts the study of a spec file (a path relative to the
// workspace root, or absolute) in the background: `tune run` when no study
// has its name, `resume` of the stored one otherwise (StartResume).
func (e *Engine) StartSpecFile(ctx context.Context, path string, o TuneOptions) (*StudyRun, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(e.ws.Root, filepath.FromSlash(path))
	}
	data, err := readSpecFile(full, path)
	if err != nil {
		return nil, err
	}
	spec, err := ParseStudySpecBytes(path, data)
	if err != nil {
		return nil, err
	}
	if _, err := e.ws.Store.GetStudy(ctx, spec.Name); err == nil {
		return e.StartResume(ctx, spec.Name, o)
	} else if !errors.Is(err, experiments.ErrNotFound) {
		return nil, err
	}
	run, err := e.StartStudy(ctx, spec, o)
	if ie := (*config.InputError)(nil); errors.As(err, &ie) && ie.File == "" {
		ie.File = path
	}
	return run, err
}

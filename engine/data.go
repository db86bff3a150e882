package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
)

// The data operations. Profile, Drift, Check and an unregistered Split work
// on any file, with or without a workspace; AddDataset, ListDatasets and a
// Split's registration need the store. Every one reports through the
// context's Progress and honours its cancellation.

// ReadOptions are the readers' options for the workspace's config (missing
// tokens and the like) and an --on-error mode: "fail" (or "") or "skip".
func (e *Engine) ReadOptions(onError string) (explore.ReadOptions, error) {
	ro := explore.ReadOptionsFrom(e.cfg.Explore)
	switch onError {
	case "", "fail":
		ro.OnError = explore.OnErrorFail
	case "skip":
		ro.OnError = explore.OnErrorSkip
	default:
		return ro, &config.InputError{Field: "--on-error", Msg: fmt.Sprintf("%q is not valid; use fail or skip", onError)}
	}
	return ro, nil
}

// ProfileOptions are the profiler's options for the config (histogram
// bins, top values, alert thresholds) around ro.
func (e *Engine) ProfileOptions(ro explore.ReadOptions) explore.ProfileOptions {
	return explore.ProfileOptionsFrom(e.cfg.Explore, ro)
}

// NeedFile turns a missing or unreadable path into an InputError naming it
// (and field, the flag or argument that gave it), so a typo exits 2.
func NeedFile(path, field string) error {
	return needFileOf(path, field, "a data file (CSV, TSV, JSON, JSON Lines, Parquet)")
}

// needFileOf is NeedFile for a file of another kind, named by want ("a
// study spec file (YAML or JSON)") in the error.
func needFileOf(path, field, want string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &config.InputError{File: path, Field: field, Msg: "no such file"}
	case err != nil:
		return &config.InputError{File: path, Field: field, Msg: err.Error(), Err: err}
	case st.IsDir():
		return &config.InputError{File: path, Field: field, Msg: "is a directory; give " + want}
	}
	return nil
}

// Profile profiles a file in one streaming pass, reporting bytes read.
func (e *Engine) Profile(ctx context.Context, path string, po explore.ProfileOptions) (*explore.Profile, error) {
	if err := NeedFile(path, ""); err != nil {
		return nil, err
	}
	p := progressOf(ctx)
	subject := path
	next := po.Progress
	po.Progress = func(pr explore.Progress) {
		p.Report(ProgressEvent{Op: "profile", Subject: subject, Done: pr.Bytes, Total: pr.TotalBytes, Unit: "bytes", Rows: pr.Rows, Finished: pr.Done})
		if next != nil {
			next(pr)
		}
	}
	return explore.ProfileFile(ctx, path, po)
}

// Drift compares every column A and B share, each by the tests of its type
// (explore.Drift); DriftOptionsFor builds o from the config and the flags.
func (e *Engine) Drift(ctx context.Context, a, b string, o explore.DriftOptions) (*explore.DriftReport, error) {
	if err := NeedFile(a, "A"); err != nil {
		return nil, err
	}
	if err := NeedFile(b, "B"); err != nil {
		return nil, err
	}
	if o.Threshold < 0 || math.IsNaN(o.Threshold) {
		return nil, &config.InputError{Field: "--threshold", Msg: fmt.Sprintf("%v must be ≥ 0", o.Threshold)}
	}
	finish := step(ctx, "drift", a+" → "+b)
	rep, err := explore.Drift(ctx, a, b, o)
	if err != nil {
		finish(err.Error())
		return nil, err
	}
	finish(rep.String())
	return rep, nil
}

// Check evaluates a rules file (YAML) against a data file.
func (e *Engine) Check(ctx context.Context, path, rulesPath string, ro explore.ReadOptions) (*explore.CheckReport, error) {
	if err := NeedFile(path, ""); err != nil {
		return nil, err
	}
	if err := needFileOf(rulesPath, "--rules", "a rules file (YAML)"); err != nil {
		return nil, err
	}
	rules, err := explore.LoadRules(rulesPath)
	if err != nil {
		return nil, err
	}
	finish := step(ctx, "check", path)
	rep, err := explore.Check(ctx, path, rules, ro)
	if err != nil {
		finish(err.Error())
		return nil, err
	}
	finish(fmt.Sprintf("%d of %d checks failed", rep.Failed, len(rep.Results)))
	return rep, nil
}

// SplitResult is a split with the dataset versions it registered: the
// parent and one per split, with derived_from edges between them (none
// without a workspace).
type SplitResult struct {
	*explore.SplitResult
	Parent   *experiments.Dataset  `json:"parent,omitempty"`
	Datasets []experiments.Dataset `json:"datasets,omitempty"`
}

// SplitRequest is a split of Path. Parent, when set, is the profile of Path
// already in hand (the Data screen has one): registration reuses it instead
// of reading the file again.
type SplitRequest struct {
	Path    string
	Options explore.SplitOptions
	Parent  *explore.Profile
}

// Split writes the splits and, in a workspace, registers the parent and
// every split as dataset versions with derived_from edges that record the
// operation and its parameters, as `lathe data split` and the Data screen
// both do.
func (e *Engine) Split(ctx context.Context, req SplitRequest) (*SplitResult, error) {
	if err := permit(ctx, "split", fmt.Sprintf("%q", req.Path)); err != nil {
		return nil, err
	}
	if err := NeedFile(req.Path, ""); err != nil {
		return nil, err
	}
	finish := step(ctx, "split", req.Path)
	res, err := explore.Split(ctx, req.Path, req.Options)
	if err != nil {
		finish(err.Error())
		return nil, err
	}
	out := &SplitResult{SplitResult: res}
	if e.ws == nil {
		finish("not registered: no workspace")
		return out, nil
	}
	parent := req.Parent
	if parent == nil || parent.Source.Path != req.Path {
		if parent, err = e.Profile(ctx, req.Path, e.ProfileOptions(req.Options.Read)); err != nil {
			return nil, err
		}
	}
	src, err := e.versionOf(parent)
	if err != nil {
		return nil, err
	}
	var kids []experiments.Dataset
	for _, f := range res.Files {
		p, err := e.Profile(ctx, f.Path, e.ProfileOptions(req.Options.Read))
		if err != nil {
			return nil, fmt.Errorf("register split %s: %w", f.Path, err)
		}
		d, err := e.versionOf(p)
		if err != nil {
			return nil, err
		}
		kids = append(kids, d)
	}
	r := res.Report
	src, kids, err = e.ws.Store.AddDerived(ctx, src, kids, "split",
		map[string]any{"ratios": r.Ratios, "seed": r.Seed, "stratify": r.Stratify, "group": r.Group})
	if err != nil {
		return nil, err
	}
	out.Parent, out.Datasets = &src, kids
	finish(fmt.Sprintf("registered %d splits", len(kids)))
	return out, nil
}

// Registered is a dataset version as AddDataset found it.
type Registered struct {
	experiments.Dataset
	Added bool `json:"added"` // false: this content was registered at this path already
}

// AddDataset profiles path (for its row count and schema) and records it as
// a dataset version; the same content at the same path stays one version.
func (e *Engine) AddDataset(ctx context.Context, path string, ro explore.ReadOptions) (Registered, error) {
	if err := permit(ctx, "add dataset", fmt.Sprintf("%q", path)); err != nil {
		return Registered{}, err
	}
	if err := e.need(); err != nil {
		return Registered{}, err
	}
	if err := NeedFile(path, ""); err != nil {
		return Registered{}, err
	}
	p, err := e.Profile(ctx, path, e.ProfileOptions(ro))
	if err != nil {
		return Registered{}, err
	}
	d, err := e.versionOf(p)
	if err != nil {
		return Registered{}, err
	}
	d, added, err := e.ws.Store.AddDataset(ctx, d)
	if err != nil {
		return Registered{}, err
	}
	return Registered{Dataset: d, Added: added}, nil
}

// ListDatasets lists the registered dataset versions, newest first.
func (e *Engine) ListDatasets(ctx context.Context) ([]experiments.Dataset, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.ListDatasets(ctx)
}

// versionOf describes a profiled file as a dataset version of the
// workspace, its path relative to the workspace root.
func (e *Engine) versionOf(p *explore.Profile) (experiments.Dataset, error) {
	fp := explore.FingerprintOf(p)
	schema, err := json.Marshal(fp.Schema)
	if err != nil {
		return experiments.Dataset{}, err
	}
	abs, err := filepath.Abs(p.Source.Path)
	if err != nil {
		return experiments.Dataset{}, err
	}
	return experiments.Dataset{SHA256: fp.SHA256, Path: e.ws.Rel(abs), Format: string(fp.Format),
		Size: fp.Bytes, Rows: fp.Rows, Schema: schema}, nil
}

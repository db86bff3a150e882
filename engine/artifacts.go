package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
)

// StoredArtifact is an artifact with whether its object is in the store.
type StoredArtifact struct {
	experiments.Artifact
	Stored bool `json:"stored"`
}

// ListArtifacts lists the run's artifacts (path, size, sha256) and whether
// the object store still holds each.
func (e *Engine) ListArtifacts(ctx context.Context, runID string) ([]StoredArtifact, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	arts, err := e.ws.Store.ListArtifacts(ctx, runID)
	if err != nil {
		return nil, err
	}
	out := make([]StoredArtifact, len(arts))
	for i, a := range arts {
		out[i] = StoredArtifact{Artifact: a, Stored: e.ws.Objects.Has(a.SHA256)}
	}
	return out, nil
}

// ExportedArtifact is one file ExportArtifacts wrote.
type ExportedArtifact struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	To     string `json:"to"`
}

// ExportArtifacts copies the artifacts p names (one file, or a directory of
// them; "." for all) out of the object store, verifying each sha256. out is
// the destination: for one file a path or an existing directory ("" = its
// base name here, "-" = stdout, written to w); for a directory a directory
// ("" = its base name, or artifacts-<run> for "."). Nothing is written
// outside the destination, whatever the store's paths say.
func (e *Engine) ExportArtifacts(ctx context.Context, runID, p, out string, w io.Writer) ([]ExportedArtifact, error) {
	if err := permit(ctx, "export artifacts", fmt.Sprintf("%q %q to %q", runID, p, out)); err != nil {
		return nil, err
	}
	if err := e.need(); err != nil {
		return nil, err
	}
	ws := e.ws
	arts, dir, err := ws.Store.SelectArtifacts(ctx, runID, p)
	if err != nil {
		return nil, err
	}
	clean, _ := experiments.CleanArtifactPath(p)
	var done []ExportedArtifact
	if !dir {
		ar := arts[0]
		if out == "-" {
			f, err := ws.Objects.Open(ar.SHA256)
			if err != nil {
				return nil, fmt.Errorf("artifact %s: %w", ar.Path, err)
			}
			defer f.Close()
			if err := experiments.CopyVerified(w, f, ar.SHA256); err != nil {
				return nil, err
			}
			return []ExportedArtifact{{ar.Path, ar.SHA256, ar.Size, "-"}}, nil
		}
		if out == "" {
			out = path.Base(ar.Path)
		}
		if fi, err := os.Stat(out); err == nil && fi.IsDir() {
			out = filepath.Join(out, path.Base(ar.Path))
		}
		root, err := os.OpenRoot(filepath.Dir(out))
		if err != nil {
			return nil, &config.InputError{Field: "--out", Msg: fmt.Sprintf("%s: its directory cannot be opened: %v", out, err)}
		}
		defer root.Close()
		if err := ws.Objects.Export(ar, root, filepath.Base(out)); err != nil {
			return nil, err
		}
		return []ExportedArtifact{{ar.Path, ar.SHA256, ar.Size, out}}, nil
	}
	if out == "-" {
		return nil, &config.InputError{Field: "--out", Msg: fmt.Sprintf("%q is a directory of %d artifacts; give --out DIR", clean, len(arts))}
	}
	if out == "" {
		out = path.Base(clean)
		if clean == "." {
			out = "artifacts-" + runID
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, &config.InputError{Field: "--out", Msg: err.Error(), Err: err}
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return nil, &config.InputError{Field: "--out", Msg: err.Error(), Err: err}
	}
	defer root.Close()
	for _, ar := range arts {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		rel := ar.Path
		if clean != "." {
			rel = strings.TrimPrefix(ar.Path, clean+"/")
		}
		// The store's paths are checked too: a record edited by hand (or a
		// future writer with a bug) must not place a file outside out.
		if rel, err = experiments.CleanArtifactPath(rel); err != nil || rel == "." {
			return done, fmt.Errorf("artifact %q of run %s: refusing to write it outside %s", ar.Path, runID, out)
		}
		if err := ws.Objects.Export(ar, root, rel); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return done, fmt.Errorf("%w (was it removed by hand? `lathe gc` never removes a referenced object)", err)
			}
			return done, err
		}
		done = append(done, ExportedArtifact{ar.Path, ar.SHA256, ar.Size, filepath.Join(out, filepath.FromSlash(rel))})
	}
	return done, nil
}

// GCReport is what GC removed (or would remove): `lathe gc --json`.
type GCReport struct {
	DryRun  bool     `json:"dry_run"`
	Removed []string `json:"removed"` // sha256 of each object (would be) removed
	Bytes   int64    `json:"bytes"`
	Kept    int      `json:"kept"` // objects left in the store
}

// GC removes objects that no dataset version, artifact or code patch refers
// to, keeping those younger than grace (a run that is ending stores its
// outputs before it records them). With dryRun nothing is removed.
func (e *Engine) GC(ctx context.Context, dryRun bool, grace time.Duration) (GCReport, error) {
	if err := permit(ctx, "gc", ""); err != nil {
		return GCReport{}, err
	}
	if err := e.need(); err != nil {
		return GCReport{}, err
	}
	if grace < 0 {
		return GCReport{}, &config.InputError{Field: "--grace", Msg: "give a duration of 0 or more, e.g. 1h"}
	}
	if e.cfg.Objects != "" && !e.ws.Store.Shared() {
		// The objects directory is the team's, the records only this
		// workspace's: what they do not name may be someone else's.
		return GCReport{}, &config.InputError{Field: "objects", Msg: fmt.Sprintf("objects: %s is shared, but this workspace's store is its own (.lathe/store.db): collecting would remove other workspaces' objects; run gc from a workspace that uses the shared store", e.cfg.Objects)}
	}
	removed, bytes, err := e.ws.GC(ctx, dryRun, grace)
	if err != nil {
		return GCReport{}, err
	}
	all, err := e.ws.Objects.List()
	if err != nil {
		return GCReport{}, err
	}
	rep := GCReport{DryRun: dryRun, Removed: removed, Bytes: bytes, Kept: len(all)}
	if dryRun {
		rep.Kept -= len(removed)
	}
	if rep.Removed == nil {
		rep.Removed = []string{}
	}
	return rep, nil
}

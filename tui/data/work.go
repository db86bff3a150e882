package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/tui/components/rowtable"
)

// Limits of the file picker's walk, so a huge tree cannot stall it.
const (
	maxFiles = 2000
	maxDepth = 8
)

// dataExts are the file endings the picker lists (the explore readers').
var dataExts = []string{".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet",
	".csv.gz", ".tsv.gz", ".json.gz", ".jsonl.gz", ".ndjson.gz"}

// fileEntry is one data file in the picker.
type fileEntry struct {
	Path string // absolute
	Rel  string // relative to the workspace root, slash-separated
	Size int64
}

// listFiles walks root for data files, skipping hidden and tool directories.
func listFiles(ctx context.Context, root string) ([]fileEntry, error) {
	var out []fileEntry
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil // an unreadable subdirectory is skipped, not fatal
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "__pycache__" ||
				name == "venv" || strings.Count(rel, string(filepath.Separator)) >= maxDepth) {
				return filepath.SkipDir
			}
			return nil
		}
		if !isDataFile(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		out = append(out, fileEntry{Path: path, Rel: filepath.ToSlash(rel), Size: info.Size()})
		if len(out) >= maxFiles {
			return fs.SkipAll
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, err
}

func isDataFile(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range dataExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// progressBox is written by the profiling goroutine's callback and read by
// the view on each tick; atomics, since the two run on different goroutines.
type progressBox struct {
	bytes, total, rows atomic.Int64
}

func (p *progressBox) set(pr explore.Progress) {
	p.bytes.Store(pr.Bytes)
	p.total.Store(pr.TotalBytes)
	p.rows.Store(pr.Rows)
}

// fraction is how far the profile has got, 0..1.
func (p *progressBox) fraction() float64 {
	t := p.total.Load()
	if t <= 0 {
		return 0
	}
	return min(float64(p.bytes.Load())/float64(t), 1)
}

// readOptions maps the config onto the readers' options.
func readOptions(cfg *config.Config) explore.ReadOptions {
	if cfg == nil {
		return explore.ReadOptions{}
	}
	return explore.ReadOptionsFrom(cfg.Explore)
}

func profileOptions(cfg *config.Config, box *progressBox) explore.ProfileOptions {
	po := explore.ProfileOptions{Read: readOptions(cfg)}
	if cfg != nil {
		po = explore.ProfileOptionsFrom(cfg.Explore, po.Read)
	}
	po.Progress = box.set
	return po
}

// sampleLimit is how many rows the table view loads: the config's
// sample_rows, capped so the sample stays a quick, small read.
func sampleLimit(cfg *config.Config) int {
	const def, ceiling = 1000, 10000
	if cfg == nil || cfg.Explore.SampleRows <= 0 {
		return def
	}
	return min(cfg.Explore.SampleRows, ceiling)
}

// loadSample reads the first limit rows of path through explore's reader.
func loadSample(ctx context.Context, path string, ro explore.ReadOptions, limit int) (rowtable.Frame, error) {
	r, err := explore.Open(path, ro)
	if err != nil {
		return rowtable.Frame{}, err
	}
	defer r.Close()
	f := rowtable.Frame{Columns: r.Columns(), Total: -1}
	var b explore.Batch
	for len(f.Cells) < limit {
		if err := ctx.Err(); err != nil {
			return f, err
		}
		err := r.Next(&b)
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return f, err
		}
		for i := 0; i < b.Len() && len(f.Cells) < limit; i++ {
			row := b.Row(i)
			null := make([]bool, len(row))
			for c := range row {
				null[c] = b.Missing(i, c)
			}
			f.Cells = append(f.Cells, row)
			f.Null = append(f.Null, null)
		}
	}
	// Stopped at the limit: is there more?
	if err := r.Next(&b); err == nil && b.Len() > 0 {
		f.Truncated = true
	}
	return f, nil
}

// Payloads of the screen's background jobs.
type (
	filesDone   struct{ files []fileEntry }
	profileDone struct {
		path string
		prof *explore.Profile
	}
	sampleDone struct {
		path  string
		frame rowtable.Frame
	}
	driftDone struct{ rep *explore.DriftReport }
	splitDone struct {
		res        *explore.SplitResult
		registered []experiments.Dataset // the splits' versions; nil without a workspace
	}
)

// registerSplit records the profiled parent and the written splits as
// dataset versions with derived_from edges, as `lathe data split` does.
func registerSplit(ctx context.Context, ws *experiments.Workspace, parent *explore.Profile, res *explore.SplitResult, ro explore.ReadOptions) ([]experiments.Dataset, error) {
	src, err := versionOf(ws, parent)
	if err != nil {
		return nil, err
	}
	var kids []experiments.Dataset
	for _, f := range res.Files {
		p, err := explore.ProfileFile(ctx, f.Path, explore.ProfileOptions{Read: ro})
		if err != nil {
			return nil, fmt.Errorf("register split %s: %w", f.Path, err)
		}
		d, err := versionOf(ws, p)
		if err != nil {
			return nil, err
		}
		kids = append(kids, d)
	}
	r := res.Report
	_, kids, err = ws.Store.AddDerived(ctx, src, kids, "split",
		map[string]any{"ratios": r.Ratios, "seed": r.Seed, "stratify": r.Stratify, "group": r.Group})
	return kids, err
}

// versionOf describes a profiled file as a dataset version of ws.
func versionOf(ws *experiments.Workspace, p *explore.Profile) (experiments.Dataset, error) {
	fp := explore.FingerprintOf(p)
	schema, err := json.Marshal(fp.Schema)
	if err != nil {
		return experiments.Dataset{}, err
	}
	return experiments.Dataset{SHA256: fp.SHA256, Path: ws.Rel(p.Source.Path), Format: string(fp.Format),
		Size: fp.Bytes, Rows: fp.Rows, Schema: schema}, nil
}

package engine

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lathe-ml/lathe/explore"
)

// Limits of the data-file walk, so a huge tree cannot stall a picker.
const (
	maxDataFiles = 2000
	maxDataDepth = 8
)

// dataExts are the file endings the explore readers take.
func dataExts() []string {
	return []string{".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet",
		".csv.gz", ".tsv.gz", ".json.gz", ".jsonl.gz", ".ndjson.gz"}
}

// DataFile is one data file of the workspace.
type DataFile struct {
	Path string `json:"path"` // absolute
	Rel  string `json:"rel"`  // relative to the workspace root, slash-separated
	Size int64  `json:"size"`
}

// DataFiles walks the workspace for data files (at most 2,000, 8 levels
// deep), skipping hidden and tool directories (.lathe, .git, node_modules,
// __pycache__, venv), sorted by path.
func (e *Engine) DataFiles(ctx context.Context) ([]DataFile, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	root := e.ws.Root
	var out []DataFile
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
				name == "venv" || strings.Count(rel, string(filepath.Separator)) >= maxDataDepth) {
				return filepath.SkipDir
			}
			return nil
		}
		if !IsDataFile(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		out = append(out, DataFile{Path: path, Rel: filepath.ToSlash(rel), Size: info.Size()})
		if len(out) >= maxDataFiles {
			return fs.SkipAll
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, err
}

// IsDataFile reports whether name has an ending the readers take.
func IsDataFile(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range dataExts() {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// RowSample is the first rows of a file, as text cells with their missing
// flags: what a rows view sorts and filters.
type RowSample struct {
	Columns   []string
	Cells     [][]string
	Null      [][]bool
	Truncated bool // the file has more rows than the sample
}

// SampleLimit is how many rows a rows view loads: the config's
// explore.sample_rows (default 1,000), capped at 10,000 so the sample stays
// a quick, small read.
func (e *Engine) SampleLimit() int {
	const def, ceiling = 1000, 10000
	if e.cfg.Explore.SampleRows <= 0 {
		return def
	}
	return min(e.cfg.Explore.SampleRows, ceiling)
}

// SampleRows reads the first limit rows of path through explore's reader.
func (e *Engine) SampleRows(ctx context.Context, path string, ro explore.ReadOptions, limit int) (RowSample, error) {
	r, err := explore.Open(path, ro)
	if err != nil {
		return RowSample{}, err
	}
	defer r.Close()
	f := RowSample{Columns: r.Columns()}
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

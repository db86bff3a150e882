package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
)

// DiffOptions tune DiffRuns; the zero value reads dataset contents and
// computes drift at explore's default threshold.
type DiffOptions struct {
	// NoContent skips reading the datasets (rows, schema, drift): only the
	// recorded versions are compared.
	NoContent      bool
	DriftThreshold float64 // one limit for every drift statistic (JSD, L∞, KS, PSI); 0: the per-type defaults
	MaxPatch       int     // bytes per code patch; 0: experiments.DefaultMaxPatch
}

// RunDiff is everything that differs between two runs, most likely
// explanation of a metric change first: Changes is the store's provenance
// diff (data, code, params, command, image, env, runner, metrics, in that
// order), Data says how each changed input's content differs, Code how the
// code differs, and Summary puts all of it in one line per difference.
type RunDiff struct {
	A       string                `json:"a"`
	B       string                `json:"b"`
	Changes []experiments.Change  `json:"changes"`
	Data    []DataDiff            `json:"data,omitempty"`
	Code    *experiments.CodeDiff `json:"code,omitempty"`
	Summary []string              `json:"summary"`
}

// DataDiff is how one input's dataset version differs between two runs.
type DataDiff struct {
	Input string               `json:"input"`
	A     *experiments.Dataset `json:"a"` // nil: the run had no such input
	B     *experiments.Dataset `json:"b"`
	RowsA *int64               `json:"rows_a"` // nil: unknown
	RowsB *int64               `json:"rows_b"`
	// Schema changes, by column name.
	ColumnsAdded   []string     `json:"columns_added,omitempty"`
	ColumnsRemoved []string     `json:"columns_removed,omitempty"`
	TypeChanges    []TypeChange `json:"type_changes,omitempty"`
	// Drift of the shared columns, when both versions' contents are at hand
	// (the object store's copy, or the file at its path if unchanged).
	Drift *explore.DriftReport `json:"drift,omitempty"`
	Notes []string             `json:"notes,omitempty"` // why something could not be compared
}

// TypeChange is a column whose inferred type differs.
type TypeChange struct {
	Column string `json:"column"`
	A      string `json:"a"`
	B      string `json:"b"`
}

// DiffRuns compares two runs across everything recorded about them (see
// experiments.Store.DiffRuns) and goes further where the workspace allows:
// the content of changed datasets (rows, schema, per-column drift from
// explore) and the code (git diff between the commits, uncommitted patches).
// It needs no runner.
func (e *Engine) DiffRuns(ctx context.Context, idA, idB string, opts DiffOptions) (*RunDiff, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	ws := e.ws
	base, err := ws.Store.DiffRuns(ctx, idA, idB)
	if err != nil {
		return nil, err
	}
	d := &RunDiff{A: idA, B: idB, Changes: base.Changes}
	if d.Changes == nil {
		d.Changes = []experiments.Change{}
	}
	var codeA, codeB experiments.CodeVersion
	codeChanged := false
	for _, c := range d.Changes {
		switch c.Category {
		case experiments.DiffData:
			dd, err := diffData(ctx, ws, c, opts)
			if err != nil {
				return nil, err
			}
			d.Data = append(d.Data, dd)
		case experiments.DiffCode:
			codeChanged = true
		}
	}
	if codeChanged {
		ra, err := ws.Store.GetRun(ctx, idA)
		if err != nil {
			return nil, err
		}
		rb, err := ws.Store.GetRun(ctx, idB)
		if err != nil {
			return nil, err
		}
		codeA, codeB = ra.Code, rb.Code
		cd, err := ws.CodeDiff(ctx, codeA, codeB, opts.MaxPatch)
		if err != nil {
			return nil, err
		}
		d.Code = &cd
	}
	d.Summary = summarizeDiff(d)
	return d, nil
}

func diffData(ctx context.Context, ws *experiments.Workspace, c experiments.Change, opts DiffOptions) (DataDiff, error) {
	dd := DataDiff{Input: strings.TrimPrefix(c.Key, "input ")}
	if v, ok := c.A.(experiments.Dataset); ok {
		dd.A = &v
	}
	if v, ok := c.B.(experiments.Dataset); ok {
		dd.B = &v
	}
	var paths [2]string
	var schemas [2][]explore.SchemaField
	for i, ds := range []*experiments.Dataset{dd.A, dd.B} {
		if ds == nil {
			continue
		}
		rows := ds.Rows
		schema := recordedSchema(ds.Schema)
		if !opts.NoContent {
			p, note, err := versionContent(ctx, ws, *ds)
			if err != nil {
				return dd, err
			}
			if note != "" {
				dd.Notes = append(dd.Notes, note)
			}
			paths[i] = p
			if p != "" && (rows < 0 || schema == nil) {
				fp, err := explore.FingerprintFile(ctx, p, explore.ReadOptions{Format: readFormat(ds.Format), OnError: explore.OnErrorSkip})
				if err != nil {
					if ctx.Err() != nil {
						return dd, ctx.Err()
					}
					dd.Notes = append(dd.Notes, fmt.Sprintf("%s @%s: cannot read it as a table: %v", ds.Path, shortSHA(ds.SHA256), err))
					paths[i] = ""
				} else {
					rows, schema = fp.Rows, fp.Schema
				}
			}
		}
		if rows >= 0 {
			n := rows
			if i == 0 {
				dd.RowsA = &n
			} else {
				dd.RowsB = &n
			}
		}
		schemas[i] = schema
	}
	if schemas[0] != nil && schemas[1] != nil {
		dd.ColumnsAdded, dd.ColumnsRemoved, dd.TypeChanges = schemaDiff(schemas[0], schemas[1])
	}
	if paths[0] != "" && paths[1] != "" {
		fa, fb := readFormat(dd.A.Format), readFormat(dd.B.Format)
		if fa != fb {
			dd.Notes = append(dd.Notes, fmt.Sprintf("formats differ (%s, %s): no drift computed", dd.A.Format, dd.B.Format))
		} else {
			do := explore.DriftOptions{Read: explore.ReadOptions{Format: fa, OnError: explore.OnErrorSkip}}
			if t := opts.DriftThreshold; t > 0 { // one limit for every statistic, as lathe data drift --threshold
				do.Threshold, do.LInf, do.KS, do.PSI = t, t, t, t
			}
			rep, err := explore.Drift(ctx, paths[0], paths[1], do)
			if err != nil {
				if ctx.Err() != nil {
					return dd, ctx.Err()
				}
				dd.Notes = append(dd.Notes, "drift: "+err.Error())
			} else {
				rep.A, rep.B = dd.A.Path+"@"+shortSHA(dd.A.SHA256), dd.B.Path+"@"+shortSHA(dd.B.SHA256)
				dd.Drift = rep
			}
		}
	}
	return dd, nil
}

// VersionContent finds a readable copy of dataset version d: the object
// store's, else the file at its recorded path if its content still hashes
// to d's. It returns "" and a note saying why when neither exists (the file
// changed since, or is gone). Directories have no single readable copy.
func (e *Engine) VersionContent(ctx context.Context, d experiments.Dataset) (path, note string, err error) {
	if err := e.need(); err != nil {
		return "", "", err
	}
	return versionContent(ctx, e.ws, d)
}

func versionContent(ctx context.Context, ws *experiments.Workspace, d experiments.Dataset) (path, note string, err error) {
	if ws.Objects.Has(d.SHA256) {
		return ws.Objects.Path(d.SHA256), "", nil
	}
	if d.Format == "dir" {
		return "", fmt.Sprintf("%s @%s is a directory: compared by hash only", d.Path, shortSHA(d.SHA256)), nil
	}
	p := ws.Abs(d.Path)
	sum, _, err := hashFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Sprintf("%s @%s: the file is gone and the object store has no copy", d.Path, shortSHA(d.SHA256)), nil
	case err != nil:
		return "", "", fmt.Errorf("read %s: %w", p, err)
	case sum != d.SHA256:
		return "", fmt.Sprintf("%s @%s: the file has changed since (now @%s) and the object store has no copy of that version",
			d.Path, shortSHA(d.SHA256), shortSHA(sum)), nil
	}
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	return p, "", nil
}

// readFormat maps a recorded format to explore's; unknown ones ("" or an
// extension explore does not read) let explore sniff the content.
func readFormat(f string) explore.Format {
	switch explore.Format(f) {
	case explore.FormatCSV, explore.FormatTSV, explore.FormatJSON, explore.FormatJSONL, explore.FormatParquet:
		return explore.Format(f)
	}
	if f == "ndjson" {
		return explore.FormatJSONL
	}
	return ""
}

func recordedSchema(raw json.RawMessage) []explore.SchemaField {
	var fs []explore.SchemaField
	if len(raw) == 0 || json.Unmarshal(raw, &fs) != nil || len(fs) == 0 {
		return nil
	}
	return fs
}

func schemaDiff(a, b []explore.SchemaField) (added, removed []string, changed []TypeChange) {
	ta := map[string]string{}
	for _, f := range a {
		ta[f.Name] = string(f.Type)
	}
	tb := map[string]string{}
	for _, f := range b {
		tb[f.Name] = string(f.Type)
		if t, ok := ta[f.Name]; !ok {
			added = append(added, f.Name)
		} else if t != string(f.Type) {
			changed = append(changed, TypeChange{Column: f.Name, A: t, B: string(f.Type)})
		}
	}
	for _, f := range a {
		if _, ok := tb[f.Name]; !ok {
			removed = append(removed, f.Name)
		}
	}
	return added, removed, changed
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// summarize writes one line per difference, in the order of Changes.
func summarizeDiff(d *RunDiff) []string {
	out := []string{}
	data := map[string]DataDiff{}
	for _, dd := range d.Data {
		data[dd.Input] = dd
	}
	codeDone := false
	for _, c := range d.Changes {
		switch c.Category {
		case experiments.DiffData:
			out = append(out, dataLine(data[strings.TrimPrefix(c.Key, "input ")]))
		case experiments.DiffCode:
			if codeDone {
				continue
			}
			codeDone = true
			out = append(out, codeLines(d.Code, d.Changes)...)
		case experiments.DiffMetrics:
			out = append(out, metricLine(c))
		case experiments.DiffParams:
			out = append(out, fmt.Sprintf("param %s: %s → %s", c.Key, DiffValue(c.A), DiffValue(c.B)))
		default:
			out = append(out, fmt.Sprintf("%s: %s → %s", changeLabel(c), DiffValue(c.A), DiffValue(c.B)))
		}
	}
	return out
}

func changeLabel(c experiments.Change) string {
	if c.Category == experiments.DiffEnv {
		return "env " + c.Key
	}
	return c.Key
}

func dataLine(dd DataDiff) string {
	ver := func(d *experiments.Dataset) string {
		if d == nil {
			return "(none)"
		}
		return d.Path + " @" + shortSHA(d.SHA256)
	}
	s := fmt.Sprintf("input %s: %s → %s", dd.Input, ver(dd.A), ver(dd.B))
	var parts []string
	if dd.RowsA != nil && dd.RowsB != nil {
		if *dd.RowsA == *dd.RowsB {
			parts = append(parts, fmt.Sprintf("same %d rows", *dd.RowsA))
		} else {
			parts = append(parts, fmt.Sprintf("rows %d → %d (%+d)", *dd.RowsA, *dd.RowsB, *dd.RowsB-*dd.RowsA))
		}
	}
	for _, c := range dd.ColumnsAdded {
		parts = append(parts, "+column "+c)
	}
	for _, c := range dd.ColumnsRemoved {
		parts = append(parts, "−column "+c)
	}
	for _, tc := range dd.TypeChanges {
		parts = append(parts, fmt.Sprintf("%s %s → %s", tc.Column, tc.A, tc.B))
	}
	if dd.Drift != nil {
		var names []string
		for _, cd := range dd.Drift.Columns {
			if cd.Drifted {
				names = append(names, cd.Column)
			}
		}
		if len(names) == 0 {
			parts = append(parts, fmt.Sprintf("no column drifted (of %d)", len(dd.Drift.Columns)))
		} else {
			parts = append(parts, fmt.Sprintf("%d of %d columns drifted: %s", len(names), len(dd.Drift.Columns), strings.Join(names, ", ")))
		}
	}
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, "; ")
	}
	return s
}

func codeLines(cd *experiments.CodeDiff, changes []experiments.Change) []string {
	var out []string
	for _, c := range changes {
		if c.Category != experiments.DiffCode {
			continue
		}
		switch c.Key {
		case "commit":
			s := fmt.Sprintf("code: commit %s → %s", shortCommit(c.A), shortCommit(c.B))
			if cd != nil && len(cd.Files) > 0 {
				add, del := 0, 0
				var names []string
				for _, f := range cd.Files {
					add, del = add+max(f.Added, 0), del+max(f.Deleted, 0)
					names = append(names, f.Path)
				}
				s += fmt.Sprintf(" (%d files, +%d −%d: %s)", len(cd.Files), add, del, diffList(names, 5))
			} else if cd != nil && cd.CommitsNote != "" {
				s += " (" + cd.CommitsNote + ")"
			}
			out = append(out, s)
		default:
			s := fmt.Sprintf("code: %s %s → %s", c.Key, DiffValue(c.A), DiffValue(c.B))
			if cd != nil {
				var touched []string
				for _, dy := range []*experiments.Dirty{cd.DirtyA, cd.DirtyB} {
					if dy != nil {
						touched = append(touched, dy.Files...)
					}
				}
				if len(touched) > 0 {
					s += " (touching " + diffList(sortedUnique(touched), 5) + ")"
				}
			}
			out = append(out, s)
		}
	}
	return out
}

func metricLine(c experiments.Change) string {
	a, okA := c.A.(float64)
	b, okB := c.B.(float64)
	s := fmt.Sprintf("metric %s: %s → %s", c.Key, DiffValue(c.A), DiffValue(c.B))
	if okA && okB {
		s += fmt.Sprintf(" (%+.4g", b-a)
		if a != 0 {
			s += fmt.Sprintf(", %+.2f%%", 100*(b-a)/math.Abs(a))
		}
		s += ")"
	}
	return s
}

func shortCommit(v any) string {
	s, ok := v.(string)
	if !ok || s == "" {
		return "(none)"
	}
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// DiffValue shows one side of a change in a run diff, the same in the CLI and
// the Runs screen: "(none)" when absent, strings quoted when blank-edged.
func DiffValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		if x == "" || strings.TrimSpace(x) != x {
			return strconv.Quote(x)
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []string:
		return strings.Join(x, " ")
	case experiments.Dataset:
		return x.Path + " @" + x.SHA256[:min(12, len(x.SHA256))]
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func diffList(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(", … %d more", len(xs)-n)
}

func sortedUnique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/report"
)

// Reports, plots and exports: the engine gathers what the store and the
// profiler hold into report's plain types and writes the files report
// renders. Files are written whole or not at all (a temporary file renamed
// into place), so an interrupted report never leaves half a page.

// ReportInfo is what WriteReport wrote: `lathe report --json`.
type ReportInfo struct {
	Kind  string `json:"kind"` // run, study or dataset
	Ref   string `json:"ref"`  // the run id, study name or dataset path
	Path  string `json:"path"` // the file written; "-" for a writer
	Bytes int64  `json:"bytes"`
}

// maxStudyCurves bounds how many trials' runs a study report reads series
// of (the newest are kept).
const maxStudyCurves = 200

// RunReport gathers a run's page: its record and every metric series.
func (e *Engine) RunReport(ctx context.Context, id string) (report.Run, error) {
	if err := e.need(); err != nil {
		return report.Run{}, err
	}
	rec, err := e.ws.Store.GetRunRecord(ctx, id)
	if err != nil {
		return report.Run{}, err
	}
	series, err := e.ws.Store.MetricSeries(ctx, id)
	if err != nil {
		return report.Run{}, err
	}
	return report.Run{Record: rec, Series: series}, nil
}

// StudyReportData gathers a study's page: StudyStatus, and the series of
// the objectives of each trial's run.
func (e *Engine) StudyReportData(ctx context.Context, name string) (report.Study, error) {
	rep, err := e.StudyStatus(ctx, name)
	if err != nil {
		return report.Study{}, err
	}
	s := report.Study{Name: rep.Study, Status: rep.Status, Spec: rep.Spec.Spec, Trials: rep.Trials, Pareto: rep.Pareto, Best: rep.Best,
		Hypervolume: rep.Hypervolume, HypervolumeHistory: rep.HypervolumeHistory, Reference: rep.Reference, Importance: rep.Importance,
		Budget: rep.Budget, Curves: map[int]map[string][]experiments.Sample{}}
	var objectives []string
	for _, m := range rep.Spec.Metrics {
		if m.Strategy == "" || m.Strategy == optimizer.StrategyOptimize {
			objectives = append(objectives, m.Name)
		}
	}
	first := max(0, len(rep.Trials)-maxStudyCurves)
	for _, t := range rep.Trials[first:] {
		if t.RunID == "" {
			continue
		}
		series, err := e.ws.Store.MetricSeries(ctx, t.RunID)
		if errors.Is(err, experiments.ErrNotFound) {
			continue // the run was collected; the trial keeps its values
		}
		if err != nil {
			return report.Study{}, err
		}
		for _, m := range objectives {
			if pts := series[m]; len(pts) > 1 {
				if s.Curves[t.Number] == nil {
					s.Curves[t.Number] = map[string][]experiments.Sample{}
				}
				s.Curves[t.Number][m] = pts
			}
		}
	}
	return s, nil
}

// DatasetReport profiles a data file for its page. path is a file; a
// registered version of it with the same content is named on the page.
func (e *Engine) DatasetReport(ctx context.Context, path string) (report.Dataset, error) {
	ro, err := e.ReadOptions("")
	if err != nil {
		return report.Dataset{}, err
	}
	p, err := e.Profile(ctx, path, e.ProfileOptions(ro))
	if err != nil {
		return report.Dataset{}, err
	}
	d := report.Dataset{Profile: p}
	if e.ws != nil && p.Source.SHA256 != "" {
		vs, err := e.ws.Store.DatasetsBySHA(ctx, p.Source.SHA256)
		if err != nil {
			return d, err
		}
		abs, _ := filepath.Abs(path)
		for _, v := range vs {
			if v.SHA256 == p.Source.SHA256 && v.Path == e.ws.Rel(abs) {
				d.Version = &v
				break
			}
		}
	}
	return d, nil
}

// report resolves ref (as `lathe lineage` does: a run id or prefix, a study
// name, a dataset path or version, KIND:ID) and renders its page to w. A
// data file that was never registered is profiled too.
func (e *Engine) report(ctx context.Context, ref string, w io.Writer) (ReportInfo, error) {
	o := report.Options{Version: e.opts.Version, Generated: time.Now()}
	if e.ws == nil && isFile(ref) {
		return e.datasetPage(ctx, ref, w, o) // any file, as `lathe data profile` takes
	}
	nodes, err := e.ResolveRef(ctx, ref)
	if err != nil {
		var ie *config.InputError
		if errors.As(err, &ie) && isFile(ref) {
			return e.datasetPage(ctx, ref, w, o)
		}
		return ReportInfo{}, err
	}
	n := nodes[0]
	switch n.Kind {
	case experiments.KindRun:
		r, err := e.RunReport(ctx, n.ID)
		if err != nil {
			return ReportInfo{}, err
		}
		return ReportInfo{Kind: "run", Ref: n.ID}, report.WriteRun(w, r, o)
	case experiments.KindStudy:
		id, _ := strconv.ParseInt(n.ID, 10, 64)
		st, err := e.ws.Store.GetStudyByID(ctx, id)
		if err != nil {
			return ReportInfo{}, err
		}
		s, err := e.StudyReportData(ctx, st.Name)
		if err != nil {
			return ReportInfo{}, err
		}
		return ReportInfo{Kind: "study", Ref: st.Name}, report.WriteStudy(w, s, o)
	case experiments.KindDataset:
		if isFile(ref) {
			return e.datasetPage(ctx, ref, w, o)
		}
		id, _ := strconv.ParseInt(n.ID, 10, 64)
		v, err := e.ws.Store.GetDataset(ctx, id)
		if err != nil {
			return ReportInfo{}, err
		}
		path := e.ws.Abs(v.Path)
		if !isFile(path) {
			return ReportInfo{}, &config.InputError{Field: "REF", Msg: fmt.Sprintf("dataset version %d was %s, which is no longer there", v.ID, v.Path)}
		}
		d, err := e.DatasetReport(ctx, path)
		if err != nil {
			return ReportInfo{}, err
		}
		if d.Profile.Source.SHA256 != v.SHA256 {
			return ReportInfo{}, &config.InputError{Field: "REF", Msg: fmt.Sprintf("%s has changed since dataset version %d was registered (sha256 %.12s, now %.12s); `lathe report %s` reports the file as it is now",
				v.Path, v.ID, v.SHA256, d.Profile.Source.SHA256, v.Path)}
		}
		d.Profile.Source.Path = v.Path
		return ReportInfo{Kind: "dataset", Ref: v.Path}, report.WriteDataset(w, d, o)
	}
	return ReportInfo{}, &config.InputError{Field: "REF", Msg: fmt.Sprintf("%s is %s %s; lathe report takes a run, a study or a dataset", ref, article(n.Kind), n.Kind)}
}

func (e *Engine) datasetPage(ctx context.Context, path string, w io.Writer, o report.Options) (ReportInfo, error) {
	d, err := e.DatasetReport(ctx, path)
	if err != nil {
		return ReportInfo{}, err
	}
	return ReportInfo{Kind: "dataset", Ref: path}, report.WriteDataset(w, d, o)
}

func article(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// RenderReport writes REF's page to w.
func (e *Engine) RenderReport(ctx context.Context, ref string, w io.Writer) (ReportInfo, error) {
	cw := &countingWriter{w: w}
	info, err := e.report(ctx, ref, cw)
	info.Path, info.Bytes = "-", cw.n
	return info, err
}

// WriteReport writes REF's page to the file out; "" means REF.html in the
// current directory (REF's base name, with characters a file name should
// not hold replaced).
func (e *Engine) WriteReport(ctx context.Context, ref, out string) (ReportInfo, error) {
	if out == "" {
		out = DefaultOutName(ref, ".html")
	}
	var info ReportInfo
	n, err := writeFileAtomic(out, "--out", func(w io.Writer) error {
		var err error
		info, err = e.report(ctx, ref, w)
		return err
	})
	info.Path, info.Bytes = out, n
	return info, err
}

// DefaultOutName is the file a report of ref is written to when no --out
// is given: ref's base name (a dataset path's file name) made safe, with
// ext.
func DefaultOutName(ref, ext string) string {
	return safeFileName(filepath.Base(filepath.Clean(ref)), ext)
}

// safeFileName keeps letters, digits, '.', '-' and '_' of s, writing '_'
// for anything else (a '/' of sys/cpu, a ':' of study:NAME), and adds ext.
func safeFileName(s, ext string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		out = "report"
	}
	return out + ext
}

// writeFileAtomic writes what fill writes to path through a temporary file
// in the same directory, renamed into place only when fill succeeded.
func writeFileAtomic(path, field string, fill func(io.Writer) error) (int64, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return 0, &config.InputError{Field: field, File: path, Msg: "its directory " + dir + " does not exist"}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return 0, &config.InputError{Field: field, File: path, Msg: "is a directory; give a file name"}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	cw := &countingWriter{w: f}
	if err := fill(cw); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// PlotRequest is a chart of metric series of runs, to a file.
type PlotRequest struct {
	Runs    []string // run ids or unique prefixes
	Metrics []string
	Out     string // .svg or .png; "" is METRIC.svg; "-" is SVG to the writer
	Width   int
	Height  int
	LogY    bool
}

// PlotInfo is what Plot wrote: `lathe plot --json`.
type PlotInfo struct {
	Path   string   `json:"path"`
	Format string   `json:"format"`
	Bytes  int64    `json:"bytes"`
	Runs   []string `json:"runs"`
	Series int      `json:"series"`
}

// PlotFormat is the image format an --out path asks for, by extension.
func PlotFormat(out string) (string, error) {
	if out == "-" {
		return "svg", nil
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".svg":
		return "svg", nil
	case ".png":
		return "png", nil
	}
	return "", &config.InputError{Field: "--out", Msg: fmt.Sprintf("%q: give a file ending in .svg or .png", out)}
}

// Plot draws the runs' series of the metrics as one chart: an SVG or PNG
// file by --out's extension, or SVG to w when Out is "-".
func (e *Engine) Plot(ctx context.Context, req PlotRequest, w io.Writer) (PlotInfo, error) {
	if len(req.Metrics) == 0 {
		return PlotInfo{}, &config.InputError{Field: "--metric", Msg: "required: the metric to plot, e.g. --metric val_loss (lathe runs metrics RUN lists them)"}
	}
	if req.Out == "" {
		req.Out = safeFileName(strings.Join(req.Metrics, "_"), ".svg")
	}
	fmtName, err := PlotFormat(req.Out)
	if err != nil {
		return PlotInfo{}, err
	}
	if req.Width == 0 {
		req.Width = 800
	}
	if req.Height == 0 {
		req.Height = 480
	}
	if err := report.CheckSize(req.Width, req.Height); err != nil {
		return PlotInfo{}, &config.InputError{Field: "--width", Msg: err.Error()}
	}
	ids := make([]string, len(req.Runs))
	for i, p := range req.Runs {
		if ids[i], err = e.ResolveRun(ctx, p); err != nil {
			return PlotInfo{}, err
		}
	}
	curves, err := e.Curves(ctx, ids, req.Metrics)
	if err != nil {
		return PlotInfo{}, err
	}
	cs := make([]report.Curve, len(curves))
	for i, c := range curves {
		cs[i] = report.Curve{RunID: c.RunID, Name: c.Name, Metric: c.Metric, Points: c.Points}
	}
	o := report.PlotOptions{Width: req.Width, Height: req.Height, LogY: req.LogY}
	draw := func(w io.Writer) error {
		if fmtName == "png" {
			return report.WriteCurvesPNG(w, cs, o)
		}
		return report.WriteCurvesSVG(w, cs, o)
	}
	info := PlotInfo{Path: req.Out, Format: fmtName, Runs: ids, Series: len(cs)}
	if req.Out == "-" {
		cw := &countingWriter{w: w}
		err = draw(cw)
		info.Bytes = cw.n
		return info, err
	}
	info.Bytes, err = writeFileAtomic(req.Out, "--out", draw)
	return info, err
}

// RunsExport gathers the runs f selects, newest first, with every metric
// series, as report.RunsTable lays them out: one row per run.
func (e *Engine) RunsExport(ctx context.Context, f experiments.RunFilter) (report.Table, error) {
	recs, err := e.ListRunRecords(ctx, f)
	if err != nil {
		return report.Table{}, err
	}
	runs := make([]report.Run, len(recs))
	for i, rec := range recs {
		series, err := e.ws.Store.MetricSeries(ctx, rec.ID)
		if err != nil {
			return report.Table{}, err
		}
		runs[i] = report.Run{Record: rec, Series: series}
	}
	return report.RunsTable(runs), nil
}

// ExportInfo is what ExportRuns wrote.
type ExportInfo struct {
	Path    string `json:"path"` // "-" for the writer
	Format  string `json:"format"`
	Rows    int    `json:"rows"`
	Columns int    `json:"columns"`
	Bytes   int64  `json:"bytes"`
}

// ExportFormat is the export format asked for: format if given, else by
// out's extension (.csv, .jsonl or .ndjson, .parquet), else csv.
func ExportFormat(format, out string) (string, error) {
	if format != "" {
		if !slices.Contains(report.ExportFormats(), format) {
			return "", &config.InputError{Field: "--format", Msg: fmt.Sprintf("%q is not valid; use %s", format, strings.Join(report.ExportFormats(), ", "))}
		}
		return format, nil
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	case ".parquet":
		return "parquet", nil
	}
	return "csv", nil
}

// ExportRuns writes the runs f selects as a table in format to out ("-":
// to w).
func (e *Engine) ExportRuns(ctx context.Context, f experiments.RunFilter, format, out string, w io.Writer) (ExportInfo, error) {
	format, err := ExportFormat(format, out)
	if err != nil {
		return ExportInfo{}, err
	}
	t, err := e.RunsExport(ctx, f)
	if err != nil {
		return ExportInfo{}, err
	}
	info := ExportInfo{Path: out, Format: format, Rows: len(t.Rows), Columns: len(t.Columns)}
	if out == "" || out == "-" {
		info.Path = "-"
		cw := &countingWriter{w: w}
		err = report.WriteTable(cw, t, format)
		info.Bytes = cw.n
		return info, err
	}
	info.Bytes, err = writeFileAtomic(out, "--out", func(w io.Writer) error { return report.WriteTable(w, t, format) })
	return info, err
}

package runs

import (
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// "diff with…": engine.DiffRuns in a background job (cancelled by esc or by
// leaving the tab), shown as one scrollable page: the engine's summary
// lines first (most likely cause of a metric change first), then a section
// per kind of provenance.

// maxPatchLines bounds each code patch shown; the whole one is in
// `lathe runs diff --json`.
const maxPatchLines = 400

type diffPayload struct {
	d    *engine.RunDiff
	a, b experiments.Run
}

type lineKind int

const (
	lineHead lineKind = iota
	lineSummary
	lineText
	lineMuted
	linePatch // code: clipped, never wrapped
	lineAdd
	lineDel
)

type diffLine struct {
	kind lineKind
	text string
}

// pageLines are a diff page's lines as they are laid out.
type pageLines []diffLine

// add appends a line, on one line and with control characters escaped:
// params, environment values, paths and patches are the runs' text.
func (l *pageLines) add(k lineKind, layout string, args ...any) {
	*l = append(*l, diffLine{k, format.OneLine(fmt.Sprintf(layout, args...))})
}

// diffView is the diff page of two runs.
type diffView struct {
	a, b   string
	seq    uint64
	cancel context.CancelFunc
	res    *diffPayload
	err    error
	top    int
	// wrapped caches the lines wrapped to width cacheW.
	cacheW  int
	wrapped []diffLine
}

// Loading reports whether the diff is still being computed.
func (d *diffView) loading() bool { return d.res == nil && d.err == nil }

// startDiff computes the diff of runs a and b, replacing any diff shown.
func (s *Screen) startDiff(a, b string) tea.Cmd {
	if s.diff != nil && s.diff.cancel != nil {
		s.diff.cancel()
	}
	e := s.c.Engine()
	// Jobs cancels all its jobs or none; this context lets esc cancel the
	// diff alone.
	dctx, cancel := context.WithCancel(s.c.Base())
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		ctx, stop := context.WithCancel(ctx)
		defer stop()
		defer context.AfterFunc(dctx, stop)()
		// Errors travel with a diffPayload too, so the screen can tell a
		// closed diff's late failure from other work's.
		d, err := e.DiffRuns(ctx, a, b, engine.DiffOptions{})
		if err != nil {
			return diffPayload{}, fmt.Errorf("diff %s %s: %w", a, b, err)
		}
		ra, err := e.GetRun(ctx, a)
		if err != nil {
			return diffPayload{}, err
		}
		rb, err := e.GetRun(ctx, b)
		if err != nil {
			return diffPayload{}, err
		}
		return diffPayload{d: d, a: ra, b: rb}, nil
	})
	s.diff = &diffView{a: a, b: b, seq: seq, cancel: cancel}
	s.note, s.err = "", nil
	return cmd
}

func (s *Screen) closeDiff() {
	if s.diff != nil && s.diff.cancel != nil {
		s.diff.cancel()
	}
	s.diff = nil
}

func (s *Screen) updateDiff(msg tea.KeyPressMsg) tea.Cmd {
	k, d := s.Keys, s.diff
	switch {
	case key.Matches(msg, k.Back):
		s.closeDiff()
	case key.Matches(msg, k.Refresh):
		return s.startDiff(d.a, d.b)
	case key.Matches(msg, k.Lineage):
		return jumpToLineage(d.b)
	default:
		body := max(s.h-2, 1) // the page less its title and the bottom line
		d.update(msg, k, max(body-1, 1))
	}
	return nil
}

// update scrolls the page; view clamps it.
func (d *diffView) update(msg tea.KeyPressMsg, k KeyMap, page int) {
	d.top, _ = k.Move(msg, d.top, page, math.MaxInt32)
}

// view renders the diff page in w x h.
func (d *diffView) view(st *styles.Styles, w, h int) string {
	title := fmt.Sprintf("diff %s → %s", d.a, d.b)
	var body []diffLine
	switch {
	case d.err != nil:
		body = []diffLine{{lineText, "Could not diff the runs: " + d.err.Error()}}
	case d.res == nil:
		body = []diffLine{{lineMuted, "Comparing params, data (rows, schema, drift), code, image, environment, runner and metrics… (esc cancels)"}}
	default:
		if d.cacheW != w || d.wrapped == nil {
			d.wrapped = wrapLines(DiffLines(d.res.d, d.res.a, d.res.b), w)
			d.cacheW = w
		}
		body = d.wrapped
	}
	if d.err != nil || d.res == nil {
		body = wrapLines(body, w)
	}
	bh := max(h-1, 0)
	d.top = max(min(d.top, len(body)-bh), 0)
	if len(body) > bh {
		title += fmt.Sprintf("  %d–%d of %d", d.top+1, min(d.top+bh, len(body)), len(body))
	}
	lines := []string{st.Title.Render(frame.Line(title, w))}
	for i := d.top; i < len(body) && i < d.top+bh; i++ {
		l := body[i]
		var out string
		switch l.kind {
		case lineHead:
			out = st.Title.Render(l.text)
		case lineSummary:
			out = st.Text.Bold(true).Render(l.text)
		case lineMuted:
			out = st.Muted.Render(l.text)
		case lineAdd:
			out = st.Title.UnsetBold().Render(l.text)
		case lineDel:
			out = st.Error.UnsetBold().Render(l.text)
		default:
			out = st.Text.Render(l.text)
		}
		lines = append(lines, out)
	}
	return strings.Join(lines, "\n")
}

// wrapLines fits each line to w cells: prose wraps (continuations indented),
// code is clipped.
func wrapLines(in []diffLine, w int) []diffLine {
	var out []diffLine
	for _, l := range in {
		switch l.kind {
		case linePatch, lineAdd, lineDel:
			out = append(out, diffLine{l.kind, ansi.Truncate(l.text, max(w, 1), "…")})
			continue
		}
		indent := len(l.text) - len(strings.TrimLeft(l.text, " "))
		cont := strings.Repeat(" ", min(indent+2, max(w/3, 0)))
		first := true
		rest := l.text
		for {
			lim := w
			if !first {
				lim = w - len(cont)
			}
			lim = max(lim, 1)
			wrapped := strings.SplitN(ansi.Wrap(rest, lim, ""), "\n", 2)
			line := wrapped[0]
			if !first {
				line = cont + line
			}
			out = append(out, diffLine{l.kind, line})
			first = false
			if len(wrapped) < 2 || strings.TrimSpace(wrapped[1]) == "" {
				break
			}
			rest = strings.TrimLeft(wrapped[1], " ")
		}
	}
	return out
}

// DiffLines lays out a run diff: the summary, then params (and command),
// data, code, image, environment, runner and metrics. a and b are the two
// runs' records, for what they share.
func DiffLines(d *engine.RunDiff, a, b experiments.Run) []diffLine {
	var out pageLines
	add := out.add
	by := map[string][]experiments.Change{}
	for _, c := range d.Changes {
		by[c.Category] = append(by[c.Category], c)
	}
	section := func(name string) {
		if len(out) > 0 {
			add(lineText, "")
		}
		add(lineHead, "%s", name)
	}

	add(lineHead, "Summary: %d differences, most likely cause first", len(d.Summary))
	if len(d.Summary) == 0 {
		add(lineMuted, "  none: same params, data, code, image, environment, runner and final metrics")
	}
	for _, l := range d.Summary {
		add(lineSummary, "  %s", l)
	}

	section("Params")
	for _, c := range by[experiments.DiffParams] {
		add(lineText, "  %s: %s → %s", c.Key, value(c.A), value(c.B))
	}
	var same []string
	for _, k := range slices.Sorted(maps.Keys(a.Params)) {
		if v, ok := b.Params[k]; ok && reflect.DeepEqual(v, a.Params[k]) {
			same = append(same, fmt.Sprintf("%s=%v", k, v))
		}
	}
	if len(same) > 0 {
		add(lineMuted, "  same: %s", strings.Join(same, " "))
	} else if len(by[experiments.DiffParams]) == 0 {
		add(lineMuted, "  no params")
	}
	for _, c := range by[experiments.DiffCommand] {
		add(lineText, "  command: %s", value(c.A))
		add(lineText, "       → %s", value(c.B))
	}
	if len(by[experiments.DiffCommand]) == 0 {
		add(lineMuted, "  same command: %s", strings.Join(a.Command, " "))
	}

	section("Data")
	if len(d.Data) == 0 {
		add(lineMuted, "  same input versions")
	}
	for _, dd := range d.Data {
		dataLines(&out, dd)
	}

	section("Code")
	if len(by[experiments.DiffCode]) == 0 {
		add(lineMuted, "  same code version: %s", codeText(a.Code))
	} else {
		add(lineText, "  %s → %s", codeText(a.Code), codeText(b.Code))
		codeLines(&out, d.Code)
	}

	section("Image")
	for _, c := range by[experiments.DiffImage] {
		add(lineText, "  %s: %s → %s", c.Key, value(c.A), value(c.B))
	}
	if len(by[experiments.DiffImage]) == 0 {
		img := strings.TrimSpace(a.Image + " " + a.ImageDigest)
		if img == "" {
			img = "none (local process)"
		}
		add(lineMuted, "  same image: %s", img)
	}

	section("Environment")
	for _, c := range by[experiments.DiffEnv] {
		add(lineText, "  %s: %s → %s", c.Key, value(c.A), value(c.B))
	}
	if len(by[experiments.DiffEnv]) == 0 {
		add(lineMuted, "  same environment (%d variables)", len(a.Env))
	}

	section("Runner")
	for _, c := range by[experiments.DiffRunner] {
		add(lineText, "  %s: %s → %s", c.Key, value(c.A), value(c.B))
	}
	if len(by[experiments.DiffRunner]) == 0 {
		add(lineMuted, "  same runner: %s", strings.TrimSuffix(a.Runner+" @ "+a.Host, " @ "))
	}

	section("Metrics (final values)")
	for _, c := range by[experiments.DiffMetrics] {
		l := fmt.Sprintf("  %s: %s → %s", c.Key, value(c.A), value(c.B))
		x, okA := c.A.(float64)
		y, okB := c.B.(float64)
		if okA && okB {
			l += fmt.Sprintf("  (%+.4g", y-x)
			if x != 0 {
				l += fmt.Sprintf(", %+.2f%%", 100*(y-x)/math.Abs(x))
			}
			l += ")"
		}
		add(lineText, "%s", l)
	}
	if len(by[experiments.DiffMetrics]) == 0 {
		add(lineMuted, "  same final metrics")
	}
	return out
}

func dataLines(out *pageLines, dd engine.DataDiff) {
	add := out.add
	ver := func(d *experiments.Dataset, rows *int64) string {
		if d == nil {
			return "(no such input)"
		}
		s := fmt.Sprintf("%s @%s, %d bytes", d.Path, d.SHA256[:min(12, len(d.SHA256))], d.Size)
		if rows != nil {
			s += fmt.Sprintf(", %d rows", *rows)
		}
		return s
	}
	add(lineText, "  input %s", dd.Input)
	add(lineText, "    A: %s", ver(dd.A, dd.RowsA))
	add(lineText, "    B: %s", ver(dd.B, dd.RowsB))
	if len(dd.ColumnsAdded) > 0 {
		add(lineText, "    columns added: %s", strings.Join(dd.ColumnsAdded, ", "))
	}
	if len(dd.ColumnsRemoved) > 0 {
		add(lineText, "    columns removed: %s", strings.Join(dd.ColumnsRemoved, ", "))
	}
	for _, tc := range dd.TypeChanges {
		add(lineText, "    %s: type %s → %s", tc.Column, tc.A, tc.B)
	}
	if r := dd.Drift; r != nil {
		add(lineText, "    drift (Jensen–Shannon, drifted above %.3g): %d of %d columns", r.Threshold, r.Drifted, len(r.Columns))
		for _, c := range r.Columns {
			mark := ""
			if c.Drifted {
				mark = "  drifted"
			}
			add(lineText, "      %-16s %-11s JSD %.3f  PSI %.3f%s", format.Clip(c.Column, 16), c.Kind, c.JSD, c.PSI, mark)
		}
	}
	for _, n := range dd.Notes {
		add(lineMuted, "    %s", n)
	}
}

func codeLines(out *pageLines, cd *experiments.CodeDiff) {
	if cd == nil {
		return
	}
	add := out.add
	if cd.CommitsNote != "" {
		add(lineMuted, "  %s", cd.CommitsNote)
	}
	if len(cd.Files) > 0 {
		add(lineText, "  %d files changed between the commits:", len(cd.Files))
		for _, f := range cd.Files {
			if f.Added < 0 {
				add(lineText, "    %s (binary)", f.Path)
			} else {
				add(lineText, "    %s +%d −%d", f.Path, f.Added, f.Deleted)
			}
		}
	}
	patch(out, cd.Patch)
	for _, side := range []struct {
		name string
		d    *experiments.Dirty
	}{{"A", cd.DirtyA}, {"B", cd.DirtyB}} {
		if side.d == nil {
			continue
		}
		add(lineText, "  uncommitted changes of %s: %s", side.name, strings.Join(side.d.Files, ", "))
		if side.d.Note != "" {
			add(lineMuted, "    %s", side.d.Note)
		}
		patch(out, side.d.Patch)
	}
	if cd.Truncated {
		add(lineMuted, "  (a patch was cut at the size limit)")
	}
}

func patch(out *pageLines, p string) {
	if p == "" {
		return
	}
	ls := strings.Split(strings.TrimRight(p, "\n"), "\n")
	for i, l := range ls {
		if i == maxPatchLines {
			*out = append(*out, diffLine{lineMuted, fmt.Sprintf("    … %d more lines (lathe runs diff --json)", len(ls)-i)})
			break
		}
		l = format.OneLine(l)
		k := linePatch
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			k = lineAdd
		case strings.HasPrefix(l, "-"):
			k = lineDel
		}
		*out = append(*out, diffLine{k, "    " + l})
	}
}

// value shows one side of a change: "(none)" when absent.
func value(v any) string { return engine.DiffValue(v) }

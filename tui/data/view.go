package data

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/rowtable"
	"github.com/lathe-ml/lathe/tui/components/spark"
)

// detailSplitWidth is the body width from which the column list shows the
// selected column's detail beside it instead of on its own view.
const detailSplitWidth = 120

// View renders the body: a header line, a view bar, the current view.
func (s *Screen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	lines := []string{s.headerLine(), s.viewBar()}
	bodyH := s.h - len(lines)
	var body []string
	switch {
	case s.profiling != 0 && s.view != viewFiles:
		body = s.progressView()
	case s.view == viewFiles:
		body = s.filesView(bodyH)
	case s.profErr != nil:
		body = s.errorLines("Could not profile "+s.rel(s.path), s.profErr)
	case s.prof == nil:
		body = []string{s.c.Styles.Muted.Render(" Pick a file (f).")}
	case s.view == viewColumns:
		body = s.columnsView(bodyH)
	case s.view == viewDetail:
		body = s.detailLines(&s.prof.Columns[s.colCur], s.w-1)
		body = scrollLines(body, &s.scroll, bodyH)
		body = indent(body)
	case s.view == viewAlerts:
		body = scrollLines(s.alertsLines(), &s.scroll, bodyH)
	case s.view == viewRows:
		body = s.rowsView(bodyH)
	case s.view == viewDrift:
		body = scrollLines(s.driftLines(), &s.scroll, bodyH)
	case s.view == viewSplit:
		body = scrollLines(s.splitLines(), &s.scroll, bodyH)
	}
	lines = append(lines, body...)
	return frame.Fit(strings.Join(lines, "\n"), s.w, s.h)
}

func (s *Screen) headerLine() string {
	st := s.c.Styles
	if s.message != "" {
		return st.Title.Render(" Data") + st.Text.Render("  ·  "+s.message)
	}
	if s.path == "" {
		return st.Title.Render(" Data") + st.Muted.Render("  ·  "+s.rootLabel())
	}
	title := st.Title.Render(" " + s.rel(s.path))
	if p := s.prof; p != nil {
		info := fmt.Sprintf("  %s · %s · %s rows · %d columns · %s",
			p.Source.Format, format.Bytes(p.Source.Bytes), format.Digits(p.Rows), len(p.Columns), plural(len(p.Alerts), "alert"))
		if p.DuplicateRows > 0 {
			info += fmt.Sprintf(" · %s duplicate rows", format.Digits(p.DuplicateRows))
		}
		return title + st.Muted.Render(info)
	}
	return title
}

func (s *Screen) rootLabel() string {
	if r := s.root(); r != "" {
		return r
	}
	return "no workspace"
}

// viewBar names the views with their keys, the current one highlighted.
func (s *Screen) viewBar() string {
	st := s.c.Styles
	type item struct {
		key  string
		v    view
		name string
	}
	items := []item{{"f", viewFiles, "files"}, {"c", viewColumns, "columns"}, {"a", viewAlerts, "alerts"},
		{"r", viewRows, "rows"}, {"d", viewDrift, "drift"}, {"s", viewSplit, "split"}}
	var parts []string
	for _, it := range items {
		label := it.key + " " + it.name
		if it.v == viewAlerts && s.prof != nil {
			label += fmt.Sprintf(" (%d)", len(s.prof.Alerts))
		}
		cur := s.view
		if cur == viewDetail {
			cur = viewColumns
		}
		switch {
		case it.v == cur:
			parts = append(parts, st.TabActive.Render(label))
		case s.prof == nil && it.v != viewFiles:
			parts = append(parts, st.Muted.Faint(true).Padding(0, 1).Render(label))
		default:
			parts = append(parts, st.TabInactive.Render(label))
		}
	}
	return strings.Join(parts, "")
}

// cursor highlights the selected line: the active tab's look without its
// padding, so the line keeps its width.
func (s *Screen) cursor() lipgloss.Style { return s.c.Styles.TabActive.Padding(0) }

func (s *Screen) errorLines(what string, err error) []string {
	st := s.c.Styles
	out := []string{"", " " + st.Error.Render(what+":")}
	for _, l := range wrap(err.Error(), s.w-4) {
		out = append(out, "   "+st.Text.Render(l))
	}
	return append(out, "", " "+st.Muted.Render("f: pick another file"))
}

// progressView is the progress bar of the running profile.
func (s *Screen) progressView() []string {
	st := s.c.Styles
	frac := 0.0
	rows := int64(0)
	if s.box != nil {
		frac, rows = s.box.fraction(), s.box.rows.Load()
	}
	barW := clamp(s.w-30, 10, 60)
	full := int(math.Round(frac * float64(barW)))
	bar := strings.Repeat("█", full) + strings.Repeat("░", barW-full)
	elapsed := time.Since(s.started).Truncate(100 * time.Millisecond)
	return []string{
		"",
		" " + st.Text.Render("Profiling "+s.rel(s.path)+" …"),
		"",
		" " + st.Title.Render(bar) + st.Text.Render(fmt.Sprintf(" %3.0f%%", 100*frac)),
		" " + st.Muted.Render(fmt.Sprintf("%s rows read · %s", format.Digits(rows), elapsed)),
		"",
		" " + st.Muted.Render("esc cancels; the other tabs stay usable meanwhile."),
	}
}

func (s *Screen) listHeight() int { return max(s.h-3, 1) }

func (s *Screen) filesView(h int) []string {
	st := s.c.Styles
	var out []string
	switch {
	case s.filesErr != nil:
		return s.errorLines("Could not list the data files in "+s.rootLabel(), s.filesErr)
	case !s.filesLoaded:
		return []string{"", " " + st.Muted.Render("Looking for data files in "+s.rootLabel()+" …")}
	case len(s.files) == 0:
		return []string{"", " " + st.Text.Render("No data files (CSV, TSV, JSON, JSON Lines, Parquet) under "+s.rootLabel()+".")}
	}
	title := fmt.Sprintf(" %d data files", len(s.files))
	if s.pick == pickDrift {
		title = " Compare " + s.rel(s.path) + " with:"
	}
	out = append(out, st.Muted.Render(title))
	listH := max(h-1, 1)
	s.fileTop = scrollTop(s.fileCur, s.fileTop, listH, len(s.files))
	sizeW := 9
	nameW := max(s.w-sizeW-4, 8)
	for i := s.fileTop; i < len(s.files) && i < s.fileTop+listH; i++ {
		f := s.files[i]
		line := fmt.Sprintf("%s %9s", frame.Line(f.Rel, nameW), format.Bytes(f.Size))
		if i == s.fileCur {
			out = append(out, s.cursor().Render("▸"+line))
		} else {
			marker := " "
			if f.Path == s.path {
				marker = "•"
			}
			out = append(out, st.Text.Render(marker+line))
		}
	}
	return out
}

// Column list layout: name, type, missing %, distinct, histogram.
func (s *Screen) columnsView(h int) []string {
	if s.w >= detailSplitWidth {
		listW := min(s.w/2, 80)
		left := s.columnList(listW, h)
		right := s.detailLines(&s.prof.Columns[s.colCur], s.w-listW-3)
		if len(right) > h {
			right = right[:h]
		}
		out := make([]string, max(len(left), len(right)))
		for i := range out {
			l, r := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			out[i] = frame.Line(l, listW) + s.c.Styles.Muted.Render(" │ ") + r
		}
		return out
	}
	return s.columnList(s.w, h)
}

func (s *Screen) columnList(w, h int) []string {
	st := s.c.Styles
	p := s.prof
	typeW, missW, distW := 11, 7, 9
	sparkW := clamp(w-2-20-typeW-missW-distW-4, 4, 24)
	nameW := max(w-2-typeW-missW-distW-sparkW-4, 6)
	header := fmt.Sprintf("  %s %s %*s %*s %s", frame.Line("COLUMN", nameW), frame.Line("TYPE", typeW),
		missW, "MISSING", distW, "DISTINCT", "HISTOGRAM")
	out := []string{st.Muted.Render(ansi.Truncate(header, w, ""))}
	listH := max(h-1, 1)
	s.colTop = scrollTop(s.colCur, s.colTop, listH, len(p.Columns))
	for i := s.colTop; i < len(p.Columns) && i < s.colTop+listH; i++ {
		c := &p.Columns[i]
		distinct := format.Digits(c.Distinct)
		if !c.DistinctExact {
			distinct = "~" + distinct
		}
		line := fmt.Sprintf("%s %s %*s %*s %s", frame.Line(c.Name, nameW), frame.Line(string(c.Type), typeW),
			missW, format.Pct(c.MissingShare), distW, distinct, columnSpark(c, sparkW))
		if i == s.colCur {
			out = append(out, s.cursor().Render("▸ "+line))
		} else {
			out = append(out, "  "+st.Text.Render(line))
		}
	}
	return out
}

// columnSpark is the one-line distribution: the histogram for numbers, the
// top-value counts for categories.
func columnSpark(c *explore.Column, w int) string {
	switch {
	case c.Histogram != nil && len(c.Histogram.Counts) > 0:
		return spark.Line(c.Histogram.Counts, w)
	case len(c.Top) > 0 && c.Type != explore.TypeIdentifier && c.Type != explore.TypeText:
		counts := make([]int64, 0, len(c.Top))
		for _, t := range c.Top {
			counts = append(counts, t.Count)
		}
		return spark.Line(counts, w)
	}
	return strings.Repeat(" ", w)
}

// detailLines renders one column in full within width w.
func (s *Screen) detailLines(c *explore.Column, w int) []string {
	st := s.c.Styles
	p := s.prof
	var out []string
	add := func(style lipgloss.Style, text string) {
		for _, l := range wrap(text, w) {
			out = append(out, style.Render(l))
		}
	}
	out = append(out, st.Title.Render(ansi.Truncate(c.Name, w, "…"))+st.Muted.Render(" · "+string(c.Type)))
	distinct := format.Digits(c.Distinct)
	if !c.DistinctExact {
		distinct = "~" + distinct + " (HyperLogLog)"
	}
	add(st.Text, fmt.Sprintf("%s of %s present · %s missing (%s) · %s distinct",
		format.Digits(c.Count), format.Digits(p.Rows), format.Digits(c.Missing), format.Pct(c.MissingShare), distinct))
	if len(c.TypeShares) > 1 {
		var parts []string
		for _, t := range c.TypeShares {
			parts = append(parts, fmt.Sprintf("%s %s", t.Type, format.Pct(t.Share)))
		}
		add(st.Muted, "mixed: "+strings.Join(parts, ", "))
	}
	var stats []string
	if c.Min != nil {
		stats = append(stats, "min "+format.Value(c.Min), "max "+format.Value(c.Max))
	}
	if c.Mean != nil {
		stats = append(stats, "mean "+format.Num(float64(*c.Mean)))
	}
	if c.Std != nil {
		stats = append(stats, "std "+format.Num(float64(*c.Std)))
	}
	if c.Skewness != nil {
		stats = append(stats, "skew "+format.Num(float64(*c.Skewness)))
	}
	if c.Type.IsNumeric() {
		stats = append(stats, "zeros "+format.Digits(c.Zeros), "negatives "+format.Digits(c.Negatives))
	}
	if c.Length != nil {
		stats = append(stats, fmt.Sprintf("length %d–%d (mean %s)", c.Length.Min, c.Length.Max, format.Num(c.Length.Mean)))
	}
	if c.Imbalance != nil {
		stats = append(stats, "imbalance "+format.Num(float64(*c.Imbalance)))
	}
	if len(stats) > 0 {
		add(st.Text, strings.Join(stats, "  "))
	}
	if q := c.Quantiles; q != nil {
		add(st.Text, fmt.Sprintf("p05 %s  p25 %s  p50 %s  p75 %s  p95 %s  (%s)", format.Num(float64(q.P05)), format.Num(float64(q.P25)),
			format.Num(float64(q.P50)), format.Num(float64(q.P75)), format.Num(float64(q.P95)), q.Method))
	}
	// The strongest associations of this column with the others.
	var mine []explore.Correlation
	for _, k := range p.Correlations {
		if (k.A == c.Name || k.B == c.Name) && math.Abs(k.Value) >= 0.3 {
			mine = append(mine, k)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return math.Abs(mine[i].Value) > math.Abs(mine[j].Value) })
	var corr []string
	for i, k := range mine {
		if i == 4 {
			break
		}
		other := k.B
		if k.B == c.Name {
			other = k.A
		}
		corr = append(corr, fmt.Sprintf("%s %+.2f (%s)", other, k.Value, k.Method))
	}
	if len(corr) > 0 {
		add(st.Muted, "correlated with: "+strings.Join(corr, " · "))
	}
	// The alerts about this column.
	var alerts []string
	for _, a := range p.Alerts {
		for _, col := range a.Columns {
			if col == c.Name {
				alerts = append(alerts, "⚠ "+a.Message)
				break
			}
		}
	}
	if len(alerts) > 0 {
		for _, a := range alerts {
			add(st.Error, a)
		}
	}
	if hist := c.Histogram; hist != nil && len(hist.Counts) > 0 && len(hist.Edges) == len(hist.Counts)+1 {
		out = append(out, "")
		var peak int64
		for _, n := range hist.Counts {
			peak = max(peak, n)
		}
		label := fmt.Sprintf("histogram · %d bins · tallest %s", len(hist.Counts), format.Digits(peak))
		if !hist.Exact {
			label += " · from a sketch"
		}
		out = append(out, st.Muted.Render(ansi.Truncate(label, w, "…")))
		barW := min(w, max(len(hist.Counts)*3, 20), 60)
		barW -= barW % len(hist.Counts) // equal-width bins
		if barW == 0 {
			barW = min(w, len(hist.Counts))
		}
		for _, l := range spark.Bars(hist.Counts, barW, 6) {
			out = append(out, st.Title.Render(l))
		}
		lo, hi := format.Num(float64(hist.Edges[0])), format.Num(float64(hist.Edges[len(hist.Edges)-1]))
		if c.Type == explore.TypeDatetime && c.Min != nil {
			lo, hi = format.Value(c.Min), format.Value(c.Max) // the edges are Unix seconds
		}
		gap := max(barW-len(lo)-len(hi), 1)
		out = append(out, st.Muted.Render(lo+strings.Repeat(" ", gap)+hi))
	}
	if len(c.Top) > 0 {
		out = append(out, "")
		title := "top values"
		if !c.TopExact {
			title += " (approximate)"
		}
		out = append(out, st.Muted.Render(title))
		valW := 6
		for _, t := range c.Top {
			valW = max(valW, ansi.StringWidth(format.OneLine(t.Value)))
		}
		valW = min(valW, 24, max(w/3, 6))
		barW := clamp(w-valW-16, 4, 30)
		peak := c.Top[0].Count
		for _, t := range c.Top {
			n := int(math.Round(float64(t.Count) / float64(max(peak, 1)) * float64(barW)))
			if n == 0 && t.Count > 0 {
				n = 1
			}
			share := ""
			if p.Rows > 0 {
				share = format.Pct(float64(t.Count) / float64(p.Rows))
			}
			out = append(out, st.Text.Render(fmt.Sprintf("%s %7s %5s ", frame.Line(format.OneLine(t.Value), valW), format.Digits(t.Count), share))+
				st.Title.Render(strings.Repeat("▇", n)))
		}
	}
	if len(c.TopTokens) > 0 && c.Type == explore.TypeText {
		var parts []string
		for _, t := range c.TopTokens {
			parts = append(parts, fmt.Sprintf("%s (%s)", t.Value, format.Digits(t.Count)))
		}
		out = append(out, "")
		add(st.Muted, "top tokens: "+strings.Join(parts, " · "))
	}
	return out
}

func (s *Screen) alertsLines() []string {
	st := s.c.Styles
	p := s.prof
	if len(p.Alerts) == 0 {
		return []string{"", " " + st.Text.Render("No quality alerts for "+s.rel(s.path)+".")}
	}
	kindW := 4
	for _, a := range p.Alerts {
		kindW = max(kindW, len(a.Kind))
	}
	kindW = min(kindW, 18)
	out := []string{st.Muted.Render(fmt.Sprintf(" %d alerts (thresholds: lathe config show | grep alerts)", len(p.Alerts)))}
	for _, a := range p.Alerts {
		msgW := max(s.w-kindW-4, 10)
		lines := wrap(a.Message, msgW)
		for i, l := range lines {
			k := ""
			if i == 0 {
				k = a.Kind
			}
			out = append(out, " "+st.Error.Render(frame.Line(k, kindW))+"  "+st.Text.Render(l))
		}
	}
	return out
}

func (s *Screen) rowsView(h int) []string {
	st := s.c.Styles
	switch {
	case s.sampleErr != nil:
		return s.errorLines("Could not read the rows of "+s.rel(s.path), s.sampleErr)
	case s.table == nil:
		return []string{"", " " + st.Muted.Render("Reading the first rows …")}
	}
	var top []string
	if s.editing {
		top = append(top, " "+s.filter.View(s.w-2, st.Text, st.Muted))
	} else if f := s.table.Filter(); f != "" {
		top = append(top, " "+st.Muted.Render("filter: ")+st.Text.Render(f))
	}
	if s.filterErr != "" {
		top = append(top, " "+st.Error.Render(ansi.Truncate(s.filterErr, s.w-2, "…")))
	}
	status := " " + st.Muted.Render(s.table.Status())
	tableH := max(h-len(top)-1, 2)
	tv := s.table.View(s.w-1, tableH, rowtable.Styles{
		Header: st.Muted.Bold(true), Cursor: st.Text.Reverse(false).Bold(true), CursorCell: st.TabActive.Padding(0), Muted: st.Muted,
	})
	out := append(top, indent(strings.Split(tv, "\n"))...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out[:min(len(out), h-1)], status)
}

func (s *Screen) driftLines() []string {
	st := s.c.Styles
	switch {
	case s.drifting != 0:
		return []string{"", " " + st.Muted.Render("Comparing "+s.rel(s.path)+" with "+s.rel(s.driftB)+" …")}
	case s.driftErr != nil:
		return s.errorLines("Could not compare with "+s.rel(s.driftB), s.driftErr)
	case s.drift == nil:
		return []string{"", " " + st.Muted.Render("d: pick a file to compare with")}
	}
	return s.driftTable(s.drift, "A "+s.rel(s.drift.A)+" → B "+s.rel(s.drift.B))
}

func (s *Screen) driftTable(rep *explore.DriftReport, title string) []string {
	st := s.c.Styles
	out := []string{
		" " + st.Text.Render(ansi.Truncate(title, s.w-2, "…")),
		" " + st.Muted.Render(rep.String()),
	}
	nameW := clamp(s.w-2-8-4*8-10, 8, 28)
	out = append(out, st.Muted.Render(fmt.Sprintf(" %s %-8s %7s %7s %7s %7s  %s", frame.Line("COLUMN", nameW), "KIND", "JSD", "PSI", "KS", "L∞", "")))
	for _, c := range rep.Columns {
		line := fmt.Sprintf(" %s %-8s %7.4f %7.4f %7s %7s  ", frame.Line(c.Column, nameW), shortKind(c.Kind), c.JSD, c.PSI, format.Fixed(c.KS), format.Fixed(c.LInf))
		if c.Drifted {
			out = append(out, st.Text.Render(line)+st.Error.Render("DRIFTED"))
		} else {
			out = append(out, st.Text.Render(line))
		}
	}
	if len(rep.Missing) > 0 {
		out = append(out, " "+st.Muted.Render("only in A: "+strings.Join(rep.Missing, ", ")))
	}
	if len(rep.Added) > 0 {
		out = append(out, " "+st.Muted.Render("only in B: "+strings.Join(rep.Added, ", ")))
	}
	return out
}

func shortKind(k string) string {
	if k == "categorical" {
		return "category"
	}
	return k
}

func (s *Screen) splitLines() []string {
	st := s.c.Styles
	switch {
	case s.splitting != 0:
		return []string{"", " " + st.Muted.Render("Splitting "+s.rel(s.path)+" …")}
	case s.split != nil:
		return s.splitReport(s.split)
	}
	f := &s.form
	field := func(i int, label, value string) string {
		l := frame.Line(label, 10)
		if i == f.field {
			return " " + s.cursor().Render("▸ "+l) + " " + value
		}
		return "   " + st.Text.Render(l) + " " + value
	}
	strat := "none (random)"
	if c := f.choices[f.stratify]; c != "" {
		strat = c
	}
	out := []string{
		" " + st.Text.Render("Split "+s.rel(s.path)+" into train/val/test, written to "+s.rel(filepath.Join(filepath.Dir(s.path), "splits"))),
		"",
		field(0, "ratios", f.ratios.View(30, st.Text, st.Muted)),
		field(1, "stratify", "‹ "+strat+" ›"),
		field(2, "seed", f.seed.View(24, st.Text, st.Muted)),
		"",
		" " + st.Muted.Render("tab next field · ←/→ choose the stratify column · enter split · esc close"),
	}
	if f.err != "" {
		out = append(out, " "+st.Error.Render(f.err))
	}
	if s.splitErr != nil {
		out = append(out, s.errorLines("Split failed", s.splitErr)...)
	}
	return out
}

func (s *Screen) splitReport(res *explore.SplitResult) []string {
	st := s.c.Styles
	rep := res.Report
	how := "random"
	if rep.Stratify != "" {
		how = "stratified by " + rep.Stratify
	}
	out := []string{
		" " + st.Text.Render(fmt.Sprintf("%s rows · %s · seed %d", format.Digits(rep.Rows), how, rep.Seed)),
		st.Muted.Render(" SPLIT   ROWS     SHARE  FILE"),
	}
	for i, sp := range rep.Splits {
		file := ""
		if i < len(res.Files) {
			file = s.rel(res.Files[i].Path)
		}
		out = append(out, st.Text.Render(fmt.Sprintf(" %-6s %6s %8s  %s", sp.Name, format.Digits(sp.Rows), format.Pct(sp.Share), file)))
	}
	if len(rep.Splits) > 0 && len(rep.Splits[0].Classes) > 0 {
		// Classes in first-seen order; a split may lack a rare class.
		var order []string
		shares := map[string][]string{}
		for si, sp := range rep.Splits {
			for _, c := range sp.Classes {
				if _, ok := shares[c.Class]; !ok {
					order = append(order, c.Class)
					shares[c.Class] = make([]string, len(rep.Splits))
				}
				shares[c.Class][si] = format.Pct(c.Share)
			}
		}
		head := " " + frame.Line("class ("+rep.Stratify+")", 18)
		for _, sp := range rep.Splits {
			head += fmt.Sprintf(" %7s", sp.Name)
		}
		out = append(out, "", st.Muted.Render(head))
		for _, c := range order {
			name := c
			if name == "" {
				name = "(missing)"
			}
			line := " " + frame.Line(name, 18)
			for _, v := range shares[c] {
				if v == "" {
					v = "–"
				}
				line += fmt.Sprintf(" %7s", v)
			}
			out = append(out, st.Text.Render(line))
		}
	}
	var leaks int64
	for _, l := range rep.Leakage {
		leaks += l.Rows
	}
	out = append(out, "")
	if leaks == 0 {
		out = append(out, " "+st.Text.Render("Leakage: no row occurs in two splits."))
	} else {
		out = append(out, " "+st.Error.Render(fmt.Sprintf("Leakage: %s rows occur in more than one split.", format.Digits(leaks))))
	}
	if len(s.splitReg) > 0 {
		out = append(out, " "+st.Muted.Render(fmt.Sprintf("Registered the file and its %d splits as dataset versions.", len(s.splitReg))))
	}
	for _, d := range rep.Drift {
		if d != nil {
			out = append(out, "")
			out = append(out, s.driftTable(d, "drift "+filepath.Base(d.A)+" → "+filepath.Base(d.B))...)
		}
	}
	return out
}

// scrollLines shows h lines of lines from *top, clamping *top.
func scrollLines(lines []string, top *int, h int) []string {
	*top = clamp(*top, 0, max(len(lines)-h, 0))
	end := min(*top+h, len(lines))
	return lines[*top:end]
}

// scrollTop keeps cur within a window of h rows starting at top.
func scrollTop(cur, top, h, n int) int {
	if cur < top {
		top = cur
	}
	if cur >= top+h {
		top = cur - h + 1
	}
	return clamp(top, 0, max(n-h, 0))
}

func indent(lines []string) []string {
	for i, l := range lines {
		if l != "" {
			lines[i] = " " + l
		}
	}
	return lines
}

// wrap breaks text into lines of at most w cells at spaces.
func wrap(text string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(text, w, ""), "\n")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

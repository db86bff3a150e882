package data

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/spark"
	"github.com/lathe-ml/lathe/tui/styles"
)

// detailSplitWidth is the body width from which the column list shows the
// selected column's detail beside it instead of on its own view.
const detailSplitWidth = 120

// columns is the profile's column list (name, type, missing share,
// distinct count, a one-line histogram); enter opens the column under the
// cursor, which a wide screen shows beside the list.
type columns struct{ listCursor }

// update moves the cursor and returns the view to show next.
func (c *columns) update(msg tea.KeyPressMsg, e *env, p *explore.Profile) view {
	k := e.keys
	n := len(p.Columns)
	next := viewColumns
	switch {
	case c.listCursor.update(msg, k, n, e.listPage()):
	case key.Matches(msg, k.Open):
		next = viewDetail
	case key.Matches(msg, k.Back):
		next = viewFiles
	}
	c.cur = clamp(c.cur, 0, n-1)
	return next
}

// view renders the list in h lines, with the selected column's detail
// beside it on a wide screen.
func (c *columns) view(e *env, p *explore.Profile, h int) []string {
	if e.w >= detailSplitWidth {
		listW := min(e.w/2, 80)
		left := c.list(e, p, listW, h)
		right := columnLines(e.st, p, &p.Columns[c.cur], e.w-listW-3)
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
			out[i] = frame.Line(l, listW) + e.st.Muted.Render(" │ ") + r
		}
		return out
	}
	return c.list(e, p, e.w, h)
}

func (c *columns) list(e *env, p *explore.Profile, w, h int) []string {
	st := e.st
	typeW, missW, distW := 11, 7, 9
	sparkW := clamp(w-2-20-typeW-missW-distW-4, 4, 24)
	nameW := max(w-2-typeW-missW-distW-sparkW-4, 6)
	header := fmt.Sprintf("  %s %s %*s %*s %s", frame.Line("COLUMN", nameW), frame.Line("TYPE", typeW),
		missW, "MISSING", distW, "DISTINCT", "HISTOGRAM")
	out := []string{st.Muted.Render(ansi.Truncate(header, w, ""))}
	listH := max(h-1, 1)
	top := c.window(listH, len(p.Columns))
	for i := top; i < len(p.Columns) && i < top+listH; i++ {
		col := &p.Columns[i]
		distinct := format.Digits(col.Distinct)
		if !col.DistinctExact {
			distinct = "~" + distinct
		}
		line := fmt.Sprintf("%s %s %*s %*s %s", frame.Line(format.OneLine(col.Name), nameW), frame.Line(string(col.Type), typeW),
			missW, format.Pct(col.MissingShare), distW, distinct, columnSpark(col, sparkW, st.Charset))
		if i == c.cur {
			out = append(out, e.cursor().Render("▸ "+line))
		} else {
			out = append(out, "  "+st.Text.Render(line))
		}
	}
	return out
}

// columnDetail is one column in full on its own view: ↑/↓ (←/→) move to
// the previous or next column, pgup/pgdn scroll.
type columnDetail struct{ scroller }

// update acts on the columns' cursor cols and returns the view to show next.
func (d *columnDetail) update(msg tea.KeyPressMsg, e *env, cols *columns, n int) view {
	k := e.keys
	switch {
	case key.Matches(msg, k.Up), key.Matches(msg, k.Left):
		cols.cur, d.top = clamp(cols.cur-1, 0, n-1), 0
	case key.Matches(msg, k.Down), key.Matches(msg, k.Right):
		cols.cur, d.top = clamp(cols.cur+1, 0, n-1), 0
	case key.Matches(msg, k.PageDown):
		d.top += e.page()
	case key.Matches(msg, k.PageUp):
		d.top = max(d.top-e.page(), 0)
	case key.Matches(msg, k.Back), key.Matches(msg, k.Open):
		return viewColumns
	}
	return viewDetail
}

// view renders column c of p in h lines.
func (d *columnDetail) view(e *env, p *explore.Profile, c *explore.Column, h int) []string {
	return indent(d.lines(columnLines(e.st, p, c, e.w-1), h))
}

// columnSpark is the one-line distribution: the histogram for numbers, the
// top-value counts for categories.
func columnSpark(c *explore.Column, w int, charset string) string {
	line := spark.Line
	if charset == "ascii" {
		line = spark.LineASCII
	}
	switch {
	case c.Histogram != nil && len(c.Histogram.Counts) > 0:
		return line(c.Histogram.Counts, w)
	case len(c.Top) > 0 && c.Type != explore.TypeIdentifier && c.Type != explore.TypeText:
		counts := make([]int64, 0, len(c.Top))
		for _, t := range c.Top {
			counts = append(counts, t.Count)
		}
		return line(counts, w)
	}
	return strings.Repeat(" ", w)
}

// columnLines renders column c of profile p in full within width w.
func columnLines(st *styles.Styles, p *explore.Profile, c *explore.Column, w int) []string {
	var out []string
	add := func(style lipgloss.Style, text string) {
		for _, l := range wrap(text, w) {
			out = append(out, style.Render(l))
		}
	}
	out = append(out, st.Title.Render(ansi.Truncate(format.OneLine(c.Name), w, "…"))+st.Muted.Render(" · "+string(c.Type)))
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
		corr = append(corr, fmt.Sprintf("%s %+.2f (%s)", format.OneLine(other), k.Value, k.Method))
	}
	if len(corr) > 0 {
		add(st.Muted, "correlated with: "+strings.Join(corr, " · "))
	}
	// The alerts about this column.
	var alerts []string
	for _, a := range p.Alerts {
		for _, col := range a.Columns {
			if col == c.Name {
				alerts = append(alerts, "⚠ "+format.OneLine(a.Message))
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
			parts = append(parts, fmt.Sprintf("%s (%s)", format.OneLine(t.Value), format.Digits(t.Count)))
		}
		out = append(out, "")
		add(st.Muted, "top tokens: "+strings.Join(parts, " · "))
	}
	return out
}

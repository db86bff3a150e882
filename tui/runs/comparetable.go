package runs

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// The compare view's table: one row per run, one column per field (status,
// each param, each metric's final value and its best by direction). The run
// column stays put while the others scroll sideways; columns whose values
// differ between the runs are drawn in full, the others dimmed (or hidden);
// each metric's best run is highlighted; any column sorts.

// cmpCol is one column of the table.
type cmpCol struct {
	name    string
	cells   []string  // by run index
	nums    []float64 // by run index; NaN where missing or not a number
	numeric bool      // every present cell is a number
	differs bool
	best    int // run index of the best value, -1 none
	width   int
}

// cmpTable is the table's state: the columns, the cursor column, the sort,
// and whether the same-valued columns are hidden.
type cmpTable struct {
	runs     []string // run ids, by run index
	cols     []cmpCol // cols[0] is the run column
	col      int      // cursor column (>= 1 when there are others)
	left     int      // first scrolled column shown
	sortCol  int      // 0: the order the runs were marked in
	sortDesc bool
	hideSame bool
	top      int // first row shown
}

const maxCmpColW = 16

// newCmpTable lays the comparison out.
func newCmpTable(c *engine.RunComparison) *cmpTable {
	t := &cmpTable{}
	n := len(c.Runs)
	col := func(name string, f func(r engine.ComparedRun) (string, float64, bool)) cmpCol {
		cc := cmpCol{name: format.OneLine(name), cells: make([]string, n), nums: make([]float64, n), numeric: true, best: -1}
		for i, r := range c.Runs {
			text, v, isNum := f(r)
			cc.cells[i] = format.OneLine(text)
			cc.nums[i] = math.NaN()
			if isNum {
				cc.nums[i] = v
			} else if text != "-" {
				cc.numeric = false
			}
		}
		for i := 1; i < n; i++ {
			if cc.cells[i] != cc.cells[0] {
				cc.differs = true
			}
		}
		cc.width = ansi.StringWidth(cc.name) + 1 // room for the sort arrow
		for _, s := range cc.cells {
			cc.width = max(cc.width, ansi.StringWidth(s))
		}
		cc.width = min(cc.width, maxCmpColW)
		return cc
	}
	for _, r := range c.Runs {
		t.runs = append(t.runs, r.ID)
	}
	t.cols = append(t.cols, col("run", func(r engine.ComparedRun) (string, float64, bool) {
		if r.Name != "" {
			return r.ID + " " + r.Name, 0, false
		}
		return r.ID, 0, false
	}))
	t.cols[0].width = min(t.cols[0].width, 20)
	t.cols = append(t.cols, col("status", func(r engine.ComparedRun) (string, float64, bool) { return string(r.Status), 0, false }))
	for _, p := range c.Params {
		t.cols = append(t.cols, col(p.Name, func(r engine.ComparedRun) (string, float64, bool) {
			v, ok := r.Params[p.Name]
			if !ok {
				return "-", 0, false
			}
			f, isNum := paramNumber(v)
			return format.Value(v), f, isNum
		}))
	}
	for _, m := range c.Metrics {
		final := col(m.Name, func(r engine.ComparedRun) (string, float64, bool) {
			s, ok := r.Final[m.Name]
			if !ok {
				return "-", 0, false
			}
			return format.Metric(s.Value), s.Value, true
		})
		t.cols = append(t.cols, final)
		if m.Direction == "" {
			continue
		}
		best := col(m.Direction+" "+m.Name, func(r engine.ComparedRun) (string, float64, bool) {
			s, ok := r.Best[m.Name]
			if !ok {
				return "-", 0, false
			}
			return format.Metric(s.Value), s.Value, true
		})
		if best.best = slices.Index(t.runs, m.BestRun); best.best >= 0 && n > 1 {
			best.width = min(best.width+1, maxCmpColW) // the best value's mark
		}
		t.cols = append(t.cols, best)
	}
	t.col = min(1, len(t.cols)-1)
	return t
}

// paramNumber reads a param as a number when it is one (params given on a
// command line are strings).
func paramNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// shown reports whether column c is drawn.
func (t *cmpTable) shown(c int) bool { return c == 0 || !t.hideSame || t.cols[c].differs }

// differing counts the columns (the run column aside) whose values differ.
func (t *cmpTable) differing() int {
	n := 0
	for _, c := range t.cols[1:] {
		if c.differs {
			n++
		}
	}
	return n
}

// moveCol moves the cursor by d shown columns.
func (t *cmpTable) moveCol(d int) {
	step := 1
	if d < 0 {
		step, d = -1, -d
	}
	for ; d > 0; d-- {
		c := t.col + step
		for c > 0 && c < len(t.cols) && !t.shown(c) {
			c += step
		}
		if c <= 0 || c >= len(t.cols) {
			return
		}
		t.col = c
	}
}

// toggleHide hides or shows the columns whose values are the same on every
// run, keeping the cursor on a shown column.
func (t *cmpTable) toggleHide() {
	t.hideSame = !t.hideSame
	if !t.shown(t.col) {
		t.moveCol(1)
		if !t.shown(t.col) {
			t.moveCol(-1)
		}
	}
	if !t.shown(t.col) {
		t.col = 0
	}
}

// sortByCursor sorts the rows by the cursor's column: ascending, then
// descending, then back to the order the runs were marked in.
func (t *cmpTable) sortByCursor() {
	switch {
	case t.sortCol != t.col:
		t.sortCol, t.sortDesc = t.col, false
	case !t.sortDesc:
		t.sortDesc = true
	default:
		t.sortCol, t.sortDesc = 0, false
	}
}

// order is the run indices in the order shown: by the sort column,
// missing values last in either direction, numbers as numbers.
func (t *cmpTable) order() []int {
	idx := make([]int, len(t.runs))
	for i := range idx {
		idx[i] = i
	}
	if t.sortCol <= 0 || t.sortCol >= len(t.cols) {
		return idx
	}
	c := t.cols[t.sortCol]
	slices.SortStableFunc(idx, func(a, b int) int {
		ma, mb := c.cells[a] == "-", c.cells[b] == "-"
		if c.numeric {
			ma, mb = math.IsNaN(c.nums[a]), math.IsNaN(c.nums[b])
		}
		switch {
		case ma && mb:
			return 0
		case ma:
			return 1
		case mb:
			return -1
		}
		var d int
		if c.numeric {
			d = cmp.Compare(c.nums[a], c.nums[b])
		} else {
			d = strings.Compare(c.cells[a], c.cells[b])
		}
		if t.sortDesc {
			d = -d
		}
		return d
	})
	return idx
}

// view draws the header and the rows that fit in h lines of w cells.
func (t *cmpTable) view(st *styles.Styles, w, h int) []string {
	if h <= 0 || w <= 0 {
		return nil
	}
	// The run column, then as many scrolled columns as fit from left,
	// moved so the cursor column is among them.
	t.left = max(t.left, 1)
	if t.col > 0 && t.col < t.left {
		t.left = t.col
	}
	avail := w - t.cols[0].width - 1
	for t.left < t.col && t.widthOf(t.left, t.col) > avail {
		t.left++
	}
	cols := []int{0}
	used := 0
	for c := t.left; c < len(t.cols); c++ {
		if !t.shown(c) {
			continue
		}
		if used+t.cols[c].width+1 > avail && len(cols) > 1 {
			break
		}
		cols = append(cols, c)
		used += t.cols[c].width + 1
	}
	var hdr []string
	for _, c := range cols {
		cc := t.cols[c]
		name := cc.name
		if c == t.sortCol && c > 0 {
			name += map[bool]string{false: "↑", true: "↓"}[t.sortDesc]
		}
		text := t.cellText(c, name)
		switch {
		case c == t.col:
			text = st.TabActive.UnsetPadding().Render(text)
		case c == 0 || cc.differs:
			text = st.Title.Render(text)
		default:
			text = st.Muted.Render(text)
		}
		hdr = append(hdr, text)
	}
	lines := []string{strings.Join(hdr, " ")}
	order := t.order()
	rows := h - 1
	t.top = max(min(t.top, len(order)-rows), 0)
	for _, ri := range order[t.top:min(len(order), t.top+rows)] {
		var parts []string
		for _, c := range cols {
			cc := t.cols[c]
			isBest := cc.best == ri && len(t.runs) > 1
			s := cc.cells[ri]
			if isBest {
				s += "*" // the metric's best run, marked without colour too
			} else if cc.best >= 0 && len(t.runs) > 1 {
				s += " "
			}
			text := t.cellText(c, s)
			switch {
			case isBest:
				text = st.Title.Render(text)
			case c == 0 || cc.differs:
				text = st.Text.Render(text)
			default:
				text = st.Muted.Render(text)
			}
			parts = append(parts, text)
		}
		lines = append(lines, strings.Join(parts, " "))
	}
	return lines
}

// cellText is s fitted to column c: numbers right-aligned.
func (t *cmpTable) cellText(c int, s string) string {
	cw := t.cols[c].width
	if ansi.StringWidth(s) > cw {
		s = ansi.Truncate(s, cw, "…")
	}
	if c > 0 && t.cols[c].numeric {
		return strings.Repeat(" ", cw-ansi.StringWidth(s)) + s
	}
	return frame.Line(s, cw)
}

// widthOf is the width of the shown columns from..to.
func (t *cmpTable) widthOf(from, to int) int {
	n := 0
	for c := from; c <= to; c++ {
		if t.shown(c) {
			n += t.cols[c].width + 1
		}
	}
	return n
}

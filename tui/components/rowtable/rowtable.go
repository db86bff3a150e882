// Package rowtable is a scrollable table over a bounded sample of rows, with
// sorting by a column, filtering by an expression (see Expr) and hiding
// columns. It holds the sample in memory, so callers load at most a few
// thousand rows into it; nothing here reads files.
package rowtable

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/lathe-ml/lathe/format"
)

// Frame is a sample of rows: Cells[r][c] with Null[r][c] marking missing cells.
type Frame struct {
	Columns []string
	Cells   [][]string
	Null    [][]bool
	// Total is the number of rows in the whole file when known (-1 otherwise);
	// Truncated says the sample stopped before the end of the file.
	Total     int64
	Truncated bool
}

// Styles draw the table.
type Styles struct {
	Header, Cursor, CursorCell, Muted lipgloss.Style
}

// Model is the table's state.
type Model struct {
	f       Frame
	numeric []bool      // every non-missing cell of the column parses as a number
	nums    [][]float64 // nums[c][r]: the parsed cell of a numeric column c, so sorting parses nothing
	width   []int       // natural column widths (capped)
	hidden  []bool
	view    []int // row indices after filter and sort
	filter  *Expr

	sortCol  int // -1: file order
	sortDesc bool

	row, top  int // cursor row and first shown row, indices into view
	col, left int // cursor column and first shown column, indices into Columns
}

const maxColWidth = 24

// New returns a table over f.
func New(f Frame) *Model {
	m := &Model{f: f, sortCol: -1, hidden: make([]bool, len(f.Columns))}
	m.numeric = make([]bool, len(f.Columns))
	m.nums = make([][]float64, len(f.Columns))
	m.width = make([]int, len(f.Columns))
	for c, name := range f.Columns {
		num, any := true, false
		vals := make([]float64, len(f.Cells))
		w := cellWidth(name) + 1 // room for the sort arrow
		for r := range f.Cells {
			if f.Null[r][c] {
				continue
			}
			cell := f.Cells[r][c]
			if w < maxColWidth {
				w = max(w, cellWidth(cell))
			}
			if num {
				v, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
				num = err == nil
				vals[r] = v
			}
			any = true
		}
		m.numeric[c] = num && any
		if m.numeric[c] {
			m.nums[c] = vals
		}
		m.width[c] = min(max(w, 3), maxColWidth)
	}
	m.apply()
	return m
}

// Frame returns the sample.
func (m *Model) Frame() Frame { return m.f }

// Len is the number of rows that pass the filter.
func (m *Model) Len() int { return len(m.view) }

// Cursor returns the cursor's row (an index into the sample, -1 when no row
// passes) and column.
func (m *Model) Cursor() (row, col int) {
	if len(m.view) == 0 {
		return -1, m.col
	}
	return m.view[m.row], m.col
}

// Sort returns the sorted column (-1 for file order) and its direction.
func (m *Model) Sort() (col int, desc bool) { return m.sortCol, m.sortDesc }

// Filter returns the filter expression in force ("" when none).
func (m *Model) Filter() string {
	if m.filter == nil {
		return ""
	}
	return m.filter.String()
}

// SetFilter parses and applies a filter; "" clears it. On error the previous
// filter stays.
func (m *Model) SetFilter(src string) error {
	if strings.TrimSpace(src) == "" {
		m.filter = nil
		m.apply()
		return nil
	}
	e, err := ParseExpr(src, m.f.Columns)
	if err != nil {
		return err
	}
	m.filter = e
	m.apply()
	return nil
}

// SortByCursor sorts by the cursor's column: ascending, then descending, then
// back to file order.
func (m *Model) SortByCursor() {
	switch {
	case m.sortCol != m.col:
		m.sortCol, m.sortDesc = m.col, false
	case !m.sortDesc:
		m.sortDesc = true
	default:
		m.sortCol, m.sortDesc = -1, false
	}
	m.apply()
}

// HideCursorColumn hides the cursor's column (never the last visible one).
func (m *Model) HideCursorColumn() {
	visible := 0
	for _, h := range m.hidden {
		if !h {
			visible++
		}
	}
	if visible <= 1 || len(m.hidden) == 0 {
		return
	}
	m.hidden[m.col] = true
	if !m.moveCol(1) {
		m.moveCol(-1)
	}
}

// ShowAllColumns unhides every column.
func (m *Model) ShowAllColumns() {
	for i := range m.hidden {
		m.hidden[i] = false
	}
}

// Hidden reports whether column c is hidden.
func (m *Model) Hidden(c int) bool { return c >= 0 && c < len(m.hidden) && m.hidden[c] }

// MoveRow moves the cursor by d rows, clamped.
func (m *Model) MoveRow(d int) {
	m.row = clamp(m.row+d, 0, len(m.view)-1)
}

// MoveCol moves the cursor by d visible columns.
func (m *Model) MoveCol(d int) { m.moveCol(d) }

func (m *Model) moveCol(d int) bool {
	step := 1
	if d < 0 {
		step, d = -1, -d
	}
	moved := false
	for ; d > 0; d-- {
		c := m.col + step
		for c >= 0 && c < len(m.hidden) && m.hidden[c] {
			c += step
		}
		if c < 0 || c >= len(m.hidden) {
			return moved
		}
		m.col, moved = c, true
	}
	return moved
}

// apply recomputes the visible rows from the filter and sort.
func (m *Model) apply() {
	m.view = m.view[:0]
	for r := range m.f.Cells {
		if m.filter == nil || m.filter.Match(m.f.Cells[r], m.f.Null[r]) {
			m.view = append(m.view, r)
		}
	}
	if c := m.sortCol; c >= 0 {
		num := m.numeric[c]
		slices.SortStableFunc(m.view, func(a, b int) int {
			na, nb := m.f.Null[a][c], m.f.Null[b][c]
			switch { // missing cells last, in either direction
			case na && nb:
				return 0
			case na:
				return 1
			case nb:
				return -1
			}
			var d int
			if num {
				d = cmp.Compare(m.nums[c][a], m.nums[c][b])
			} else {
				d = strings.Compare(m.f.Cells[a][c], m.f.Cells[b][c])
			}
			if m.sortDesc {
				d = -d
			}
			return d
		})
	}
	m.row = clamp(m.row, 0, len(m.view)-1)
}

// Status describes the rows shown, the sort and the filter in one line.
func (m *Model) Status() string {
	var parts []string
	n := len(m.f.Cells)
	sample := fmt.Sprintf("%d rows", n)
	if m.f.Truncated {
		sample = fmt.Sprintf("first %d rows", n)
		if m.f.Total > 0 {
			sample += fmt.Sprintf(" of %d", m.f.Total)
		}
	}
	if m.filter != nil {
		parts = append(parts, fmt.Sprintf("%d of %s match", len(m.view), sample))
	} else {
		parts = append(parts, sample)
	}
	if len(m.view) > 0 {
		parts = append(parts, fmt.Sprintf("row %d", m.row+1))
	}
	if m.sortCol >= 0 {
		dir := "↑"
		if m.sortDesc {
			dir = "↓"
		}
		parts = append(parts, "sort "+format.OneLine(m.f.Columns[m.sortCol])+" "+dir)
	}
	hidden := 0
	for _, h := range m.hidden {
		if h {
			hidden++
		}
	}
	if hidden > 0 {
		parts = append(parts, fmt.Sprintf("%d hidden", hidden))
	}
	return strings.Join(parts, " · ")
}

// View renders the header and as many rows as fit in h lines, each line at
// most w cells, scrolled so the cursor stays visible.
func (m *Model) View(w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(m.f.Columns) == 0 {
		return st.Muted.Render("no columns")
	}
	bodyH := h - 1
	// Vertical scroll.
	if m.row < m.top {
		m.top = m.row
	}
	if bodyH > 0 && m.row >= m.top+bodyH {
		m.top = m.row - bodyH + 1
	}
	m.top = clamp(m.top, 0, max(len(m.view)-bodyH, 0))

	numW := len(strconv.Itoa(len(m.f.Cells))) + 1
	avail := w - numW
	// Horizontal scroll: the cursor column must be within the shown ones.
	if m.col < m.left {
		m.left = m.col
	}
	for m.left < m.col && !m.fits(m.left, m.col, avail) {
		m.left++
	}
	var cols []int
	used := 0
	for c := m.left; c < len(m.f.Columns); c++ {
		if m.hidden[c] {
			continue
		}
		need := m.width[c] + 1
		if used+need > avail && len(cols) > 0 {
			break
		}
		cols = append(cols, c)
		used += need
	}

	var b strings.Builder
	hdr := pad("#", numW-1, true) + " "
	for _, c := range cols {
		name := format.OneLine(m.f.Columns[c])
		if c == m.sortCol {
			if m.sortDesc {
				name += "↓"
			} else {
				name += "↑"
			}
		}
		cell := pad(name, m.width[c], m.numeric[c])
		if c == m.col {
			cell = st.CursorCell.Render(cell)
		} else {
			cell = st.Header.Render(cell)
		}
		hdr += cell + " "
	}
	b.WriteString(ansi.Truncate(hdr, w, "…"))
	for i := m.top; i < len(m.view) && i < m.top+bodyH; i++ {
		r := m.view[i]
		line := st.Muted.Render(pad(strconv.Itoa(r+1), numW-1, true)) + " "
		for _, c := range cols {
			text := m.f.Cells[r][c]
			if m.f.Null[r][c] {
				text = "·"
			}
			cell := pad(format.OneLine(text), m.width[c], m.numeric[c])
			switch {
			case i == m.row && c == m.col:
				cell = st.CursorCell.Render(cell)
			case i == m.row:
				cell = st.Cursor.Render(cell)
			case m.f.Null[r][c]:
				cell = st.Muted.Render(cell)
			}
			line += cell + " "
		}
		b.WriteString("\n" + ansi.Truncate(line, w, "…"))
	}
	if len(m.view) == 0 && bodyH > 0 {
		b.WriteString("\n" + st.Muted.Render("no rows match"))
	}
	return b.String()
}

// fits reports whether columns from..to (visible ones) fit in avail cells.
func (m *Model) fits(from, to, avail int) bool {
	used := 0
	for c := from; c <= to; c++ {
		if !m.hidden[c] {
			used += m.width[c] + 1
		}
	}
	return used <= avail
}

// cellWidth is the display width of s as drawn (control characters
// escaped, format.OneLine); printable ASCII (most cells) skips the escaping
// and the grapheme segmentation ansi.StringWidth does.
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f || s[i] < 0x20 {
			return ansi.StringWidth(format.OneLine(s))
		}
	}
	return len(s)
}

func pad(s string, w int, right bool) string {
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	if right {
		return strings.Repeat(" ", w-n) + s
	}
	return s + strings.Repeat(" ", w-n)
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

// Package chart draws line charts of metric series in the terminal: a braille
// canvas (each cell is a 2x4 dot grid, U+2800..U+28FF, as drawille and k9s's
// tchart do) with a y axis, step labels on x and a legend. Render is a pure
// function of the series and the size, cheap enough to redraw every frame
// from bounded buffers (Series), and never wider or taller than asked.
package chart

import (
	"image/color"
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/lathe-ml/lathe/format"
)

// Point is one sample: X is the step, Y the value (NaN and ±Inf are skipped).
type Point struct {
	X, Y float64
}

// Series is a bounded buffer of points with a label. When it holds Cap
// points, Add drops every other point and from then on keeps one point in
// 2^k, so a curve keeps its whole history at a coarser resolution instead of
// losing its beginning (what a training curve needs) and memory stays bounded.
type Series struct {
	Label  string
	Color  color.Color // nil: the palette's colour for the series' index
	Cap    int         // 0 means 4096
	points []Point
	stride int  // keep one point in stride
	seen   int  // points offered since the last kept one
	tail   bool // the last element of points is the newest point, not a kept one
}

// Add appends a point, thinning the buffer when it is full. The newest
// point is always shown, even between kept ones.
func (s *Series) Add(p Point) {
	if s.stride == 0 {
		s.stride = 1
	}
	if s.Cap <= 0 {
		s.Cap = 4096
	}
	if s.tail {
		s.points = s.points[:len(s.points)-1]
		s.tail = false
	}
	s.seen++
	s.points = append(s.points, p)
	if s.seen < s.stride {
		s.tail = true
		return
	}
	s.seen = 0
	if len(s.points) >= s.Cap {
		half := s.points[:0]
		for i := 0; i < len(s.points); i += 2 {
			half = append(half, s.points[i])
		}
		s.points = half
		s.stride *= 2
	}
}

// Points returns the kept points (shared; do not modify).
func (s *Series) Points() []Point { return s.points }

// Len is the number of kept points.
func (s *Series) Len() int { return len(s.points) }

// Last returns the newest point.
func (s *Series) Last() (Point, bool) {
	if len(s.points) == 0 {
		return Point{}, false
	}
	return s.points[len(s.points)-1], true
}

// Palette are the series colours, distinct on dark and light backgrounds.
var Palette = []color.Color{
	lipgloss.Color("#58A6FF"), lipgloss.Color("#F0883E"), lipgloss.Color("#3FB950"), lipgloss.Color("#DB61A2"),
	lipgloss.Color("#D29922"), lipgloss.Color("#A371F7"), lipgloss.Color("#39C5CF"), lipgloss.Color("#F85149"),
}

// Markers stand for the series without colour (NO_COLOR): one character per
// cell instead of braille dots, so the series stay distinguishable.
var Markers = []rune{'•', '+', 'x', 'o', '*', '#', '%', '@'}

// Options tune Render.
type Options struct {
	NoColor bool
	// Title is drawn on the first line, left of the legend when they fit.
	Title string
	// LogY plots log10 of positive values.
	LogY bool
	// Charset picks the braille canvas ("") or the text fallback
	// (CharsetBox, CharsetASCII; see RenderText).
	Charset string
}

// Render draws the series in exactly h lines of at most w cells: a legend
// line, the plot with a y axis on the left, and an x axis line with the first
// and last step.
func Render(w, h int, series []*Series, o Options) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if o.Charset != CharsetBraille {
		return RenderText(w, h, series, o)
	}
	lines := make([]string, 0, h)
	lines = append(lines, legend(w, series, o))
	if h < 4 {
		return fitLines(lines, w, h)
	}
	plotH := h - 2
	minX, maxX, minY, maxY, ok := bounds(series, o.LogY)
	if !ok {
		for len(lines) < h-1 {
			lines = append(lines, "")
		}
		lines = append(lines, "  waiting for metrics…")
		return fitLines(lines, w, h)
	}
	switch {
	case minY == maxY && minY == 0 && !o.LogY:
		maxY = 1 // all zeros (an idle run's CPU): the bottom line of 0–1
	case minY == maxY:
		pad := math.Max(math.Abs(minY)*0.05, 1e-9)
		minY, maxY = minY-pad, maxY+pad
	}
	labels := yLabels(minY, maxY, plotH, o.LogY)
	lw := 0
	for _, l := range labels {
		lw = max(lw, len(l))
	}
	plotW := w - lw - 1
	if plotW < 4 {
		return fitLines(lines, w, h)
	}
	grid := newCanvas(plotW, plotH, o.NoColor)
	for i, s := range series {
		grid.plot(s.points, i, minX, maxX, minY, maxY, o.LogY)
	}
	rows := grid.rows(series)
	for r := 0; r < plotH; r++ {
		lines = append(lines, padLeft(labels[r], lw)+"┤"+rows[r])
	}
	xl := format.Short(minX)
	xr := format.Short(maxX)
	axis := strings.Repeat(" ", lw) + "└" + xl
	if gap := plotW - len(xl) - len(xr); gap > 0 {
		axis += strings.Repeat("─", gap) + xr
	}
	lines = append(lines, axis)
	return fitLines(lines, w, h)
}

func fitLines(lines []string, w, h int) string {
	for len(lines) < h {
		lines = append(lines, "")
	}
	lines = lines[:h]
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

func legend(w int, series []*Series, o Options) string {
	var parts []string
	if o.Title != "" {
		parts = append(parts, o.Title)
	}
	for i, s := range series {
		mark := string(Markers[i%len(Markers)])
		if !o.NoColor {
			col := s.Color
			if col == nil {
				col = Palette[i%len(Palette)]
			}
			mark = lipgloss.NewStyle().Foreground(col).Render("━━")
		}
		item := mark + " " + s.Label
		if p, ok := s.Last(); ok {
			item += " " + format.Short(p.Y)
		}
		parts = append(parts, item)
	}
	return ansi.Truncate(strings.Join(parts, "  "), w, "…")
}

func bounds(series []*Series, logY bool) (minX, maxX, minY, maxY float64, ok bool) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.points {
			y, good := yOf(p.Y, logY)
			if !good {
				continue
			}
			// Plain comparisons: math.Min/Max's NaN handling is not needed
			// here (yOf dropped NaN) and costs half the frame.
			ok = true
			if p.X < minX {
				minX = p.X
			}
			if p.X > maxX {
				maxX = p.X
			}
			if y < minY {
				minY = y
			}
			if y > maxY {
				maxY = y
			}
		}
	}
	return
}

func yOf(v float64, logY bool) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if logY {
		if v <= 0 {
			return 0, false
		}
		return math.Log10(v), true
	}
	return v, true
}

// yLabels labels the top, middle and bottom rows (and every fourth row on
// tall plots); the others are blank.
func yLabels(minY, maxY float64, rows int, logY bool) []string {
	out := make([]string, rows)
	for r := 0; r < rows; r++ {
		if r != 0 && r != rows-1 && r%4 != 0 {
			continue
		}
		v := maxY - (maxY-minY)*float64(r)/float64(max(rows-1, 1))
		if logY {
			v = math.Pow(10, v)
		}
		out[r] = format.Short(v)
	}
	return out
}

func padLeft(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}

// canvas is the plot area: braille dots per cell with the series that drew
// last in each cell (its colour wins), or one marker per cell without colour.
type canvas struct {
	w, h    int
	noColor bool
	dots    []uint8 // braille bits per cell
	owner   []int16 // series index that last drew in the cell, -1 none
}

func newCanvas(w, h int, noColor bool) *canvas {
	c := &canvas{w: w, h: h, noColor: noColor, dots: make([]uint8, w*h), owner: make([]int16, w*h)}
	for i := range c.owner {
		c.owner[i] = -1
	}
	return c
}

// brailleBit is the dot bit for sub-column x (0-1) and sub-row y (0-3) of a
// cell (Unicode's braille numbering: dots 1-3 and 7 left, 4-6 and 8 right).
var brailleBit = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

func (c *canvas) set(px, py, series int) {
	if px < 0 || py < 0 || px >= c.w*2 || py >= c.h*4 {
		return
	}
	cell := (py/4)*c.w + px/2
	c.dots[cell] |= brailleBit[px%2][py%4]
	c.owner[cell] = int16(series)
}

// plot draws a series as connected dots: consecutive points are joined by a
// line (Bresenham), so sparse series read as curves.
func (c *canvas) plot(pts []Point, series int, minX, maxX, minY, maxY float64, logY bool) {
	pw, ph := float64(c.w*2-1), float64(c.h*4-1)
	sx := 0.0
	if maxX > minX {
		sx = pw / (maxX - minX)
	}
	sy := ph / (maxY - minY)
	havePrev := false
	var x0, y0 int
	for _, p := range pts {
		y, ok := yOf(p.Y, logY)
		if !ok {
			havePrev = false
			continue
		}
		x1 := int(math.Round((p.X - minX) * sx))
		y1 := int(math.Round(ph - (y-minY)*sy))
		if havePrev && (x1 != x0 || y1 != y0) {
			c.line(x0, y0, x1, y1, series)
		} else {
			c.set(x1, y1, series)
		}
		x0, y0, havePrev = x1, y1, true
	}
}

// line is Bresenham's algorithm (Bresenham 1965).
func (c *canvas) line(x0, y0, x1, y1, series int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		c.set(x0, y0, series)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// rows renders the canvas, one string per cell row. Runs of cells of the
// same series share one styled span, which keeps the output short.
func (c *canvas) rows(series []*Series) []string {
	styles := make([]lipgloss.Style, len(series))
	for i, s := range series {
		col := s.Color
		if col == nil {
			col = Palette[i%len(Palette)]
		}
		styles[i] = lipgloss.NewStyle().Foreground(col)
	}
	out := make([]string, c.h)
	var b, run strings.Builder
	for r := 0; r < c.h; r++ {
		b.Reset()
		cur := int16(-1)
		flush := func() {
			if run.Len() == 0 {
				return
			}
			if cur >= 0 && !c.noColor {
				b.WriteString(styles[cur].Render(run.String()))
			} else {
				b.WriteString(run.String())
			}
			run.Reset()
		}
		for x := 0; x < c.w; x++ {
			i := r*c.w + x
			o := c.owner[i]
			if o != cur {
				flush()
				cur = o
			}
			switch {
			case o < 0:
				run.WriteByte(' ')
			case c.noColor:
				run.WriteRune(Markers[int(o)%len(Markers)])
			default:
				run.WriteRune(rune(0x2800 + int(c.dots[i])))
			}
		}
		flush()
		out[r] = b.String()
	}
	return out
}

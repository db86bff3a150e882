// Package scatter draws a scatter plot of two variables on a braille canvas
// (each cell holds 2x4 dots), with optional threshold lines and axis labels.
// Render is a pure function of the plot and the size, so it is cheap to redraw
// on every tick and easy to test.
package scatter

import (
	"math"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/lathe-ml/lathe/tui/components/frame"
)

// Class says how a point is drawn. When points of several classes share a
// cell, the highest class wins.
type Class int

const (
	Line      Class = iota // threshold lines
	Dim                    // e.g. infeasible trials
	Normal                 // feasible trials
	Highlight              // e.g. the Pareto front
	Selected               // the selected trial
)

// Point is one point of the plot.
type Point struct {
	X, Y  float64
	Class Class
}

// Plot is what Render draws.
type Plot struct {
	Points         []Point
	XLine, YLine   *float64 // vertical line at x = *XLine, horizontal at y = *YLine
	XLabel, YLabel string
	// Text draws one character a cell, by class (ClassMarks), instead of
	// braille dots, for terminals that cannot show braille; the axis is then
	// 7-bit ASCII too.
	Text bool
}

// ClassMarks are the characters of each class when Plot.Text is set.
func ClassMarks() map[Class]byte {
	return map[Class]byte{Line: '.', Dim: 'o', Normal: '*', Highlight: '#', Selected: '@'}
}

// Styles colour each class; nil styles draw plain text.
type Styles map[Class]lipgloss.Style

// Braille dot bits by (column, row) within a cell (Unicode U+2800 block).
var dotBits = [2][4]rune{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// Render draws p in exactly h lines of at most w cells: a y-axis gutter with
// the top and bottom values, the canvas, and two lines below for the x range
// and the axis names. Non-finite points are left out.
func Render(p Plot, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if h < 4 || w < 16 {
		return frame.Fit(strings.Repeat("\n", h-1), w, h)
	}
	xmin, xmax, ymin, ymax, ok := bounds(p)
	if !ok {
		return frame.Fit("(no points yet)"+strings.Repeat("\n", h-1), w, h)
	}
	ytop, ybot := num(ymax), num(ymin)
	gw := max(len(ytop), len(ybot)) + 1 // gutter: labels and a space
	cw, ch := w-gw, h-2
	dx, dy := cw*2, ch*4
	cells := make([][]rune, ch)
	class := make([][]Class, ch)
	used := make([][]bool, ch)
	for r := range cells {
		cells[r] = make([]rune, cw)
		class[r] = make([]Class, cw)
		used[r] = make([]bool, cw)
	}
	set := func(px, py int, c Class) {
		if px < 0 || py < 0 || px >= dx || py >= dy {
			return
		}
		col, row := px/2, py/4
		cells[row][col] |= dotBits[px%2][py%4]
		if !used[row][col] || c > class[row][col] {
			class[row][col] = c
		}
		used[row][col] = true
	}
	toX := func(x float64) int { return int(math.Round((x - xmin) / (xmax - xmin) * float64(dx-1))) }
	toY := func(y float64) int { return dy - 1 - int(math.Round((y-ymin)/(ymax-ymin)*float64(dy-1))) }
	// Lines first, dashed (every other dot), so points drawn later win their cells.
	if p.XLine != nil {
		x := toX(*p.XLine)
		for py := 0; py < dy; py += 2 {
			set(x, py, Line)
		}
	}
	if p.YLine != nil {
		y := toY(*p.YLine)
		for px := 0; px < dx; px += 2 {
			set(px, y, Line)
		}
	}
	for _, q := range p.Points {
		if finite(q.X) && finite(q.Y) {
			set(toX(q.X), toY(q.Y), q.Class)
		}
	}
	var b strings.Builder
	axis, marks := "│", ClassMarks()
	if p.Text {
		axis = "|"
	}
	for r := 0; r < ch; r++ {
		label := ""
		switch r {
		case 0:
			label = ytop
		case ch - 1:
			label = ybot
		}
		b.WriteString(strings.Repeat(" ", gw-1-len(label)) + label + axis)
		for c := 0; c < cw; c++ {
			if !used[r][c] {
				b.WriteByte(' ')
				continue
			}
			s := string(0x2800 + cells[r][c])
			if p.Text {
				s = string(marks[class[r][c]])
			}
			if style, ok := st[class[r][c]]; ok {
				s = style.Render(s)
			}
			b.WriteString(s)
		}
		b.WriteByte('\n')
	}
	xl, xr := num(xmin), num(xmax)
	pad := max(1, cw-len(xl)-len(xr))
	b.WriteString(strings.Repeat(" ", gw) + xl + strings.Repeat(" ", pad) + xr + "\n")
	names := "x: " + p.XLabel + "  y: " + p.YLabel
	b.WriteString(strings.Repeat(" ", gw) + names)
	return frame.Fit(b.String(), w, h)
}

// bounds is the data range (points and lines), padded so no point sits on
// the frame, and widened when degenerate.
func bounds(p Plot) (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, q := range p.Points {
		if !finite(q.X) || !finite(q.Y) {
			continue
		}
		ok = true
		xmin, xmax = math.Min(xmin, q.X), math.Max(xmax, q.X)
		ymin, ymax = math.Min(ymin, q.Y), math.Max(ymax, q.Y)
	}
	if !ok {
		return 0, 0, 0, 0, false
	}
	if p.XLine != nil && finite(*p.XLine) {
		xmin, xmax = math.Min(xmin, *p.XLine), math.Max(xmax, *p.XLine)
	}
	if p.YLine != nil && finite(*p.YLine) {
		ymin, ymax = math.Min(ymin, *p.YLine), math.Max(ymax, *p.YLine)
	}
	widen := func(lo, hi float64) (float64, float64) {
		if hi-lo == 0 {
			d := math.Max(math.Abs(lo)*0.1, 1)
			return lo - d, hi + d
		}
		d := (hi - lo) * 0.04
		return lo - d, hi + d
	}
	xmin, xmax = widen(xmin, xmax)
	ymin, ymax = widen(ymin, ymax)
	return xmin, xmax, ymin, ymax, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// num formats an axis value in at most about 7 characters: three
// significant digits, where format.Short keeps four, so the gutter stays
// narrow beside a small plot.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e5 || a < 1e-3:
		return strconv.FormatFloat(v, 'e', 1, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

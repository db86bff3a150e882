// Package parcoords draws parallel coordinates (Inselberg 1985): one
// vertical axis per variable, evenly spaced, and one polyline per record
// through its value on each axis, as Optuna's and W&B's parallel
// coordinate plots show a study's trials. Lines are drawn on a braille
// canvas (2x4 dots a cell), or with one character a cell for terminals
// without braille. Classes (scatter's: dim, normal, highlight, selected)
// say how a line is drawn; where lines of several classes share a cell,
// the highest wins, so the Pareto front and the selected trial stay on
// top of the dimmed infeasible ones. Render is a pure function of the plot
// and the size.
package parcoords

import (
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/scatter"
)

// Axis is one variable.
type Axis struct {
	Name string
	// Log scales the axis by log10 (positive values only), for parameters
	// searched on a log scale.
	Log bool
	// Categories name the values 0, 1, ... of a categorical axis; its
	// records' values are indices.
	Categories []string
}

// Line is one record: a value per axis (NaN where it has none; the line
// breaks there).
type Line struct {
	Values []float64
	Class  scatter.Class
}

// Plot is what Render draws.
type Plot struct {
	Axes  []Axis
	Lines []Line
	// Text draws one character a cell (scatter.ClassMarks) instead of
	// braille dots, and the axes in 7-bit ASCII.
	Text bool
}

// Braille dot bits by (column, row) within a cell (Unicode U+2800 block).
var dotBits = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// Render draws p in exactly h lines of at most w cells: the axis names,
// each axis's top value, the canvas, and each axis's bottom value.
func Render(p Plot, w, h int, st scatter.Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	n := len(p.Axes)
	if n < 2 || h < 5 || w < 4*n {
		msg := "parallel coordinates: need two or more axes"
		if n >= 2 {
			msg = "parallel coordinates: too small"
		}
		return frame.Fit(msg, w, h)
	}
	lo, hi := ranges(p)
	ch := h - 3
	cw := w
	// Axis k sits at cell column xs[k]; the first and last leave room for
	// their labels' centre.
	xs := make([]int, n)
	for k := range xs {
		xs[k] = k * (cw - 1) / (n - 1)
	}
	dw, dh := cw*2, ch*4
	dots := make([]uint8, cw*ch)
	class := make([]scatter.Class, cw*ch)
	used := make([]bool, cw*ch)
	set := func(px, py int, c scatter.Class) {
		if px < 0 || py < 0 || px >= dw || py >= dh {
			return
		}
		i := (py/4)*cw + px/2
		dots[i] |= dotBits[px%2][py%4]
		if !used[i] || c > class[i] {
			class[i] = c
		}
		used[i] = true
	}
	ypix := func(k int, v float64) (int, bool) {
		v, ok := scaled(p.Axes[k], v)
		if !ok {
			return 0, false
		}
		f := 0.5
		if hi[k] > lo[k] {
			f = (v - lo[k]) / (hi[k] - lo[k])
		}
		return int(math.Round((1 - f) * float64(dh-1))), true
	}
	// Lower classes first, so a higher one's dots are never hidden.
	for c := scatter.Line; c <= scatter.Selected; c++ {
		for _, l := range p.Lines {
			if l.Class != c {
				continue
			}
			for k := 0; k+1 < n && k+1 < len(l.Values); k++ {
				y0, ok0 := ypix(k, l.Values[k])
				y1, ok1 := ypix(k+1, l.Values[k+1])
				switch {
				case ok0 && ok1:
					segment(xs[k]*2, y0, xs[k+1]*2, y1, func(x, y int) { set(x, y, c) })
				case ok0:
					set(xs[k]*2, y0, c)
				case ok1:
					set(xs[k+1]*2, y1, c)
				}
			}
		}
	}
	axisCol := map[int]bool{}
	for _, x := range xs {
		axisCol[x] = true
	}
	vbar, cross := "│", "┼"
	if p.Text {
		vbar, cross = "|", "+"
	}
	marks := scatter.ClassMarks()
	paint := func(c scatter.Class, s string) string {
		if sty, ok := st[c]; ok {
			return sty.Render(s)
		}
		return s
	}
	lines := []string{labelRow(p, xs, cw, func(k int) string { return format.OneLine(p.Axes[k].Name) }),
		labelRow(p, xs, cw, func(k int) string { return axisLabel(p.Axes[k], hi[k]) })}
	for r := 0; r < ch; r++ {
		var b strings.Builder
		for x := 0; x < cw; x++ {
			i := r*cw + x
			switch {
			case axisCol[x] && used[i]:
				b.WriteString(paint(class[i], cross))
			case axisCol[x]:
				b.WriteString(paint(scatter.Line, vbar))
			case !used[i]:
				b.WriteByte(' ')
			case p.Text:
				b.WriteString(paint(class[i], string(marks[class[i]])))
			default:
				b.WriteString(paint(class[i], string(rune(0x2800+int(dots[i])))))
			}
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, labelRow(p, xs, cw, func(k int) string { return axisLabel(p.Axes[k], lo[k]) }))
	return frame.Fit(strings.Join(lines, "\n"), w, h)
}

// ranges are each axis's bounds over the lines' finite values (a
// categorical axis spans its categories).
func ranges(p Plot) (lo, hi []float64) {
	n := len(p.Axes)
	lo, hi = make([]float64, n), make([]float64, n)
	for k, a := range p.Axes {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
		if len(a.Categories) > 0 {
			lo[k], hi[k] = 0, float64(len(a.Categories)-1)
			continue
		}
		for _, l := range p.Lines {
			if k >= len(l.Values) {
				continue
			}
			if v, ok := scaled(a, l.Values[k]); ok {
				lo[k], hi[k] = math.Min(lo[k], v), math.Max(hi[k], v)
			}
		}
		if lo[k] > hi[k] {
			lo[k], hi[k] = 0, 0
		}
	}
	return lo, hi
}

// scaled is v on the axis's scale, false when it cannot be drawn.
func scaled(a Axis, v float64) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if a.Log {
		if v <= 0 {
			return 0, false
		}
		return math.Log10(v), true
	}
	return v, true
}

// axisLabel is the value v (on the axis's scale) as its end shows it.
func axisLabel(a Axis, v float64) string {
	if len(a.Categories) > 0 {
		i := int(math.Round(v))
		if i >= 0 && i < len(a.Categories) {
			return format.OneLine(a.Categories[i])
		}
		return ""
	}
	if math.IsInf(v, 0) {
		return ""
	}
	if a.Log {
		v = math.Pow(10, v)
	}
	return format.Short(v)
}

// labelRow centres each axis's label on it, within the axis's share of
// the row (half-way to each neighbour, less a blank cell), clipped to it.
func labelRow(p Plot, xs []int, w int, label func(k int) string) string {
	row := []rune(strings.Repeat(" ", w))
	for k, x := range xs {
		lo, hi := 0, w-1
		if k > 0 {
			lo = (xs[k-1]+x)/2 + 1
		}
		if k+1 < len(xs) {
			hi = max((x+xs[k+1])/2-1, x) // a blank cell before the next share
		}
		s := []rune(ansi.Truncate(label(k), hi-lo+1, "…"))
		start := max(lo, min(x-len(s)/2, hi+1-len(s)))
		for i, r := range s {
			row[start+i] = r
		}
	}
	return string(row)
}

// segment visits the dots of the line from (x0, y0) to (x1, y1), one a
// step along its longer side (a DDA: the other coordinate is rounded).
func segment(x0, y0, x1, y1 int, plot func(x, y int)) {
	dx, dy := x1-x0, y1-y0
	steps := max(abs(dx), abs(dy), 1)
	for i := 0; i <= steps; i++ {
		plot(x0+int(math.Round(float64(i*dx)/float64(steps))), y0+int(math.Round(float64(i*dy)/float64(steps))))
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

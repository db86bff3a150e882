package report

import (
	"image/color"
	"math"
	"strconv"

	"github.com/lathe-ml/lathe/format"
)

// Font sizes in px.
const (
	titleSize = 14
	labelSize = 12
	tickSize  = 11
)

// axes describes a chart's frame: its title, axis labels and domain.
type axes struct {
	class, title           string
	xlabel, ylabel         string
	xlo, xhi, ylo, yhi     float64 // the domain, padded already
	logX, logY             bool
	xInts, yInts           bool // ticks only at whole numbers (steps, trials, counts)
	xDates                 bool // x values are Unix seconds: ticks at whole years, months, days or hours
	legend                 []legendItem
	noXGrid, noYGrid       bool
	xTickText, yTickText   func(float64) string // nil: tickLabel
	minLeft, legendMaxFrac float64
}

// legendItem is one key of a legend: a line, a dot or a square.
type legendItem struct {
	label string
	color color.NRGBA
	shape string // "line", "dash", "dot", "ring", "square"
	class string
}

// frame is a laid-out chart: scales to pixels and the group data marks go
// into.
type frame struct {
	fig        *figure
	plot       *mark
	x, y       scale
	l, t, r, b float64 // the plot area's edges
	fs         faces
}

// newFrame lays out the title, axes, grid and legend of a w×h chart.
func newFrame(w, h float64, a axes) *frame {
	fs := faces{}
	f := &figure{w: w, h: h, class: a.class, title: a.title}
	fr := &frame{fig: f, fs: fs}
	top := 8.0
	if a.title != "" {
		top += titleSize + 10
	}
	bottom := 8.0 + tickSize + 8
	if a.xlabel != "" {
		bottom += labelSize + 8
	}
	fr.y = scale{lo: a.ylo, hi: a.yhi, a: h - bottom, b: top, log: a.logY}
	yv, yl := ticksFor(fr.y, max(4, int((h-top-bottom)/30)))
	if a.yInts {
		yv, yl = wholeTicks(yv, yl)
	}
	if a.yTickText != nil {
		for i, v := range yv {
			yl[i] = a.yTickText(v)
		}
	}
	left := 8.0
	if a.ylabel != "" {
		left += labelSize + 8
	}
	lw := 0.0
	for _, s := range yl {
		lw = math.Max(lw, fs.width(s, tickSize, false))
	}
	left = math.Max(left+lw+6, a.minLeft)
	right := 14.0
	var legendW float64
	if len(a.legend) > 0 {
		frac := a.legendMaxFrac
		if frac == 0 {
			frac = 0.32
		}
		for _, it := range a.legend {
			legendW = math.Max(legendW, fs.width(it.label, tickSize, false)+30)
		}
		legendW = math.Min(legendW, w*frac)
		right += legendW
	}
	fr.l, fr.t, fr.r, fr.b = left, top, w-right, h-bottom
	fr.x = scale{lo: a.xlo, hi: a.xhi, a: fr.l, b: fr.r, log: a.logX}
	fr.y.a, fr.y.b = fr.b, fr.t
	xv, xl := ticksFor(fr.x, max(3, int((fr.r-fr.l)/80)))
	if a.xDates {
		xv, xl = dateTicks(fr.x.lo, fr.x.hi, max(2, int((fr.r-fr.l)/90)))
	}
	if a.xInts {
		xv, xl = wholeTicks(xv, xl)
	}
	if a.xTickText != nil {
		for i, v := range xv {
			xl[i] = a.xTickText(v)
		}
	}

	root := &f.root
	if a.title != "" {
		root.add(&mark{kind: kText, class: "chart-title", x: left, y: 8 + titleSize, text: a.title, size: titleSize, fill: inkColor, anchor: -1, bold: true})
	}
	grid := root.group("grid")
	if !a.noYGrid {
		for _, v := range yv {
			y := fr.y.at(v)
			grid.add(&mark{kind: kPath, pts: []pt{{fr.l, y}, {fr.r, y}}, stroke: gridColor, width: 1})
		}
	}
	if !a.noXGrid {
		for _, v := range xv {
			x := fr.x.at(v)
			grid.add(&mark{kind: kPath, pts: []pt{{x, fr.t}, {x, fr.b}}, stroke: gridColor, width: 1})
		}
	}
	xa := root.group("axis x-axis")
	xa.add(&mark{kind: kPath, pts: []pt{{fr.l, fr.b}, {fr.r, fr.b}}, stroke: axisColor, width: 1})
	for i, v := range xv {
		x := fr.x.at(v)
		xa.add(&mark{kind: kPath, pts: []pt{{x, fr.b}, {x, fr.b + 4}}, stroke: axisColor, width: 1})
		xa.add(&mark{kind: kText, class: "tick", x: x, y: fr.b + 6 + tickSize, text: xl[i], size: tickSize, fill: mutedColor})
	}
	ya := root.group("axis y-axis")
	ya.add(&mark{kind: kPath, pts: []pt{{fr.l, fr.t}, {fr.l, fr.b}}, stroke: axisColor, width: 1})
	for i, v := range yv {
		y := fr.y.at(v)
		ya.add(&mark{kind: kPath, pts: []pt{{fr.l - 4, y}, {fr.l, y}}, stroke: axisColor, width: 1})
		ya.add(&mark{kind: kText, class: "tick", x: fr.l - 6, y: y + tickSize*0.35, text: yl[i], size: tickSize, fill: mutedColor, anchor: 1})
	}
	if a.xlabel != "" {
		xa.add(&mark{kind: kText, class: "axis-label x-label", x: (fr.l + fr.r) / 2, y: h - 8, text: a.xlabel, size: labelSize, fill: inkColor})
	}
	if a.ylabel != "" {
		ya.add(&mark{kind: kText, class: "axis-label y-label", x: 8 + labelSize, y: (fr.t + fr.b) / 2, text: a.ylabel, size: labelSize, fill: inkColor, vert: true})
	}
	fr.plot = root.group("plot")
	if len(a.legend) > 0 {
		lg := root.group("legend")
		x := fr.r + 14
		for i, it := range a.legend {
			y := fr.t + 6 + float64(i)*(tickSize+7)
			if y > fr.b {
				break
			}
			item := lg.group("legend-item " + it.class)
			switch it.shape {
			case "dot", "ring", "square":
				c := &mark{kind: kCircle, x: x + 9, y: y, r: 4, fill: it.color}
				if it.shape == "ring" {
					c.fill, c.stroke, c.width = withAlpha(it.color, 0x33), it.color, 1.5
				}
				if it.shape == "square" {
					c = &mark{kind: kRect, x: x + 4, y: y - 5, w: 10, h: 10, fill: it.color}
				}
				item.add(c)
			default:
				l := &mark{kind: kPath, pts: []pt{{x, y}, {x + 18, y}}, stroke: it.color, width: 2}
				if it.shape == "dash" {
					l.dash = []float64{4, 3}
				}
				item.add(l)
			}
			label := fitText(fs, it.label, tickSize, w-x-28)
			item.add(&mark{kind: kText, x: x + 24, y: y + tickSize*0.35, text: label, title: it.label, size: tickSize, fill: inkColor, anchor: -1})
		}
	}
	return fr
}

// wholeTicks drops the ticks that are not whole numbers.
func wholeTicks(vs []float64, ls []string) ([]float64, []string) {
	var v2 []float64
	var l2 []string
	for _, v := range vs {
		if v == math.Trunc(v) {
			v2 = append(v2, v)
			l2 = append(l2, strconv.FormatFloat(v, 'f', 0, 64))
			if math.Abs(v) >= 1e4 {
				l2[len(l2)-1] = format.Digits(int64(v))
			}
		}
	}
	return v2, l2
}

// fitText clips s with an ellipsis to at most maxW pixels.
func fitText(fs faces, s string, size, maxW float64) string {
	if fs.width(s, size, false) <= maxW {
		return s
	}
	r := []rune(s)
	for n := len(r) - 1; n > 1; n-- {
		c := string(r[:n]) + "…"
		if fs.width(c, size, false) <= maxW {
			return c
		}
	}
	return "…"
}

// line is one series of a line chart, in data units.
type line struct {
	label   string
	xs, ys  []float64
	class   string
	data    [][2]string
	color   color.NRGBA
	dash    []float64
	width   float64
	markers bool // a dot at each point
	step    bool // a staircase: each value holds until the next x
}

// lineChart draws series on shared axes; NaN and infinite values break a
// line. extra, when set, draws more marks on the frame after the lines.
func lineChart(w, h float64, a axes, lines []line, extra func(*frame)) *figure {
	var xs, ys []float64
	for _, l := range lines {
		xs = append(xs, l.xs...)
		ys = append(ys, l.ys...)
	}
	xlo, xhi, okx := extent(xs, a.logX)
	ylo, yhi, oky := extent(ys, a.logY)
	if !okx || !oky {
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
		if a.logY {
			ylo = 0.1
		}
	}
	if a.xlo == 0 && a.xhi == 0 {
		a.xlo, a.xhi = xlo, xhi
		if a.xhi == a.xlo {
			a.xlo, a.xhi = pad(a.xlo, a.xhi, 0, a.logX)
		}
	}
	if a.ylo == 0 && a.yhi == 0 {
		a.ylo, a.yhi = pad(ylo, yhi, 0.05, a.logY)
	}
	fr := newFrame(w, h, a)
	if !okx || !oky {
		fr.plot.add(&mark{kind: kText, class: "empty", x: (fr.l + fr.r) / 2, y: (fr.t + fr.b) / 2, text: "no values yet", size: labelSize, fill: mutedColor})
	}
	for _, l := range lines {
		width := l.width
		if width == 0 {
			width = 1.75
		}
		var pts []pt
		prev := math.NaN()
		for i := range l.xs {
			x, y := l.xs[i], l.ys[i]
			if !finite(x) || !finite(y) || (a.logY && y <= 0) || (a.logX && x <= 0) {
				pts = append(pts, gap)
				prev = math.NaN()
				continue
			}
			px, py := fr.x.at(x), fr.y.at(y)
			if l.step && !math.IsNaN(prev) {
				pts = append(pts, pt{px, prev})
			}
			pts = append(pts, pt{px, py})
			prev = py
		}
		pts = decimate(pts)
		g := fr.plot.group("series")
		g.add(&mark{kind: kPath, class: l.class, title: l.label, data: l.data, pts: pts, stroke: l.color, width: width, dash: l.dash})
		lone := loneIndexes(pts)
		if l.markers || len(lone) > 0 {
			for i, p := range pts {
				if isGap(p) || (!l.markers && !lone[i]) {
					continue
				}
				g.add(&mark{kind: kCircle, class: "marker", x: p.x, y: p.y, r: 2.5, fill: l.color})
			}
		}
	}
	if extra != nil {
		extra(fr)
	}
	return fr.fig
}

// loneIndexes are the points with a gap (or nothing) on both sides: a line
// cannot show them, so they get a dot.
func loneIndexes(pts []pt) map[int]bool {
	out := map[int]bool{}
	for i, p := range pts {
		if isGap(p) {
			continue
		}
		if (i == 0 || isGap(pts[i-1])) && (i == len(pts)-1 || isGap(pts[i+1])) {
			out[i] = true
		}
	}
	return out
}

// decimate keeps, of each pixel column of a long polyline, its first, lowest,
// highest and last points in order: the M4 aggregation (Jugel et al., VLDB
// 2014), which draws the same picture as every point.
func decimate(pts []pt) []pt {
	if len(pts) < 2000 {
		return pts
	}
	out := make([]pt, 0, 4*1000)
	i := 0
	for i < len(pts) {
		if isGap(pts[i]) {
			out = append(out, gap)
			i++
			continue
		}
		col := math.Floor(pts[i].x)
		first, lo, hi, last := i, i, i, i
		j := i + 1
		for ; j < len(pts) && !isGap(pts[j]) && math.Floor(pts[j].x) == col; j++ {
			if pts[j].y < pts[lo].y {
				lo = j
			}
			if pts[j].y > pts[hi].y {
				hi = j
			}
			last = j
		}
		for _, k := range sortedUnique(first, lo, hi, last) {
			out = append(out, pts[k])
		}
		i = j
	}
	return out
}

func sortedUnique(ks ...int) []int {
	out := ks[:0:0]
	for _, k := range ks {
		at := len(out)
		dup := false
		for i, o := range out {
			if o == k {
				dup = true
				break
			}
			if o > k && at == len(out) {
				at = i
			}
		}
		if !dup {
			out = append(out, 0)
			copy(out[at+1:], out[at:])
			out[at] = k
		}
	}
	return out
}

// histogramChart draws equal-width bins as bars touching each other.
func histogramChart(w, h float64, a axes, edges []float64, counts []int64) *figure {
	var maxC int64
	for _, c := range counts {
		maxC = max(maxC, c)
	}
	a.class = "histogram"
	a.xlo, a.xhi = edges[0], edges[len(edges)-1]
	if a.xhi == a.xlo {
		a.xlo, a.xhi = pad(a.xlo, a.xhi, 0, false)
	}
	a.ylo, a.yhi = 0, math.Max(1, float64(maxC)*1.05)
	a.yInts, a.noXGrid = true, true
	fr := newFrame(w, h, a)
	g := fr.plot.group("bars")
	for i, c := range counts {
		x0, x1 := fr.x.at(edges[i]), fr.x.at(edges[i+1])
		y := fr.y.at(float64(c))
		g.add(&mark{kind: kRect, class: "bar", x: x0 + 0.5, y: y, w: math.Max(0.5, x1-x0-1), h: fr.b - y, fill: palette[0],
			title: "[" + format.Num(edges[i]) + ", " + format.Num(edges[i+1]) + "): " + format.Digits(c)})
	}
	return fr.fig
}

// hbarChart draws one labelled horizontal bar per value (importance, top
// values), largest first as given.
func hbarChart(w float64, class, title string, labels []string, values []float64, text func(float64) string) *figure {
	fs := faces{}
	rowH := 20.0
	top := 8.0
	if title != "" {
		top += titleSize + 10
	}
	h := top + rowH*float64(len(labels)) + 8
	f := &figure{w: w, h: h, class: class, title: title}
	if title != "" {
		f.root.add(&mark{kind: kText, class: "chart-title", x: 8, y: 8 + titleSize, text: title, size: titleSize, fill: inkColor, anchor: -1, bold: true})
	}
	labelW := 0.0
	for _, l := range labels {
		labelW = math.Max(labelW, fs.width(l, tickSize, false))
	}
	labelW = math.Min(labelW, w*0.35)
	x0 := 8 + labelW + 8
	maxV := 0.0
	for _, v := range values {
		if finite(v) {
			maxV = math.Max(maxV, v)
		}
	}
	valueW := 64.0
	g := f.root.group("bars")
	for i, l := range labels {
		y := top + float64(i)*rowH
		v := values[i]
		bw := 0.0
		if maxV > 0 && finite(v) && v > 0 {
			bw = (w - x0 - valueW) * v / maxV
		}
		row := g.group("bar-row")
		row.add(&mark{kind: kText, class: "bar-label", x: x0 - 8, y: y + rowH/2 + tickSize*0.35, text: fitText(fs, l, tickSize, labelW), title: l, size: tickSize, fill: inkColor, anchor: 1})
		row.add(&mark{kind: kRect, class: "bar", x: x0, y: y + 3, w: math.Max(bw, 1), h: rowH - 6, fill: palette[0], title: l + ": " + text(v)})
		row.add(&mark{kind: kText, class: "bar-value", x: x0 + bw + 6, y: y + rowH/2 + tickSize*0.35, text: text(v), size: tickSize, fill: mutedColor, anchor: -1})
	}
	return f
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

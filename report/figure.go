package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
)

// A figure is a chart as a tree of marks in pixel coordinates (y down),
// which svg.go and png.go write. Every mark may carry a class and a title
// (the tooltip, and what a screen reader says), so the SVG says what each
// element is.
type figure struct {
	w, h  float64
	class string // the chart's kind: "curves", "pareto", ...
	title string // aria-label of the whole chart
	root  mark
}

type markKind uint8

const (
	kGroup markKind = iota
	kPath           // an open polyline
	kPoly           // a closed, filled polygon
	kRect
	kCircle
	kText
)

type pt struct{ x, y float64 }

// mark is one drawing element. Zero colours (alpha 0) mean none.
type mark struct {
	kind   markKind
	class  string
	title  string
	data   [][2]string // data-* attributes, e.g. {"trial", "7"}
	pts    []pt        // kPath (nil points break the line: see gap), kPoly
	x, y   float64     // kRect's corner, kCircle's centre, kText's anchor
	w, h   float64     // kRect
	r      float64     // kCircle
	fill   color.NRGBA
	stroke color.NRGBA
	width  float64   // stroke width
	dash   []float64 // stroke dash pattern
	text   string
	size   float64 // font size in px
	anchor int     // text: -1 start, 0 middle, 1 end
	vert   bool    // text rotated -90°, reading upwards
	bold   bool
	kids   []*mark
}

// gap separates the runs of a kPath: the line is not drawn across it.
var gap = pt{math.NaN(), math.NaN()}

func isGap(p pt) bool { return math.IsNaN(p.x) }

func (m *mark) add(k *mark) *mark { m.kids = append(m.kids, k); return k }

func (m *mark) group(class string) *mark { return m.add(&mark{kind: kGroup, class: class}) }

// Palette: Okabe and Ito's colour-blind-safe set (2008), then greys.
var (
	palette = []color.NRGBA{
		{0x00, 0x72, 0xb2, 0xff}, // blue
		{0xe6, 0x9f, 0x00, 0xff}, // orange
		{0x00, 0x9e, 0x73, 0xff}, // bluish green
		{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
		{0x56, 0xb4, 0xe9, 0xff}, // sky blue
		{0xd5, 0x5e, 0x00, 0xff}, // vermillion
		{0xf0, 0xe4, 0x42, 0xff}, // yellow
		{0x00, 0x00, 0x00, 0xff}, // black
	}
	inkColor   = color.NRGBA{0x22, 0x22, 0x22, 0xff}
	mutedColor = color.NRGBA{0x66, 0x66, 0x66, 0xff}
	gridColor  = color.NRGBA{0xe3, 0xe3, 0xe3, 0xff}
	axisColor  = color.NRGBA{0x88, 0x88, 0x88, 0xff}
	dimColor   = color.NRGBA{0x99, 0x99, 0x99, 0x66}
	warnColor  = color.NRGBA{0xd5, 0x5e, 0x00, 0xff}
	bgColor    = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

func seriesColor(i int) color.NRGBA { return palette[i%len(palette)] }

func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// writeSVG writes the figure as an SVG element; standalone adds the XML
// namespace a .svg file needs (inline SVG in HTML must not need it).
func (f *figure) writeSVG(w io.Writer, standalone bool) error {
	var b strings.Builder
	b.WriteString(`<svg`)
	if standalone {
		b.WriteString(` xmlns="http://www.w3.org/2000/svg"`)
	}
	fmt.Fprintf(&b, ` class="chart %s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s"`,
		f.class, num(f.w), num(f.h), num(f.w), num(f.h), esc(f.title))
	b.WriteString(` font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif">`)
	fmt.Fprintf(&b, `<rect class="background" width="%s" height="%s" fill="%s"/>`, num(f.w), num(f.h), hex(bgColor))
	for _, k := range f.root.kids {
		writeMark(&b, k)
	}
	b.WriteString("</svg>")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMark(b *strings.Builder, m *mark) {
	open := func(tag string) {
		b.WriteString("<" + tag)
		if m.class != "" {
			fmt.Fprintf(b, ` class="%s"`, esc(m.class))
		}
		for _, d := range m.data {
			fmt.Fprintf(b, ` data-%s="%s"`, d[0], esc(d[1]))
		}
	}
	paint := func() {
		if m.fill.A > 0 {
			fmt.Fprintf(b, ` fill="%s"`, hex(m.fill))
			if m.fill.A < 255 {
				fmt.Fprintf(b, ` fill-opacity="%s"`, alpha(m.fill))
			}
		} else {
			b.WriteString(` fill="none"`)
		}
		if m.stroke.A > 0 && m.width > 0 {
			fmt.Fprintf(b, ` stroke="%s" stroke-width="%s"`, hex(m.stroke), num(m.width))
			if m.stroke.A < 255 {
				fmt.Fprintf(b, ` stroke-opacity="%s"`, alpha(m.stroke))
			}
			if len(m.dash) > 0 {
				ds := make([]string, len(m.dash))
				for i, d := range m.dash {
					ds[i] = num(d)
				}
				fmt.Fprintf(b, ` stroke-dasharray="%s"`, strings.Join(ds, " "))
			}
		}
	}
	close := func(tag string) {
		if m.title != "" {
			fmt.Fprintf(b, "><title>%s</title></%s>", esc(m.title), tag)
		} else {
			b.WriteString("/>")
		}
	}
	switch m.kind {
	case kGroup:
		open("g")
		b.WriteString(">")
		if m.title != "" {
			fmt.Fprintf(b, "<title>%s</title>", esc(m.title))
		}
		for _, k := range m.kids {
			writeMark(b, k)
		}
		b.WriteString("</g>")
	case kPath, kPoly:
		d := pathData(m.pts, m.kind == kPoly)
		if d == "" {
			return
		}
		open("path")
		fmt.Fprintf(b, ` d="%s"`, d)
		paint()
		if m.kind == kPath {
			b.WriteString(` stroke-linejoin="round" stroke-linecap="round"`)
		}
		close("path")
	case kRect:
		open("rect")
		fmt.Fprintf(b, ` x="%s" y="%s" width="%s" height="%s"`, num(m.x), num(m.y), num(m.w), num(m.h))
		paint()
		close("rect")
	case kCircle:
		open("circle")
		fmt.Fprintf(b, ` cx="%s" cy="%s" r="%s"`, num(m.x), num(m.y), num(m.r))
		paint()
		close("circle")
	case kText:
		open("text")
		fmt.Fprintf(b, ` x="%s" y="%s" font-size="%s" fill="%s"`, num(m.x), num(m.y), num(m.size), hex(m.fill))
		switch m.anchor {
		case 0:
			b.WriteString(` text-anchor="middle"`)
		case 1:
			b.WriteString(` text-anchor="end"`)
		}
		if m.bold {
			b.WriteString(` font-weight="600"`)
		}
		if m.vert {
			fmt.Fprintf(b, ` transform="rotate(-90 %s %s)"`, num(m.x), num(m.y))
		}
		b.WriteString(">" + esc(m.text))
		if m.title != "" {
			fmt.Fprintf(b, "<title>%s</title>", esc(m.title))
		}
		b.WriteString("</text>")
	}
}

// pathData is SVG path data for pts: M at each run's start, L after.
func pathData(pts []pt, closed bool) string {
	var b strings.Builder
	move := true
	for _, p := range pts {
		if isGap(p) {
			move = true
			continue
		}
		if move {
			b.WriteString("M")
			move = false
		} else {
			b.WriteString("L")
		}
		b.WriteString(num(p.x) + " " + num(p.y))
	}
	if closed && b.Len() > 0 {
		b.WriteString("Z")
	}
	return b.String()
}

// num prints a coordinate with two decimals at most: enough for a pixel
// grid, and it keeps pages small.
func num(v float64) string {
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func alpha(c color.NRGBA) string { return strconv.FormatFloat(float64(c.A)/255, 'f', 2, 64) }

// esc escapes text for XML character data and attribute values alike.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff || (r >= 0xd800 && r <= 0xdfff):
			b.WriteRune('\ufffd') // not allowed in XML 1.0
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

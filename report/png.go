package report

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The PNG back end rasterizes the same marks the SVG back end writes: fills
// through x/image/vector (anti-aliased, non-zero winding with coverage
// clamped, so overlapping pieces of one shape drawn in one orientation
// merge), strokes as a quad per segment with round joins, text with the Go
// fonts.

// The parsed fonts are read-only once parsed (sfnt.Font is safe for
// concurrent use); each drawing makes its own faces, which are not.
var (
	regularFont = sync.OnceValue(func() *opentype.Font { f, _ := opentype.Parse(goregular.TTF); return f })
	boldFont    = sync.OnceValue(func() *opentype.Font { f, _ := opentype.Parse(gobold.TTF); return f })
)

// faces makes and keeps font faces by size and weight, for one drawing.
type faces map[[2]float64]font.Face

func (fs faces) get(size float64, bold bool) font.Face {
	k := [2]float64{size, 0}
	f := regularFont()
	if bold {
		k[1] = 1
		f = boldFont()
	}
	if face, ok := fs[k]; ok {
		return face
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		face = nil
	}
	fs[k] = face
	return face
}

// width is the room s takes at size, for layout: 8 % more than Go Regular
// measures, because browsers draw SVG text in the system font, which runs
// wider (DejaVu Sans by about that much).
func (fs faces) width(s string, size float64, bold bool) float64 {
	return 1.08 * fs.measure(s, size, bold)
}

// measure is s's advance in Go Regular (or Bold) at size.
func (fs faces) measure(s string, size float64, bold bool) float64 {
	face := fs.get(size, bold)
	if face == nil {
		return 0.55 * size * float64(len([]rune(s)))
	}
	return float64(font.MeasureString(face, s)) / 64
}

// writePNG rasterizes the figure at its size.
func (f *figure) writePNG(w io.Writer) error {
	W, H := int(math.Ceil(f.w)), int(math.Ceil(f.h))
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	r := &raster{img: img, faces: faces{}}
	r.fill([]pt{{0, 0}, {f.w, 0}, {f.w, f.h}, {0, f.h}}, bgColor)
	for _, k := range f.root.kids {
		r.draw(k)
	}
	return png.Encode(w, img)
}

type raster struct {
	img   *image.RGBA
	faces faces
}

func (r *raster) draw(m *mark) {
	switch m.kind {
	case kGroup:
		for _, k := range m.kids {
			r.draw(k)
		}
	case kPoly:
		r.fill(m.pts, m.fill)
		if m.stroke.A > 0 && m.width > 0 {
			r.strokeRuns(append(append([]pt{}, m.pts...), m.pts[0]), m.stroke, m.width, m.dash)
		}
	case kPath:
		if m.fill.A > 0 {
			r.fill(m.pts, m.fill)
		}
		if m.stroke.A > 0 && m.width > 0 {
			r.strokeRuns(m.pts, m.stroke, m.width, m.dash)
		}
	case kRect:
		box := []pt{{m.x, m.y}, {m.x + m.w, m.y}, {m.x + m.w, m.y + m.h}, {m.x, m.y + m.h}}
		r.fill(box, m.fill)
		if m.stroke.A > 0 && m.width > 0 {
			r.strokeRuns(append(box, box[0]), m.stroke, m.width, m.dash)
		}
	case kCircle:
		r.fillPolys([][]pt{circle(m.x, m.y, m.r)}, m.fill)
		if m.stroke.A > 0 && m.width > 0 {
			outer, inner := circle(m.x, m.y, m.r+m.width/2), circle(m.x, m.y, max(0, m.r-m.width/2))
			reverse(inner) // a hole: opposite winding cancels
			r.fillPolys([][]pt{outer, inner}, m.stroke)
		}
	case kText:
		r.text(m)
	}
}

// fill fills one polygon (gaps split it into several).
func (r *raster) fill(pts []pt, c color.NRGBA) {
	var polys [][]pt
	var cur []pt
	for _, p := range pts {
		if isGap(p) {
			polys, cur = append(polys, cur), nil
			continue
		}
		cur = append(cur, p)
	}
	r.fillPolys(append(polys, cur), c)
}

// fillPolys fills polygons in one pass, as given: pieces of one shape must
// share a winding to merge, and one of opposite winding cuts a hole.
func (r *raster) fillPolys(polys [][]pt, c color.NRGBA) {
	if c.A == 0 {
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range polys {
		for _, q := range p {
			minX, minY, maxX, maxY = math.Min(minX, q.x), math.Min(minY, q.y), math.Max(maxX, q.x), math.Max(maxY, q.y)
		}
	}
	b := r.img.Bounds()
	x0, y0 := max(b.Min.X, int(math.Floor(minX))), max(b.Min.Y, int(math.Floor(minY)))
	x1, y1 := min(b.Max.X, int(math.Ceil(maxX))+1), min(b.Max.Y, int(math.Ceil(maxY))+1)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	z := vector.NewRasterizer(x1-x0, y1-y0)
	for _, p := range polys {
		if len(p) < 3 {
			continue
		}
		z.MoveTo(float32(p[0].x-float64(x0)), float32(p[0].y-float64(y0)))
		for _, q := range p[1:] {
			z.LineTo(float32(q.x-float64(x0)), float32(q.y-float64(y0)))
		}
		z.ClosePath()
	}
	z.Draw(r.img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{})
}

// strokeRuns strokes each gap-separated run of pts.
func (r *raster) strokeRuns(pts []pt, c color.NRGBA, w float64, dash []float64) {
	var run []pt
	flush := func() {
		if len(run) > 0 {
			for _, piece := range dashes(run, dash) {
				r.stroke(piece, c, w)
			}
		}
		run = nil
	}
	for _, p := range pts {
		if isGap(p) {
			flush()
			continue
		}
		run = append(run, p)
	}
	flush()
}

// stroke draws a polyline of width w: a quad per segment and a disc at each
// vertex (round joins and caps), all in one winding so they merge.
func (r *raster) stroke(pts []pt, c color.NRGBA, w float64) {
	h := w / 2
	var polys [][]pt
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		dx, dy := b.x-a.x, b.y-a.y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*h, dx/l*h
		polys = append(polys, orient([]pt{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}}))
	}
	if w >= 1.2 || len(pts) == 1 {
		for _, p := range pts {
			polys = append(polys, orient(circle(p.x, p.y, h)))
		}
	}
	r.fillPolys(polys, c)
}

// dashes cuts a polyline into its dash pieces; no pattern keeps it whole.
func dashes(pts []pt, pattern []float64) [][]pt {
	if len(pattern) == 0 {
		return [][]pt{pts}
	}
	var out [][]pt
	i, left, on := 0, pattern[0], true
	cur := []pt{pts[0]}
	for s := 0; s+1 < len(pts); s++ {
		a, b := pts[s], pts[s+1]
		l := math.Hypot(b.x-a.x, b.y-a.y)
		for t := 0.0; l-t > 1e-9; {
			step := math.Min(left, l-t)
			t += step
			left -= step
			p := pt{a.x + (b.x-a.x)*t/l, a.y + (b.y-a.y)*t/l}
			if on {
				cur = append(cur, p)
			}
			if left <= 1e-9 {
				if on {
					out = append(out, cur)
				}
				on = !on
				i = (i + 1) % len(pattern)
				left = pattern[i]
				cur = []pt{p}
			}
		}
	}
	if on && len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}

func circle(cx, cy, rad float64) []pt {
	n := max(12, int(rad*4))
	out := make([]pt, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = pt{cx + rad*math.Cos(a), cy + rad*math.Sin(a)}
	}
	return out
}

// orient turns a polygon to positive signed area.
func orient(p []pt) []pt {
	var a float64
	for i := range p {
		q := p[(i+1)%len(p)]
		a += p[i].x*q.y - q.x*p[i].y
	}
	if a < 0 {
		reverse(p)
	}
	return p
}

func reverse(p []pt) {
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
}

// text draws a label at its anchor; vertical labels are drawn on their side
// into a scratch image and turned a quarter counter-clockwise.
func (r *raster) text(m *mark) {
	face := r.faces.get(m.size, m.bold)
	if face == nil || m.text == "" {
		return
	}
	wd := r.faces.measure(m.text, m.size, m.bold)
	start := 0.0
	switch m.anchor {
	case 0:
		start = -wd / 2
	case 1:
		start = -wd
	}
	src := image.NewUniform(m.fill)
	if !m.vert {
		d := font.Drawer{Dst: r.img, Src: src, Face: face, Dot: fixed.Point26_6{X: fixed.Int26_6((m.x + start) * 64), Y: fixed.Int26_6(m.y * 64)}}
		d.DrawString(m.text)
		return
	}
	met := face.Metrics()
	asc, desc := float64(met.Ascent)/64, float64(met.Descent)/64
	tw, th := int(math.Ceil(wd))+2, int(math.Ceil(asc+desc))+2
	tmp := image.NewRGBA(image.Rect(0, 0, tw, th))
	d := font.Drawer{Dst: tmp, Src: src, Face: face, Dot: fixed.Point26_6{X: 64, Y: fixed.Int26_6((asc + 1) * 64)}}
	d.DrawString(m.text)
	// tmp (tx, ty) is the offset (dx, dy) = (tx-1+start, ty-1-asc) from the
	// anchor along and across the text; turned, it lands at (x+dy, y-dx).
	b := r.img.Bounds()
	for ty := 0; ty < th; ty++ {
		for tx := 0; tx < tw; tx++ {
			s := tmp.RGBAAt(tx, ty)
			if s.A == 0 {
				continue
			}
			dx, dy := float64(tx-1)+start, float64(ty-1)-asc
			X, Y := int(math.Round(m.x+dy)), int(math.Round(m.y-dx))
			if !(image.Point{X, Y}.In(b)) {
				continue
			}
			o := r.img.RGBAAt(X, Y)
			k := 255 - uint32(s.A)
			o.R = uint8(uint32(s.R) + uint32(o.R)*k/255)
			o.G = uint8(uint32(s.G) + uint32(o.G)*k/255)
			o.B = uint8(uint32(s.B) + uint32(o.B)*k/255)
			o.A = uint8(uint32(s.A) + uint32(o.A)*k/255)
			r.img.SetRGBA(X, Y, o)
		}
	}
}

package chart

import (
	"math"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"

	"github.com/lathe-ml/lathe/format"
)

// Charsets of the text fallback. The braille canvas (Render) needs a UTF-8
// terminal with braille glyphs; where that is missing (LATHE_CHARSET, a
// locale without UTF-8, a CI log), the same series are drawn by asciigraph
// with its box-drawing characters, or with plain ASCII.
const (
	CharsetBraille = ""      // the braille canvas
	CharsetBox     = "box"   // asciigraph's box-drawing lines
	CharsetASCII   = "ascii" // asciigraph's lines turned into 7-bit ASCII
)

// seriesColors stand for Palette in asciigraph's 256-colour names.
var seriesColors = []asciigraph.AnsiColor{asciigraph.DodgerBlue, asciigraph.DarkOrange, asciigraph.LimeGreen,
	asciigraph.HotPink, asciigraph.Gold, asciigraph.MediumPurple, asciigraph.DarkTurquoise, asciigraph.Red}

// noColorChars tell series apart without colour.
var noColorChars = []string{"*", "+", "x", "o", "#", "%", "@", "="}

// RenderText draws the series with asciigraph in exactly h lines of at most
// w cells: the plot with a y axis, an x axis of steps, and a legend with
// each series' last value. It takes the same series as Render: points are
// resampled onto one step grid across the plot's columns (each column shows
// the series' last value at or before its step; before a series' first
// step, nothing), so runs with different steps overlay correctly.
func RenderText(w, h int, series []*Series, o Options) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	minX, maxX, _, _, ok := bounds(series, o.LogY)
	const labelW = 8 // format.Short is at most 7 characters, then the axis
	plotW := w - labelW - 1
	plotH := h - 4 // x axis, its labels, a blank line and the legend (trimmed below if asciigraph needs more)
	if o.Title != "" {
		plotH--
	}
	if !ok || plotW < 8 || plotH < 2 {
		lines := []string{legendText(series, o)}
		if !ok {
			lines = append(lines, "  waiting for metrics…")
		}
		return fitLines(lines, w, h)
	}
	if maxX == minX {
		maxX = minX + 1
	}
	data := make([][]float64, 0, len(series))
	var legends []string
	for _, s := range series {
		data = append(data, resample(s.points, minX, maxX, plotW, o.LogY))
		legends = append(legends, legendItem(s))
	}
	opts := []asciigraph.Option{
		asciigraph.Width(plotW),
		asciigraph.XAxisRange(minX, maxX), asciigraph.XAxisTickCount(min(5, max(2, plotW/12))),
		asciigraph.XAxisValueFormatter(format.Short),
		asciigraph.YAxisValueFormatter(func(v float64) string {
			if o.LogY {
				v = math.Pow(10, v)
			}
			return format.Short(v)
		}),
	}
	if !o.NoColor {
		opts = append(opts, asciigraph.SeriesLegends(legends...)) // a coloured ■ per series
	}
	if o.Title != "" {
		opts = append(opts, asciigraph.Caption(o.Title))
	}
	if o.NoColor {
		chars := make([]asciigraph.CharSet, len(series))
		for i := range chars {
			if len(series) == 1 {
				chars[i] = asciigraph.DefaultCharSet
			} else {
				chars[i] = asciigraph.CreateCharSet(noColorChars[i%len(noColorChars)])
			}
		}
		opts = append(opts, asciigraph.SeriesChars(chars...))
	} else {
		cols := make([]asciigraph.AnsiColor, len(series))
		for i := range cols {
			cols[i] = seriesColors[i%len(seriesColors)]
		}
		opts = append(opts, asciigraph.SeriesColors(cols...))
	}
	out := asciigraph.PlotMany(data, append(opts, asciigraph.Height(plotH))...)
	// asciigraph adds axis, caption and legend rows around Height: shrink the
	// plot by what overflows, so the legend always shows.
	extra := 0
	if o.NoColor {
		extra = 2 // our own legend, below
	}
	if n := strings.Count(strings.TrimRight(out, "\n"), "\n") + 1 + extra; n > h && plotH-(n-h) >= 2 {
		out = asciigraph.PlotMany(data, append(opts, asciigraph.Height(plotH-(n-h)))...)
	}
	if o.Charset == CharsetASCII {
		out = toASCII(out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if o.NoColor {
		// Without colour the legend names each series' character.
		for i, l := range lines {
			lines[i] = ansi.Strip(l)
		}
		lines = append(lines, "", legendText(series, Options{Charset: o.Charset}))
	}
	// Legends and caption sit under the plot; keep the plot whole and cut
	// from the bottom when h is short.
	return fitLines(lines, w, h)
}

// resample maps points onto n columns spanning [minX, maxX].
func resample(pts []Point, minX, maxX float64, n int, logY bool) []float64 {
	sorted := make([]Point, 0, len(pts))
	for _, p := range pts {
		if _, ok := yOf(p.Y, logY); ok {
			sorted = append(sorted, p)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].X < sorted[j].X })
	out := make([]float64, n)
	k := -1
	for c := range n {
		x := minX + (maxX-minX)*float64(c)/float64(max(n-1, 1))
		for k+1 < len(sorted) && sorted[k+1].X <= x+1e-9*(maxX-minX) {
			k++
		}
		if k < 0 {
			out[c] = math.NaN()
			continue
		}
		out[c], _ = yOf(sorted[k].Y, logY)
	}
	return out
}

func legendItem(s *Series) string {
	item := s.Label
	if p, ok := s.Last(); ok {
		item += " " + format.Short(p.Y)
	}
	return item
}

func legendText(series []*Series, o Options) string {
	var parts []string
	if o.Title != "" {
		parts = append(parts, o.Title)
	}
	for i, s := range series {
		mark := noColorChars[i%len(noColorChars)]
		if len(series) == 1 {
			mark = "─"
			if o.Charset == CharsetASCII {
				mark = "-"
			}
		}
		parts = append(parts, mark+" "+legendItem(s))
	}
	return strings.Join(parts, "   ")
}

// toASCII replaces asciigraph's box-drawing characters by 7-bit ones.
func toASCII(s string) string {
	return strings.NewReplacer(
		"─", "-", "│", "|", "┤", "|", "┼", "+", "╭", ".", "╮", ".", "╰", "'", "╯", "'",
		"╴", "-", "╶", "-", "└", "+", "┬", "+", "■", "#",
	).Replace(s)
}

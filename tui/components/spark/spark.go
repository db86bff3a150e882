// Package spark draws histograms as text: a one-line sparkline for lists and
// a block of vertical bars for detail views. Both are pure functions of the
// counts and the size, so they are cheap to redraw and easy to test.
package spark

import (
	"strings"
)

// levels are the eighth-block characters, lowest first (U+2581..U+2588).
var levels = []rune{' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// asciiLevels stand for levels on a terminal without UTF-8.
var asciiLevels = []rune{' ', '.', ',', ':', '-', '=', '+', '*', '#'}

// LineASCII is Line in 7-bit characters.
func LineASCII(counts []int64, width int) string {
	return strings.Map(func(r rune) rune {
		for i, l := range levels {
			if r == l {
				return asciiLevels[i]
			}
		}
		return r
	}, Line(counts, width))
}

// Line renders counts as one line of exactly width cells. Bins are merged
// (summed) or stretched to fit; a non-zero bin never renders blank, so a
// rare value stays visible.
func Line(counts []int64, width int) string {
	if width <= 0 {
		return ""
	}
	cols := Resample(counts, width)
	if len(cols) == 0 {
		return strings.Repeat(" ", width)
	}
	peak := maxOf(cols)
	var b strings.Builder
	for _, c := range cols {
		b.WriteRune(levels[level(c, peak, 8)])
	}
	for i := len(cols); i < width; i++ {
		b.WriteByte(' ')
	}
	return b.String()
}

// Bars renders counts as height lines of exactly width cells: vertical bars
// with eighth-block tops, the tallest bin reaching the top line.
func Bars(counts []int64, width, height int) []string {
	if width <= 0 || height <= 0 {
		return nil
	}
	cols := Resample(counts, width)
	peak := maxOf(cols)
	out := make([]string, height)
	for row := 0; row < height; row++ {
		// Eighths of this row's floor and ceiling, counted from the bottom.
		floor := (height - 1 - row) * 8
		var b strings.Builder
		for _, c := range cols {
			h := level(c, peak, height*8)
			switch {
			case h >= floor+8:
				b.WriteRune('█')
			case h > floor:
				b.WriteRune(levels[h-floor])
			default:
				b.WriteByte(' ')
			}
		}
		for i := len(cols); i < width; i++ {
			b.WriteByte(' ')
		}
		out[row] = b.String()
	}
	return out
}

// Resample maps counts onto width columns: with more bins than columns,
// neighbouring bins are summed; with fewer, each bin is repeated across an
// equal share of the columns (the result may then be a little narrower than
// width so every bin keeps the same width).
func Resample(counts []int64, width int) []int64 {
	n := len(counts)
	if n == 0 || width <= 0 {
		return nil
	}
	if n <= width {
		rep := width / n
		out := make([]int64, 0, n*rep)
		for _, c := range counts {
			for range rep {
				out = append(out, c)
			}
		}
		return out
	}
	out := make([]int64, width)
	for i, c := range counts {
		out[i*width/n] += c
	}
	return out
}

// level scales c to 0..top (peak maps to top); non-zero counts get at least 1.
func level(c, peak int64, top int) int {
	if c <= 0 || peak <= 0 {
		return 0
	}
	l := int((c*int64(top) + peak/2) / peak)
	if l < 1 {
		l = 1
	}
	if l > top {
		l = top
	}
	return l
}

func maxOf(xs []int64) int64 {
	var m int64
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

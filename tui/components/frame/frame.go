// Package frame clips rendered text to a box, so that no line is wider than
// the terminal and the frame has exactly the height it was given: a wrapped or
// overflowing line would scroll the whole alt screen.
package frame

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Fit returns s cut or padded to exactly h lines, each at most w cells wide
// (measured the way the terminal draws them, ANSI sequences excluded).
func Fit(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// Line returns s cut to w cells and padded with spaces to exactly w cells.
func Line(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

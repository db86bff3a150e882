package scatter

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestRenderCornersAndSize(t *testing.T) {
	// Two points at the data's corners; the 4 % padding keeps them off the
	// frame but in the corner cells of a 20x6 canvas area.
	p := Plot{Points: []Point{{X: 0, Y: 0, Class: Normal}, {X: 10, Y: 10, Class: Highlight}}, XLabel: "a", YLabel: "b"}
	out := Render(p, 30, 8, nil)
	lines := strings.Split(out, "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines, want 8:\n%s", len(lines), out)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 30 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
	// Canvas: 25 columns x 6 rows = 50x24 dots over [-0.4, 10.4]^2. (10, 10)
	// is dot (round(10.4/10.8*49), 23-round(10.4/10.8*23)) = (47, 1): cell
	// column 23, row 0, dot (1, 1) = 0x10. (0, 0) is dot (2, 22): column 1,
	// row 5, dot (0, 2) = 0x04.
	cellAt := func(line string, col int) rune {
		g := strings.IndexRune(line, '│')
		return []rune(line[g:])[1+col]
	}
	if r := cellAt(lines[0], 23); r != 0x2800+0x10 {
		t.Errorf("top-right cell %q (%U), want U+2810:\n%s", string(r), r, out)
	}
	if r := cellAt(lines[5], 1); r != 0x2800+0x04 {
		t.Errorf("bottom-left cell %q (%U), want U+2804:\n%s", string(r), r, out)
	}
	if !strings.Contains(lines[7], "x: a") || !strings.Contains(lines[7], "y: b") {
		t.Errorf("axis names missing: %q", lines[7])
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[0]), "10") || !strings.HasPrefix(strings.TrimSpace(lines[5]), "-0.4") {
		t.Errorf("y labels: %q / %q, want 10.4 and -0.4", lines[0], lines[5])
	}
}

func TestRenderDotsAndThresholdLine(t *testing.T) {
	// One point alone in the middle of a 2x1 cell canvas region: exactly one
	// dot in its cell. A horizontal threshold line draws every other dot.
	y := 5.0
	p := Plot{Points: []Point{{X: 0, Y: 0}, {X: 10, Y: 10}}, YLine: &y}
	out := Render(p, 40, 10, nil)
	lines := strings.Split(out, "\n")
	// Rows 0..7 are canvas (32 dot rows); y=5 is the middle: dot row
	// 31 - round(5.4/10.8*31) = 31-16 = 15, i.e. cell row 3, dot row 3 (bit 0x40 / 0x80).
	row := []rune(lines[3])
	g := strings.IndexRune(lines[3], '│')
	cells := []rune(lines[3][g:])[1:]
	dashes := 0
	for _, r := range cells {
		if r == 0x2800+0x40 { // left dot of the bottom dot row only: a dash
			dashes++
		}
	}
	if dashes < len(cells)-2 {
		t.Errorf("threshold line: %d of %d cells are dashes: %q", dashes, len(cells), string(row))
	}
}

func TestRenderClassesStyledAndEmpty(t *testing.T) {
	st := Styles{Dim: lipgloss.NewStyle().Faint(true), Highlight: lipgloss.NewStyle().Bold(true)}
	p := Plot{Points: []Point{{X: 0, Y: 0, Class: Dim}, {X: 1, Y: 1, Class: Highlight}}}
	out := Render(p, 30, 8, st)
	if !strings.Contains(out, "\x1b[2m") || !strings.Contains(out, "\x1b[1m") {
		t.Errorf("dim and highlight styles not applied: %q", out)
	}
	empty := Render(Plot{}, 30, 8, nil)
	if !strings.Contains(empty, "no points") || len(strings.Split(empty, "\n")) != 8 {
		t.Errorf("empty plot: %q", empty)
	}
	if got := Render(p, 10, 3, nil); len(strings.Split(got, "\n")) != 3 {
		t.Errorf("tiny plot: %q", got)
	}
}

// Text mode draws one 7-bit character a cell by class, never braille.
func TestRenderText(t *testing.T) {
	thr := 0.5
	p := Plot{Points: []Point{{0, 0, Normal}, {1, 1, Highlight}, {0.5, 0.2, Dim}, {0.9, 0.1, Selected}}, XLine: &thr, XLabel: "f1", YLabel: "f2", Text: true}
	out := Render(p, 40, 12, nil)
	for _, r := range out {
		if r > 0x7e && r != '\n' {
			t.Fatalf("text mode drew %q:\n%s", r, out)
		}
	}
	for _, want := range []string{"*", "#", "o", "@", "|", "x: f1  y: f2"} {
		if !strings.Contains(out, want) {
			t.Errorf("text plot lacks %q:\n%s", want, out)
		}
	}
}

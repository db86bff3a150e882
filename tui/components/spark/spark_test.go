package spark

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	cases := []struct {
		counts []int64
		width  int
		want   string
	}{
		{[]int64{0, 4, 8}, 3, " ▄█"},
		{[]int64{1, 100}, 2, "▁█"},     // a rare bin stays visible
		{[]int64{1, 1, 2, 2}, 2, "▄█"}, // pairs merged: 2, 4
		{[]int64{8, 0}, 4, "██  "},
		{nil, 3, "   "},
		{[]int64{0, 0}, 2, "  "},
		{[]int64{5, 5, 5}, 4, "███ "}, // one cell per bin, padded
	}
	for _, c := range cases {
		if got := Line(c.counts, c.width); got != c.want {
			t.Errorf("Line(%v, %d) = %q, want %q", c.counts, c.width, got, c.want)
		}
	}
}

func TestBars(t *testing.T) {
	got := Bars([]int64{16, 8, 4, 0}, 4, 2)
	want := []string{"█   ", "██▄ "}
	if !slices.Equal(got, want) {
		t.Errorf("Bars = %q, want %q", got, want)
	}
	// Every line is exactly width cells, whatever the bins.
	for _, w := range []int{1, 7, 20, 63} {
		for _, l := range Bars([]int64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4}, w, 5) {
			if n := utf8.RuneCountInString(l); n != w {
				t.Errorf("width %d: line %q has %d cells", w, l, n)
			}
		}
	}
	// The tallest bin fills the top line; the others are shorter.
	top := Bars([]int64{1, 2, 10}, 3, 4)[0]
	if !strings.HasSuffix(top, "█") || strings.Count(top, "█") != 1 {
		t.Errorf("top line %q", top)
	}
}

func TestResampleKeepsTotal(t *testing.T) {
	counts := []int64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4}
	var total int64
	for _, c := range counts {
		total += c
	}
	for _, w := range []int{1, 3, 7, 19} {
		var sum int64
		for _, c := range Resample(counts, w) {
			sum += c
		}
		if sum != total {
			t.Errorf("width %d: total %d, want %d", w, sum, total)
		}
	}
}

func TestLineASCII(t *testing.T) {
	got := LineASCII([]int64{0, 1, 4, 8}, 4)
	if got != " ,=#" && got != " .=#" {
		for _, r := range got {
			if r > 0x7e {
				t.Fatalf("LineASCII drew %q", got)
			}
		}
	}
	if len(got) != 4 || got[3] != '#' || got[0] != ' ' {
		t.Errorf("LineASCII = %q", got)
	}
}

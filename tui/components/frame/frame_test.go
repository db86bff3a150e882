package frame

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestFit(t *testing.T) {
	cases := []struct {
		in   string
		w, h int
		want string
	}{
		{"abc", 5, 3, "abc\n\n"},
		{"abcdef\nxy\n1\n2\n3", 4, 2, "abc…\nxy"},
		{"\x1b[1mbold text\x1b[m", 6, 1, "bold …"},
		{"日本語テキスト", 5, 1, "日本…"},
		{"a\r\nb", 3, 2, "a\nb"},
		{"x", 0, 2, ""},
	}
	for _, c := range cases {
		got := Fit(c.in, c.w, c.h)
		if s := ansi.Strip(got); s != c.want {
			t.Errorf("Fit(%q, %d, %d) = %q, want %q", c.in, c.w, c.h, s, c.want)
		}
		for _, l := range strings.Split(got, "\n") {
			if ansi.StringWidth(l) > c.w {
				t.Errorf("Fit(%q, %d, %d): line %q too wide", c.in, c.w, c.h, l)
			}
		}
	}
	if got := Line("ab", 4); got != "ab  " {
		t.Errorf("Line pads: %q", got)
	}
	if got := Line("abcdef", 4); ansi.StringWidth(got) != 4 {
		t.Errorf("Line cuts: %q", got)
	}
}

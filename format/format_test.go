package format

import (
	"math"
	"testing"
	"time"
)

func TestNumbers(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{Num(1234567), "1,234,567"},
		{Num(-1234.56), "-1,234.6"},
		{Num(0.5), "0.5"},
		{Num(1e-5), "1e-05"},
		{Num(math.NaN()), "–"},
		{Num(math.Inf(1)), "+Inf"},
		{Metric(0.123456), "0.1235"},
		{Metric(math.NaN()), "NaN"},
		{Short(123456), "1.2e+05"},
		{Short(12.3456), "12.35"},
		{Short(0), "0"},
		{Digits(-1000), "-1,000"},
		{Digits(999), "999"},
		{Pct(0), "0%"},
		{Pct(0.0005), "<0.1%"},
		{Pct(0.05), "5.0%"},
		{Pct(0.5), "50%"},
		{Bytes(-1), "?"},
		{Bytes(999), "999 B"},
		{Bytes(1500), "1.5 kB"},
		{Bytes(2_500_000_000), "2.5 GB"},
		{Duration(1234 * time.Microsecond), "1ms"},
		{Duration(10440 * time.Millisecond), "10.4s"},
		{Duration(182 * time.Second), "3m2s"},
		{Compact(4200 * time.Millisecond), "4.2s"},
		{Compact(184 * time.Second), "3m04s"},
		{Compact(125 * time.Minute), "2h05m"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

func TestClipAndPrintable(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{Clip("abcdef", 4), "abc…"},
		{Clip("äöüß", 4), "äöüß"},
		{Clip("äöüßx", 4), "äöü…"},
		{Clip("a\nb\tc\r", 10), "a⏎b c"},
		{Value(nil), "–"},
		{Value((*float64)(nil)), "–"},
		{Value(int64(12345)), "12,345"},
		{Value(2.5), "2.5"},
		{Value("2024-01-01\n"), "2024-01-01⏎"},
		{Fixed((*float64)(nil)), "–"},
		{Fixed(0.12345), "0.1235"},
		{Clip("abc", 0), ""},
		{Clip("abc", 1), "a"},
		{Printable("ok\ttab\nline"), "ok\ttab\nline"},
		{Printable("a\x00b"), `a\x00b`},
		{Printable("\x1b[31mred\x1b[0m"), `\x1b[31mred\x1b[0m`},
		{Printable("bell\a back\b cr\r"), `bell\x07 back\x08 cr\x0d`},
		{Printable("c1\u009b2J"), `c1\x9b2J`},
		{Printable("bad\xffutf8"), `bad\xffutf8`},
		{Printable("ünïcödé ✓"), "ünïcödé ✓"},
		{Clip("x\x1b]0;title\x07y", 40), `x\x1b]0;title\x07y`},
		{LogLine(" 10%|#    \r 50%|#####\r100%|##########"), "100%|##########"},
		{LogLine("done\r"), "done"},
		{LogLine("\x1b[32mok\x1b[0m\x00"), `\x1b[32mok\x1b[0m\x00`},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

func TestSortedKeys(t *testing.T) {
	got := SortedKeys(map[string]int{"b": 1, "a": 2, "c": 3})
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("got %v", got)
	}
}

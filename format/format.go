// Package format prints numbers, sizes, shares, durations and text for
// people, the same in the CLI's reports and every TUI screen. It imports
// nothing of Lathe's, so any package may use it.
package format

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Num prints a statistic: whole numbers with grouped digits, others with
// about four significant digits, exponents only for the very large and very
// small; NaN as "–".
func Num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return Digits(int64(v))
	case math.Abs(v) >= 1e6 || math.Abs(v) < 1e-3:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case math.Abs(v) >= 1000:
		whole, frac, _ := strings.Cut(strconv.FormatFloat(v, 'f', 1, 64), ".")
		n, _ := strconv.ParseInt(whole, 10, 64)
		return Digits(n) + "." + frac
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Metric prints a metric value with four significant digits (%.4g), NaN as
// "NaN": what run lists and legends show.
func Metric(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Short prints v in at most 7 characters (chart axes): four significant
// digits, one-digit exponents for the very large and very small.
func Short(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e5 || math.Abs(v) < 1e-3:
		return strconv.FormatFloat(v, 'e', 1, 64)
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Digits prints n with a comma between groups of three digits.
func Digits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Pct prints a share (0..1) as a percentage: one decimal under 10 %, "<0.1%"
// for tiny non-zero shares.
func Pct(share float64) string {
	p := 100 * share
	switch {
	case p == 0:
		return "0%"
	case p < 0.1:
		return "<0.1%"
	case p < 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// Bytes prints a size in decimal units (kB, MB, …); a negative size (not
// known) as "?".
func Bytes(n int64) string {
	const unit = 1000
	if n < 0 {
		return "?"
	}
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// Duration prints d rounded to what matters at its size: milliseconds under
// a second, tenths under a minute, seconds above ("850ms", "10.4s", "3m2s").
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Compact prints d in at most 6 characters for table cells: "4.2s",
// "3m04s", "2h05m".
func Compact(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// Clip shortens s to at most n runes, ending with an ellipsis when cut, so
// one long value cannot stretch a table; line breaks and tabs become spaces
// and control characters are escaped (Printable) first.
func Clip(s string, n int) string {
	s = OneLine(s)
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n == 1 {
		return string(r[:1])
	}
	return string(r[:n-1]) + "…"
}

// OneLine is Printable(s) on one line: a line break shows as ⏎, a carriage
// return is dropped and a tab is a space.
func OneLine(s string) string {
	if strings.ContainsAny(s, "\n\r\t") {
		s = strings.NewReplacer("\n", "⏎", "\r", "", "\t", " ").Replace(s)
	}
	return Printable(s)
}

// Value prints a statistic that may be a number, a count, a string or
// missing (a column's min and max): numbers as Num, counts with grouped
// digits, strings on one line, nil (or a nil pointer) as "–".
func Value(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case string:
		return OneLine(x)
	case int64:
		return Digits(x)
	case int:
		return Digits(int64(x))
	}
	if f, ok := float(v); ok {
		return Num(f)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "–"
	}
	if f, ok := v.(fmt.Stringer); ok {
		return OneLine(f.String())
	}
	return OneLine(fmt.Sprint(v))
}

// Fixed prints a float-valued statistic with four decimals (drift
// statistics), nil as "–".
func Fixed(v any) string {
	if f, ok := float(v); ok {
		return strconv.FormatFloat(f, 'f', 4, 64)
	}
	return "–"
}

// float reads any float kind, or a non-nil pointer to one.
func float(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 0, false
		}
		rv = rv.Elem()
	}
	if rv.CanFloat() {
		return rv.Float(), true
	}
	return 0, false
}

// Printable escapes what a terminal would act on instead of showing: C0
// control characters other than tab and newline (NUL, ESC, BEL, backspace,
// carriage return…), DEL, C1 controls and invalid UTF-8 become Go-style
// escapes such as \x00 and \x1b, so data cells and run logs cannot move the
// cursor, change colours or retitle the terminal. JSON output keeps the raw
// text (encoding/json escapes it there).
func Printable(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafe(r, size) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafe(r, size):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafe(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r < 0xa0:
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// LogLine is a run's output line as a terminal should show it in a log:
// what a carriage return overwrote is dropped (a progress bar redrawn with
// \r shows its last state, as the terminal would), then the rest is
// Printable, so the program's output can print text but not drive the
// terminal. JSON output keeps the raw line.
func LogLine(s string) string {
	if i := strings.LastIndexByte(strings.TrimRight(s, "\r"), '\r'); i >= 0 {
		s = s[i+1:]
	}
	return Printable(strings.TrimRight(s, "\r"))
}

// SortedKeys returns m's keys in order, where map iteration order must not
// leak into output.
func SortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

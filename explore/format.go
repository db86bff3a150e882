package explore

import (
	"math"
	"strconv"
	"strings"
)

// FormatNum prints a statistic for people, the same in the CLI's reports and
// the Data screen: whole numbers with grouped digits, others with about four
// significant digits, exponents only for the very large and very small; NaN
// as "–".
func FormatNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return GroupDigits(int64(v))
	case math.Abs(v) >= 1e6 || math.Abs(v) < 1e-3:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case math.Abs(v) >= 1000:
		whole, frac, _ := strings.Cut(strconv.FormatFloat(v, 'f', 1, 64), ".")
		n, _ := strconv.ParseInt(whole, 10, 64)
		return GroupDigits(n) + "." + frac
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// GroupDigits prints n with a comma between groups of three digits.
func GroupDigits(n int64) string {
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

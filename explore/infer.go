package explore

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
)

// kind is what a single cell looks like.
type kind uint8

const (
	kindString kind = iota
	kindBool
	kindInt
	kindFloat
	kindDate
	numKinds
)

var kindNames = [numKinds]string{"string", "boolean", "integer", "float", "datetime"}

// ColumnType is the inferred type of a whole column.
type ColumnType string

const (
	TypeBoolean     ColumnType = "boolean"
	TypeInteger     ColumnType = "integer"
	TypeFloat       ColumnType = "float"
	TypeDatetime    ColumnType = "datetime"
	TypeCategorical ColumnType = "categorical" // few distinct strings
	TypeText        ColumnType = "text"        // free text
	TypeIdentifier  ColumnType = "identifier"  // unique strings, such as keys
	TypeMixed       ColumnType = "mixed"       // more than one kind; see Column.TypeShares
	TypeEmpty       ColumnType = "empty"       // every value missing
)

// IsNumeric reports whether t has numeric statistics.
func (t ColumnType) IsNumeric() bool { return t == TypeInteger || t == TypeFloat }

// classify returns the kind of a non-missing cell.
func classify(v []byte) kind {
	k, _ := classifyValue(v)
	return k
}

// parseInf reads the infinities pandas' parser accepts: inf and infinity
// in any case, with an optional sign.
func parseInf(v []byte) (float64, bool) {
	if len(v) < 3 || len(v) > 9 {
		return 0, false
	}
	sign := 1.0
	switch v[0] {
	case '-':
		sign, v = -1, v[1:]
	case '+':
		v = v[1:]
	}
	if len(v) != 3 && len(v) != 8 {
		return 0, false
	}
	const word = "infinity"
	for i, c := range v {
		if c|0x20 != word[i] {
			return 0, false
		}
	}
	return math.Inf(int(sign)), true
}

// isBool accepts the spellings pandas reads as booleans.
func isBool(v []byte) bool {
	switch string(v) {
	case "true", "false", "True", "False", "TRUE", "FALSE":
		return true
	}
	return false
}

// parseInt parses a decimal int64 with an optional sign.
func parseInt(v []byte) (int64, bool) {
	i, neg := 0, false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-'
		i = 1
	}
	if i == len(v) || len(v)-i > 18 {
		if len(v)-i > 18 {
			n, err := strconv.ParseInt(string(v), 10, 64)
			return n, err == nil
		}
		return 0, false
	}
	var n int64
	for ; i < len(v); i++ {
		d := v[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseFloat accepts plain decimal and exponent notation (no hex, no
// underscores, no inf/nan words) so that only what pandas reads as a number is one.
func parseFloat(v []byte) (float64, bool) {
	digits := false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		// Out of range values parse to ±Inf with an error; pandas keeps them as inf.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// numberValue returns the numeric value of a cell (booleans excluded).
func numberValue(v []byte) (float64, bool) {
	if n, ok := parseInt(v); ok {
		return float64(n), true
	}
	if f, ok := parseFloat(v); ok {
		return f, true
	}
	return parseInf(v)
}

var monthLayouts = []string{
	"Jan 2 2006", "Jan 2, 2006", "January 2 2006", "January 2, 2006",
	"Jan 2 2006 15:04:05", "Mon Jan 2 2006", "Mon, 02 Jan 2006 15:04:05 MST",
}

var dayMonthLayouts = []string{"2 Jan 2006", "02-Jan-2006", "2 January 2006"}

var slashLayouts = []string{"01/02/2006", "1/2/2006", "01/02/2006 15:04", "01/02/2006 15:04:05"}

var months = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// parseDate returns seconds since the Unix epoch (UTC) for ISO 8601 dates and
// datetimes, and for common forms such as "Jun 12 1998" and "12/31/1999".
func parseDate(v []byte) (float64, bool) {
	if t, ok := parseISO(v); ok {
		return t, true
	}
	if len(v) < 8 || len(v) > 40 {
		return 0, false
	}
	c := v[0] | 0x20
	var layouts []string
	switch {
	case c >= 'a' && c <= 'z':
		if !isMonthPrefix(v) {
			return 0, false
		}
		layouts = monthLayouts
	case v[0] >= '0' && v[0] <= '9':
		if hasByte(v, '/') {
			layouts = slashLayouts
		} else if hasLetter(v) {
			layouts = dayMonthLayouts
		} else {
			return 0, false
		}
	default:
		return 0, false
	}
	s := string(v)
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return float64(t.UnixNano()) / 1e9, true
		}
	}
	return 0, false
}

func isMonthPrefix(v []byte) bool {
	if len(v) < 3 {
		return false
	}
	p := string([]byte{v[0] | 0x20, v[1] | 0x20, v[2] | 0x20})
	for _, m := range months {
		if p == m {
			return true
		}
	}
	return false
}

func hasByte(v []byte, b byte) bool {
	for _, c := range v {
		if c == b {
			return true
		}
	}
	return false
}

func hasLetter(v []byte) bool {
	for _, c := range v {
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			return true
		}
	}
	return false
}

func digits(v []byte, n int) (int, bool) {
	if len(v) < n {
		return 0, false
	}
	x := 0
	for i := 0; i < n; i++ {
		d := v[i] - '0'
		if d > 9 {
			return 0, false
		}
		x = x*10 + int(d)
	}
	return x, true
}

// parseISO is a hand-written fast path for YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][Z|±HH[:MM]]
// and YYYY/MM/DD: most datetime columns in practice.
func parseISO(v []byte) (float64, bool) {
	if len(v) < 10 || (v[4] != '-' && v[4] != '/') || v[7] != v[4] {
		return 0, false
	}
	y, ok1 := digits(v, 4)
	mo, ok2 := digits(v[5:], 2)
	d, ok3 := digits(v[8:], 2)
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	days := daysFromCivil(y, mo, d)
	secs := float64(days * 86400)
	rest := v[10:]
	if len(rest) == 0 {
		return secs, true
	}
	if rest[0] != 'T' && rest[0] != ' ' || len(rest) < 6 || rest[3] != ':' {
		return 0, false
	}
	h, ok1 := digits(rest[1:], 2)
	mi, ok2 := digits(rest[4:], 2)
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return 0, false
	}
	secs += float64(h*3600 + mi*60)
	rest = rest[6:]
	if len(rest) >= 3 && rest[0] == ':' {
		s, ok := digits(rest[1:], 2)
		if !ok || s > 60 {
			return 0, false
		}
		secs += float64(s)
		rest = rest[3:]
		if len(rest) > 1 && (rest[0] == '.' || rest[0] == ',') {
			j := 1
			frac, scale := 0.0, 0.1
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				frac += float64(rest[j]-'0') * scale
				scale /= 10
				j++
			}
			if j == 1 {
				return 0, false
			}
			secs += frac
			rest = rest[j:]
		}
	}
	switch {
	case len(rest) == 0:
		return secs, true
	case len(rest) == 1 && rest[0] == 'Z':
		return secs, true
	case rest[0] == '+' || rest[0] == '-':
		oh, ok := digits(rest[1:], 2)
		if !ok {
			return 0, false
		}
		om := 0
		tail := rest[3:]
		if len(tail) > 0 && tail[0] == ':' {
			tail = tail[1:]
		}
		if len(tail) == 2 {
			om, ok = digits(tail, 2)
			if !ok {
				return 0, false
			}
		} else if len(tail) != 0 {
			return 0, false
		}
		off := float64(oh*3600 + om*60)
		if rest[0] == '+' {
			off = -off
		}
		return secs + off, true
	}
	return 0, false
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days since 1970-01-01; Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// formatTime renders epoch seconds as ISO 8601 (date only when at midnight).
func formatTime(s float64) string {
	return timeFormat{}.format(s)
}

// timeFormat is how one column's datetimes are written: pandas prints a
// column's values alike, with the time when any value has one, and keeps
// the zone of zone-aware values.
type timeFormat struct {
	withTime bool // write the time even at midnight
	aware    bool // values carried a zone: write it
	offset   int  // seconds east of UTC to write them in
}

func (f timeFormat) format(s float64) string {
	s += float64(f.offset)
	sec := math.Floor(s)
	ns := int64(math.Round((s - sec) * 1e9))
	if ns >= 1e9 {
		sec, ns = sec+1, ns-1e9
	}
	t := time.Unix(int64(sec), ns).UTC()
	var out string
	switch {
	case !f.withTime && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 && !f.aware:
		return t.Format("2006-01-02")
	case t.Nanosecond() == 0:
		out = t.Format("2006-01-02T15:04:05")
	default:
		out = t.Format("2006-01-02T15:04:05.999999")
	}
	if f.aware {
		out += zoneSuffix(f.offset)
	}
	return out
}

func zoneSuffix(off int) string {
	if off == 0 {
		return "Z"
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

// dateZone returns the UTC offset (seconds east) an ISO 8601 datetime
// names, and whether it names one. v has passed parseDate.
func dateZone(v []byte) (int, bool) {
	if len(v) < 17 || (v[10] != 'T' && v[10] != ' ') {
		return 0, false
	}
	if v[len(v)-1] == 'Z' {
		return 0, true
	}
	i := bytes.LastIndexAny(v[11:], "+-")
	if i < 0 {
		return 0, false
	}
	t := v[11+i:]
	h, ok := digits(t[1:], 2)
	if !ok {
		return 0, false
	}
	m := 0
	rest := t[3:]
	if len(rest) > 0 && rest[0] == ':' {
		rest = rest[1:]
	}
	if len(rest) == 2 {
		m, _ = digits(rest, 2)
	}
	off := h*3600 + m*60
	if t[0] == '-' {
		off = -off
	}
	return off, true
}

// TypeShare is the share of non-missing values that look like one kind.
type TypeShare struct {
	Type  string  `json:"type"`
	Share float64 `json:"share"`
}

// Thresholds for string columns, after ydata-profiling's defaults.
const (
	categoricalMaxDistinct = 50  // at most this many distinct strings ...
	categoricalMaxShare    = 0.5 // ... or at most this share distinct
)

// decideType picks a column type from per-kind counts over all rows.
// dateStrings means the datetime cells came as strings (text formats).
//
// A column of strings with at most a mixedTol share of other kinds (an ID
// column where "0E0" looks like a number) is a string column, as pandas
// reads it.
func decideType(counts [numKinds]int64, distinct int64, unique bool, meanTokens float64, mixedTol float64) (ColumnType, []TypeShare) {
	var total int64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return TypeEmpty, nil
	}
	var shares []TypeShare
	present := 0
	for k, c := range counts {
		if c > 0 {
			present++
			shares = append(shares, TypeShare{Type: kindNames[k], Share: float64(c) / float64(total)})
		}
	}
	numeric := counts[kindInt] + counts[kindFloat]
	switch {
	case counts[kindInt] == total:
		return TypeInteger, shares
	case numeric == total:
		return TypeFloat, shares
	case counts[kindBool] == total:
		return TypeBoolean, shares
	case counts[kindDate] == total:
		return TypeDatetime, shares
	case counts[kindString] == total || present == 1,
		counts[kindString] > 0 && float64(total-counts[kindString]) <= mixedTol*float64(total):
		switch {
		case distinct <= categoricalMaxDistinct || float64(distinct) <= categoricalMaxShare*float64(total):
			return TypeCategorical, shares
		case unique && meanTokens < 2:
			return TypeIdentifier, shares
		}
		return TypeText, shares
	}
	return TypeMixed, shares
}

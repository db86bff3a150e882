package rowtable

import (
	"fmt"
	"strconv"
	"strings"
)

// Expr is a row filter: comparisons joined by "and" (&&) or "or" (||), "and"
// binding tighter, as in SQL. A comparison is `column OP value`:
//
//	Body Mass (g) > 4000          column names may contain spaces
//	`Sex` == "MALE"               backticks or quotes around either side
//	species ~ gent                ~ is a case-insensitive substring match
//	Sex == null                   null (or a missing cell) matches missing
//
// OP is one of == != > >= < <= ~ (= is read as ==). A value that parses as a
// number compares numerically with cells that do; otherwise the comparison is
// on the text.
type Expr struct {
	src string
	or  [][]comparison // disjunction of conjunctions
}

type comparison struct {
	col    int
	op     string
	text   string
	num    float64
	isNum  bool
	isNull bool
}

// ops, longest first so ">=" is found before ">".
var ops = []string{"==", "!=", ">=", "<=", "=", ">", "<", "~"}

// ParseExpr parses src against the frame's column names.
func ParseExpr(src string, columns []string) (*Expr, error) {
	e := &Expr{src: strings.TrimSpace(src)}
	if e.src == "" {
		return nil, fmt.Errorf("empty filter; try: column > 3, column == \"x\", column ~ text")
	}
	for _, disj := range splitOutside(e.src, []string{" or ", "||"}) {
		var conj []comparison
		for _, part := range splitOutside(disj, []string{" and ", "&&"}) {
			c, err := parseCmp(strings.TrimSpace(part), columns)
			if err != nil {
				return nil, err
			}
			conj = append(conj, c)
		}
		e.or = append(e.or, conj)
	}
	return e, nil
}

// String returns the expression as typed.
func (e *Expr) String() string { return e.src }

// Match reports whether a row (cells and their missing flags) passes.
func (e *Expr) Match(cells []string, null []bool) bool {
	for _, conj := range e.or {
		ok := true
		for _, c := range conj {
			if !c.match(cells[c.col], null[c.col]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c comparison) match(cell string, null bool) bool {
	if c.isNull || null {
		eq := c.isNull && null
		switch c.op {
		case "==":
			return eq
		case "!=":
			return !eq
		}
		return false // a missing cell is not greater or smaller than anything
	}
	if c.op == "~" {
		return strings.Contains(strings.ToLower(cell), strings.ToLower(c.text))
	}
	d, numeric := 0, false
	if c.isNum { // text comparisons never parse the cell
		if v, err := strconv.ParseFloat(strings.TrimSpace(cell), 64); err == nil {
			numeric = true
			switch {
			case v < c.num:
				d = -1
			case v > c.num:
				d = 1
			}
		}
	}
	if !numeric {
		d = strings.Compare(cell, c.text)
	}
	switch c.op {
	case "==":
		return d == 0
	case "!=":
		return d != 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	}
	return false
}

func parseCmp(s string, columns []string) (comparison, error) {
	at, op := -1, ""
	var q quotes
	for i, r := range s {
		if q.skip(r) {
			continue
		}
		for _, o := range ops {
			if strings.HasPrefix(s[i:], o) {
				at, op = i, o
				break
			}
		}
		if at >= 0 {
			break
		}
	}
	if at < 0 {
		return comparison{}, fmt.Errorf("%q has no comparison; use one of == != > >= < <= ~", s)
	}
	name := unquote(strings.TrimSpace(s[:at]))
	rawVal := strings.TrimSpace(s[at+len(op):])
	if op == "=" {
		op = "=="
	}
	col := -1
	for i, c := range columns {
		if c == name {
			col = i
			break
		}
	}
	if col < 0 {
		for i, c := range columns { // forgive case
			if strings.EqualFold(c, name) {
				col = i
				break
			}
		}
	}
	if col < 0 {
		return comparison{}, fmt.Errorf("no column %q; columns are %s", name, strings.Join(columns, ", "))
	}
	if rawVal == "" {
		return comparison{}, fmt.Errorf("%q: nothing to compare %s with", s, name)
	}
	c := comparison{col: col, op: op}
	if q := rawVal[0]; strings.IndexByte("\"'`", q) >= 0 && (len(rawVal) < 2 || rawVal[len(rawVal)-1] != q) {
		return comparison{}, fmt.Errorf("%q: unterminated %c quote", s, q)
	}
	quoted := len(rawVal) >= 2 && strings.ContainsRune("\"'`", rune(rawVal[0])) && rawVal[len(rawVal)-1] == rawVal[0]
	c.text = unquote(rawVal)
	if !quoted {
		if strings.EqualFold(rawVal, "null") {
			if op != "==" && op != "!=" {
				return comparison{}, fmt.Errorf("%q: null compares only with == or !=", s)
			}
			c.isNull = true
		} else if v, err := strconv.ParseFloat(rawVal, 64); err == nil {
			c.num, c.isNum = v, true
		}
	}
	return c, nil
}

func unquote(s string) string {
	if len(s) >= 2 && strings.ContainsRune("\"'`", rune(s[0])) && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// quotes follows a scan in and out of quoted text ("…", '…' or `…`).
type quotes struct{ in rune }

// skip reports whether r is quoted text or a quote, which the scan passes
// over.
func (q *quotes) skip(r rune) bool {
	switch {
	case q.in != 0:
		if r == q.in {
			q.in = 0
		}
		return true
	case r == '"' || r == '\'' || r == '`':
		q.in = r
		return true
	}
	return false
}

// splitOutside splits s on any of seps (case-insensitive) outside quotes.
func splitOutside(s string, seps []string) []string {
	var out []string
	lower := strings.ToLower(s)
	start := 0
	var q quotes
	for i := 0; i < len(s); i++ {
		if q.skip(rune(s[i])) { // a byte of a multi-byte rune is never a quote
			continue
		}
		for _, sep := range seps {
			if strings.HasPrefix(lower[i:], sep) {
				out = append(out, s[start:i])
				start = i + len(sep)
				i = start - 1
				break
			}
		}
	}
	return append(out, s[start:])
}

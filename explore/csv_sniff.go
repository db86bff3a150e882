// Sniffing a delimited file: whether its first record is a header and which
// delimiter it uses (as Python's csv.Sniffer).

package explore

import (
	"strconv"
	"unicode/utf8"
)

// sniffHeader is Python's csv.Sniffer.has_header: each column of up to 20
// records after the first gets a type (a number kind, or the string length
// when every string has the same length); a first cell that does not fit
// its column's type votes for a header, one that fits votes against. It
// parses what the window already holds and moves nothing: Next reads those
// records again as data.
func (r *csvReader) sniffHeader(first []string) bool {
	type colType struct {
		kind   kind
		length int // rune length of every string; -1 when they differ
		set    bool
		mixed  bool
	}
	types := make([]colType, len(first))
	data := r.win[r.pos:r.end]
	var b Batch
	rows := 0
	for rows < 20 && len(data) > 0 {
		b.reset(len(first))
		n, used, st := r.scan(&b, data, r.eof)
		if st != scanOK {
			break
		}
		data = data[used:]
		if n != len(first) {
			continue
		}
		b.lines = append(b.lines, 0)
		for c := range types {
			v := b.Cell(0, c)
			if b.Missing(0, c) {
				continue
			}
			k := classify(v)
			l := -1
			if k == kindString {
				l = utf8.RuneCount(v)
			}
			t := &types[c]
			switch {
			case !t.set:
				*t = colType{kind: k, length: l, set: true}
			case t.kind != k:
				t.mixed = true
			case t.length != l:
				t.length = -1
			}
		}
		rows++
	}
	if rows == 0 {
		return looksLikeHeader(first)
	}
	votes := 0
	for c, t := range types {
		if !t.set || t.mixed || (t.kind == kindString && t.length < 0) {
			continue
		}
		k := classify([]byte(first[c]))
		if k != t.kind || (k == kindString && utf8.RuneCountInString(first[c]) != t.length) {
			votes++
		} else {
			votes--
		}
	}
	return votes > 0
}

// looksLikeHeader decides for a file with one record: a header when no
// cell is a number and some cell is not empty.
func looksLikeHeader(f []string) bool {
	named := false
	for _, v := range f {
		if k := classify([]byte(v)); v != "" && (k == kindInt || k == kindFloat) {
			return false
		}
		named = named || v != ""
	}
	return named
}

// headerNames fixes empty and repeated names as pandas does: "Unnamed: i"
// (0-based position) and "x.1", "x.2", ...
func headerNames(f []string) []string {
	out := make([]string, len(f))
	used := map[string]bool{}
	for i, v := range f {
		if v == "" {
			v = "Unnamed: " + strconv.Itoa(i)
		}
		name := v
		for k := 1; used[name]; k++ {
			name = v + "." + strconv.Itoa(k)
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// sniffDelimiter picks the candidate that splits the first lines into the
// same nonzero number of fields most consistently (as Python's csv.Sniffer).
func sniffDelimiter(data []byte, format Format) byte {
	if format == FormatTSV {
		return '\t'
	}
	cands := []byte{',', '\t', ';', '|'}
	lines := splitLinesOutsideQuotes(data, 50)
	best, bestScore := byte(','), 0
	for _, d := range cands {
		counts := map[int]int{}
		for _, l := range lines {
			counts[countOutsideQuotes(l, d)]++
		}
		mode, freq := 0, 0
		for c, f := range counts {
			if c > 0 && (f > freq || (f == freq && c > mode)) {
				mode, freq = c, f
			}
		}
		score := freq * 1000
		if mode == 0 {
			score = 0
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

func splitLinesOutsideQuotes(data []byte, max int) [][]byte {
	var out [][]byte
	inq := false
	start := 0
	for i, c := range data {
		switch c {
		case '"':
			inq = !inq
		case '\n':
			if !inq {
				out = append(out, data[start:i])
				start = i + 1
				if len(out) >= max {
					return out
				}
			}
		}
	}
	if start < len(data) && len(out) == 0 {
		out = append(out, data[start:])
	}
	return out
}

func countOutsideQuotes(l []byte, d byte) int {
	n, inq := 0, false
	for _, c := range l {
		if c == '"' {
			inq = !inq
		} else if c == d && !inq {
			n++
		}
	}
	return n
}

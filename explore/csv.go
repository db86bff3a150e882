package explore

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/lathe-ml/lathe/config"
)

// csvReader is a hand-written RFC 4180 reader (quoted fields may hold
// delimiters, doubled quotes and newlines) over a sliding window, so that a
// record is parsed straight into the batch without per-field allocations.
type csvReader struct {
	baseReader
	format  Format
	src     io.Reader
	win     []byte
	pos     int
	end     int
	eof     bool
	line    int // line where the next record starts
	delim   byte
	stop    [256]bool // bytes that end an unquoted field: delimiter, CR, LF
	missing missingSet
	pre     Batch // the first record when it is data, not a header
	rows    int   // data rows returned so far
	// tokCount counts missing cells per column and token:
	// tokCount[c*len(missing.all)+t].
	tokCount []int64
	par      *parallelCSV // set when other goroutines parse the records
}

// missingSet matches missing-value tokens without allocating.
type missingSet struct {
	all    []string // every token, in the order given (deduplicated)
	tokens [][]byte
	index  []int // index in all of tokens[i]
	empty  int   // index in all of "", or -1
	maxLen int
	first  [256]bool // first bytes of the tokens: most cells are rejected here
}

func newMissingSet(tokens []string) missingSet {
	if tokens == nil {
		tokens = defaultMissing
	}
	m := missingSet{empty: -1}
	for _, t := range tokens {
		if slices.Contains(m.all, t) {
			continue
		}
		m.all = append(m.all, t)
		if t == "" {
			m.empty = len(m.all) - 1
			continue
		}
		m.tokens = append(m.tokens, []byte(t))
		m.index = append(m.index, len(m.all)-1)
		m.maxLen = max(m.maxLen, len(t))
		m.first[t[0]] = true
	}
	return m
}

// match returns the index in m.all of the token v is, or -1.
func (m *missingSet) match(v []byte) int {
	if len(v) == 0 {
		return m.empty
	}
	if len(v) > m.maxLen || !m.first[v[0]] {
		return -1
	}
	for i, t := range m.tokens {
		if bytes.Equal(v, t) {
			return m.index[i]
		}
	}
	return -1
}

// countMissing counts row r's missing cells by token.
func (r *csvReader) countMissing(b *Batch, row int) {
	nt := len(r.missing.all)
	nc := b.ncols
	for c := 0; c < nc; c++ {
		if b.miss[row*nc+c] {
			if t := r.missing.match(b.Cell(row, c)); t >= 0 {
				r.tokCount[c*nt+t]++
			}
		}
	}
}

// MissingTokens returns how often each missing-value token occurred per column.
func (r *csvReader) MissingTokens() [][]ValueCount {
	if r.par != nil {
		r.par.mu.Lock()
		defer r.par.mu.Unlock()
	}
	nt := len(r.missing.all)
	out := make([][]ValueCount, len(r.cols))
	for c := range out {
		for t := 0; t < nt; t++ {
			if n := r.tokCount[c*nt+t]; n > 0 {
				out[c] = append(out[c], ValueCount{Value: r.missing.all[t], Count: n})
			}
		}
	}
	return out
}

func (m *missingSet) is(v []byte) bool {
	if len(v) == 0 {
		return m.empty >= 0
	}
	if len(v) > m.maxLen || !m.first[v[0]] {
		return false
	}
	for _, t := range m.tokens {
		if bytes.Equal(v, t) {
			return true
		}
	}
	return false
}

func newCSVReader(src io.Reader, base baseReader, format Format) (Reader, error) {
	r := &csvReader{baseReader: base, format: format, src: src, line: 1,
		win: make([]byte, 1<<20), missing: newMissingSet(base.opts.Missing)}
	if err := r.fill(); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(r.win[r.pos:r.end], bom) {
		r.pos += len(bom)
	}
	r.delim = base.opts.Delimiter
	if r.delim == 0 {
		r.delim = sniffDelimiter(r.win[r.pos:r.end], format)
	}
	if r.delim == '\t' {
		r.format = FormatTSV
	}
	r.stop[r.delim], r.stop['\n'], r.stop['\r'] = true, true, true
	// The first record: a header, or the first data row.
	r.pre.reset(0)
	n, line, err := r.record(&r.pre)
	if err == io.EOF {
		return nil, &config.InputError{File: r.path, Line: r.line, Msg: "file has no records; expected a header and data rows"}
	}
	if err != nil {
		return nil, err
	}
	r.pre.ncols = n
	r.pre.lines = append(r.pre.lines, line)
	first := r.pre.Row(0)
	header := true
	switch base.opts.Header {
	case HeaderAbsent:
		header = false
	case HeaderSniff:
		header = r.sniffHeader(first)
	}
	if header {
		r.cols = headerNames(first)
		r.pre.reset(len(first))
	} else {
		r.cols = make([]string, len(first))
		for i := range first {
			r.cols[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	r.tokCount = make([]int64, len(r.cols)*len(r.missing.all))
	if r.pre.Len() > 0 {
		r.countMissing(&r.pre, 0)
	}
	if p := r.opts.parsers(); p > 1 {
		r.startParallel(p)
	}
	return r, nil
}

// fill moves unread data to the front of the window and reads more; the
// window grows while a single record needs it, up to the line limit.
func (r *csvReader) fill() error {
	if r.eof {
		return nil
	}
	if r.pos > 0 {
		copy(r.win, r.win[r.pos:r.end])
		r.end -= r.pos
		r.pos = 0
	}
	if r.end == len(r.win) {
		nw := make([]byte, min(2*len(r.win), r.opts.maxLine()+(1<<16)))
		if len(nw) <= len(r.win) {
			nw = make([]byte, len(r.win)+(1<<16))
		}
		copy(nw, r.win[:r.end])
		r.win = nw
	}
	for r.end < len(r.win) {
		n, err := r.src.Read(r.win[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			return r.readErr(err)
		}
		if n == 0 {
			continue
		}
		if r.end-r.pos >= 1<<16 {
			return nil
		}
	}
	return nil
}

type scanStatus int

const (
	scanOK scanStatus = iota
	scanMore
	scanEOF
	scanBadQuote
)

// scan parses one record from data into b. It returns the number of fields,
// the bytes consumed, and a status; with scanMore nothing is kept.
func (r *csvReader) scan(b *Batch, data []byte, atEOF bool) (int, int, scanStatus) {
	if len(data) == 0 {
		return 0, 0, scanEOF
	}
	d := r.delim
	i, n := 0, 0
	for {
		start := len(b.buf)
		if i < len(data) && data[i] == '"' {
			j := i + 1
			for {
				q := bytes.IndexByte(data[j:], '"')
				if q < 0 {
					if atEOF {
						return n, len(data), scanBadQuote
					}
					return 0, 0, scanMore
				}
				q += j
				b.buf = append(b.buf, data[j:q]...)
				if q+1 >= len(data) && !atEOF {
					return 0, 0, scanMore
				}
				if q+1 < len(data) && data[q+1] == '"' {
					b.buf = append(b.buf, '"')
					j = q + 2
					continue
				}
				i = q + 1
				break
			}
		}
		// Unquoted field, or the text after a closing quote (kept, as Python's csv does).
		j := i
		for j < len(data) {
			// One table lookup per byte; only delimiter, CR and LF stop here.
			for j < len(data) && !r.stop[data[j]] {
				j++
			}
			if j == len(data) {
				break
			}
			if c := data[j]; c != '\r' || (j+1 < len(data) && data[j+1] == '\n') {
				break
			}
			j++ // a lone CR is data
		}
		if j == len(data) && !atEOF {
			return 0, 0, scanMore
		}
		finalCR := j == len(data) && j > i && data[j-1] == '\r'
		if finalCR {
			j-- // a final CR before EOF ends the record
		}
		b.buf = append(b.buf, data[i:j]...)
		b.off = append(b.off, int32(len(b.buf)))
		b.miss = append(b.miss, r.missing.is(b.buf[start:]))
		n++
		if j == len(data) || finalCR {
			return n, len(data), scanOK
		}
		switch data[j] {
		case d:
			i = j + 1
			if i == len(data) && atEOF {
				// A trailing delimiter at EOF: one more, empty field.
				b.off = append(b.off, int32(len(b.buf)))
				b.miss = append(b.miss, r.missing.is(nil))
				return n + 1, len(data), scanOK
			}
		case '\n':
			return n, j + 1, scanOK
		case '\r':
			return n, j + 2, scanOK
		}
	}
}

// record parses the next non-blank record into b, returning its field count
// and starting line. Malformed records give an *InputError (OnErrorFail) or
// are skipped and counted.
func (r *csvReader) record(b *Batch) (int, int, error) {
	for {
		cells := len(b.miss)
		data := r.win[r.pos:r.end]
		n, used, st := r.scan(b, data, r.eof)
		switch st {
		case scanEOF:
			if !r.eof {
				if err := r.fill(); err != nil {
					return 0, 0, err
				}
				continue
			}
			return 0, 0, io.EOF
		case scanMore:
			b.truncateTo(cells)
			if r.end-r.pos >= r.opts.maxLine() {
				line := r.line
				if err := r.bad(line, fmt.Sprintf("record longer than %d bytes (an unterminated quote, or a line over the limit)", r.opts.maxLine())); err != nil {
					return 0, 0, err
				}
				if err := r.skipLine(); err != nil {
					return 0, 0, err
				}
				continue
			}
			if err := r.fill(); err != nil {
				return 0, 0, err
			}
			continue
		}
		raw := data[:used]
		line := r.line
		r.line += bytes.Count(raw, nl)
		r.pos += used
		if used > r.opts.maxLine() {
			b.truncateTo(cells)
			if err := r.bad(line, fmt.Sprintf("record longer than %d bytes", r.opts.maxLine())); err != nil {
				return 0, 0, err
			}
			continue
		}
		if st == scanBadQuote {
			b.truncateTo(cells)
			if err := r.bad(line, "unterminated quoted field"); err != nil {
				return 0, 0, err
			}
			continue
		}
		if n == 1 && b.off[cells+1] == b.off[cells] && isBlankLine(raw) {
			b.truncateTo(cells) // blank lines are skipped, as pandas does
			continue
		}
		if !utf8.Valid(raw) {
			b.truncateTo(cells)
			if err := r.bad(line, "invalid UTF-8"); err != nil {
				return 0, 0, err
			}
			continue
		}
		return n, line, nil
	}
}

var nl = []byte{'\n'}

func isBlankLine(raw []byte) bool {
	return len(bytes.Trim(raw, "\r\n")) == 0
}

// skipLine drops input up to and including the next newline.
func (r *csvReader) skipLine() error {
	for {
		i := bytes.IndexByte(r.win[r.pos:r.end], '\n')
		if i >= 0 {
			r.pos += i + 1
			r.line++
			return nil
		}
		r.pos = r.end
		if r.eof {
			return nil
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

func (r *csvReader) Format() Format { return r.format }

func (r *csvReader) Next(b *Batch) error {
	if r.par != nil {
		return r.par.next(b)
	}
	nc := len(r.cols)
	b.reset(nc)
	if r.pre.Len() > 0 {
		for c := 0; c < nc; c++ {
			b.addCell(r.pre.Cell(0, c), r.pre.Missing(0, c))
		}
		b.lines = append(b.lines, r.pre.lines[0])
		r.pre.reset(nc)
	}
	if err := r.readRecords(b, r.opts.batchRows(nc)); err != nil {
		return err
	}
	r.rows += b.Len()
	if b.Len() == 0 {
		// A header without rows is an empty table (pandas reads it as one),
		// not an error: the profile says so with an "empty" alert.
		return io.EOF
	}
	return nil
}

// readRecords appends records to b until it holds limit rows or the input
// ends; ragged rows are errors or skipped, per the policy.
func (r *csvReader) readRecords(b *Batch, limit int) error {
	nc := len(r.cols)
	for b.Len() < limit {
		cells := len(b.miss)
		n, line, err := r.record(b)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n != nc {
			b.truncateTo(cells)
			if err := r.bad(line, fmt.Sprintf("ragged row: %d fields, the header has %d", n, nc)); err != nil {
				return err
			}
			continue
		}
		b.lines = append(b.lines, line)
		r.countMissing(b, b.Len()-1)
	}
	return nil
}

func (r *csvReader) Skipped() SkipReport {
	if r.par != nil {
		return r.par.skipped()
	}
	return r.baseReader.Skipped()
}

func (r *csvReader) Close() error {
	if r.par != nil {
		r.par.stop()
	}
	return r.baseReader.Close()
}

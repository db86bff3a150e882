package explore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/lathe-ml/lathe/config"
)

// jsonPeekRecords is how many records are read ahead to learn the columns
// (the union of their keys, in order of first appearance).
const jsonPeekRecords = 10000

type field struct {
	key string
	val []byte
	nul bool
	str bool // a JSON string
}

// jsonReader reads a JSON array of records or JSON Lines.
type jsonReader struct {
	baseReader
	format  Format
	br      *bufio.Reader
	dec     *json.Decoder
	lines   *lineTracker
	line    int // JSONL: line of the next record
	index   map[string]int
	pending [][]field
	plines  []int
	done    bool
	rows    int
}

// lineTracker maps decoder offsets to line numbers by keeping the bytes read
// since the last record start.
type lineTracker struct {
	r     io.Reader
	hist  []byte
	base  int64
	lines int // newlines before base
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.hist = append(t.hist, p[:n]...)
	return n, err
}

// lineAt returns the 1-based line of offset off (past separators when
// skipSep) and forgets what precedes it.
func (t *lineTracker) lineAt(off int64, skipSep bool) int {
	k := int(off - t.base)
	k = min(max(k, 0), len(t.hist))
	if skipSep {
		for k < len(t.hist) && (t.hist[k] == ' ' || t.hist[k] == '\t' || t.hist[k] == '\r' || t.hist[k] == '\n' || t.hist[k] == ',') {
			k++
		}
	}
	t.lines += bytes.Count(t.hist[:k], nl)
	t.hist = t.hist[:copy(t.hist, t.hist[k:])]
	t.base += int64(k)
	return t.lines + 1
}

func newJSONReader(br *bufio.Reader, base baseReader, format Format) (Reader, error) {
	r := &jsonReader{baseReader: base, format: format, br: br, line: 1, index: map[string]int{}}
	if h, _ := br.Peek(3); bytes.Equal(h, bom) {
		br.Discard(3)
	}
	head, _ := br.Peek(1 << 12)
	t := bytes.TrimLeft(head, " \t\r\n")
	if format == FormatJSON && len(t) > 0 && t[0] == '{' {
		r.format = FormatJSONL // a lone object or concatenated objects: read as lines
	}
	if r.format == FormatJSON {
		r.lines = &lineTracker{r: br}
		r.dec = json.NewDecoder(r.lines)
		r.dec.UseNumber()
		tok, err := r.dec.Token()
		if err != nil {
			return nil, r.syntax(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, &config.InputError{File: r.path, Line: 1, Msg: "expected a JSON array of records ([{...}, ...]) or JSON Lines"}
		}
	}
	// Read ahead to learn the columns.
	for len(r.pending) < jsonPeekRecords {
		fs, line, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if _, ok := r.index[f.key]; !ok {
				r.index[f.key] = len(r.cols)
				r.cols = append(r.cols, f.key)
			}
		}
		r.pending = append(r.pending, fs)
		r.plines = append(r.plines, line)
	}
	if len(r.pending) == 0 && r.skipped.Count == 0 {
		return nil, &config.InputError{File: r.path, Line: 1, Msg: "no records; expected a JSON array of objects or JSON Lines"}
	}
	return r, nil
}

func (r *jsonReader) Format() Format { return r.format }

func (r *jsonReader) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &config.InputError{File: r.path, Line: r.lines.lineAt(se.Offset-1, false), Msg: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &config.InputError{File: r.path, Line: r.lines.lineAt(r.dec.InputOffset(), false), Msg: "unexpected end of JSON"}
	}
	return r.readErr(err)
}

// next returns the fields of the next record (a copy) and its line.
func (r *jsonReader) next() ([]field, int, error) {
	for {
		if r.done {
			return nil, 0, io.EOF
		}
		if r.format == FormatJSONL {
			line, start, err := r.readLine()
			if err != nil {
				return nil, 0, err
			}
			t := bytes.TrimSpace(line)
			if len(t) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(t))
			dec.UseNumber()
			fs, msg := decodeRecord(dec)
			if msg == "" && dec.More() {
				msg = "extra data after the record"
			}
			if msg != "" {
				if err := r.bad(start, msg); err != nil {
					return nil, 0, err
				}
				continue
			}
			return fs, start, nil
		}
		if !r.dec.More() {
			if _, err := r.dec.Token(); err != nil { // the closing ]
				return nil, 0, r.syntax(err)
			}
			r.done = true
			return nil, 0, io.EOF
		}
		line := r.lines.lineAt(r.dec.InputOffset(), true)
		fs, msg := decodeRecord(r.dec)
		if msg != "" {
			if msg == syntaxMsg {
				// The decoder cannot resynchronise after a syntax error.
				return nil, 0, &config.InputError{File: r.path, Line: line, Msg: "invalid JSON in this record"}
			}
			if err := r.bad(line, msg); err != nil {
				return nil, 0, err
			}
			continue
		}
		return fs, line, nil
	}
}

// readLine reads one line of JSONL, enforcing the line limit.
func (r *jsonReader) readLine() ([]byte, int, error) {
	start := r.line
	var buf []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > r.opts.maxLine() {
			if e := r.bad(start, fmt.Sprintf("line longer than %d bytes", r.opts.maxLine())); e != nil {
				return nil, 0, e
			}
			for err == bufio.ErrBufferFull {
				_, err = r.br.ReadSlice('\n')
			}
			r.line++
			buf = buf[:0]
			start = r.line
			if err == io.EOF {
				r.done = true
				return nil, 0, io.EOF
			}
			continue
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				r.done = true
				return nil, 0, io.EOF
			}
			r.done = true
			return buf, start, nil
		}
		if err != nil {
			return nil, 0, r.readErr(err)
		}
		r.line++
		return buf, start, nil
	}
}

const syntaxMsg = "invalid JSON"

// decodeRecord reads one {...} record; a non-empty message means it is malformed.
func decodeRecord(dec *json.Decoder) ([]field, string) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxMsg
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		// Consume the rest of a non-object value so the stream stays in step.
		if d, ok := tok.(json.Delim); ok && (d == '[') {
			var depth = 1
			for depth > 0 {
				t, err := dec.Token()
				if err != nil {
					return nil, syntaxMsg
				}
				if dd, ok := t.(json.Delim); ok {
					if dd == '[' || dd == '{' {
						depth++
					} else {
						depth--
					}
				}
			}
		}
		return nil, "record is not a JSON object"
	}
	var fs []field
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, syntaxMsg
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxMsg
		}
		if !utf8.Valid(raw) || !utf8.ValidString(key) {
			return nil, fmt.Sprintf("invalid UTF-8 in field %q", key)
		}
		f := field{key: key}
		switch raw[0] {
		case 'n':
			f.nul = true
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, syntaxMsg
			}
			f.val = []byte(s)
			f.str = true
		default:
			f.val = append([]byte(nil), raw...)
		}
		fs = append(fs, f)
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, syntaxMsg
	}
	return fs, ""
}

func (r *jsonReader) Next(b *Batch) error {
	nc := len(r.cols)
	b.reset(nc)
	limit := r.opts.batchRows(nc)
	cells := make([]field, nc)
	for b.Len() < limit {
		var fs []field
		var line int
		if len(r.pending) > 0 {
			fs, line = r.pending[0], r.plines[0]
			r.pending[0] = nil
			r.pending, r.plines = r.pending[1:], r.plines[1:]
		} else {
			var err error
			fs, line, err = r.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		for i := range cells {
			cells[i] = field{nul: true}
		}
		ok := true
		for _, f := range fs {
			i, known := r.index[f.key]
			if !known {
				if err := r.bad(line, fmt.Sprintf("key %q does not appear in the first %d records", f.key, jsonPeekRecords)); err != nil {
					return err
				}
				ok = false
				break
			}
			cells[i] = f
		}
		if !ok {
			continue
		}
		for _, c := range cells {
			b.addQuoted(c.val, c.nul, c.str)
		}
		b.lines = append(b.lines, line)
	}
	r.rows += b.Len()
	if b.Len() == 0 {
		return io.EOF
	}
	return nil
}

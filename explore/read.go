package explore

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/lathe-ml/lathe/config"
)

// Format names a tabular file format.
type Format string

const (
	FormatCSV     Format = "csv"
	FormatTSV     Format = "tsv"
	FormatJSON    Format = "json"  // a JSON array of records
	FormatJSONL   Format = "jsonl" // one JSON record per line
	FormatParquet Format = "parquet"
)

// OnError says what a reader does with a malformed record.
type OnError int

const (
	// OnErrorFail stops at the first malformed record with a *config.InputError.
	OnErrorFail OnError = iota
	// OnErrorSkip counts and skips malformed records, keeping the first few as examples.
	OnErrorSkip
)

// HeaderMode says whether the first CSV record names the columns.
type HeaderMode int

const (
	// HeaderPresent: the first record is the header, as pandas' read_csv
	// does by default (a header of years such as 1960,1961 is still a header).
	HeaderPresent HeaderMode = iota
	HeaderAbsent             // columns are named column_1, column_2, ...
	// HeaderSniff guesses, as Python's csv.Sniffer.has_header: the first
	// record is a header when its cells differ in type or length from the
	// columns below them.
	HeaderSniff
)

// ParseHeaderMode reads the spelling used by the config and the CLI:
// "first-row" (or "present", "yes"), "none" (or "absent", "no") and "sniff".
func ParseHeaderMode(s string) (HeaderMode, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "first-row", "present", "yes", "true":
		return HeaderPresent, true
	case "none", "absent", "no", "false":
		return HeaderAbsent, true
	case "sniff", "auto", "detect":
		return HeaderSniff, true
	}
	return HeaderPresent, false
}

// String is the canonical spelling ParseHeaderMode reads.
func (h HeaderMode) String() string {
	switch h {
	case HeaderAbsent:
		return "none"
	case HeaderSniff:
		return "sniff"
	}
	return "first-row"
}

// defaultMissing is pandas' default na_values (pandas 2.x, which added
// "None" to 1.5's set: pandas/_libs/parsers.pyx STR_NA_VALUES). JSON null is
// always missing.
var defaultMissing = []string{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
	"1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}

// DefaultMissingTokens returns the default missing tokens (a fresh slice).
func DefaultMissingTokens() []string { return append([]string(nil), defaultMissing...) }

// ReadOptions configures Open. The zero value detects everything.
type ReadOptions struct {
	Format    Format     // "" detects from the extension, then the content
	Delimiter byte       // CSV delimiter; 0 sniffs among , \t ; |
	Header    HeaderMode // CSV only; the zero value takes the first record as the header
	// Missing lists cell texts read as missing in CSV/TSV; nil means
	// DefaultMissingTokens(). JSON and Parquet use null only, as pandas does.
	Missing      []string
	OnError      OnError
	MaxLineBytes int // longest record accepted; 0 means 16 MiB
	MaxExamples  int // skipped-record examples kept; 0 means 5
	BatchRows    int // rows per batch; 0 picks by width
	// Parsers is how many goroutines parse CSV records in parallel (the
	// reader still returns batches in file order); 0 means GOMAXPROCS, 1
	// parses on the caller's goroutine.
	Parsers int
	// chunkBytes is the parallel parser's chunk size; tests set it small.
	chunkBytes int
}

func (o ReadOptions) parsers() int {
	if o.Parsers > 0 {
		return o.Parsers
	}
	return runtime.GOMAXPROCS(0)
}

func (o ReadOptions) chunk() int {
	if o.chunkBytes > 0 {
		return o.chunkBytes
	}
	return 1 << 20
}

func (o ReadOptions) maxLine() int {
	if o.MaxLineBytes > 0 {
		return o.MaxLineBytes
	}
	return 16 << 20
}

func (o ReadOptions) maxExamples() int {
	if o.MaxExamples > 0 {
		return o.MaxExamples
	}
	return 5
}

func (o ReadOptions) batchRows(ncols int) int {
	if o.BatchRows > 0 {
		return o.BatchRows
	}
	n := (1 << 18) / max(ncols, 1)
	return min(max(n, 64), 8192)
}

// SkipExample is one malformed record that OnErrorSkip skipped.
type SkipExample struct {
	Line int    `json:"line"`
	Msg  string `json:"message"`
}

// SkipReport counts the records skipped under OnErrorSkip.
type SkipReport struct {
	Count    int           `json:"count"`
	Examples []SkipExample `json:"examples,omitempty"`
}

// Reader streams the rows of a tabular file in batches. Cells are text: JSON
// numbers and Parquet values are formatted, JSON strings unquoted.
type Reader interface {
	Columns() []string
	Format() Format
	// Next fills b with the next rows, reusing its memory; it returns io.EOF
	// when no rows are left (b is then empty).
	Next(b *Batch) error
	// Offset is how many bytes of the (possibly compressed) file were consumed.
	Offset() int64
	Skipped() SkipReport
	// MissingTokens counts, per column, the cells read as missing by each
	// token ("" for empty cells); nil for formats whose missing is null.
	MissingTokens() [][]ValueCount
	Close() error
}

// nextBatch fills b with r's next rows; false when none are left. It stops
// with ctx's error once ctx is done.
func nextBatch(ctx context.Context, r Reader, b *Batch) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	err := r.Next(b)
	if err == io.EOF {
		return false, nil
	}
	return err == nil, err
}

// batches yields r's batches (one Batch, refilled) until none are left; it
// yields an error (ctx's or the reader's) once, as its last item.
func batches(ctx context.Context, r Reader) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		var b Batch
		for {
			more, err := nextBatch(ctx, r, &b)
			if err != nil {
				yield(nil, err)
				return
			}
			if !more || !yield(&b, nil) {
				return
			}
		}
	}
}

// Batch holds rows of cells, stored contiguously; a row's cells are
// contiguous too, so a row can be hashed as one byte slice.
type Batch struct {
	ncols int
	buf   []byte
	off   []int32 // cell i is buf[off[i]:off[i+1]]
	miss  []bool
	// quoted marks cells that were strings in a typed format (JSON strings,
	// Parquet byte arrays): never numbers or booleans, as in pandas. Empty
	// for text formats.
	quoted []bool
	// typed holds the kind and value of cells a typed format decoded
	// (Parquet numbers and booleans), so they are not parsed from their
	// text again; kindNone where the text decides. Empty for text formats.
	typed []typedCell
	lines []int // 1-based source line of each row (record number for Parquet)
}

type typedCell struct {
	k kind
	x float64
}

// kindNone marks a cell whose kind comes from its text.
const kindNone = numKinds

// Len is the number of rows.
func (b *Batch) Len() int { return len(b.lines) }

// NumCols is the number of columns.
func (b *Batch) NumCols() int { return b.ncols }

// Cell returns row r, column c; the slice is valid until the batch is refilled.
func (b *Batch) Cell(r, c int) []byte {
	i := r*b.ncols + c
	return b.buf[b.off[i]:b.off[i+1]]
}

// Quoted reports whether row r, column c was a string in a typed format.
func (b *Batch) Quoted(r, c int) bool {
	i := r*b.ncols + c
	return i < len(b.quoted) && b.quoted[i]
}

// kindAt classifies cell i, honouring its quoted flag.
func (b *Batch) kindAt(i int, v []byte) (kind, float64) {
	if i < len(b.typed) && b.typed[i].k != kindNone {
		return b.typed[i].k, b.typed[i].x
	}
	if i < len(b.quoted) && b.quoted[i] {
		return classifyQuoted(v)
	}
	return classifyValue(v)
}

// Missing reports whether row r, column c is missing.
func (b *Batch) Missing(r, c int) bool { return b.miss[r*b.ncols+c] }

// Line returns the source line where row r starts.
func (b *Batch) Line(r int) int { return b.lines[r] }

// Row returns the cells of row r as strings (allocates).
func (b *Batch) Row(r int) []string {
	out := make([]string, b.ncols)
	for c := range out {
		out[c] = string(b.Cell(r, c))
	}
	return out
}

func (b *Batch) rowBytes(r int) []byte {
	return b.buf[b.off[r*b.ncols]:b.off[(r+1)*b.ncols]]
}

func (b *Batch) reset(ncols int) {
	b.ncols = ncols
	b.buf = b.buf[:0]
	b.off = append(b.off[:0], 0)
	b.miss = b.miss[:0]
	b.quoted = b.quoted[:0]
	b.typed = b.typed[:0]
	b.lines = b.lines[:0]
}

func (b *Batch) addCell(v []byte, missing bool) {
	b.buf = append(b.buf, v...)
	b.off = append(b.off, int32(len(b.buf)))
	b.miss = append(b.miss, missing)
}

func (b *Batch) addQuoted(v []byte, missing, quoted bool) {
	for len(b.quoted) < len(b.miss) {
		b.quoted = append(b.quoted, false)
	}
	b.addCell(v, missing)
	b.quoted = append(b.quoted, quoted)
}

// truncateRow drops a partly added row whose first cell index is cell.
func (b *Batch) truncateTo(cells int) {
	b.off = b.off[:cells+1]
	b.buf = b.buf[:b.off[cells]]
	b.miss = b.miss[:cells]
	if len(b.typed) > cells {
		b.typed = b.typed[:cells]
	}
	if len(b.quoted) > cells {
		b.quoted = b.quoted[:cells]
	}
}

// Open opens path for streaming. Errors in the file's content are
// *config.InputError; I/O failures are ordinary errors.
func Open(path string, opts ReadOptions) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := openFile(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// countingReader counts the compressed bytes consumed, for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64 // read by Offset while a parallel reader's splitter reads
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func openFile(f *os.File, path string, opts ReadOptions) (Reader, error) {
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	name := strings.ToLower(path)
	gz := n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if gz {
		name = strings.TrimSuffix(name, ".gz")
	}
	format := opts.Format
	if format == "" {
		format = formatFromExt(name)
	}
	if format == FormatParquet || (format == "" && !gz && n == 4 && string(magic[:]) == "PAR1") {
		return openParquet(f, path, opts)
	}
	cr := &countingReader{r: f}
	var src io.Reader = cr
	var closer func() error = f.Close
	if gz {
		zr, err := gzip.NewReader(cr)
		if err != nil {
			return nil, &config.InputError{File: path, Msg: "bad gzip header", Err: err}
		}
		src = zr
		closer = func() error { zr.Close(); return f.Close() }
	}
	br := bufio.NewReaderSize(src, 1<<16)
	// Empty files are rejected for every format: there is nothing to profile.
	head, err := br.Peek(1 << 12)
	if len(head) == 0 {
		if err != nil && err != io.EOF {
			return nil, (&baseReader{path: path, gz: gz}).readErr(err)
		}
		return nil, &config.InputError{File: path, Line: 1, Msg: "file is empty; expected a header and data rows"}
	}
	if format == "" {
		format = formatFromContent(head)
	}
	base := baseReader{path: path, counter: cr, closer: closer, opts: opts, gz: gz}
	switch format {
	case FormatJSON, FormatJSONL:
		return newJSONReader(br, base, format)
	case FormatCSV, FormatTSV:
		return newCSVReader(br, base, format)
	}
	return nil, &config.InputError{File: path, Msg: fmt.Sprintf("unknown format %q; valid: csv, tsv, json, jsonl, parquet", format)}
}

func formatFromExt(name string) Format {
	switch filepath.Ext(name) {
	case ".csv", ".txt":
		return FormatCSV
	case ".tsv", ".tab":
		return FormatTSV
	case ".json":
		return FormatJSON
	case ".jsonl", ".ndjson":
		return FormatJSONL
	case ".parquet", ".pq":
		return FormatParquet
	}
	return ""
}

func formatFromContent(head []byte) Format {
	head = bytes.TrimPrefix(head, bom)
	t := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(t) > 0 && t[0] == '[':
		return FormatJSON
	case len(t) > 0 && t[0] == '{':
		return FormatJSONL
	}
	return FormatCSV
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// baseReader holds what every reader shares: the path, byte counter, the
// skip report and the error policy.
type baseReader struct {
	path    string
	counter *countingReader
	closer  func() error
	opts    ReadOptions
	skipped SkipReport
	cols    []string
	gz      bool
}

// readErr classifies a read failure: corrupt compressed data is bad input.
func (b *baseReader) readErr(err error) error {
	var ce flate.CorruptInputError
	if b.gz && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ce)) {
		return &config.InputError{File: b.path, Msg: "corrupt or truncated gzip data: " + err.Error(), Err: err}
	}
	return fmt.Errorf("read %s: %w", b.path, err)
}

func (b *baseReader) Columns() []string { return b.cols }
func (b *baseReader) Skipped() SkipReport {
	s := b.skipped
	s.Examples = append([]SkipExample(nil), s.Examples...)
	return s
}
func (b *baseReader) Offset() int64 {
	if b.counter == nil {
		return 0
	}
	return b.counter.n.Load()
}
func (b *baseReader) Close() error                  { return b.closer() }
func (b *baseReader) MissingTokens() [][]ValueCount { return nil }

// bad reports a malformed record: an error under OnErrorFail, or nil after
// counting it under OnErrorSkip.
func (b *baseReader) bad(line int, msg string) error {
	if b.opts.OnError != OnErrorSkip {
		return &config.InputError{File: b.path, Line: line, Msg: msg}
	}
	b.skipped.Count++
	if len(b.skipped.Examples) < b.opts.maxExamples() {
		b.skipped.Examples = append(b.skipped.Examples, SkipExample{Line: line, Msg: msg})
	}
	return nil
}

package explore

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/lathe-ml/lathe/config"
)

// parquetReader formats each leaf column's values as text, so Parquet flows
// through the same profiler as the text formats.
type parquetReader struct {
	baseReader
	f     *os.File
	size  int64
	r     *parquet.Reader //lint:ignore SA1019 the row-based Reader reads any schema without a Go type; GenericReader needs one
	conv  []func(parquet.Value, []byte) []byte
	str   []bool // byte-array columns without a date/time logical type
	typ   []kind // kindInt, kindFloat, kindBool for columns decoded as numbers; kindNone: from the text
	code  []int  // per column: how groupDecoder.next converts its values
	rows  []parquet.Row
	rec   int
	total int64

	// Flat schemas (no repeated column) are read column by column, row
	// group by row group, page by page: no row assembly, and only the row
	// groups a reader gets to are decoded. Several row groups are decoded
	// at once (Parsers goroutines) and returned in file order.
	flat   bool
	pf     *parquet.File
	groups chan chan groupBatch // per row group in file order, its batches
	cur    chan groupBatch
	stopc  chan struct{}
	stopMu sync.Once
	wg     sync.WaitGroup
	free   chan *Batch
	err    error
}

func openParquet(f *os.File, path string, opts ReadOptions) (Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Size() == 0 {
		return nil, &config.InputError{File: path, Line: 1, Msg: "file is empty; expected a Parquet file"}
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, &config.InputError{File: path, Msg: "not a readable Parquet file: " + err.Error(), Err: err}
	}
	schema := pf.Schema()
	r := &parquetReader{baseReader: baseReader{path: path, closer: f.Close, opts: opts}, f: f, size: st.Size(),
		r: parquet.NewReader(pf), total: pf.NumRows()}
	r.flat, r.pf = true, pf
	for _, p := range schema.Columns() {
		leaf, _ := schema.Lookup(p...)
		r.cols = append(r.cols, strings.Join(p, "."))
		r.conv = append(r.conv, parquetConverter(leaf.Node))
		r.str = append(r.str, isParquetString(leaf.Node))
		r.typ = append(r.typ, parquetKind(leaf.Node))
		r.code = append(r.code, r.parquetCode(len(r.typ)-1, leaf.Node))
		r.flat = r.flat && leaf.MaxRepetitionLevel == 0
	}
	if r.flat {
		r.startGroups()
		r.closer = func() error { r.stopGroups(); return f.Close() }
	}
	if r.total == 0 {
		return nil, &config.InputError{File: path, Line: 1, Msg: "Parquet file has no rows"}
	}
	return r, nil
}

// parquetKind is the kind a column's values are decoded as, without their
// text: integers and doubles (pandas' int64 and float64) and booleans.
// FLOAT keeps the text path: its shortest text ("0.1") is what pandas shows,
// not float64(float32(0.1)); date and time logical types are formatted.
func parquetKind(n parquet.Node) kind {
	t := n.Type()
	if t == nil {
		return kindNone
	}
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.DateType, *format.TimestampType, *format.TimeType:
			return kindNone
		}
	}
	switch t.Kind() {
	case parquet.Int32, parquet.Int64:
		return kindInt
	case parquet.Double:
		return kindFloat
	case parquet.Boolean:
		return kindBool
	}
	return kindNone
}

func isParquetString(n parquet.Node) bool {
	t := n.Type()
	if t == nil {
		return false
	}
	k := t.Kind()
	return k == parquet.ByteArray || k == parquet.FixedLenByteArray
}

func parquetConverter(n parquet.Node) func(parquet.Value, []byte) []byte {
	t := n.Type()
	var lt *format.LogicalType
	if t != nil {
		lt = t.LogicalType()
	}
	if lt != nil {
		switch v := lt.Value.(type) {
		case *format.DateType:
			return func(x parquet.Value, b []byte) []byte {
				return append(b, formatTime(float64(x.Int32())*86400)...)
			}
		case *format.TimestampType:
			scale := 1e-6
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				scale = 1e-3
			case *format.NanoSeconds:
				scale = 1e-9
			}
			return func(x parquet.Value, b []byte) []byte {
				return append(b, formatTime(float64(x.Int64())*scale)...)
			}
		}
	}
	return func(x parquet.Value, b []byte) []byte {
		switch x.Kind() {
		case parquet.Boolean:
			return strconv.AppendBool(b, x.Boolean())
		case parquet.Int32:
			return strconv.AppendInt(b, int64(x.Int32()), 10)
		case parquet.Int64:
			return strconv.AppendInt(b, x.Int64(), 10)
		case parquet.Float:
			return appendFloat(b, float64(x.Float()), 32)
		case parquet.Double:
			return appendFloat(b, x.Double(), 64)
		}
		return append(b, x.ByteArray()...)
	}
}

func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return b // read back as missing, as pandas treats NaN
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func (r *parquetReader) Format() Format { return FormatParquet }

func (r *parquetReader) Offset() int64 {
	if r.total == 0 {
		return 0
	}
	return int64(float64(r.size) * float64(r.rec) / float64(r.total))
}

func (r *parquetReader) Next(b *Batch) error {
	if r.flat {
		return r.nextColumns(b)
	}
	nc := len(r.cols)
	b.reset(nc)
	limit := r.opts.batchRows(nc)
	if cap(r.rows) < limit {
		r.rows = make([]parquet.Row, limit)
	}
	rows := r.rows[:limit]
	n, err := r.r.ReadRows(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return &config.InputError{File: r.path, Line: r.rec + 1, Msg: "corrupt Parquet data: " + err.Error(), Err: err}
	}
	for _, row := range rows[:n] {
		r.rec++
		// Values arrive in column order; a repeated column's values are joined.
		col, nvals := 0, 0
		for _, v := range row {
			for col < v.Column() {
				b.off = append(b.off, int32(len(b.buf)))
				b.miss = append(b.miss, nvals == 0)
				b.quoted = append(b.quoted, r.str[col])
				col, nvals = col+1, 0
			}
			if v.IsNull() {
				continue
			}
			if nvals > 0 {
				b.buf = append(b.buf, ',')
			}
			before := len(b.buf)
			b.buf = r.conv[col](v, b.buf)
			if len(b.buf) == before && (v.Kind() == parquet.Float || v.Kind() == parquet.Double) {
				continue // NaN
			}
			nvals++
		}
		for col < nc {
			b.off = append(b.off, int32(len(b.buf)))
			b.miss = append(b.miss, nvals == 0)
			b.quoted = append(b.quoted, r.str[col])
			col, nvals = col+1, 0
		}
		b.lines = append(b.lines, r.rec)
	}
	if n == 0 {
		return io.EOF
	}
	return nil
}

// groupBatch is one batch of a row group, or the error that ended it.
type groupBatch struct {
	b   *Batch
	err error
}

// groupDecoder reads one row group's column chunks page by page.
type groupDecoder struct {
	r      *parquetReader
	rec    int   // rows of the file before the next row
	left   int64 // rows left
	pages  []parquet.Pages
	page   []parquet.Page
	vals   [][]parquet.Value // per column: values of the current page
	at     []int
	gather [][]parquet.Value // per column: the values of the batch being built, when they span pages
	batch  [][]parquet.Value // per column: the values of the batch being built (in gather or a page's vals)
	done   []parquet.Page    // pages read to the end, released once the batch is built
}

// Column codes of groupDecoder.next: plain numbers and byte arrays are
// converted inline; codeConv columns go through parquetConverter.
const (
	codeConv = iota
	codeInt32
	codeInt64
	codeDouble
	codeBytes
)

// parquetCode is column c's code: inline only where the converter would
// do the same (no date/time logical type).
func (r *parquetReader) parquetCode(c int, n parquet.Node) int {
	t := n.Type()
	if t == nil {
		return codeConv
	}
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.DateType, *format.TimestampType:
			return codeConv
		}
	}
	switch {
	case t.Kind() == parquet.Int32 && r.typ[c] == kindInt:
		return codeInt32
	case t.Kind() == parquet.Int64 && r.typ[c] == kindInt:
		return codeInt64
	case t.Kind() == parquet.Double && r.typ[c] == kindFloat:
		return codeDouble
	case t.Kind() == parquet.ByteArray && r.typ[c] == kindNone:
		return codeBytes
	}
	return codeConv
}

// parquetTyped is a converted value's typed cell.
func parquetTyped(k kind, v parquet.Value) typedCell {
	switch k {
	case kindInt:
		if v.Kind() == parquet.Int32 {
			return typedCell{kindInt, float64(v.Int32())}
		}
		return typedCell{kindInt, float64(v.Int64())}
	case kindFloat:
		return typedCell{kindFloat, v.Double()}
	case kindBool:
		return typedCell{k: kindBool}
	}
	return typedCell{k: kindNone}
}

// growTo returns s with length n, reusing its array when it is big enough.
func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (r *parquetReader) startGroups() {
	groups := r.pf.RowGroups()
	workers := max(1, min(r.opts.parsers(), len(groups)))
	r.groups = make(chan chan groupBatch, workers)
	r.stopc = make(chan struct{})
	r.free = make(chan *Batch, 4*workers)
	jobs := make(chan int)
	outs := make([]chan groupBatch, len(groups))
	for i := range outs {
		outs[i] = make(chan groupBatch, 2)
	}
	r.wg.Add(1 + workers)
	go func() { // hands out row groups in order; their channels go to Next in order
		defer r.wg.Done()
		defer close(jobs)
		defer close(r.groups)
		for i := range groups {
			select {
			case r.groups <- outs[i]:
			case <-r.stopc:
				return
			}
			select {
			case jobs <- i:
			case <-r.stopc:
				return
			}
		}
	}()
	starts := make([]int, len(groups))
	for i := 1; i < len(groups); i++ {
		starts[i] = starts[i-1] + int(groups[i-1].NumRows())
	}
	for w := 0; w < workers; w++ {
		go func() {
			defer r.wg.Done()
			for i := range jobs {
				r.decodeGroup(groups[i], starts[i], outs[i])
			}
		}()
	}
}

func (r *parquetReader) stopGroups() {
	r.stopMu.Do(func() { close(r.stopc) })
	r.wg.Wait()
}

func (r *parquetReader) decodeGroup(g parquet.RowGroup, start int, out chan groupBatch) {
	defer close(out)
	nc := len(r.cols)
	d := &groupDecoder{r: r, rec: start, left: g.NumRows(), pages: make([]parquet.Pages, nc), page: make([]parquet.Page, nc),
		vals: make([][]parquet.Value, nc), at: make([]int, nc), gather: make([][]parquet.Value, nc),
		batch: make([][]parquet.Value, nc)}
	defer d.close()
	for c, cc := range g.ColumnChunks() {
		d.pages[c] = cc.Pages()
	}
	for d.left > 0 {
		var b *Batch
		select {
		case b = <-r.free:
		default:
			b = &Batch{}
		}
		err := d.next(b)
		select {
		case out <- groupBatch{b, err}:
		case <-r.stopc:
			return
		}
		if err != nil {
			return
		}
	}
}

func (d *groupDecoder) close() {
	for _, pg := range d.done {
		parquet.Release(pg)
	}
	d.done = d.done[:0]
	for c, p := range d.pages {
		if d.page[c] != nil {
			parquet.Release(d.page[c])
			d.page[c] = nil
		}
		if p != nil {
			p.Close()
			d.pages[c] = nil
		}
	}
}

// fillPage reads column c's next page when the current one is used up.
func (d *groupDecoder) fillPage(c int) error {
	for d.at[c] >= len(d.vals[c]) {
		if d.page[c] != nil {
			// Released after the batch is built: gathered values point into it.
			d.done = append(d.done, d.page[c])
			d.page[c] = nil
		}
		pg, err := d.pages[c].ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		d.page[c] = pg
		n := int(pg.NumValues())
		if cap(d.vals[c]) < n {
			d.vals[c] = make([]parquet.Value, n)
		}
		d.vals[c] = d.vals[c][:n]
		got, err := pg.Values().ReadValues(d.vals[c])
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		d.vals[c], d.at[c] = d.vals[c][:got], 0
	}
	return nil
}

// next decodes up to a batch of the row group's rows into b.
func (d *groupDecoder) next(b *Batch) error {
	r := d.r
	nc := len(r.cols)
	b.reset(nc)
	n := int(min(int64(r.opts.batchRows(nc)), d.left))
	// Gather each column's n values, then lay the cells out row-major.
	for c := 0; c < nc; c++ {
		if err := d.fillPage(c); err != nil {
			return &config.InputError{File: r.path, Line: d.rec + 1, Msg: "corrupt Parquet data: " + err.Error(), Err: err}
		}
		if at := d.at[c]; len(d.vals[c])-at >= n { // all in the current page: no copy
			d.batch[c] = d.vals[c][at : at+n]
			d.at[c] += n
			continue
		}
		g := d.gather[c][:0]
		for len(g) < n {
			if err := d.fillPage(c); err != nil {
				return &config.InputError{File: r.path, Line: d.rec + len(g) + 1, Msg: "corrupt Parquet data: " + err.Error(), Err: err}
			}
			take := min(n-len(g), len(d.vals[c])-d.at[c])
			g = append(g, d.vals[c][d.at[c]:d.at[c]+take]...)
			d.at[c] += take
		}
		d.gather[c], d.batch[c] = g, g
	}
	// Cells are written by index: one bounds check per slice per batch.
	cells := n * nc
	b.off = growTo(b.off, 1+cells)
	b.miss = growTo(b.miss, cells)
	b.quoted = growTo(b.quoted, cells)
	b.typed = growTo(b.typed, cells)
	b.lines = growTo(b.lines, n)
	off, miss, quoted, typed, buf := b.off[1:], b.miss, b.quoted, b.typed, b.buf
	for c := 0; c < nc; c++ {
		q := r.str[c]
		for cell := c; cell < cells; cell += nc {
			quoted[cell] = q
		}
	}
	for i := 0; i < n; i++ {
		base := i * nc
		for c := 0; c < nc; c++ {
			v := &d.batch[c][i]
			cell := base + c
			t := typedCell{k: kindNone}
			missing := v.IsNull()
			if !missing {
				switch r.code[c] {
				case codeInt32:
					x := int64(v.Int32())
					buf = strconv.AppendInt(buf, x, 10)
					t = typedCell{kindInt, float64(x)}
				case codeInt64:
					x := v.Int64()
					buf = strconv.AppendInt(buf, x, 10)
					t = typedCell{kindInt, float64(x)}
				case codeDouble:
					x := v.Double()
					if math.IsNaN(x) {
						missing = true // read back as missing, as pandas treats NaN
					} else {
						buf = appendFloat(buf, x, 64)
						t = typedCell{kindFloat, x}
					}
				case codeBytes:
					buf = append(buf, v.ByteArray()...)
				default:
					before := len(buf)
					buf = r.conv[c](*v, buf)
					missing = len(buf) == before && (v.Kind() == parquet.Float || v.Kind() == parquet.Double) // NaN
					if !missing {
						t = parquetTyped(r.typ[c], *v)
					}
				}
			}
			off[cell] = int32(len(buf))
			miss[cell] = missing
			typed[cell] = t
		}
		b.lines[i] = d.rec + i + 1
	}
	b.buf = buf
	d.rec += n
	for _, pg := range d.done {
		parquet.Release(pg)
	}
	d.done = d.done[:0]
	d.left -= int64(n)
	return nil
}

// nextColumns returns the decoded batches in file order.
func (r *parquetReader) nextColumns(b *Batch) error {
	if r.err != nil {
		return r.err
	}
	for {
		if r.cur == nil {
			ch, ok := <-r.groups
			if !ok {
				b.reset(len(r.cols))
				return io.EOF
			}
			r.cur = ch
		}
		gb, ok := <-r.cur
		if !ok {
			r.cur = nil
			continue
		}
		if gb.err != nil {
			r.err = gb.err
			return gb.err
		}
		old := *b
		*b = *gb.b
		*gb.b = old
		select {
		case r.free <- gb.b:
		default:
		}
		r.rec = b.lines[len(b.lines)-1]
		return nil
	}
}

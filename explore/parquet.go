package explore

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

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
	rows  []parquet.Row
	rec   int
	total int64
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
	for _, p := range schema.Columns() {
		leaf, _ := schema.Lookup(p...)
		r.cols = append(r.cols, strings.Join(p, "."))
		r.conv = append(r.conv, parquetConverter(leaf.Node))
		r.str = append(r.str, isParquetString(leaf.Node))
	}
	if r.total == 0 {
		return nil, &config.InputError{File: path, Line: 1, Msg: "Parquet file has no rows"}
	}
	return r, nil
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

// Writing a split's files: rows go back out in the input's format (CSV, TSV,
// JSON, JSON Lines, gzip), Parquet row by row unchanged.

package explore

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/parquet-go/parquet-go"
)

// writeSplits reads path again and writes each row to its split's file;
// visit sees every row (text cells) with its index and split.
func writeSplits(ctx context.Context, path string, format Format, ro ReadOptions, assign []uint8, files []SplitFile,
	visit func(b *Batch, i, row int, split uint8)) ([]int64, error) {
	counts := make([]int64, len(files))
	if format == FormatParquet {
		if err := writeParquetSplits(path, assign, files); err != nil {
			return nil, err
		}
	}
	r, err := Open(path, ro)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cols := r.Columns()
	var ws []rowWriter
	if format != FormatParquet {
		for _, f := range files {
			w, err := newRowWriter(f.Path, format, cols, r)
			if err != nil {
				for _, w := range ws {
					w.close()
				}
				return nil, err
			}
			ws = append(ws, w)
		}
	}
	i := 0
	for b, err := range batches(ctx, r) {
		if err != nil {
			return nil, err
		}
		for row := 0; row < b.Len(); row++ {
			if i >= len(assign) {
				return nil, fmt.Errorf("split %s: the file changed while it was being split", path)
			}
			s := assign[i]
			counts[s]++
			if ws != nil {
				if err := ws[s].write(b, row); err != nil {
					return nil, err
				}
			}
			visit(b, i, row, s)
			i++
		}
	}
	for _, w := range ws {
		if err := w.close(); err != nil {
			return nil, err
		}
	}
	if i != len(assign) {
		return nil, fmt.Errorf("split %s: the file changed while it was being split", path)
	}
	return counts, nil
}

type rowWriter interface {
	write(b *Batch, row int) error
	close() error
}

type fileSink struct {
	f  *os.File
	gz *gzip.Writer
	bw *bufio.Writer
}

func newFileSink(path string) (*fileSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	s := &fileSink{f: f}
	var w io.Writer = f
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		s.gz = gzip.NewWriter(f)
		w = s.gz
	}
	s.bw = bufio.NewWriterSize(w, 1<<16)
	return s, nil
}

func (s *fileSink) close() error {
	err := s.bw.Flush()
	if s.gz != nil {
		err = errors.Join(err, s.gz.Close())
	}
	return errors.Join(err, s.f.Close())
}

type csvWriter struct {
	*fileSink
	w   *csv.Writer
	rec []string
}

type jsonWriter struct {
	*fileSink
	cols  [][]byte
	lines bool
	first bool
}

func newRowWriter(path string, format Format, cols []string, r Reader) (rowWriter, error) {
	s, err := newFileSink(path)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatCSV, FormatTSV:
		w := csv.NewWriter(s.bw)
		if cr, ok := r.(*csvReader); ok {
			w.Comma = rune(cr.delim)
		}
		if err := w.Write(cols); err != nil {
			return nil, err
		}
		return &csvWriter{fileSink: s, w: w, rec: make([]string, len(cols))}, nil
	default:
		jw := &jsonWriter{fileSink: s, lines: format == FormatJSONL, first: true}
		for _, c := range cols {
			k, _ := jsonMarshalString(c)
			jw.cols = append(jw.cols, k)
		}
		if !jw.lines {
			s.bw.WriteString("[\n")
		}
		return jw, nil
	}
}

func (w *csvWriter) write(b *Batch, row int) error {
	for c := range w.rec {
		w.rec[c] = string(b.Cell(row, c))
	}
	return w.w.Write(w.rec)
}

func (w *csvWriter) close() error {
	w.w.Flush()
	return errors.Join(w.w.Error(), w.fileSink.close())
}

func (w *jsonWriter) write(b *Batch, row int) error {
	if !w.lines && !w.first {
		w.bw.WriteString(",\n")
	}
	w.first = false
	w.bw.WriteByte('{')
	for c, k := range w.cols {
		if c > 0 {
			w.bw.WriteByte(',')
		}
		w.bw.Write(k)
		w.bw.WriteByte(':')
		if b.Missing(row, c) {
			w.bw.WriteString("null")
			continue
		}
		if b.Quoted(row, c) {
			q, _ := json.Marshal(string(b.Cell(row, c)))
			w.bw.Write(q)
			continue
		}
		w.bw.Write(jsonValue(b.Cell(row, c)))
	}
	w.bw.WriteByte('}')
	if w.lines {
		w.bw.WriteByte('\n')
	}
	return nil
}

func (w *jsonWriter) close() error {
	if !w.lines {
		w.bw.WriteString("\n]\n")
	}
	return w.fileSink.close()
}

// writeParquetSplits copies Parquet rows unchanged into each split's file.
func writeParquetSplits(path string, assign []uint8, files []SplitFile) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("split %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return &config.InputError{File: path, Msg: "not a readable Parquet file: " + err.Error()}
	}
	var sinks []*fileSink
	var ws []*parquet.Writer //lint:ignore SA1019 the schema comes from the input file, not a Go type
	for _, sf := range files {
		s, err := newFileSink(sf.Path)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
		ws = append(ws, parquet.NewWriter(s.bw, pf.Schema()))
	}
	r := parquet.NewReader(pf)
	rows := make([]parquet.Row, 256)
	i := 0
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			if i >= len(assign) {
				return fmt.Errorf("split %s: the file changed while it was being split", path)
			}
			if _, werr := ws[assign[i]].WriteRows([]parquet.Row{row}); werr != nil {
				return fmt.Errorf("split %s: %w", path, werr)
			}
			i++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &config.InputError{File: path, Msg: "corrupt Parquet data: " + err.Error()}
		}
	}
	var errs error
	for k := range ws {
		errs = errors.Join(errs, ws[k].Close(), sinks[k].close())
	}
	return errs
}

func jsonMarshalString(s string) ([]byte, error) { return json.Marshal(s) }

// jsonValue writes an unquoted cell back as JSON: numbers, booleans, objects
// and arrays as they were read, anything else as a string.
func jsonValue(v []byte) []byte {
	if len(v) > 0 && json.Valid(v) {
		switch c := v[0]; {
		case c == '{' || c == '[' || c == '-' || (c >= '0' && c <= '9'):
			return v
		case string(v) == "true" || string(v) == "false":
			return v
		}
	}
	q, _ := json.Marshal(string(v))
	return q
}

package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/lathe-ml/lathe/format"
)

// Kind is a table column's type.
type Kind string

const (
	KindString Kind = "string"
	KindFloat  Kind = "float"
	KindInt    Kind = "int"
	KindBool   Kind = "bool"
	KindTime   Kind = "time"
)

// Column is a table column.
type Column struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
}

// Table is rows of typed cells: each cell is nil (missing) or the Go type
// of its column's kind (string, float64, int64, bool, time.Time).
type Table struct {
	Columns []Column
	Rows    [][]any
}

// ExportFormats are the formats WriteTable writes.
func ExportFormats() []string { return []string{"csv", "jsonl", "parquet"} }

// RunsTable is one row per run, newest first as given, with the columns
// id, name, status, runner, image, exit_code, created_at, started_at,
// ended_at, duration_s, tags (space-separated), note, then param.NAME for every parameter any run has,
// then for every metric metric.NAME (its last value), metric.NAME.min and
// metric.NAME.max (over its finite samples), as MLflow's search_runs and
// W&B's run export lay runs out for a notebook.
func RunsTable(runs []Run) Table {
	t := Table{Columns: []Column{{"id", KindString}, {"name", KindString}, {"status", KindString}, {"runner", KindString},
		{"image", KindString}, {"exit_code", KindInt}, {"created_at", KindTime}, {"started_at", KindTime}, {"ended_at", KindTime},
		{"duration_s", KindFloat}, {"tags", KindString}, {"note", KindString}}}
	params, metrics := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		for k := range r.Record.Params {
			params[k] = true
		}
		for k := range r.Record.Metrics {
			metrics[k] = true
		}
		for k := range r.Series {
			metrics[k] = true
		}
	}
	pnames, mnames := format.SortedKeys(params), format.SortedKeys(metrics)
	pkinds := make([]Kind, len(pnames))
	for i, k := range pnames {
		var vs []any
		for _, r := range runs {
			if v, ok := r.Record.Params[k]; ok {
				vs = append(vs, v)
			}
		}
		pkinds[i] = paramKind(vs)
		t.Columns = append(t.Columns, Column{"param." + k, pkinds[i]})
	}
	for _, k := range mnames {
		t.Columns = append(t.Columns, Column{"metric." + k, KindFloat}, Column{"metric." + k + ".min", KindFloat}, Column{"metric." + k + ".max", KindFloat})
	}
	for _, r := range runs {
		rec := r.Record
		row := []any{rec.ID, rec.Name, string(rec.Status), rec.Runner, rec.Image, nil, timeCell(rec.Created), timeCell(rec.Started), timeCell(rec.Ended), nil,
			textCell(strings.Join(rec.Tags, " ")), textCell(rec.Note)}
		if rec.ExitCode != nil {
			row[5] = int64(*rec.ExitCode)
		}
		if !rec.Started.IsZero() && !rec.Ended.IsZero() {
			row[9] = rec.Ended.Sub(rec.Started).Seconds()
		}
		for i, k := range pnames {
			v, ok := rec.Params[k]
			if !ok {
				row = append(row, nil)
				continue
			}
			row = append(row, paramCell(v, pkinds[i]))
		}
		for _, k := range mnames {
			var last, lo, hi any
			if p := rec.Metrics[k]; p != nil {
				last = *p
			}
			if pts, ok := r.Series[k]; ok {
				l, mn, mx, n := seriesStats(pts)
				if last == nil && finite(l) {
					last = l
				}
				if n > 0 {
					lo, hi = mn, mx
				}
			}
			row = append(row, last, lo, hi)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// textCell is s, or a missing cell when empty.
func textCell(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// paramKind is the narrowest kind every value fits: booleans, numbers (a
// string counts when it is a plain decimal number, as --param gives them),
// else strings.
func paramKind(vs []any) Kind {
	k := Kind("")
	for _, v := range vs {
		var vk Kind
		switch x := v.(type) {
		case nil:
			continue
		case bool:
			vk = KindBool
		case float64, float32, int, int64, json.Number:
			vk = KindFloat
		case string:
			switch {
			case x == "true" || x == "false":
				vk = KindBool
			case plainNumber(x):
				vk = KindFloat
			default:
				vk = KindString
			}
		default:
			vk = KindString
		}
		if k == "" {
			k = vk
		} else if k != vk {
			return KindString
		}
	}
	if k == "" {
		return KindString
	}
	return k
}

// plainNumber reports whether s is a finite decimal number without a
// leading zero that would be lost (007) or a word (inf, nan).
func plainNumber(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(f) || strings.ContainsAny(s, "xXpP_") {
		return false
	}
	d := strings.TrimLeft(s, "+-")
	return !(len(d) > 1 && d[0] == '0' && d[1] != '.')
}

func paramCell(v any, k Kind) any {
	switch k {
	case KindBool:
		if b, ok := v.(bool); ok {
			return b
		}
		return v == "true"
	case KindFloat:
		switch x := v.(type) {
		case float64:
			return x
		case float32:
			return float64(x)
		case int:
			return float64(x)
		case int64:
			return float64(x)
		case json.Number:
			f, _ := x.Float64()
			return f
		case string:
			f, _ := strconv.ParseFloat(x, 64)
			return f
		}
	}
	return paramText(v)
}

// WriteTable writes t as csv, jsonl or parquet.
func WriteTable(w io.Writer, t Table, format string) error {
	switch format {
	case "csv":
		return t.WriteCSV(w)
	case "jsonl":
		return t.WriteJSONL(w)
	case "parquet":
		return t.WriteParquet(w)
	}
	return fmt.Errorf("unknown format %q; use %s", format, strings.Join(ExportFormats(), ", "))
}

// WriteCSV writes a header and a line per row (RFC 4180); missing cells
// and NaN are empty, times RFC 3339 in UTC with milliseconds.
func (t Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, v := range row {
			rec[i] = cellText(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if !finite(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(timeLayout)
	}
	return fmt.Sprint(v)
}

// WriteJSONL writes one JSON object per row with the columns in order;
// missing cells and NaN are null.
func (t Table) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	keys := make([][]byte, len(t.Columns))
	for i, c := range t.Columns {
		keys[i], _ = json.Marshal(c.Name)
	}
	for _, row := range t.Rows {
		bw.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(keys[i])
			bw.WriteByte(':')
			switch x := v.(type) {
			case nil:
				bw.WriteString("null")
			case float64:
				if !finite(x) {
					bw.WriteString("null")
				} else {
					bw.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
				}
			case time.Time:
				b, _ := json.Marshal(x.UTC().Format(timeLayout))
				bw.Write(b)
			default:
				b, err := json.Marshal(x)
				if err != nil {
					return err
				}
				bw.Write(b)
			}
		}
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

// WriteParquet writes the table as one Parquet file, its columns in order
// and all optional: strings as UTF-8, floats as doubles, ints as int64,
// times as UTC timestamps in milliseconds.
func (t Table) WriteParquet(w io.Writer) error {
	fields := make([]parquet.Field, len(t.Columns))
	for i, c := range t.Columns {
		var n parquet.Node
		switch c.Kind {
		case KindFloat:
			n = parquet.Leaf(parquet.DoubleType)
		case KindInt:
			n = parquet.Int(64)
		case KindBool:
			n = parquet.Leaf(parquet.BooleanType)
		case KindTime:
			n = parquet.TimestampAdjusted(parquet.Millisecond, true)
		default:
			n = parquet.String()
		}
		fields[i] = namedField{Node: parquet.Optional(n), name: c.Name, index: i}
	}
	schema := parquet.NewSchema("runs", orderedGroup(fields))
	pw := parquet.NewWriter(w, schema)
	rows := make([]parquet.Row, 0, len(t.Rows))
	for _, r := range t.Rows {
		row := make(parquet.Row, len(r))
		for i, v := range r {
			var pv parquet.Value
			def := 1
			switch x := v.(type) {
			case nil:
				def = 0
			case string:
				pv = parquet.ByteArrayValue([]byte(x))
			case float64:
				if !finite(x) {
					def = 0
				} else {
					pv = parquet.DoubleValue(x)
				}
			case int64:
				pv = parquet.Int64Value(x)
			case bool:
				pv = parquet.BooleanValue(x)
			case time.Time:
				pv = parquet.Int64Value(x.UnixMilli())
			default:
				pv = parquet.ByteArrayValue([]byte(fmt.Sprint(x)))
			}
			if def == 0 {
				pv = parquet.Value{}
			}
			row[i] = pv.Level(0, def, i)
		}
		rows = append(rows, row)
	}
	if _, err := pw.WriteRows(rows); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// orderedGroup is a Parquet group that keeps its fields in the order given
// (parquet.Group sorts them by name, which would put "ended_at" before
// "id").
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return parquet.Group(g.asMap()).String() }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type {
	fs := make([]reflect.StructField, len(g))
	for i, f := range g {
		fs[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: f.GoType()}
	}
	return reflect.StructOf(fs)
}

func (g orderedGroup) asMap() map[string]parquet.Node {
	m := make(map[string]parquet.Node, len(g))
	for _, f := range g {
		m[f.Name()] = f
	}
	return m
}

// namedField is the i-th field of an orderedGroup; its Go value is field
// F<i> of the group's GoType.
type namedField struct {
	parquet.Node
	name  string
	index int
}

func (f namedField) Name() string { return f.name }

func (f namedField) Value(base reflect.Value) reflect.Value { return base.Field(f.index) }

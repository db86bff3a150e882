package explore

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type pqRow struct {
	Name  string    `parquet:"name"`
	When  time.Time `parquet:"when,timestamp(millisecond)"`
	Day   int32     `parquet:"day,date"`
	Score *float64  `parquet:"score,optional"`
	N     int64     `parquet:"n"`
	Ok    bool      `parquet:"ok"`
	Code  string    `parquet:"code"`
}

func TestParquetTypes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[pqRow](f)
	var rows []pqRow
	for i := 0; i < 100; i++ {
		var s *float64
		if i%10 != 0 {
			v := float64(i) / 2
			s = &v
		}
		rows = append(rows, pqRow{Name: []string{"a", "b"}[i%2], When: time.Date(2021, 3, 1+i%28, 12, 0, 0, 0, time.UTC),
			Day: int32(18000 + i%5), Score: s, N: int64(i), Ok: i%3 == 0, Code: "0" + string(rune('1'+i%9))})
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	prof, err := ProfileFile(context.Background(), p, ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ColumnType{"name": TypeCategorical, "when": TypeDatetime, "day": TypeDatetime, "score": TypeFloat,
		"n": TypeInteger, "ok": TypeBoolean, "code": TypeCategorical}
	for name, typ := range want {
		if c := prof.Column(name); c == nil || c.Type != typ {
			t.Errorf("%s: %+v, want %s", name, c, typ)
		}
	}
	if c := prof.Column("score"); c.Missing != 10 || c.Count != 90 {
		t.Errorf("score missing %d count %d", c.Missing, c.Count)
	}
	// Day 18000 is 2019-04-14 (18000 days after 1970-01-01).
	if c := prof.Column("day"); c.Min != "2019-04-14" || c.Max != "2019-04-18" {
		t.Errorf("day range %v..%v", c.Min, c.Max)
	}
	if c := prof.Column("when"); c.Min != "2021-03-01T12:00:00" || c.Max != "2021-03-28T12:00:00" {
		t.Errorf("when range %v..%v", c.Min, c.Max)
	}
	if prof.Source.Format != FormatParquet || prof.Rows != 100 {
		t.Errorf("source %+v rows %d", prof.Source, prof.Rows)
	}
}

// TestParquetColumnsMatchRows: the column-by-column reader of flat schemas
// gives the row reader's cells, across row groups and pages, with nulls and NaN,
// and its typed cells are the kinds and values the profiler parses from the text.
func TestParquetColumnsMatchRows(t *testing.T) {
	type rec struct {
		ID    int64    `parquet:"id"`
		X     *float64 `parquet:"x,optional"`
		Name  string   `parquet:"name,dict"`
		Small int32    `parquet:"small"`
		Flag  bool     `parquet:"flag"`
	}
	path := filepath.Join(t.TempDir(), "g.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[rec](f, parquet.MaxRowsPerRowGroup(1000), parquet.PageBufferSize(4096))
	var rows []rec
	for i := 0; i < 5000; i++ {
		r := rec{ID: int64(i) * 1_000_003, Name: fmt.Sprintf("n%d", i%37), Small: int32(i % 100), Flag: i%3 == 0}
		if i%7 != 0 {
			x := float64(i) / 8
			if i%11 == 0 {
				x = math.NaN()
			}
			r.X = &x
		}
		rows = append(rows, r)
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, p := range []string{path, filepath.Join("testdata", "penguins.parquet")} {
		read := func(flat bool) ([]string, [][]string) {
			r, err := Open(p, ReadOptions{BatchRows: 333})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			pr := r.(*parquetReader)
			if pr.flat != true {
				t.Fatalf("%s: schema not read as flat", p)
			}
			pr.flat = flat
			var out [][]string
			var b Batch
			for {
				if err := r.Next(&b); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < b.Len(); i++ {
					row := b.Row(i)
					for c := range row {
						// The kind and value the profiler takes: typed
						// (column reader) or parsed from the text (row reader).
						// A double's integral text ("1") parses as an integer:
						// only the kind of number differs.
						k, x := b.kindAt(i*b.NumCols()+c, b.Cell(i, c))
						if k == kindFloat {
							k = kindInt
						}
						kv := fmt.Sprintf("%d:%v", k, x)
						if b.Missing(i, c) {
							row[c], kv = "<NA>", "<NA>"
						}
						row = append(row, kv)
					}
					out = append(out, append(row, strconv.Itoa(b.Line(i))))
				}
			}
			return r.Columns(), out
		}
		ca, ra := read(true)
		cb, rb := read(false)
		if !slices.Equal(ca, cb) || len(ra) != len(rb) {
			t.Fatalf("%s: columns %v/%v, rows %d/%d", p, ca, cb, len(ra), len(rb))
		}
		for i := range ra {
			if !slices.Equal(ra[i], rb[i]) {
				t.Fatalf("%s: row %d: columns %q, rows %q", p, i, ra[i], rb[i])
			}
		}
	}
	pr := profileOf(t, path, ProfileOptions{})
	if x := pr.Column("x"); x.Type != TypeFloat || x.Missing != 1105 || pr.Column("id").Max != int64(4999*1_000_003) {
		t.Errorf("x: type %s missing %d; id max %v", x.Type, x.Missing, pr.Column("id").Max)
	}
}

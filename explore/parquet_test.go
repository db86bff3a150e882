package explore

import (
	"context"
	"os"
	"path/filepath"
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

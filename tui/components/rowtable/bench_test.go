package rowtable

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// The rows view on 10,000 rows x 20 columns (issue 18): the typed table
// against a gota DataFrame doing the same three operations, sort by a
// numeric column, filter (a numeric and a string comparison), render one
// page. `go test ./tui/components/rowtable -run '^$' -bench RowsView`
// prints ns/op for each; the README's design notes quote the medians.

const benchRows, benchCols = 10000, 20

// benchFrame is a deterministic sample shaped like real tables: 12 numeric
// columns (some with missing cells), 8 categorical ones.
func benchFrame() Frame {
	rng := rand.New(rand.NewPCG(1, 2))
	f := Frame{Total: -1}
	for c := range benchCols {
		f.Columns = append(f.Columns, fmt.Sprintf("c%02d", c))
	}
	cats := []string{"Adelie", "Gentoo", "Chinstrap", "Torgersen", "Biscoe", "Dream"}
	for range benchRows {
		row := make([]string, benchCols)
		null := make([]bool, benchCols)
		for c := range benchCols {
			switch {
			case c < 12 && rng.IntN(50) == 0:
				null[c] = true
			case c < 12:
				row[c] = strconv.FormatFloat(rng.NormFloat64()*30+50, 'f', 2, 64)
			default:
				row[c] = cats[rng.IntN(len(cats))]
			}
		}
		f.Cells = append(f.Cells, row)
		f.Null = append(f.Null, null)
	}
	return f
}

func benchStyles() Styles {
	return Styles{Header: lipgloss.NewStyle(), Cursor: lipgloss.NewStyle(), CursorCell: lipgloss.NewStyle(), Muted: lipgloss.NewStyle()}
}

func BenchmarkRowsViewTyped(b *testing.B) {
	f := benchFrame()
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			New(f)
		}
	})
	m := New(f)
	b.Run("sort", func(b *testing.B) {
		for b.Loop() {
			m.sortCol, m.sortDesc = 3, false
			m.apply()
		}
	})
	m.sortCol = -1 // the filter alone, as gota's is measured
	b.Run("filter", func(b *testing.B) {
		for b.Loop() {
			if err := m.SetFilter(`c03 > 50 and c14 == "Gentoo"`); err != nil {
				b.Fatal(err)
			}
		}
	})
	st := benchStyles()
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			_ = m.View(160, 40, st)
		}
	})
}

// gotaFrame loads the same sample into a gota DataFrame, typed as gota
// detects (float for the numeric columns, string for the others); missing
// cells as gota's NaN.
func gotaFrame(f Frame) dataframe.DataFrame {
	recs := make([][]string, 0, len(f.Cells)+1)
	recs = append(recs, f.Columns)
	for r, row := range f.Cells {
		rec := make([]string, len(row))
		for c := range row {
			if f.Null[r][c] {
				rec[c] = "NaN"
			} else {
				rec[c] = row[c]
			}
		}
		recs = append(recs, rec)
	}
	return dataframe.LoadRecords(recs, dataframe.DetectTypes(true), dataframe.NaNValues([]string{"NaN"}))
}

func BenchmarkRowsViewGota(b *testing.B) {
	f := benchFrame()
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			gotaFrame(f)
		}
	})
	df := gotaFrame(f)
	if df.Err != nil {
		b.Fatal(df.Err)
	}
	b.Run("sort", func(b *testing.B) {
		for b.Loop() {
			if s := df.Arrange(dataframe.Sort("c03")); s.Err != nil {
				b.Fatal(s.Err)
			}
		}
	})
	b.Run("filter", func(b *testing.B) {
		for b.Loop() {
			out := df.FilterAggregation(dataframe.And,
				dataframe.F{Colname: "c03", Comparator: series.Greater, Comparando: 50.0},
				dataframe.F{Colname: "c14", Comparator: series.Eq, Comparando: "Gentoo"})
			if out.Err != nil {
				b.Fatal(out.Err)
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			page := df.Subset(seq(40))
			var sb strings.Builder
			for _, rec := range page.Records() {
				for i, cell := range rec {
					if i > 0 {
						sb.WriteByte(' ')
					}
					sb.WriteString(pad(cell, 7, false))
				}
				sb.WriteByte('\n')
			}
			_ = sb.String()
		}
	})
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

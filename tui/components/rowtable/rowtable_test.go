package rowtable

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func frame() Frame {
	cols := []string{"name", "Body Mass (g)", "sex"}
	rows := [][]string{
		{"a", "4000", "MALE"},
		{"b", "3500", ""},
		{"c", "10", "FEMALE"},
		{"d", "4250.5", "MALE"},
		{"e", "", "FEMALE"},
	}
	null := make([][]bool, len(rows))
	for i, r := range rows {
		null[i] = make([]bool, len(r))
		for j, c := range r {
			null[i][j] = c == ""
		}
	}
	return Frame{Columns: cols, Cells: rows, Null: null, Total: 5}
}

func names(m *Model) []string {
	var out []string
	for _, r := range m.view {
		out = append(out, m.f.Cells[r][0])
	}
	return out
}

func TestFilter(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{"Body Mass (g) > 3500", []string{"a", "d"}}, // numeric, not text order ("10" < "3500")
		{"`Body Mass (g)` >= 3500", []string{"a", "b", "d"}},
		{"body mass (g) < 1000", []string{"c"}}, // case-forgiving column name; missing never compares
		{`sex == "MALE"`, []string{"a", "d"}},
		{"sex = FEMALE", []string{"c", "e"}},
		{"sex == null", []string{"b"}},
		{"sex != null and Body Mass (g) > 1000", []string{"a", "d"}},
		{"sex ~ fem || name == b", []string{"b", "c", "e"}},
		{"name != a && name != b and name != c", []string{"d", "e"}},
		{`name == "a and b"`, nil},
	}
	for _, c := range cases {
		m := New(frame())
		if err := m.SetFilter(c.expr); err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if got := names(m); !slices.Equal(got, c.want) {
			t.Errorf("%q: rows %v, want %v", c.expr, got, c.want)
		}
	}
	m := New(frame())
	for _, bad := range []string{"weight > 3", "name", "sex > null", "name ==", `sex == "MALE`} {
		if err := m.SetFilter(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if err := m.SetFilter("weight > 3"); err == nil || !strings.Contains(err.Error(), "Body Mass (g)") {
		t.Errorf("unknown column error should list the columns: %v", err)
	}
	if m.Len() != 5 || m.Filter() != "" {
		t.Errorf("a bad filter changed the view: %d rows, filter %q", m.Len(), m.Filter())
	}
}

func TestSortCyclesAndKeepsMissingLast(t *testing.T) {
	m := New(frame())
	m.MoveCol(1) // Body Mass (g)
	m.SortByCursor()
	if got, want := names(m), []string{"c", "b", "a", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("ascending %v, want %v", got, want)
	}
	m.SortByCursor()
	if got, want := names(m), []string{"d", "a", "b", "c", "e"}; !slices.Equal(got, want) {
		t.Errorf("descending %v, want %v", got, want)
	}
	m.SortByCursor()
	if got, want := names(m), []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("file order %v, want %v", got, want)
	}
	m.MoveCol(1) // sex: text order
	m.SortByCursor()
	if got, want := names(m), []string{"c", "e", "a", "d", "b"}; !slices.Equal(got, want) {
		t.Errorf("text sort %v, want %v", got, want)
	}
}

func TestHideAndView(t *testing.T) {
	m := New(frame())
	m.MoveCol(1)
	m.HideCursorColumn()
	if _, c := m.Cursor(); c != 2 || !m.Hidden(1) {
		t.Fatalf("cursor column %d after hiding column 1", c)
	}
	v := ansi.Strip(m.View(40, 4, Styles{}))
	if strings.Contains(v, "Body Mass") || !strings.Contains(v, "sex") {
		t.Errorf("hidden column shown:\n%s", v)
	}
	m.ShowAllColumns()
	for _, w := range []int{12, 20, 80} {
		for _, h := range []int{1, 3, 10} {
			lines := strings.Split(m.View(w, h, Styles{}), "\n")
			if len(lines) > h {
				t.Errorf("%dx%d: %d lines", w, h, len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > w {
					t.Errorf("%dx%d: line %q too wide", w, h, ansi.Strip(l))
				}
			}
		}
	}
	// Scrolling keeps the cursor row visible; the cursor column too.
	m.MoveRow(4)
	m.MoveCol(2)
	v = ansi.Strip(m.View(16, 3, Styles{}))
	if !strings.Contains(v, "FEMALE") || !strings.Contains(v, "5 ") {
		t.Errorf("cursor row 5 / column sex not visible:\n%s", v)
	}
	if s := m.Status(); !strings.Contains(s, "5 rows") || !strings.Contains(s, "row 5") {
		t.Errorf("status %q", s)
	}
}

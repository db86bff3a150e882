package data_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// hostile is what a data file or a run can hold that a terminal would act
// on: NUL, a colour change, a title change (OSC ... BEL) and a carriage
// return; shownAs is how each must show: escaped, never raw. A carriage
// return is dropped (format.OneLine), both sides of it kept.
var (
	hostile = []string{"n\x00ul", "\x1b[31mred", "\x1b]0;title\x07", "x\ry"}
	shownAs = []string{`n\x00ul`, `\x1b[31mred`, `\x1b]0;title\x07`, "xy"}
)

// A data file whose name, column names and cells hold control characters:
// the picker, the header, the column list, a column's detail (top values)
// and the rows view show them escaped.
func TestControlCharactersInDataAreEscaped(t *testing.T) {
	root, cfg := workspace(t)
	name := "evil\x1b[31m.csv"
	// Each hostile value on 4, 3, 2 and 1 rows, so the top values list them
	// all, in that order.
	csv := "label \x1b]0;title\x07,n\n"
	for i, h := range hostile {
		csv += strings.Repeat(`"`+h+`",1`+"\n", len(hostile)-i)
	}
	if err := os.WriteFile(filepath.Join(root, "data", name), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newScreen(t, root, cfg, 160, 40)
	settle(t, s, s.Activate())
	tuitest.Escaped(t, "picker", s.View(), `data/evil\x1b[31m.csv`)
	openFile(t, s, `data/evil\x1b[31m.csv`)
	if s.Profile() == nil {
		t.Fatalf("no profile:\n%s", plain(s))
	}
	tuitest.Escaped(t, "columns", s.View(), `data/evil\x1b[31m.csv`, `label \x1b]0;title\x07`)
	key(t, s, "enter")
	tuitest.Escaped(t, "column detail", s.View(), append([]string{`label \x1b]0;title\x07`}, shownAs...)...)
	key(t, s, "esc", "r")
	if s.Table() == nil {
		t.Fatalf("no rows:\n%s", plain(s))
	}
	tuitest.Escaped(t, "rows", s.View(), append([]string{`label \x1b]0;title\x07`}, shownAs...)...)
	s.SetSize(80, 24) // the cells are clipped here, the header whole
	tuitest.Escaped(t, "rows at 80x24", s.View(), `label \x1b]0;title\x07`)
}

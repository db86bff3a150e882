package data_test

import (
	"strings"
	"testing"
)

// / in the file picker filters the files as it is typed (case-insensitive,
// path and size), enter keeps the filter and chooses among the kept files,
// esc clears it; q typed into the search does not quit.
func TestPickerSearch(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 100, 24)
	settle(t, s, s.Activate())
	before := plain(s)
	if !strings.Contains(before, "penguins.json") || !strings.Contains(before, "stocks.csv") {
		t.Fatalf("picker:\n%s", before)
	}
	key(t, s, "/")
	if !s.CapturingInput() {
		t.Fatal("/ did not open the search line")
	}
	typeText(t, s, "PENG")
	v := plain(s)
	if !strings.Contains(v, "penguins.json") || !strings.Contains(v, "penguins.parquet") || strings.Contains(v, "stocks.csv") ||
		!strings.Contains(v, "search: PENG") || !strings.Contains(v, "/PENG: 2 of") {
		t.Errorf("typing PENG:\n%s", v)
	}
	key(t, s, "enter")
	if s.CapturingInput() || !strings.Contains(plain(s), "/PENG: 2 of") || strings.Contains(plain(s), "stocks.csv") {
		t.Errorf("enter did not keep the search:\n%s", plain(s))
	}
	key(t, s, "down")
	if c := cursorLine(plain(s)); !strings.Contains(c, "penguins.parquet") {
		t.Errorf("the cursor moves among the kept files: %q", c)
	}
	key(t, s, "/")
	typeText(t, s, "q")
	if !s.CapturingInput() || !strings.Contains(plain(s), "search: PENGq") {
		t.Errorf("q in the search:\n%s", plain(s))
	}
	key(t, s, "esc")
	if v := plain(s); s.CapturingInput() || strings.Contains(v, "/PENG") || !strings.Contains(v, "stocks.csv") {
		t.Errorf("esc did not clear the search:\n%s", v)
	}
	bounds(t, "picker", s.View(), 100, 24)
	// A kept search, then enter profiles a kept file.
	key(t, s, "/")
	typeText(t, s, "weather")
	key(t, s, "enter", "enter")
	if s.ViewName() != "Columns" {
		t.Errorf("enter on the kept file: view %s", s.ViewName())
	}
}

package lineage

import (
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// / in the picker filters every list as it is typed (the bar counts the
// matches of each); enter keeps it and opens a kept row; esc clears it.
func TestPickerSearch(t *testing.T) {
	f := newFixture(t)
	s := newScreen(t, f.ws, 80, 20)
	settle(t, s, s.Activate())
	press(t, s, "/")
	if !s.CapturingInput() {
		t.Fatal("/ did not open the search line")
	}
	for _, k := range tuitest.Typed("MLP") { // r1's name, and the study
		_, cmd := s.Update(k)
		settle(t, s, cmd)
	}
	v := view(s)
	for _, want := range []string{"Runs (1 of 2)", "Datasets (0 of 2)", "Studies (1 of 1)", "r1aaaaaaaaaa", "search: MLP", "/MLP: 1 of 2"} {
		if !strings.Contains(v, want) {
			t.Errorf("typing MLP: no %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "r2bbbbbbbbbb") {
		t.Errorf("r2 is shown:\n%s", v)
	}
	tuitest.Bounds(t, "lineage", s.View(), 80, 20)
	press(t, s, "enter") // keep
	if s.CapturingInput() || !strings.Contains(view(s), "/MLP: 1 of 2") {
		t.Fatalf("enter did not keep the search:\n%s", view(s))
	}
	press(t, s, "enter") // open the kept row: r1
	if s.Root() != f.r1N {
		t.Fatalf("root %v, want %v", s.Root(), f.r1N)
	}
	press(t, s, "p", "esc") // back to the picker; esc clears the search
	if v := view(s); !strings.Contains(v, "Runs (2)") || !strings.Contains(v, "r2bbbbbbbbbb") || strings.Contains(v, "/MLP") {
		t.Errorf("esc did not clear the search:\n%s", v)
	}
	press(t, s, "l", "/")
	for _, k := range tuitest.Typed("train") {
		_, cmd := s.Update(k)
		settle(t, s, cmd)
	}
	if v := view(s); !strings.Contains(v, "data/penguins.train.csv") || strings.Contains(v, "data/penguins.csv ") {
		t.Errorf("datasets searched for train:\n%s", v)
	}
}

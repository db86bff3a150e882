package chart

import (
	"strings"
	"testing"
)

// A series that stays at zero (an idle run's sys/cpu) is drawn on the
// bottom line of a 0–1 axis, not between ±1e-09.
func TestRenderFlatZeroSeries(t *testing.T) {
	s := &Series{Label: "cpu %"}
	for i := 1; i <= 5; i++ {
		s.Add(Point{X: float64(i), Y: 0})
	}
	out := Render(30, 6, []*Series{s}, Options{NoColor: true})
	if strings.Contains(out, "e-09") || strings.Contains(out, "-1") {
		t.Errorf("flat zero series has a ±1e-09 axis:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	if bottom := lines[len(lines)-2]; !strings.HasPrefix(bottom, "0┤•") {
		t.Errorf("zeros not on the bottom line %q:\n%s", bottom, out)
	}
}

package tabs

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/styles"
)

var titles = []string{"Data", "Lineage", "Runs", "Tuner", "Runners"}

func TestRender(t *testing.T) {
	st := styles.Plain(true)
	cases := []struct {
		width int
		want  string // the bar with ANSI stripped and trailing blanks trimmed
	}{
		{80, " 1 Data │ 2 Lineage │ 3 Runs │ 4 Tuner │ 5 Runners"},
		{45, " Data │ Lineage │ Runs │ Tuner │ Runners"},
		{20, " Data │ Lineage │ R…"},
	}
	for _, c := range cases {
		got := Render(st, titles, 2, c.width)
		if n := ansi.StringWidth(got); n != c.width {
			t.Errorf("width %d: %d cells", c.width, n)
		}
		if s := strings.TrimRight(ansi.Strip(got), " "); s != c.want {
			t.Errorf("width %d: %q, want %q", c.width, s, c.want)
		}
	}
	// Only the active tab is drawn bold and reversed.
	got := Render(st, titles, 2, 80)
	if strings.Count(got, "\x1b[1;7m") != 1 || !strings.Contains(got, "\x1b[1;7m3 Runs") {
		t.Errorf("active tab not marked once: %q", got)
	}
}

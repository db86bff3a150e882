package footer

import (
	"fmt"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/styles"
)

func bindings(prefix string, n int) []key.Binding {
	out := make([]key.Binding, n)
	for i := range out {
		k := fmt.Sprintf("%s%d", prefix, i)
		out[i] = key.NewBinding(key.WithKeys(k), key.WithHelp(k, "does thing "+k))
	}
	return out
}

// At 80 columns a screen with many keys still shows `? more keys` and `q
// quit` in the short help, and its full help shows every key, on more
// rows, instead of cutting columns off with "…".
func TestFooterShowsEveryKeyAt80Columns(t *testing.T) {
	m := New(styles.New(true))
	m.SetWidth(80)
	g := keys.DefaultGlobal(5)
	short := bindings("s", 8)
	full := [][]key.Binding{bindings("a", 5), bindings("b", 4), bindings("c", 6), bindings("d", 3), bindings("e", 5)}

	v := ansi.Strip(m.View(short, full, g))
	if w := lipgloss.Width(v); w > 80 {
		t.Errorf("short help is %d wide:\n%s", w, v)
	}
	for _, want := range []string{"? more keys", "q quit", "s0 does thing s0"} {
		if !strings.Contains(v, want) {
			t.Errorf("short help lacks %q:\n%s", want, v)
		}
	}

	m.Toggle()
	v = ansi.Strip(m.View(short, full, g))
	for _, line := range strings.Split(v, "\n") {
		if w := lipgloss.Width(line); w > 80 {
			t.Errorf("full help line is %d wide: %q", w, line)
		}
	}
	for _, grp := range append(full, g.FullHelp()) {
		for _, b := range grp {
			if h := b.Help(); !strings.Contains(v, h.Key) || !strings.Contains(v, h.Desc) {
				t.Errorf("full help lacks %s %s:\n%s", h.Key, h.Desc, v)
			}
		}
	}
	if strings.Contains(v, "…") {
		t.Errorf("full help cuts columns off:\n%s", v)
	}
}

// Package tabs renders the tab bar: a pure function of the titles, the active
// index and the width.
package tabs

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// Render draws one line, at most width cells wide. Each tab shows its number
// key; when the numbers do not fit they are dropped, then the line is cut.
func Render(st *styles.Styles, titles []string, active, width int) string {
	for _, numbered := range []bool{true, false} {
		line := render(st, titles, active, numbered)
		if ansi.StringWidth(line) <= width {
			return frame.Line(line, width)
		}
	}
	return frame.Line(render(st, titles, active, false), width)
}

func render(st *styles.Styles, titles []string, active int, numbered bool) string {
	var b strings.Builder
	sep := st.TabSep.Render("│")
	for i, t := range titles {
		if i > 0 {
			b.WriteString(sep)
		}
		label := t
		if numbered {
			label = strconv.Itoa(i+1) + " " + t
		}
		if i == active {
			b.WriteString(st.TabActive.Render(label))
		} else {
			b.WriteString(st.TabInactive.Render(label))
		}
	}
	return b.String()
}

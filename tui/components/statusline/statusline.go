// Package statusline renders the bottom status line: workspace name, store
// path (shortened to fit) and runner count.
package statusline

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// Info is what the status line shows.
type Info struct {
	Workspace string
	Store     string
	Runners   int
	Version   string
}

// Render draws one line of exactly width cells. The store path gets whatever
// room the other fields leave, and is shortened from the left to fit.
func Render(st *styles.Styles, in Info, width int) string {
	if width <= 0 {
		return ""
	}
	ws := in.Workspace
	if ws == "" {
		ws = "(no workspace)"
	}
	runners := strconv.Itoa(in.Runners) + " runner"
	if in.Runners != 1 {
		runners += "s"
	}
	right := ""
	if in.Version != "" {
		right = " lathe " + in.Version + " "
	}
	// " ws · store: PATH · N runners " plus the version on the right.
	fixed := " " + ws + " · store " + " · " + runners + " "
	room := width - ansi.StringWidth(fixed) - ansi.StringWidth(right)
	if room < 8 && right != "" {
		right = ""
		room = width - ansi.StringWidth(fixed)
	}
	store := Shorten(in.Store, max(room, 1))

	left := st.StatusLabel.Render(" "+ws) +
		st.StatusValue.Render(" · store "+store+" · "+runners+" ")
	gap := width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 0 {
		return st.Status.Render(frame.Line(ansi.Strip(left), width))
	}
	return left + st.Status.Render(strings.Repeat(" ", gap)+right)
}

// Shorten returns path in at most n cells, keeping its last components (the
// part that tells stores apart) behind "…/"; a base name that alone is too long
// keeps its tail.
func Shorten(path string, n int) string {
	if n <= 0 {
		return ""
	}
	if ansi.StringWidth(path) <= n {
		return path
	}
	parts := strings.Split(path, "/")
	// Keep the longest suffix of whole components that fits after "…/".
	for i := 1; i < len(parts); i++ {
		tail := "…/" + strings.Join(parts[i:], "/")
		if ansi.StringWidth(tail) <= n {
			return tail
		}
	}
	r := []rune(path)
	for len(r) > 0 && ansi.StringWidth("…"+string(r)) > n {
		r = r[1:]
	}
	return "…" + string(r)
}

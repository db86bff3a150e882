package data

import (
	"path/filepath"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/styles"
)

// env is what the screen lends a view to draw or act: the styles, keys and
// body size, the engine and the screen's jobs, and how paths are shown. It
// is built afresh for each call, so a view never keeps a stale one.
type env struct {
	st   *styles.Styles
	keys KeyMap
	w, h int
	eng  *engine.Engine
	jobs *common.Jobs
	// header is the CSV header mode chosen on the screen ("" = the config's).
	header string
}

// root is the workspace's directory; "" without one.
func (e *env) root() string { return e.eng.Info().Root }

func (e *env) rootLabel() string {
	if r := e.root(); r != "" {
		return r
	}
	return "no workspace"
}

// rel shows path, relative to the workspace when it is inside it, on one
// line with control characters escaped: a file's name is anyone's to choose.
func (e *env) rel(path string) string {
	if r := e.root(); r != "" {
		if rel, err := filepath.Rel(r, path); err == nil && !strings.HasPrefix(rel, "..") {
			return format.OneLine(filepath.ToSlash(rel))
		}
	}
	return format.OneLine(path)
}

// readOptions are the readers' options for the workspace's config and the
// header mode chosen on the screen (always a valid one).
func (e *env) readOptions() explore.ReadOptions {
	ro, _ := e.eng.ReadOptionsFor(engine.ReadFlags{Header: e.header})
	return ro
}

// cursor highlights the selected line: the active tab's look without its
// padding, so the line keeps its width.
func (e *env) cursor() lipgloss.Style { return e.st.TabActive.Padding(0) }

// page is how far pgup/pgdn move a scrolled view, listPage a list (the
// file picker, the columns, the rows) under its heading.
func (e *env) page() int     { return max(e.h-3, 1) }
func (e *env) listPage() int { return max(e.h-4, 1) }

func (e *env) errorLines(what string, err error) []string {
	st := e.st
	out := []string{"", " " + st.Error.Render(what+":")}
	for _, l := range wrap(format.OneLine(err.Error()), e.w-4) {
		out = append(out, "   "+st.Text.Render(l))
	}
	return append(out, "", " "+st.Muted.Render("f: pick another file"))
}

// scroller is the first line shown of a view longer than the screen
// (alerts, a column's detail, drift, a split's report).
type scroller struct{ top int }

// update scrolls on the movement keys and reports whether msg was one.
func (s *scroller) update(msg tea.KeyPressMsg, k KeyMap, page int) bool {
	top, ok := k.Move(msg, s.top, page, 1<<30) // the bottom is clamped when drawn
	s.top = max(top, 0)
	return ok
}

// lines shows h lines of lines from the top, clamping it.
func (s *scroller) lines(lines []string, h int) []string { return scrollLines(lines, &s.top, h) }

// scrollLines shows h lines of lines from *top, clamping *top.
func scrollLines(lines []string, top *int, h int) []string {
	*top = clamp(*top, 0, max(len(lines)-h, 0))
	end := min(*top+h, len(lines))
	return lines[*top:end]
}

// listCursor is a cursor over n items of a list h rows high, and the first
// row shown (the file picker, the column list).
type listCursor struct{ cur, top int }

// update moves the cursor on the movement keys and reports whether msg was
// one; the cursor stays within the n items.
func (c *listCursor) update(msg tea.KeyPressMsg, k KeyMap, n, page int) bool {
	cur, ok := k.Move(msg, c.cur, page, n-1)
	c.cur = clamp(cur, 0, n-1)
	return ok
}

// window keeps the cursor within the h rows shown and returns the first.
func (c *listCursor) window(h, n int) int {
	c.top = scrollTop(c.cur, c.top, h, n)
	return c.top
}

// scrollTop keeps cur within a window of h rows starting at top.
func scrollTop(cur, top, h, n int) int {
	if cur < top {
		top = cur
	}
	if cur >= top+h {
		top = cur - h + 1
	}
	return clamp(top, 0, max(n-h, 0))
}

func indent(lines []string) []string {
	for i, l := range lines {
		if l != "" {
			lines[i] = " " + l
		}
	}
	return lines
}

// wrap breaks text into lines of at most w cells at spaces.
func wrap(text string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(text, w, ""), "\n")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

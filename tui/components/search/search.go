// Package search is the `/` search of every list in the TUI (runs, data
// files, lineage nodes, trials, runners): a line typed at the bottom that
// filters the list as it is typed, a case-insensitive substring over the
// row's visible columns. Enter keeps the query and gives the keys back to
// the list, esc clears it. A screen holds one Model per list, asks it
// which rows match (Keep) and draws its Line while editing and its Status
// beside the list's title.
package search

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
	"github.com/lathe-ml/lathe/tui/styles"
)

// Key is the binding that opens the search line.
func Key() key.Binding { return key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")) }

// Model is one list's search. The zero value is an empty, closed search.
type Model struct {
	input   lineinput.Model
	query   string // lower-cased, trimmed
	editing bool
}

// Open starts editing, from the query kept last.
func (m *Model) Open() tea.Cmd {
	m.editing = true
	m.input.CursorEnd()
	return m.input.Focus()
}

// Editing reports whether the search line takes the keys; the screen's
// CapturingInput includes it.
func (m *Model) Editing() bool { return m.editing }

// Active reports whether a query filters the list.
func (m *Model) Active() bool { return m.query != "" }

// Query is the query as typed.
func (m *Model) Query() string { return strings.TrimSpace(m.input.Value()) }

// Clear drops the query and closes the line.
func (m *Model) Clear() {
	m.input.SetValue("")
	m.input.Blur()
	m.query, m.editing = "", false
}

// Set applies a query as if typed and kept (tests, jumps).
func (m *Model) Set(q string) {
	m.input.SetValue(q)
	m.query = strings.ToLower(strings.TrimSpace(q))
}

// Update takes a key while editing: enter keeps the query, esc clears it,
// anything else edits it. changed reports whether the query changed, so
// the list moves its cursor back to the top.
func (m *Model) Update(msg tea.KeyPressMsg) (changed bool) {
	before := m.query
	switch msg.String() {
	case "esc":
		m.Clear()
	case "enter":
		m.editing = false
		m.input.Blur()
	default:
		m.input.Update(msg)
		m.query = strings.ToLower(strings.TrimSpace(m.input.Value()))
	}
	return m.query != before
}

// Match reports whether a row with these columns passes: every row does
// without a query.
func (m *Model) Match(cols ...string) bool {
	if m.query == "" {
		return true
	}
	for _, c := range cols {
		if strings.Contains(strings.ToLower(c), m.query) {
			return true
		}
	}
	return false
}

// Keep returns the indexes of the n rows that match, cols giving row i's
// visible columns. Without a query it is 0..n-1.
func (m *Model) Keep(n int, cols func(i int) []string) []int {
	out := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if m.query == "" || m.Match(cols(i)...) {
			out = append(out, i)
		}
	}
	return out
}

// Line is the bottom line while editing, in w cells.
func (m *Model) Line(st *styles.Styles, w int) string {
	const label = " search: "
	return st.Title.Render(label) + m.input.View(max(w-len(label), 10), st.Text, st.Muted)
}

// Status says what the query keeps ("/relu: 3 of 12"), "" without one.
func (m *Model) Status(shown, total int) string {
	if m.query == "" {
		return ""
	}
	return fmt.Sprintf("/%s: %d of %d", format.Clip(format.OneLine(m.Query()), 24), shown, total)
}

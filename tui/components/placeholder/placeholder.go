// Package placeholder is the body of a screen whose capability has not landed
// yet. It says plainly what will fill the screen, and it already runs the real
// plumbing: a background summary started on activation, cancelled on
// deactivation, and its result routed back by ID.
package placeholder

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
)

// Text is what a placeholder screen says.
type Text struct {
	Capability string   // "dataset profiling"
	Issue      string   // "issue 3 (Explore)"
	Will       []string // what the screen will show, one item a line
}

// KeyMap are the bindings of a placeholder screen.
type KeyMap struct {
	Refresh key.Binding
}

// Model implements the behaviour shared by the placeholder screens.
type Model struct {
	c    *common.Context
	id   common.ScreenID
	text Text
	keys KeyMap
	jobs *common.Jobs

	w, h    int
	pending uint64 // Seq of the summary being fetched; 0 when none
	summary string
	err     error
}

// New returns the placeholder body of screen id.
func New(c *common.Context, id common.ScreenID, text Text, km KeyMap) *Model {
	return &Model{c: c, id: id, text: text, keys: km, jobs: common.NewJobs(c, id)}
}

// ID returns the screen's ID.
func (m *Model) ID() common.ScreenID { return m.id }

// Init has nothing to start: work starts on Activate.
func (m *Model) Init() tea.Cmd { return nil }

// SetSize sets the body size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Activate starts fetching the summary, if the workspace provides one.
func (m *Model) Activate() tea.Cmd { return m.refresh() }

// Deactivate cancels the fetch in flight.
func (m *Model) Deactivate() {
	m.jobs.CancelAll()
	m.pending = 0
}

// Pending is the number of background jobs in flight.
func (m *Model) Pending() int { return m.jobs.Pending() }

// Summary returns the last summary shown and its error.
func (m *Model) Summary() (string, error) { return m.summary, m.err }

func (m *Model) refresh() tea.Cmd {
	fetch := m.c.Options.Summary
	if fetch == nil {
		return nil
	}
	m.jobs.CancelAll() // a newer fetch supersedes the one in flight
	id := m.id
	seq, cmd := m.jobs.Start(func(ctx context.Context) (any, error) {
		return fetch(ctx, id)
	})
	m.pending = seq
	return cmd
}

// Update handles the refresh key and the screen's own results.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.Refresh) {
			return m.refresh()
		}
	case common.ResultMsg:
		if !m.jobs.Accept(msg) {
			return nil // stale: cancelled, superseded or not ours
		}
		m.pending = 0
		m.err = msg.Err
		if s, ok := msg.Payload.(string); ok && msg.Err == nil {
			m.summary = s
		}
	}
	return nil
}

// ShortHelp lists the screen's keys for the footer.
func (m *Model) ShortHelp() []key.Binding {
	if m.c.Options.Summary == nil {
		return nil
	}
	return []key.Binding{m.keys.Refresh}
}

// FullHelp lists the screen's keys for the full footer.
func (m *Model) FullHelp() [][]key.Binding {
	if s := m.ShortHelp(); len(s) > 0 {
		return [][]key.Binding{s}
	}
	return nil
}

// View renders the body within the size last set.
func (m *Model) View() string {
	st := m.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render(m.id.String()))
	b.WriteString("\n\n")
	b.WriteString(st.Text.Render("Not available yet: " + m.text.Capability + " — " + m.text.Issue + "."))
	b.WriteString("\n")
	if len(m.text.Will) > 0 {
		b.WriteString("\n")
		b.WriteString(st.Muted.Render("This screen will show:"))
		for _, w := range m.text.Will {
			b.WriteString("\n")
			b.WriteString(st.Muted.Render("  • " + w))
		}
		b.WriteString("\n")
	}
	switch {
	case m.pending != 0:
		b.WriteString("\n" + st.Muted.Render("Loading workspace summary…"))
	case m.err != nil:
		b.WriteString("\n" + st.Error.Render("Error: "+m.err.Error()))
	case m.summary != "":
		b.WriteString("\n" + st.Text.Render(m.summary))
	}
	// Clip to the box: a wrapped line would push the status line off screen.
	return frame.Fit(indent(b.String()), m.w, m.h)
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = " " + l
		}
	}
	return strings.Join(lines, "\n")
}

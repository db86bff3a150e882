package tui

import (
	"context"
	"errors"
	"os"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/footer"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/statusline"
	"github.com/lathe-ml/lathe/tui/components/tabs"
	"github.com/lathe-ml/lathe/tui/data"
	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/lineage"
	"github.com/lathe-ml/lathe/tui/runners"
	"github.com/lathe-ml/lathe/tui/runs"
	"github.com/lathe-ml/lathe/tui/styles"
	"github.com/lathe-ml/lathe/tui/tuner"
)

// Options are what the caller knows about the workspace; see common.Options.
type Options = common.Options

// Model is the root router: it owns the global keys, the layout, the tab bar,
// status line and footer, and forwards everything else to the active screen
// (soft-serve pkg/ssh/ui.go). Results of background work go to the screen
// they are addressed to, whichever is visible.
type Model struct {
	c       *common.Context
	screens []common.Screen
	active  int
	footer  footer.Model

	isDark  bool
	noColor bool
	charset string // chart charset (Charset)
	bodyH   int
	footerH int
}

// New returns the root model for one program.
func New(opts Options) tea.Model { return NewWithContext(context.Background(), opts) }

// NewWithContext returns the root model whose screens' background work is
// cancelled when ctx is (the SSH server passes the session's context).
func NewWithContext(ctx context.Context, opts Options) tea.Model {
	return newModel(ctx, opts)
}

func newModel(ctx context.Context, opts Options) *Model {
	m := &Model{isDark: true, noColor: opts.NoColor, charset: opts.Charset}
	st := m.buildStyles()
	// Five screens; the keymap numbers them.
	m.c = common.NewContext(ctx, opts, st, keys.DefaultGlobal(5))
	m.screens = []common.Screen{
		data.New(m.c), lineage.New(m.c), runs.New(m.c), tuner.New(m.c), runners.New(m.c),
	}
	m.footer = footer.New(st)
	return m
}

// Run runs the TUI on the current terminal in the alt screen until the user
// quits or ctx is cancelled; the terminal is restored either way.
func Run(ctx context.Context, opts Options) error {
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	if opts.Charset == "" {
		opts.Charset = Charset(os.Getenv)
	}
	return run(ctx, opts)
}

func run(ctx context.Context, opts Options, popts ...tea.ProgramOption) error {
	// A cancelled ctx quits the program the graceful way rather than through
	// tea.WithContext: a killed program closes its input reader without
	// waiting for the read loop (bubbletea v2.1.1 Program.shutdown(kill)),
	// which the race detector reports.
	p := tea.NewProgram(NewWithContext(ctx, opts), popts...)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			p.Quit()
		case <-done:
		}
	}()
	_, err := p.Run()
	if err != nil && ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
		return nil // the caller cancelled: not a failure of the TUI
	}
	return err
}

func (m *Model) buildStyles() *styles.Styles {
	st := styles.New(m.isDark)
	if m.noColor {
		st = styles.Plain(m.isDark)
	}
	st.Charset = m.charset
	return st
}

// Charset is the chart charset a program's environment asks for:
// LATHE_CHARSET (braille, box or ascii) when set, else ascii when the locale
// (LC_ALL, then LC_CTYPE, then LANG) is set and is not UTF-8, else braille.
func Charset(getenv func(string) string) string {
	switch strings.ToLower(strings.TrimSpace(getenv("LATHE_CHARSET"))) {
	case "ascii":
		return "ascii"
	case "box":
		return "box"
	case "braille", "utf-8", "utf8":
		return ""
	}
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(k); v != "" {
			l := strings.ToLower(v)
			if strings.Contains(l, "utf-8") || strings.Contains(l, "utf8") {
				return ""
			}
			return "ascii"
		}
	}
	return ""
}

func (m *Model) restyle() {
	st := m.buildStyles()
	m.c.Styles = st
	m.footer.SetStyles(st)
}

// Init asks the terminal for its background colour and activates the first
// screen.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	for _, s := range m.screens {
		cmds = append(cmds, s.Init())
	}
	cmds = append(cmds, m.screens[m.active].Activate())
	return tea.Batch(cmds...)
}

// Update routes a message: global keys and layout here, results to their
// screen, everything else to the active screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	g := m.c.Keys
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.restyle()
		return m, nil
	case tea.EnvMsg:
		// The program's environment: the local one, or the SSH session's.
		restyle := false
		if msg.Getenv("NO_COLOR") != "" && !m.noColor {
			m.noColor, restyle = true, true
		}
		if cs := Charset(msg.Getenv); cs != m.charset {
			m.charset, restyle = cs, true
		}
		if restyle {
			m.restyle()
		}
		return m, nil
	case common.JumpMsg:
		for i, s := range m.screens {
			if s.ID() == msg.Screen {
				cmd := m.switchTo(i)
				var cmd2 tea.Cmd
				m.screens[i], cmd2 = m.screens[i].Update(msg)
				return m, tea.Batch(cmd, cmd2)
			}
		}
		return m, nil
	case common.ResultMsg:
		for i, s := range m.screens {
			if s.ID() == msg.Screen {
				var cmd tea.Cmd
				m.screens[i], cmd = s.Update(msg)
				return m, cmd
			}
		}
		return m, nil
	case tea.KeyPressMsg:
		// A screen editing text (a filter, a form) gets every key but ctrl+c,
		// so typing "q" or "3" neither quits nor switches tabs.
		if in, ok := m.screens[m.active].(inputCapturer); ok && in.CapturingInput() && msg.String() != "ctrl+c" {
			break
		}
		switch {
		case msg.String() == "esc" && m.footer.ShowAll():
			// Esc closes the full help only; the screen under it keeps its state.
			m.footer.Toggle()
			m.layout()
			return m, nil
		case key.Matches(msg, g.Quit):
			m.screens[m.active].Deactivate()
			return m, tea.Quit
		case key.Matches(msg, g.Help):
			m.footer.Toggle()
			m.layout()
			return m, nil
		case key.Matches(msg, g.NextTab):
			return m, m.switchTo((m.active + 1) % len(m.screens))
		case key.Matches(msg, g.PrevTab):
			return m, m.switchTo((m.active + len(m.screens) - 1) % len(m.screens))
		}
		for i, b := range g.Tabs {
			if key.Matches(msg, b) && i < len(m.screens) {
				return m, m.switchTo(i)
			}
		}
	}
	var cmd tea.Cmd
	m.screens[m.active], cmd = m.screens[m.active].Update(msg)
	return m, cmd
}

// inputCapturer is implemented by screens that sometimes edit text.
type inputCapturer interface{ CapturingInput() bool }

// switchTo makes screen i the visible one, cancelling the old one's work.
func (m *Model) switchTo(i int) tea.Cmd {
	if i == m.active {
		return nil
	}
	m.screens[m.active].Deactivate()
	m.active = i
	m.layout() // the footer's height follows the new screen's keys
	return m.screens[i].Activate()
}

// Active returns the ID of the visible screen.
func (m *Model) Active() common.ScreenID { return m.screens[m.active].ID() }

// layout recomputes the sizes of the parts; called on resize and help toggle.
func (m *Model) layout() {
	w, h := m.c.Width, m.c.Height
	m.footer.SetWidth(w)
	// Tab bar and status line take a line each; the footer gets what its help
	// needs, but never more than leaves the body one line.
	m.footerH = min(lipgloss.Height(m.footerView()), max(h-3, 0))
	m.bodyH = max(h-2-m.footerH, 0)
	for _, s := range m.screens {
		s.SetSize(w, m.bodyH)
	}
}

func (m *Model) footerView() string {
	s := m.screens[m.active]
	if in, ok := s.(inputCapturer); ok && in.CapturingInput() {
		// Every key goes to the editor (see Update): offer only its keys.
		return m.footer.View(s.ShortHelp(), s.FullHelp(), keys.Global{})
	}
	return m.footer.View(s.ShortHelp(), s.FullHelp(), m.c.Keys)
}

// View draws the tab bar, the active screen, the status line and the footer:
// exactly the terminal's height, no line wider than it.
func (m *Model) View() tea.View {
	w, h := m.c.Width, m.c.Height
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "lathe"
	info := m.c.Engine().Info()
	if n := info.Name; n != "" {
		v.WindowTitle = "lathe · " + n
	}
	if w <= 0 || h <= 0 {
		return v
	}
	st := m.c.Styles
	titles := make([]string, len(m.screens))
	for i, s := range m.screens {
		titles[i] = s.ID().String()
	}
	parts := []string{tabs.Render(st, titles, m.active, w)}
	if m.bodyH > 0 {
		parts = append(parts, frame.Fit(m.screens[m.active].View(), w, m.bodyH))
	}
	parts = append(parts, statusline.Render(st, statusline.Info{
		Workspace: info.Name, Store: info.StorePath, Runners: len(m.c.Engine().RunnerNames()), Version: m.c.Options.Version,
	}, w))
	if m.footerH > 0 {
		parts = append(parts, frame.Fit(m.footerView(), w, m.footerH))
	}
	v.SetContent(frame.Fit(strings.Join(parts, "\n"), w, h))
	return v
}

// Package common holds what the router and every screen share within one TUI
// program: the Context (size, styles, keys, options, ID issuing), the Screen
// interface, and the ID-addressed result envelope. One Context exists per
// program, so SSH sessions served from one process never share state.
package common

import (
	"context"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/styles"
)

// ScreenID names a screen; it addresses async results to their owner.
type ScreenID int

// The screens, in tab order.
const (
	Data ScreenID = iota
	Lineage
	Runs
	Tuner
	Runners
)

// String returns the tab title of the screen.
func (id ScreenID) String() string {
	switch id {
	case Data:
		return "Data"
	case Lineage:
		return "Lineage"
	case Runs:
		return "Runs"
	case Tuner:
		return "Tuner"
	case Runners:
		return "Runners"
	}
	return "Screen?"
}

// Options are what the caller (the CLI or the SSH server) knows about the
// workspace, and the handles on the domain services the screens call. The
// handles are shared by every program of one process (SSH sessions), so they
// must be safe for concurrent use; nil handles mean "not available" and a
// screen says so rather than failing.
type Options struct {
	// Workspace is the open workspace (store and object store); nil in tests
	// that need no domain data.
	Workspace *experiments.Workspace
	// Config is the merged configuration the workspace was opened with.
	Config *config.Config
	// Engine launches, follows and stops runs and probes runners; shared by
	// every program of the process. nil in tests that need no runs.
	Engine *engine.Engine

	WorkspaceName string
	WorkspaceRoot string
	StorePath     string
	RunnerCount   int
	Version       string
	// NoColor starts the program without colour. The router also turns colour
	// off when the program's environment (local, or the SSH session's) has a
	// non-empty NO_COLOR.
	NoColor bool
	// Summary, when set, is run in the background each time a screen becomes
	// active, with a context cancelled when the user leaves the screen; its
	// text is shown on the screen. It is the seam the domain services plug
	// into until each screen gets its own.
	Summary func(ctx context.Context, screen ScreenID) (string, error)
}

// Context is shared by pointer between the router and the screens of one
// program. Only the router writes its fields, from Update.
type Context struct {
	Width, Height int // the whole terminal
	Styles        *styles.Styles
	Keys          keys.Global
	Options       Options

	base context.Context
	seq  atomic.Uint64
}

// NewContext returns a Context whose background work is cancelled when base is.
func NewContext(base context.Context, opts Options, st *styles.Styles, k keys.Global) *Context {
	if base == nil {
		base = context.Background()
	}
	return &Context{Styles: st, Keys: k, Options: opts, base: base}
}

// Base is the program's context: background work derives from it.
func (c *Context) Base() context.Context { return c.base }

// NextSeq issues a sequence number unique within this program.
func (c *Context) NextSeq() uint64 { return c.seq.Add(1) }

// Screen is one tab of the TUI. Update returns the screen itself (screens are
// pointers), so the router never needs a type assertion.
type Screen interface {
	ID() ScreenID
	Init() tea.Cmd
	Update(msg tea.Msg) (Screen, tea.Cmd)
	// View renders exactly the size last given to SetSize, or less.
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Activate is called when the screen becomes the visible tab; it may start
	// background work. Deactivate cancels that work.
	Activate() tea.Cmd
	Deactivate()
}

// ResultMsg carries the outcome of background work to the screen that started
// it. The router delivers it to Screen only, whichever tab is visible; the
// screen drops it unless Seq is still live (see Jobs.Accept).
type ResultMsg struct {
	Screen  ScreenID
	Seq     uint64
	Payload any
	Err     error
}

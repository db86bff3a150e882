// Package common holds what the router and every screen share within one TUI
// program: the Context (size, styles, keys, the engine, ID issuing), the
// Screen interface, and the ID-addressed result envelope. One Context exists per
// program, so SSH sessions served from one process never share state.
package common

import (
	"context"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
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

// Options are what the caller (the CLI or the SSH server) gives a program.
type Options struct {
	// Engine is the one door to the workspace: data, runs, studies, lineage
	// and runners all go through it, and no screen holds the store. It is
	// shared by every program of one process (SSH sessions), so it is safe
	// for concurrent use. nil means an engine without a workspace, whose
	// operations say there is none.
	Engine *engine.Engine
	// Version is lathe's version, for the status line.
	Version string
	// Charset starts the program's charts in a charset ("" braille, "box",
	// "ascii"; see tui.Charset); the session's environment may change it.
	Charset string
	// NoColor starts the program without colour. The router also turns colour
	// off when the program's environment (local, or the SSH session's) has a
	// non-empty NO_COLOR.
	NoColor bool
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

// NewContext returns a Context whose background work is cancelled when base
// is. A nil Options.Engine becomes an engine without a workspace.
func NewContext(base context.Context, opts Options, st *styles.Styles, k keys.Global) *Context {
	if base == nil {
		base = context.Background()
	}
	if opts.Engine == nil {
		opts.Engine = engine.WithoutWorkspace(nil, engine.Options{Version: opts.Version})
	}
	return &Context{Styles: st, Keys: k, Options: opts, base: base}
}

// Engine is the program's engine; never nil.
func (c *Context) Engine() *engine.Engine { return c.Options.Engine }

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

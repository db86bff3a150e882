// Package tui is the Bubble Tea application: a root router with the tab bar,
// status line and footer, and one sub-package per screen. It holds no business
// logic: every screen holds only the *engine.Engine (common.Options) and calls
// the same engine methods as the command line; it shares the domain's types
// but calls none of its functions (engine/arch_test.go fails otherwise).
//
// Layout:
//   - tui: the router (Model), New/NewWithContext and Run.
//   - tui/common: the per-program Context (size, styles, keys, the engine, ID
//     issuing), the Screen interface, ResultMsg and Jobs.
//   - tui/styles, tui/keys: semantic styles from a palette; the global keymap
//     and the movement keys (keys.Nav) every screen's KeyMap embeds.
//   - tui/components/{tabs,statusline,footer,frame,chart,scatter,spark,rowtable,lineinput}: widgets.
//   - tui/{data,lineage,runs,tuner,runners}: one package per screen. A screen
//     with several views is a router between components that each own their
//     state, keys and view (runs: list, launch line, detail, diff page; data:
//     picker, columns, column detail, alerts, rows, drift, split).
//   - tui/serve: the same TUI over SSH (wish), one program per session.
//   - tui/internal/tuitest: what the screens' tests share (key presses,
//     frame bounds, settling commands, golden files with -update, an engine
//     on a fresh workspace, the escaped-text check); tests only.
//
// A screen does I/O only in commands started through its common.Jobs: each
// job's context is cancelled when the user leaves the screen (Deactivate) or
// the program ends, and its ResultMsg is delivered to the screen named in it,
// which drops it unless Jobs.Accept says it is still live. Nothing in these
// packages is package-level mutable state: one process serves many SSH
// sessions.
//
// Imports: engine, format, the domain packages' types, and the charm.land
// libraries; never cmd.
package tui

// Package tui is the Bubble Tea application: a root router with the tab bar,
// status line and footer, and one sub-package per screen. It holds no business
// logic; it calls the same domain packages as the command line.
package tui

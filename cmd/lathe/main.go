// Command lathe is the terminal workstation for ML experiments and data
// exploration. This package only parses flags and prints: every operation is
// an engine method (engine/arch_test.go fails when a command calls a domain
// function), exit codes are mapped in one place (app.go), and progress goes
// to stderr through the engine's Progress (progress.go).
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

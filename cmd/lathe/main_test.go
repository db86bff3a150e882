package main

import (
	"os"
	"testing"
)

// TestMain makes this test binary lathe itself when a local run launches
// it: the engine runs os.Executable for a command whose program is
// "lathe" (the demo's `lathe trainer ...`), which in-process tests such as
// `lathe demo` reach.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "trainer" {
		os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

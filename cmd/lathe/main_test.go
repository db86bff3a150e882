package main

import (
	"os"
	"testing"

	"github.com/lathe-ml/lathe/internal/kubetest"
)

// TestMain makes this test binary lathe itself when a local run launches
// it: the engine runs os.Executable for a command whose program is
// "lathe" (the demo's `lathe trainer ...`), which in-process tests such as
// `lathe demo` reach.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "trainer" {
		os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	kubetest.Stop() // the API server and etcd, when a test started them
	os.Exit(code)
}

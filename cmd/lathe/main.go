// Command lathe is the terminal workstation for ML experiments and data
// exploration. This package only parses flags and prints; the work happens in
// the domain packages.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

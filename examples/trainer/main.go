// Command trainer is Lathe's example training program: softmax regression or
// a small MLP on Palmer penguins, printing one JSON metrics line per epoch
// (see package train). `make image` puts it into a FROM-scratch image.
package main

import (
	"os"

	"github.com/lathe-ml/lathe/examples/trainer/train"
)

func main() {
	os.Exit(train.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

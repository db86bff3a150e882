package demo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lathe-ml/lathe/engine"
)

// The shipped studies parse as specs (with the optimizer's own parser), and
// Ensure writes them with the README.
func TestShippedStudiesParse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	t.Setenv("HOME", t.TempDir())
	if err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"README.md", "studies/penguins-mlp.yaml", "studies/penguins-mlp-docker.yaml", "studies/penguins-quick.yaml", "data/penguins.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo lacks %s", f)
		}
	}
	for _, name := range []string{"penguins-mlp", "penguins-mlp-docker"} {
		sp, err := engine.ParseStudySpec(filepath.Join(dir, "studies", name+".yaml"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sp.Name != name || len(sp.Parameters) != 3 || len(sp.Metrics) != 4 {
			t.Errorf("%s parsed as %+v", name, sp)
		}
	}
}

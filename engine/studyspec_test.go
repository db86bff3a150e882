package engine

import (
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// The DESIGN §3 example parses into the search space and the launch template.
func TestParseStudySpecDesignExample(t *testing.T) {
	s, err := ParseStudySpec("testdata/penguins.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "penguins-mlp" || s.Runner != "docker" || s.Image != "lathe-trainer:dev" || len(s.Command) != 4 ||
		s.Inputs["val"] != "data/val.csv" || s.ObservationBudget != 60 || s.ParallelBandwidth != 4 || s.Seed != 7 {
		t.Fatalf("top-level fields: %+v", s)
	}
	if len(s.Parameters) != 3 || len(s.Metrics) != 4 {
		t.Fatalf("search space: %+v", s.Spec)
	}
}

// Launch keys keep file:line errors, and an unknown key lists them as valid.
func TestParseStudySpecErrors(t *testing.T) {
	base := "name: s\nparameters: [{name: x, type: double, bounds: {min: 0, max: 1}}]\nmetrics: [{name: y, objective: minimize}]\n"
	cases := []struct{ text, want string }{
		{base + "command: 3\n", "s.yaml:4"},
		{base + "inputs: [a, b]\n", "s.yaml:4"},
		{base + "runnr: local\n", "runner"},
	}
	for _, c := range cases {
		_, err := ParseStudySpecBytes("s.yaml", []byte(c.text))
		if !config.IsInput(err) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "s.yaml") {
			t.Errorf("%q: got %v, want an input error naming s.yaml and %q", c.text, err, c.want)
		}
	}
}

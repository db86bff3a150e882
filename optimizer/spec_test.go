package optimizer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// The DESIGN §3 example parses into the expected values.
func TestParseSpecDesignExample(t *testing.T) {
	// runner, image, command and inputs are the engine's launch template
	// (engine.TestParseStudySpecDesignExample checks them).
	data, err := os.ReadFile("testdata/penguins.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := DecodeSpecDoc("penguins.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpecNode("penguins.yaml", doc, "runner", "image", "command", "inputs")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "penguins-mlp" || s.ObservationBudget != 60 || s.ParallelBandwidth != 4 || s.Seed != 7 {
		t.Fatalf("top-level fields: %+v", s)
	}
	lr := s.Parameters[0]
	if lr.Type != TypeDouble || lr.Bounds.Min != 1e-4 || lr.Bounds.Max != 0.3 || lr.Transformation != "log" {
		t.Fatalf("lr: %+v", lr)
	}
	if got := s.Parameters[2].CategoricalValues; len(got) != 2 || got[1] != "tanh" {
		t.Fatalf("activation values %v", got)
	}
	if m := s.Metrics[1]; m.Threshold == nil || *m.Threshold != 50000 || m.strategy() != StrategyOptimize {
		t.Fatalf("model_params: %+v", m)
	}
	if m := s.Metrics[3]; m.strategy() != StrategyStore || m.Objective != "" {
		t.Fatalf("train_seconds: %+v", m)
	}
	if s.EarlyStopping == nil || s.EarlyStopping.Rule != "median" || s.EarlyStopping.MinSteps != 3 {
		t.Fatalf("early stopping %+v", s.EarlyStopping)
	}
}

// JSON specs parse the same way.
func TestParseSpecJSON(t *testing.T) {
	js := `{"name": "j", "parameters": [{"name": "x", "type": "int", "bounds": {"min": 1, "max": 8}}],
 "metrics": [{"name": "loss", "objective": "minimize"}], "seed": 3}`
	s, err := ParseSpecBytes("s.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if s.Parameters[0].Bounds.Max != 8 || s.Metrics[0].strategy() != StrategyOptimize || s.Seed != 3 {
		t.Fatalf("%+v", s)
	}
}

// Each invalid spec is an InputError naming the field and, from a file, the line.
func TestParseSpecErrors(t *testing.T) {
	head := "name: s\n"
	okParams := "parameters:\n  - {name: x, type: double, bounds: {min: 0, max: 1}}\n"
	okMetrics := "metrics:\n  - {name: loss, objective: minimize}\n"
	cases := []struct {
		name, text, field string
		line              int
	}{
		{"min >= max", head + "parameters:\n  - {name: x, type: double, bounds: {min: 2, max: 1}}\n" + okMetrics, "parameters[0].bounds.min", 3},
		{"log min <= 0", head + "parameters:\n  - name: x\n    type: double\n    bounds: {min: 0, max: 1}\n    transformation: log\n" + okMetrics, "parameters[0].bounds.min", 5},
		{"empty categories", head + "parameters:\n  - {name: c, type: categorical, categorical_values: []}\n" + okMetrics, "parameters[0].categorical_values", 3},
		{"duplicate names", head + "parameters:\n  - {name: x, type: double, bounds: {min: 0, max: 1}}\n  - {name: x, type: int, bounds: {min: 0, max: 3}}\n" + okMetrics, "parameters[1].name", 4},
		{"no objective", head + okParams + "metrics:\n  - {name: loss, strategy: optimize}\n", "metrics[0].objective", 0},
		{"no optimize metric", head + okParams + "metrics:\n  - {name: t, strategy: store}\n", "metrics", 5},
		{"unknown key", head + okParams + okMetrics + "budget: 3\n", "budget", 6},
		{"unknown nested key", head + "parameters:\n  - {name: x, type: double, bounds: {min: 0, max: 1, step: 2}}\n" + okMetrics, "parameters[0].bounds.step", 3},
		{"unknown type", head + "parameters:\n  - {name: x, type: float, bounds: {min: 0, max: 1}}\n" + okMetrics, "parameters[0].type", 3},
		{"wrong type", head + "parameters:\n  - {name: x, type: double, bounds: {min: low, max: 1}}\n" + okMetrics, "", 3},
		{"constraint without threshold", head + okParams + okMetrics + "  - {name: ms, objective: minimize, strategy: constraint}\n", "metrics[1].threshold", 0},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, ie, err := specInputError(t, dir, c.name, c.text)
			if ie.Field != c.field || ie.File != path {
				t.Fatalf("field %q file %q, want %q in %s (%v)", ie.Field, ie.File, c.field, path, err)
			}
			if c.line > 0 && ie.Line != c.line {
				t.Fatalf("line %d, want %d (%v)", ie.Line, c.line, err)
			}
		})
	}
	// A spec built in Go is validated too.
	if err := (Spec{Name: "x"}).Validate(); !config.IsInput(err) {
		t.Fatalf("empty spec: %v", err)
	}
}

// specInputError writes text to a spec file named after name in dir and
// parses it; it fails t unless ParseSpec returns a *config.InputError, and
// returns the file's path, that error and ParseSpec's error as returned.
func specInputError(t *testing.T, dir, name, text string) (string, *config.InputError, error) {
	t.Helper()
	path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseSpec(path)
	var ie *config.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *config.InputError, got %v", err)
	}
	return path, ie, err
}

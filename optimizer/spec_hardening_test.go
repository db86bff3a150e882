package optimizer

import (
	"strings"
	"testing"
)

// Issue 11 item 6: specs a careless user or an attacker writes are refused
// with an InputError that names the file, line and field (exit 2), instead of
// being truncated, renamed or accepted and failing later.
func TestParseSpecRefusesUnsafeOrSilentlyChanged(t *testing.T) {
	metrics := "metrics:\n  - {name: loss, objective: minimize}\n"
	param := "parameters:\n  - {name: x, type: double, bounds: {min: 0, max: 1}}\n"
	cases := []struct {
		name, text, field, msg string
		line                   int
	}{
		{"bounds overflow", "name: s\nparameters:\n  - {name: x, type: double, bounds: {min: -1e308, max: 1e308}}\n" + metrics,
			"parameters[0].bounds", "wider than", 3},
		{"fractional budget", "name: s\n" + param + metrics + "observation_budget: 2.5\n", "observation_budget", "whole number", 6},
		{"fractional budget json", `{"name": "s", "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
 "metrics": [{"name": "l", "objective": "minimize"}], "observation_budget": 2.5}`, "observation_budget", "whole number", 2},
		{"zero budget", "name: s\n" + param + metrics + "observation_budget: 0\n", "observation_budget", ">= 1", 6},
		{"zero bandwidth", "name: s\n" + param + metrics + "parallel_bandwidth: 0\n", "parallel_bandwidth", ">= 1", 6},
		{"huge bandwidth", "name: s\n" + param + metrics + "parallel_bandwidth: 1000000000\n", "parallel_bandwidth", "at most", 6},
		{"path study name", "name: ../../etc\n" + param + metrics, "name", "letters, digits", 1},
		{"shell parameter name", "name: s\nparameters:\n  - {name: \"a b;rm -rf\", type: double, bounds: {min: 0, max: 1}}\n" + metrics,
			"parameters[0].name", "letters, digits", 3},
		{"colliding parameter names", "name: s\nparameters:\n  - {name: a.b, type: double, bounds: {min: 0, max: 1}}\n  - {name: a_b, type: double, bounds: {min: 0, max: 1}}\n" + metrics,
			"parameters[1].name", "LATHE_PARAM_A_B", 4},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, ie, _ := specInputError(t, dir, c.name, c.text)
			if ie.Field != c.field || ie.File != path || ie.Line != c.line || !strings.Contains(ie.Msg, c.msg) {
				t.Fatalf("got field %q line %d msg %q; want field %q line %d, a message with %q", ie.Field, ie.Line, ie.Msg, c.field, c.line, c.msg)
			}
		})
	}
}

// Valid neighbours of the refused cases still parse, unchanged.
func TestParseSpecAcceptsSafeEdges(t *testing.T) {
	text := "name: penguins-mlp_v2.1\nparameters:\n  - {name: model.lr, type: double, bounds: {min: -1e300, max: 1e300}}\n" +
		"  - {name: n_layers, type: int, bounds: {min: 1, max: 4}}\nmetrics:\n  - {name: loss, objective: minimize}\n" +
		"observation_budget: 60.0\nparallel_bandwidth: 1000\n"
	s, err := ParseSpecBytes("ok.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.ObservationBudget != 60 || s.ParallelBandwidth != 1000 || s.Parameters[0].Name != "model.lr" {
		t.Fatalf("%+v", s)
	}
}

// Bounds as wide as float64 allows still give distinct suggestions: the
// second ask of such a study said "search space exhausted" when the width
// overflowed to +Inf.
func TestWideBoundsDistinctSuggestions(t *testing.T) {
	spec := Spec{Name: "wide", Seed: 1, Parameters: []Parameter{{Name: "x", Type: TypeDouble, Bounds: &Bounds{Min: -1e307, Max: 1e307}}},
		Metrics: []Metric{{Name: "y", Objective: Minimize}}}
	s, err := NewStudy(spec)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.Ask(3)
	if err != nil || len(ts) != 3 {
		t.Fatalf("ask: %v (%d trials)", err, len(ts))
	}
	if ts[0].Params["x"] == ts[1].Params["x"] {
		t.Fatalf("duplicate suggestions %v", ts)
	}
}

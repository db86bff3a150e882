package optimizer

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
)

// maxParallelBandwidth bounds parallel_bandwidth: a study asks that many
// trials at once, and each is a run the engine holds open.
const maxParallelBandwidth = 1000

// maxNameLen bounds study and parameter names (they become file names,
// store keys and environment variable names).
const maxNameLen = 128

// wholeNumberFields are the spec's integer fields. YAML decoding truncates
// 2.5 to 2 without a word, so the parser checks the node first.
func wholeNumberFields() []string {
	return []string{"observation_budget", "parallel_bandwidth", "seed", "early_stopping.min_steps",
		"early_stopping.max_steps", "early_stopping.reduction_factor"}
}

// positiveIfGiven are fields whose zero value means "not set" in Go but
// which a user who writes them explicitly as 0 almost certainly got wrong.
func positiveIfGiven() []string {
	return []string{"observation_budget", "parallel_bandwidth"}
}

// checkNumbers refuses non-integral values for integer fields and explicit
// zeros where zero is not a valid setting.
func checkNumbers(file string, pos positions) error {
	for _, f := range wholeNumberFields() {
		n := pos[f]
		if n == nil || n.Kind != yaml.ScalarNode {
			continue
		}
		if n.Tag == "!!float" {
			v, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return &config.InputError{File: file, Line: n.Line, Column: n.Column, Field: f,
					Msg: fmt.Sprintf("must be a whole number, got %s", n.Value)}
			}
		}
	}
	for _, f := range positiveIfGiven() {
		n := pos[f]
		if n == nil || n.Kind != yaml.ScalarNode {
			continue
		}
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && v == 0 {
			return &config.InputError{File: file, Line: n.Line, Column: n.Column, Field: f,
				Msg: "must be >= 1 (leave it out for the default)"}
		}
	}
	return nil
}

// validName reports whether s is safe as a file name, a store key and an
// identifier: letters, digits, '_', '-' and '.', starting with a letter or
// digit ('_' too for parameters), never "." or "..".
func validName(s string, allowUnderscoreStart bool) bool {
	if s == "" || len(s) > maxNameLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum && !(allowUnderscoreStart && c == '_') {
			return false
		}
		if !alnum && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// envName is the environment variable suffix a run sees for a parameter
// (LATHE_PARAM_<NAME>, the runners' EnvName rule), for collision checks.
func envName(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// checkNames validates the study name and the parameter names.
func (s Spec) checkNames() error {
	if !validName(s.Name, false) {
		return inErr("name", "study name %q must be 1 to %d letters, digits, '_', '-' or '.', starting with a letter or digit (it names files and store keys)", s.Name, maxNameLen)
	}
	env := map[string]string{}
	for i, p := range s.Parameters {
		f := fmt.Sprintf("parameters[%d].name", i)
		if p.Name == "" {
			continue // reported by validate
		}
		if !validName(p.Name, true) {
			return inErr(f, "parameter name %q must be 1 to %d letters, digits, '_', '-' or '.', starting with a letter, digit or '_' (it is passed to runs as LATHE_PARAM_<NAME> and in command templates)", p.Name, maxNameLen)
		}
		e := envName(p.Name)
		if other, ok := env[e]; ok && other != p.Name {
			return inErr(f, "parameter names %q and %q both become LATHE_PARAM_%s; rename one", other, p.Name, e)
		}
		env[e] = p.Name
	}
	return nil
}

// checkBounds refuses bounds whose width overflows float64 (every value then
// encodes to the same point and the second ask found the space exhausted).
func checkBounds(f string, b Bounds) error {
	if w := b.Max - b.Min; math.IsInf(w, 0) {
		return inErr(f+".bounds", "bounds [%g, %g] are wider than a float64 can span (max − min overflows); narrow them or use transformation: log", b.Min, b.Max)
	}
	return nil
}

// UnmarshalYAML accepts a scalar or a list of scalars.
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*v = Values{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Values, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: condition values must be scalars", c.Line)
			}
			out = append(out, c.Value)
		}
		*v = out
		return nil
	}
	return fmt.Errorf("line %d: condition must be a value or a list of values", n.Line)
}

// UnmarshalJSON accepts a string or a list of strings.
func (v *Values) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*v = Values{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*v = many
	return nil
}

// checkConditions: each condition names an unconditional categorical
// parameter and some of its values.
func (s Spec) checkConditions() error {
	byName := map[string]Parameter{}
	for _, p := range s.Parameters {
		byName[p.Name] = p
	}
	for i, p := range s.Parameters {
		for _, parent := range format.SortedKeys(p.Conditions) {
			f := fmt.Sprintf("parameters[%d].conditions", i)
			q, ok := byName[parent]
			switch {
			case !ok:
				return inErr(f, "condition on %q, which is not a parameter", parent)
			case parent == p.Name:
				return inErr(f, "parameter %q cannot be conditional on itself", p.Name)
			case q.Type != TypeCategorical:
				return inErr(f, "condition on %q, which is %s; conditions name categorical parameters", parent, q.Type)
			case len(q.Conditions) > 0:
				return inErr(f, "condition on %q, which is conditional itself; nesting is not supported", parent)
			}
			vals := p.Conditions[parent]
			if len(vals) == 0 {
				return inErr(f, "condition on %q lists no values", parent)
			}
			for _, v := range vals {
				if !contains(q.CategoricalValues, v) {
					return inErr(f, "%q is not a value of %s (%v)", v, parent, q.CategoricalValues)
				}
			}
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (es EarlyStopping) validate() error {
	switch es.Rule {
	case "median", "asha", "hyperband":
	default:
		return inErr("early_stopping.rule", "unknown rule %q; valid: median, asha, hyperband", es.Rule)
	}
	if es.MinSteps < 0 {
		return inErr("early_stopping.min_steps", "must be >= 0")
	}
	if es.MaxSteps < 0 || (es.MaxSteps > 0 && es.MaxSteps < max(1, es.MinSteps)) {
		return inErr("early_stopping.max_steps", "must be >= min_steps (%d), got %d", es.MinSteps, es.MaxSteps)
	}
	if es.ReductionFactor != 0 && es.ReductionFactor < 2 {
		return inErr("early_stopping.reduction_factor", "must be >= 2, got %d", es.ReductionFactor)
	}
	if es.Rule == "median" && (es.MaxSteps != 0 || es.ReductionFactor != 0) {
		return inErr("early_stopping.rule", "max_steps and reduction_factor apply to asha and hyperband, not median")
	}
	if es.Rule == "hyperband" && es.MaxSteps == 0 {
		return inErr("early_stopping.max_steps", "hyperband needs max_steps (the full training length)")
	}
	return nil
}

package optimizer

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lathe-ml/lathe/config"
)

// Parameter types, objectives and strategies use SigOpt's vocabulary (DESIGN §3).
const (
	TypeDouble      = "double"
	TypeInt         = "int"
	TypeCategorical = "categorical"

	Maximize = "maximize"
	Minimize = "minimize"

	StrategyOptimize   = "optimize"
	StrategyConstraint = "constraint"
	StrategyStore      = "store"
)

// Bounds is a closed numeric interval.
type Bounds struct {
	Min float64 `json:"min" yaml:"min"`
	Max float64 `json:"max" yaml:"max"`
}

// Parameter is one dimension of the search space.
type Parameter struct {
	Name              string   `json:"name" yaml:"name"`
	Type              string   `json:"type" yaml:"type"`
	Bounds            *Bounds  `json:"bounds,omitempty" yaml:"bounds,omitempty"`
	Transformation    string   `json:"transformation,omitempty" yaml:"transformation,omitempty"` // "" or "log"
	CategoricalValues []string `json:"categorical_values,omitempty" yaml:"categorical_values,omitempty"`
	// Conditions make the parameter active only when each named categorical
	// parameter takes one of the listed values (SigOpt's conditionals),
	// e.g. conditions: {optimizer: sgd}. An inactive parameter is absent
	// from the trial's params.
	Conditions map[string]Values `json:"conditions,omitempty" yaml:"conditions,omitempty"`
}

// Values is a list of categorical values, written as a list or, for one
// value, as a plain scalar.
type Values []string

// Metric is something a trial reports. Optimize metrics are objectives,
// constraint metrics must satisfy Threshold, store metrics are only recorded.
type Metric struct {
	Name      string   `json:"name" yaml:"name"`
	Objective string   `json:"objective,omitempty" yaml:"objective,omitempty"`
	Strategy  string   `json:"strategy,omitempty" yaml:"strategy,omitempty"` // default optimize
	Threshold *float64 `json:"threshold,omitempty" yaml:"threshold,omitempty"`
}

// EarlyStopping configures the stopping rule: "median" (Golovin et al.
// 2017), "asha" (asynchronous successive halving, Li et al. 2020) or
// "hyperband" (ASHA brackets, Li et al. 2018). MaxSteps and
// ReductionFactor (η, default 3) apply to asha and hyperband: rungs sit at
// MinSteps·η^k steps (MinSteps at least 1).
type EarlyStopping struct {
	Rule            string `json:"rule" yaml:"rule"`
	MinSteps        int    `json:"min_steps,omitempty" yaml:"min_steps,omitempty"`
	MaxSteps        int    `json:"max_steps,omitempty" yaml:"max_steps,omitempty"`
	ReductionFactor int    `json:"reduction_factor,omitempty" yaml:"reduction_factor,omitempty"`
}

// Spec is a study's search space, objectives, budget and stopping rule
// (DESIGN §3). What each trial launches (runner, image, command, inputs) is
// the engine's launch template, parsed from the same file around this.
type Spec struct {
	Name              string         `json:"name" yaml:"name"`
	Parameters        []Parameter    `json:"parameters" yaml:"parameters"`
	Metrics           []Metric       `json:"metrics" yaml:"metrics"`
	ObservationBudget int            `json:"observation_budget,omitempty" yaml:"observation_budget,omitempty"`
	ParallelBandwidth int            `json:"parallel_bandwidth,omitempty" yaml:"parallel_bandwidth,omitempty"`
	EarlyStopping     *EarlyStopping `json:"early_stopping,omitempty" yaml:"early_stopping,omitempty"`
	Seed              int64          `json:"seed,omitempty" yaml:"seed,omitempty"`
	// Noisy says whether the optimize metrics are noisy (nil: inferred from
	// the fitted noise; see Study.Noisy).
	Noisy *bool `json:"noisy,omitempty" yaml:"noisy,omitempty"`
	// PriorStudies names finished studies whose trials warm-start this one
	// (the engine loads them and passes them with WithPriorTrials).
	PriorStudies []string `json:"prior_studies,omitempty" yaml:"prior_studies,omitempty"`
	// InputWarping fits a Kumaraswamy warping of each double input with the
	// objective's GP (warp.go); single-objective studies without
	// conditional parameters. Off by default.
	InputWarping bool `json:"input_warping,omitempty" yaml:"input_warping,omitempty"`
}

// Allowed keys per mapping, so unknown keys are reported with their
// position. Functions rather than package variables: no shared mutable state.
func specKeys() []string {
	return []string{"name", "parameters", "metrics", "observation_budget", "parallel_bandwidth", "early_stopping", "seed", "noisy", "prior_studies", "input_warping"}
}
func paramKeys() []string {
	return []string{"name", "type", "bounds", "transformation", "categorical_values", "conditions"}
}
func boundsKeys() []string { return []string{"min", "max"} }
func metricKeys() []string { return []string{"name", "objective", "strategy", "threshold"} }
func earlyStopKeys() []string {
	return []string{"rule", "min_steps", "max_steps", "reduction_factor"}
}

// positions maps a field path such as "parameters[1].bounds.min" to its node.
type positions map[string]*yaml.Node

// ParseSpec reads a study spec from a YAML or JSON file and validates it.
// Problems are *config.InputError naming the file, line and field.
func ParseSpec(path string) (Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("read spec: %w", err)
	}
	return ParseSpecBytes(path, data)
}

// ParseSpecBytes parses spec text; name is used in error messages.
func ParseSpecBytes(name string, data []byte) (Spec, error) {
	doc, err := DecodeSpecDoc(name, data)
	if err != nil {
		return Spec{}, err
	}
	return ParseSpecNode(name, doc)
}

// DecodeSpecDoc decodes spec text (YAML or JSON) into its document node,
// which keeps every key's line and column.
func DecodeSpecDoc(name string, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, &config.InputError{File: name, Msg: "not valid YAML or JSON: " + err.Error(), Err: err}
	}
	if len(root.Content) == 0 {
		return nil, &config.InputError{File: name, Msg: "empty spec"}
	}
	return root.Content[0], nil
}

// ParseSpecNode validates a decoded spec document. otherKeys are top-level
// keys a caller owns in the same file (the engine's launch template): they
// are allowed here and left to that caller.
func ParseSpecNode(name string, doc *yaml.Node, otherKeys ...string) (Spec, error) {
	pos := positions{}
	if err := checkKeys(name, doc, "", pos, otherKeys); err != nil {
		return Spec{}, err
	}
	if err := checkNumbers(name, pos); err != nil {
		return Spec{}, err
	}
	var s Spec
	if err := doc.Decode(&s); err != nil {
		ie := &config.InputError{File: name, Msg: err.Error(), Err: err}
		var te *yaml.TypeError
		if ok := asTypeError(err, &te); ok && len(te.Errors) > 0 {
			// yaml v3 messages read "line N: cannot unmarshal ..."
			msg := te.Errors[0]
			var line int
			if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
				ie.Line = line
				msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
			}
			ie.Msg = msg
		}
		return Spec{}, ie
	}
	if err := s.validate(); err != nil {
		if ie, ok := err.(*config.InputError); ok {
			ie.File = name
			if n := pos[ie.Field]; n != nil {
				ie.Line, ie.Column = n.Line, n.Column
			}
		}
		return Spec{}, err
	}
	return s, nil
}

func asTypeError(err error, te **yaml.TypeError) bool {
	t, ok := err.(*yaml.TypeError)
	if ok {
		*te = t
	}
	return ok
}

// checkKeys walks the document, rejecting unknown keys and recording positions.
func checkKeys(file string, n *yaml.Node, path string, pos positions, otherKeys []string) error {
	if n.Kind != yaml.MappingNode {
		return &config.InputError{File: file, Line: n.Line, Column: n.Column, Msg: "a study spec must be a mapping"}
	}
	pos[""] = n
	if err := checkMap(file, n, "", append(specKeys(), otherKeys...), pos); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case "parameters", "metrics":
			if v.Kind != yaml.SequenceNode {
				return &config.InputError{File: file, Line: v.Line, Column: v.Column, Field: k, Msg: "must be a list"}
			}
			keys := paramKeys()
			if k == "metrics" {
				keys = metricKeys()
			}
			for j, item := range v.Content {
				p := fmt.Sprintf("%s[%d]", k, j)
				pos[p] = item
				if item.Kind != yaml.MappingNode {
					return &config.InputError{File: file, Line: item.Line, Column: item.Column, Field: p, Msg: "must be a mapping"}
				}
				if err := checkMap(file, item, p, keys, pos); err != nil {
					return err
				}
				if c := pos[p+".conditions"]; c != nil && c.Kind != yaml.MappingNode {
					return &config.InputError{File: file, Line: c.Line, Column: c.Column, Field: p + ".conditions", Msg: "must be a mapping {parameter: value or [values]}"}
				}
				if b := pos[p+".bounds"]; b != nil {
					if b.Kind != yaml.MappingNode {
						return &config.InputError{File: file, Line: b.Line, Column: b.Column, Field: p + ".bounds", Msg: "must be a mapping {min, max}"}
					}
					if err := checkMap(file, b, p+".bounds", boundsKeys(), pos); err != nil {
						return err
					}
				}
			}
		case "early_stopping":
			if v.Kind != yaml.MappingNode {
				return &config.InputError{File: file, Line: v.Line, Column: v.Column, Field: k, Msg: "must be a mapping {rule, min_steps}"}
			}
			if err := checkMap(file, v, k, earlyStopKeys(), pos); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkMap(file string, n *yaml.Node, path string, allowed []string, pos positions) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		field := kn.Value
		if path != "" {
			field = path + "." + kn.Value
		}
		ok := false
		for _, a := range allowed {
			if a == kn.Value {
				ok = true
				break
			}
		}
		if !ok {
			return &config.InputError{File: file, Line: kn.Line, Column: kn.Column, Field: field,
				Msg: "unknown key; valid keys are " + strings.Join(allowed, ", ")}
		}
		pos[field] = n.Content[i+1]
	}
	return nil
}

func inErr(field, format string, args ...any) error {
	return &config.InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks a spec built in Go (ParseSpec validates already).
func (s Spec) Validate() error { return s.validate() }

func (s Spec) validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return inErr("name", "a study needs a name")
	}
	if err := s.checkNames(); err != nil {
		return err
	}
	if len(s.Parameters) == 0 {
		return inErr("parameters", "at least one parameter is required")
	}
	seen := map[string]bool{}
	for i, p := range s.Parameters {
		f := fmt.Sprintf("parameters[%d]", i)
		if p.Name == "" {
			return inErr(f+".name", "a parameter needs a name")
		}
		if seen[p.Name] {
			return inErr(f+".name", "duplicate parameter name %q", p.Name)
		}
		seen[p.Name] = true
		switch p.Type {
		case TypeDouble, TypeInt:
			if p.Bounds == nil {
				return inErr(f+".bounds", "%s parameter %q needs bounds {min, max}", p.Type, p.Name)
			}
			b := *p.Bounds
			if math.IsNaN(b.Min) || math.IsNaN(b.Max) || math.IsInf(b.Min, 0) || math.IsInf(b.Max, 0) {
				return inErr(f+".bounds", "bounds must be finite numbers")
			}
			if b.Min >= b.Max {
				return inErr(f+".bounds.min", "min (%g) must be less than max (%g)", b.Min, b.Max)
			}
			if err := checkBounds(f, b); err != nil {
				return err
			}
			if p.Type == TypeInt && (b.Min != math.Trunc(b.Min) || b.Max != math.Trunc(b.Max)) {
				return inErr(f+".bounds", "int bounds must be whole numbers")
			}
			switch p.Transformation {
			case "", "none":
			case "log":
				if b.Min <= 0 {
					return inErr(f+".bounds.min", "log transformation needs min > 0, got %g", b.Min)
				}
			default:
				return inErr(f+".transformation", "unknown transformation %q; valid: log", p.Transformation)
			}
			if len(p.CategoricalValues) > 0 {
				return inErr(f+".categorical_values", "only categorical parameters take categorical_values")
			}
		case TypeCategorical:
			if len(p.CategoricalValues) == 0 {
				return inErr(f+".categorical_values", "categorical parameter %q needs at least one value", p.Name)
			}
			cs := map[string]bool{}
			for _, c := range p.CategoricalValues {
				if cs[c] {
					return inErr(f+".categorical_values", "duplicate value %q", c)
				}
				cs[c] = true
			}
			if p.Bounds != nil {
				return inErr(f+".bounds", "categorical parameters take categorical_values, not bounds")
			}
			if p.Transformation != "" {
				return inErr(f+".transformation", "categorical parameters take no transformation")
			}
		case "":
			return inErr(f+".type", "parameter %q needs a type: double, int or categorical", p.Name)
		default:
			return inErr(f+".type", "unknown type %q; valid: double, int, categorical", p.Type)
		}
	}
	if len(s.Metrics) == 0 {
		return inErr("metrics", "at least one metric with strategy optimize is required")
	}
	mseen := map[string]bool{}
	nopt := 0
	for i, m := range s.Metrics {
		f := fmt.Sprintf("metrics[%d]", i)
		if m.Name == "" {
			return inErr(f+".name", "a metric needs a name")
		}
		if mseen[m.Name] {
			return inErr(f+".name", "duplicate metric name %q", m.Name)
		}
		mseen[m.Name] = true
		strategy := m.strategy()
		switch strategy {
		case StrategyOptimize, StrategyConstraint:
			if m.Objective == "" {
				return inErr(f+".objective", "metric %q needs an objective: maximize or minimize", m.Name)
			}
		case StrategyStore:
		default:
			return inErr(f+".strategy", "unknown strategy %q; valid: optimize, constraint, store", m.Strategy)
		}
		if m.Objective != "" && m.Objective != Maximize && m.Objective != Minimize {
			return inErr(f+".objective", "unknown objective %q; valid: maximize, minimize", m.Objective)
		}
		if strategy == StrategyConstraint && m.Threshold == nil {
			return inErr(f+".threshold", "constraint metric %q needs a threshold", m.Name)
		}
		if m.Threshold != nil && (math.IsNaN(*m.Threshold) || math.IsInf(*m.Threshold, 0)) {
			return inErr(f+".threshold", "threshold must be a finite number")
		}
		if strategy == StrategyOptimize {
			nopt++
		}
	}
	if nopt == 0 {
		return inErr("metrics", "no metric has strategy optimize; at least one is required")
	}
	if s.ObservationBudget < 0 {
		return inErr("observation_budget", "must be >= 0, got %d", s.ObservationBudget)
	}
	if s.ParallelBandwidth < 0 {
		return inErr("parallel_bandwidth", "must be >= 0, got %d", s.ParallelBandwidth)
	}
	if s.ParallelBandwidth > maxParallelBandwidth {
		return inErr("parallel_bandwidth", "must be at most %d simultaneous trials, got %d", maxParallelBandwidth, s.ParallelBandwidth)
	}
	if es := s.EarlyStopping; es != nil {
		if err := es.validate(); err != nil {
			return err
		}
	}
	if err := s.checkConditions(); err != nil {
		return err
	}
	for i, n := range s.PriorStudies {
		if !validName(n, false) {
			return inErr(fmt.Sprintf("prior_studies[%d]", i), "%q is not a study name", n)
		}
	}
	return nil
}

func (m Metric) strategy() string {
	if m.Strategy == "" {
		return StrategyOptimize
	}
	return m.Strategy
}

package engine

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/optimizer"
)

// StudySpec is a study file (DESIGN §3): the search space, objectives and
// budget the optimizer owns, and the launch template the engine fills in for
// each trial. Both are embedded, so the file and the stored JSON stay one
// flat mapping.
type StudySpec struct {
	optimizer.Spec `yaml:",inline"`
	LaunchTemplate `yaml:",inline"`
}

// LaunchTemplate is what each trial of a study launches: the command with
// {param} placeholders, on the runner, with the image and inputs.
type LaunchTemplate struct {
	Runner string `json:"runner,omitempty" yaml:"runner,omitempty"`
	// Runners is a pool: each trial goes to the one with the most free
	// capacity (written runners: [a, b], or runner: [a, b]).
	Runners []string          `json:"runners,omitempty" yaml:"runners,omitempty"`
	Image   string            `json:"image,omitempty" yaml:"image,omitempty"`
	Command []string          `json:"command,omitempty" yaml:"command,omitempty"`
	Inputs  map[string]string `json:"inputs,omitempty" yaml:"inputs,omitempty"`
}

// launchKeys are the spec keys the engine owns; every other key is the
// optimizer's.
func launchKeys() []string { return []string{"runner", "runners", "image", "command", "inputs"} }

// ParseStudySpec reads a study spec file (YAML or JSON). Problems are
// *config.InputError naming the file, line and field.
func ParseStudySpec(path string) (StudySpec, error) {
	data, err := readSpecFile(path, path)
	if err != nil {
		return StudySpec{}, err
	}
	return ParseStudySpecBytes(path, data)
}

// readSpecFile reads a study spec file at full, named shown in errors: a
// missing file or a directory is bad input (exit 2).
func readSpecFile(full, shown string) ([]byte, error) {
	if _, err := os.Stat(full); os.IsNotExist(err) {
		return nil, &config.InputError{File: shown, Msg: "no such study spec file"}
	}
	if err := needFileOf(full, "", "a study spec file (YAML or JSON)"); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, fmt.Errorf("read spec %s: %w", shown, err)
	}
	return data, nil
}

// ParseStudySpecBytes parses spec text; name is used in error messages.
func ParseStudySpecBytes(name string, data []byte) (StudySpec, error) {
	doc, err := optimizer.DecodeSpecDoc(name, data)
	if err != nil {
		return StudySpec{}, err
	}
	var ss StudySpec
	if ss.Spec, err = optimizer.ParseSpecNode(name, doc, launchKeys()...); err != nil {
		return StudySpec{}, err
	}
	// The optimizer checked the mapping and its keys; decode the launch keys.
	launch := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if slices.Contains(launchKeys(), doc.Content[i].Value) {
			k := doc.Content[i]
			if k.Value == "runner" && doc.Content[i+1].Kind == yaml.SequenceNode {
				// runner: [a, b] is runners: [a, b].
				k = &yaml.Node{Kind: yaml.ScalarNode, Value: "runners", Line: k.Line, Column: k.Column}
			}
			launch.Content = append(launch.Content, k, doc.Content[i+1])
		}
	}
	if err := launch.Decode(&ss.LaunchTemplate); err != nil {
		ie := &config.InputError{File: name, Msg: err.Error(), Err: err}
		if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
			ie.Msg = te.Errors[0]
			var line int
			if _, e := fmt.Sscanf(ie.Msg, "line %d:", &line); e == nil {
				ie.Line = line
				ie.Msg = strings.TrimSpace(ie.Msg[strings.Index(ie.Msg, ":")+1:])
			}
		}
		return StudySpec{}, ie
	}
	if ss.Runner != "" && len(ss.Runners) > 0 {
		return StudySpec{}, &config.InputError{File: name, Field: "runners", Msg: "give runner: NAME or runners: [A, B], not both"}
	}
	return ss, nil
}

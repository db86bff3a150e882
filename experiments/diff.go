package experiments

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// Diff categories, in the order RunDiff lists them: the causes most likely
// to explain a change in results first (different data, then different
// code, then different hyperparameters, ...), and the results themselves
// last.
const (
	DiffData    = "data"
	DiffCode    = "code"
	DiffParams  = "params"
	DiffCommand = "command"
	DiffImage   = "image"
	DiffEnv     = "env"
	DiffRunner  = "runner"
	DiffMetrics = "metrics"
)

var diffOrder = map[string]int{DiffData: 0, DiffCode: 1, DiffParams: 2, DiffCommand: 3, DiffImage: 4, DiffEnv: 5, DiffRunner: 6, DiffMetrics: 7}

// Change is one difference between two runs. A and B are nil where the key
// is absent on that side; for inputs they are Dataset values.
type Change struct {
	Category string `json:"category"`
	Key      string `json:"key"`
	A        any    `json:"a"`
	B        any    `json:"b"`
}

// RunDiff is the provenance diff of two runs.
type RunDiff struct {
	A       string   `json:"a"`
	B       string   `json:"b"`
	Changes []Change `json:"changes"`
}

// envPerRun are variables that differ between any two runs by design.
var envPerRun = map[string]bool{"LATHE_RUN_ID": true, "LATHE_OUTPUT_DIR": true, "LATHE_PARAMS_FILE": true}

// DiffRuns compares everything recorded about two runs: input dataset
// versions, code version, params, command, image digest, environment,
// runner and GPU, and final metrics. How two dataset versions differ in
// content (drift) is explore's to say; the Changes name both versions.
func (s *Store) DiffRuns(ctx context.Context, idA, idB string) (RunDiff, error) {
	d := RunDiff{A: idA, B: idB}
	var runs [2]Run
	var inputs [2]map[string]Dataset
	var metrics [2]map[string]Sample
	for i, id := range []string{idA, idB} {
		var err error
		if runs[i], err = s.GetRun(ctx, id); err != nil {
			return d, err
		}
		ins, err := s.RunInputs(ctx, id)
		if err != nil {
			return d, err
		}
		inputs[i] = map[string]Dataset{}
		for _, in := range ins {
			inputs[i][in.Name] = in.Dataset
		}
		if metrics[i], err = s.LastMetrics(ctx, id); err != nil {
			return d, err
		}
	}
	a, b := runs[0], runs[1]
	add := func(cat, key string, va, vb any) {
		d.Changes = append(d.Changes, Change{Category: cat, Key: key, A: va, B: vb})
	}
	str := func(cat, key, va, vb string) {
		if va != vb {
			add(cat, key, orNil(va), orNil(vb))
		}
	}

	for _, name := range unionKeys(inputs[0], inputs[1]) {
		da, okA := inputs[0][name]
		db, okB := inputs[1][name]
		switch {
		case okA && okB && da.SHA256 == db.SHA256:
		case okA && okB:
			add(DiffData, "input "+name, da, db)
		case okA:
			add(DiffData, "input "+name, da, nil)
		default:
			add(DiffData, "input "+name, nil, db)
		}
	}

	str(DiffCode, "commit", a.Code.Commit, b.Code.Commit)
	if a.Code.Dirty != b.Code.Dirty || a.Code.DiffSHA != b.Code.DiffSHA {
		add(DiffCode, "uncommitted changes", dirtyLabel(a.Code), dirtyLabel(b.Code))
	}

	for _, k := range unionKeys(a.Params, b.Params) {
		va, okA := a.Params[k]
		vb, okB := b.Params[k]
		if okA != okB || !reflect.DeepEqual(va, vb) {
			add(DiffParams, k, va, vb)
		}
	}

	if !reflect.DeepEqual(a.Command, b.Command) {
		add(DiffCommand, "command", a.Command, b.Command)
	}

	str(DiffImage, "image", a.Image, b.Image)
	str(DiffImage, "image digest", a.ImageDigest, b.ImageDigest)

	for _, k := range unionKeys(a.Env, b.Env) {
		if envPerRun[k] || strings.HasPrefix(k, "LATHE_INPUT_") || strings.HasPrefix(k, "LATHE_PARAM_") {
			continue // covered by inputs and params
		}
		va, okA := a.Env[k]
		vb, okB := b.Env[k]
		if okA != okB || va != vb {
			add(DiffEnv, k, nilIfMissing(va, okA), nilIfMissing(vb, okB))
		}
	}

	str(DiffRunner, "runner", a.Runner, b.Runner)
	str(DiffRunner, "host", a.Host, b.Host)
	str(DiffRunner, "gpus", a.GPUs, b.GPUs)
	str(DiffRunner, "gpu", a.GPUInfo, b.GPUInfo)

	for _, k := range unionKeys(metrics[0], metrics[1]) {
		ma, okA := metrics[0][k]
		mb, okB := metrics[1][k]
		if okA && okB && (ma.Value == mb.Value || math.IsNaN(ma.Value) && math.IsNaN(mb.Value)) {
			continue
		}
		add(DiffMetrics, k, metricValue(ma, okA), metricValue(mb, okB))
	}

	sort.SliceStable(d.Changes, func(i, j int) bool {
		return diffOrder[d.Changes[i].Category] < diffOrder[d.Changes[j].Category]
	})
	return d, nil
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nilIfMissing(v string, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func dirtyLabel(c CodeVersion) any {
	if !c.Dirty {
		return "clean"
	}
	if c.DiffSHA == "" {
		return "dirty (patch not stored)"
	}
	return fmt.Sprintf("dirty (patch %s)", c.DiffSHA[:12])
}

// metricValue is the JSON-safe final value: nil when absent or not finite.
func metricValue(s Sample, ok bool) any {
	if !ok || !isFinite(s.Value) {
		return nil
	}
	return s.Value
}

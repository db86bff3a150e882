package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
)

// Comparing runs side by side: their params, each metric's final and best
// value (best by the metric's direction), what differs between them, and
// their series for overlaid curves. `lathe runs compare` prints it; the Runs
// screen's compare view draws it.

// Metric directions.
const (
	DirMin = "min"
	DirMax = "max"
)

// RunComparison is what CompareRuns assembles: `lathe runs compare --json`.
type RunComparison struct {
	Runs    []ComparedRun    `json:"runs"`
	Params  []ComparedParam  `json:"params"`
	Metrics []ComparedMetric `json:"metrics"`
	// Series holds, per run id, the series of each metric compared (with
	// MetricSeries: only the metrics asked for).
	Series map[string]map[string][]experiments.Sample `json:"series,omitempty"`
}

// ComparedRun is one run of a comparison.
type ComparedRun struct {
	experiments.Run
	// Final and Best are by metric name: the last sample and the best one
	// (with its step). A metric the run never reported is absent, a best
	// without a known direction too; a non-finite final value stays (a
	// diverged run), as null in JSON.
	Final map[string]experiments.Sample `json:"final"`
	Best  map[string]experiments.Sample `json:"best"`
}

// ComparedParam is one parameter across the runs.
type ComparedParam struct {
	Name    string `json:"name"`
	Differs bool   `json:"differs"` // some run has another value (or none)
}

// ComparedMetric is one metric across the runs.
type ComparedMetric struct {
	Name string `json:"name"`
	// Direction is "min", "max" or "" when unknown; DirectionFrom says why:
	// "study" (a run's study spec says so) or "name" (loss-like names are
	// minimized, accuracy-like ones maximized).
	Direction     string `json:"direction"`
	DirectionFrom string `json:"direction_from,omitempty"`
	Differs       bool   `json:"differs"`            // the final values differ
	BestDiffers   bool   `json:"best_differs"`       // the best values differ
	BestRun       string `json:"best_run,omitempty"` // the run with the best best value
}

// CompareOptions tune CompareRuns.
type CompareOptions struct {
	// Metrics limits the metrics compared (and returns their series); a
	// metric no run reports is an input error naming those there are.
	Metrics []string
	// Series returns every compared metric's series (the TUI's curves).
	Series bool
}

// CompareRuns compares runs by id or unique prefix, in the order given
// (duplicates once).
func (e *Engine) CompareRuns(ctx context.Context, refs []string, o CompareOptions) (*RunComparison, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, &config.InputError{Field: "RUN", Msg: "give the runs to compare"}
	}
	var ids []string
	for _, ref := range refs {
		id, err := e.ResolveRun(ctx, ref)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	c := &RunComparison{Runs: []ComparedRun{}, Params: []ComparedParam{}, Metrics: []ComparedMetric{}}
	series := map[string]map[string][]experiments.Sample{}
	params, metrics := map[string]bool{}, map[string]bool{}
	for _, id := range ids {
		r, err := e.ws.Store.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		ss, err := e.ws.Store.MetricSeries(ctx, id)
		if err != nil {
			return nil, err
		}
		series[id] = ss
		for k := range r.Params {
			params[k] = true
		}
		for k := range ss {
			metrics[k] = true
		}
		c.Runs = append(c.Runs, ComparedRun{Run: r, Final: map[string]experiments.Sample{}, Best: map[string]experiments.Sample{}})
	}
	names := format.SortedKeys(metrics)
	if len(o.Metrics) > 0 {
		for _, m := range o.Metrics {
			if !metrics[m] {
				return nil, unknownMetric(m, metrics)
			}
		}
		names = slices.Compact(slices.Clone(o.Metrics))
	}
	for _, p := range format.SortedKeys(params) {
		cp := ComparedParam{Name: p}
		first, ok0 := c.Runs[0].Params[p]
		for _, r := range c.Runs[1:] {
			v, ok := r.Params[p]
			if ok != ok0 || !reflect.DeepEqual(v, first) {
				cp.Differs = true
			}
		}
		c.Params = append(c.Params, cp)
	}
	dirs, err := e.studyDirections(ctx, c.Runs)
	if err != nil {
		return nil, err
	}
	for _, m := range names {
		cm := ComparedMetric{Name: m}
		if d, ok := dirs[m]; ok {
			cm.Direction, cm.DirectionFrom = d, "study"
		} else if d := MetricDirection(m); d != "" {
			cm.Direction, cm.DirectionFrom = d, "name"
		}
		var finals, bests []float64
		for i := range c.Runs {
			r := &c.Runs[i]
			pts := series[r.ID][m]
			if len(pts) == 0 {
				finals, bests = append(finals, math.NaN()), append(bests, math.NaN())
				continue
			}
			r.Final[m] = pts[len(pts)-1]
			finals = append(finals, r.Final[m].Value)
			b, ok := bestOf(pts, cm.Direction)
			if !ok {
				b.Value = math.NaN()
			}
			bests = append(bests, b.Value)
			if ok {
				r.Best[m] = b
				if cm.BestRun == "" || better(b.Value, c.Runs[runIndex(c.Runs, cm.BestRun)].Best[m].Value, cm.Direction) {
					cm.BestRun = r.ID
				}
			}
		}
		cm.Differs = !allSame(finals)
		cm.BestDiffers = cm.Direction != "" && !allSame(bests)
		c.Metrics = append(c.Metrics, cm)
	}
	if o.Series || len(o.Metrics) > 0 {
		c.Series = map[string]map[string][]experiments.Sample{}
		for id, ss := range series {
			c.Series[id] = map[string][]experiments.Sample{}
			for _, m := range names {
				if pts, ok := ss[m]; ok {
					c.Series[id][m] = pts
				}
			}
		}
	}
	return c, nil
}

// studyDirections are the objectives of the metrics in the specs of the
// studies the runs are trials of.
func (e *Engine) studyDirections(ctx context.Context, runs []ComparedRun) (map[string]string, error) {
	out := map[string]string{}
	seen := map[int64]bool{}
	for _, r := range runs {
		if r.StudyID == 0 || seen[r.StudyID] {
			continue
		}
		seen[r.StudyID] = true
		st, err := e.ws.Store.GetStudyByID(ctx, r.StudyID)
		if err != nil {
			return nil, err
		}
		var spec optimizer.Spec
		if err := json.Unmarshal(st.Spec, &spec); err != nil {
			return nil, fmt.Errorf("study %s: spec: %w", st.Name, err)
		}
		for _, m := range spec.Metrics {
			switch m.Objective {
			case optimizer.Minimize:
				out[m.Name] = DirMin
			case optimizer.Maximize:
				out[m.Name] = DirMax
			}
		}
	}
	return out, nil
}

// MetricDirection guesses a metric's direction from its name: loss- and
// error-like names are minimized, accuracy-like ones maximized; "" when
// the name says nothing (W&B's and TensorBoard's summaries guess the same
// way).
func MetricDirection(name string) string {
	n := strings.ToLower(name)
	words := strings.FieldsFunc(n, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	for _, w := range words {
		switch w {
		case "loss", "err", "error", "mse", "mae", "rmse", "nll", "ppl", "perplexity", "wer", "cer", "regret", "ms", "latency", "seconds":
			return DirMin
		case "acc", "accuracy", "auc", "f1", "precision", "recall", "r2", "iou", "map", "bleu", "rouge", "reward", "score":
			return DirMax
		}
	}
	switch {
	case strings.Contains(n, "loss"), strings.Contains(n, "error"):
		return DirMin
	case strings.Contains(n, "acc"):
		return DirMax
	}
	return ""
}

// bestOf is the first sample of pts with the best finite value in
// direction dir.
func bestOf(pts []experiments.Sample, dir string) (experiments.Sample, bool) {
	var best experiments.Sample
	if dir == "" {
		return best, false
	}
	ok := false
	for _, p := range pts {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue
		}
		if !ok || better(p.Value, best.Value, dir) {
			best, ok = p, true
		}
	}
	return best, ok
}

func better(a, b float64, dir string) bool {
	if dir == DirMax {
		return a > b
	}
	return a < b
}

func runIndex(runs []ComparedRun, id string) int {
	return slices.IndexFunc(runs, func(r ComparedRun) bool { return r.ID == id })
}

// allSame reports whether every value is the first (NaN equal to NaN: a
// missing value on every run is no difference).
func allSame(vs []float64) bool {
	for _, v := range vs[1:] {
		if v != vs[0] && !(math.IsNaN(v) && math.IsNaN(vs[0])) {
			return false
		}
	}
	return true
}

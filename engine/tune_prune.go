// Early stopping inside a running study: each streamed sample is checked
// against the constraints and the spec's stopping rule (median, ASHA,
// Hyperband); a trial that fails one is stopped and marked pruned.

package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
)

// observe records streamed samples and applies the early-stopping rules
// after each one: a constraint metric already past its threshold, or the
// median rule on every objective that has a curve so far (so it works in
// multi-objective studies: a trial stops only when it is worse than the
// median on all of them).
func (d *driver) observe(ctx context.Context, ts *trialState, samples []Point) {
	for _, p := range samples {
		role, ok := d.metric(p.Key)
		if !ok || ts.pruning != "" {
			continue
		}
		ts.last[p.Key] = p.Value
		if d.roles.ViolatesConstraint(p.Key, p.Value) {
			thr := math.NaN()
			if role.Threshold != nil {
				thr = *role.Threshold
			}
			d.prune(ctx, ts, fmt.Sprintf("constraint %s reached %.5g, past its threshold %g", p.Key, p.Value, thr))
			continue
		}
		if role.Strategy == "" || role.Strategy == optimizer.StrategyOptimize {
			ts.curves[p.Key] = append(ts.curves[p.Key], p.Value)
			if why, stop := d.stopRule(ts); stop {
				d.prune(ctx, ts, why)
			}
		}
	}
}

// stopRule applies the spec's early-stopping rule (median, asha or
// hyperband; optimizer.Study.ShouldStopTrial) to the trial's objective
// curves against the ended trials': every objective for the median rule,
// their non-dominated rank for ASHA and Hyperband with several objectives.
func (d *driver) stopRule(ts *trialState) (string, bool) {
	es := d.spec.EarlyStopping
	if es == nil {
		return "", false
	}
	trial := map[string]optimizer.Curve{}
	step := -1
	for _, m := range d.spec.Metrics {
		if m.Strategy != "" && m.Strategy != optimizer.StrategyOptimize {
			continue
		}
		c := ts.curves[m.Name]
		if len(c) == 0 {
			return "", false // every objective must have reported
		}
		trial[m.Name] = optimizer.Curve{Number: ts.number, Values: c}
		if step < 0 || len(c)-1 < step {
			step = len(c) - 1
		}
	}
	if len(trial) == 0 {
		return "", false
	}
	var others []map[string]optimizer.Curve
	for n, f := range d.finished {
		o := map[string]optimizer.Curve{}
		for name := range trial {
			if c := f.curves[name]; len(c) > 0 {
				o[name] = optimizer.Curve{Number: n, Values: c}
			}
		}
		if len(o) > 0 {
			others = append(others, o)
		}
	}
	sort.Slice(others, func(i, j int) bool { return anyNumber(others[i]) < anyNumber(others[j]) })
	if !d.roles.ShouldStopTrial(others, trial, step) {
		return "", false
	}
	names := format.SortedKeys(trial)
	switch es.Rule {
	case "asha", "hyperband":
		return fmt.Sprintf("%s stopping rule: not promoted at step %d on %s", es.Rule, step+1, strings.Join(names, ", ")), true
	}
	return fmt.Sprintf("median stopping rule: worse than the median of ended trials on %s at step %d", strings.Join(names, ", "), step+1), true
}

func anyNumber(m map[string]optimizer.Curve) int {
	for _, c := range m {
		return c.Number
	}
	return 0
}

func (d *driver) metric(name string) (optimizer.Metric, bool) {
	for _, m := range d.spec.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return optimizer.Metric{}, false
}

// prune records the intent in the trial row, then stops its run in the
// background; the trial is told when the run's end arrives.
func (d *driver) prune(ctx context.Context, ts *trialState, why string) {
	ts.pruning = why
	_, _ = d.e.ws.Store.UpdateTrial(ctx, d.studyID, ts.number, func(t *experiments.Trial) error {
		t.Error = prunedPrefix + why
		return nil
	})
	d.emit(TuneEvent{Kind: "stopping", Trial: ts.number, RunID: ts.runID, Message: why})
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = d.e.Stop(ctx, ts.runID)
	}()
}

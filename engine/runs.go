package engine

import (
	"context"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

// The run records, as every front end reads them. Front ends share the
// store's types (experiments.Run and the like); they read and write only
// through these methods.

// RunSummary is a run with the last value of each of its metrics: a row of
// a run list.
type RunSummary struct {
	Run  experiments.Run
	Last map[string]experiments.Sample
}

// ListRuns returns runs, newest first, each with its last metric values,
// in two queries whatever their number (the runs, then every last sample).
func (e *Engine) ListRuns(ctx context.Context, f experiments.RunFilter) ([]RunSummary, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	runs, err := e.ws.Store.ListRuns(ctx, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	last, err := e.ws.Store.LastMetricsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]RunSummary, len(runs))
	for i, r := range runs {
		out[i] = RunSummary{Run: r, Last: last[r.ID]}
		if out[i].Last == nil {
			out[i].Last = map[string]experiments.Sample{}
		}
	}
	return out, nil
}

// GetRun reads one run.
func (e *Engine) GetRun(ctx context.Context, id string) (experiments.Run, error) {
	if err := e.need(); err != nil {
		return experiments.Run{}, err
	}
	return e.ws.Store.GetRun(ctx, id)
}

// experiments.RunRecord is the run with its final metrics, properties, inputs and
// outputs: `lathe runs show --json` and the Runs screen's detail.
func (e *Engine) RunRecord(ctx context.Context, id string) (experiments.RunRecord, error) {
	if err := e.need(); err != nil {
		return experiments.RunRecord{}, err
	}
	return e.ws.Store.GetRunRecord(ctx, id)
}

// Logs returns the run's lines after seq afterSeq, at most limit (0: all).
func (e *Engine) Logs(ctx context.Context, id string, afterSeq int64, limit int) ([]experiments.LogLine, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.Logs(ctx, id, afterSeq, limit)
}

// MetricSeries returns every metric series of the run, each by step.
func (e *Engine) MetricSeries(ctx context.Context, id string) (map[string][]experiments.Sample, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.MetricSeries(ctx, id)
}

// LastMetrics returns the last value of each metric of the run.
func (e *Engine) LastMetrics(ctx context.Context, id string) (map[string]experiments.Sample, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.LastMetrics(ctx, id)
}

// ListRunRecords is ListRuns with each run's whole record (`lathe runs ls
// --json`).
func (e *Engine) ListRunRecords(ctx context.Context, f experiments.RunFilter) ([]experiments.RunRecord, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	runs, err := e.ws.Store.ListRuns(ctx, f)
	if err != nil {
		return nil, err
	}
	recs := make([]experiments.RunRecord, 0, len(runs))
	for _, r := range runs {
		rec, err := e.ws.Store.GetRunRecord(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// Curve is one metric series of one run, for plotting.
type Curve struct {
	RunID  string               `json:"run_id"`
	Name   string               `json:"name,omitempty"` // the run's name
	Metric string               `json:"metric"`
	Points []experiments.Sample `json:"points"`
}

// Curves returns the metric series of each run, in the order asked. A
// metric no run reports is an input error naming the metrics there are.
func (e *Engine) Curves(ctx context.Context, runIDs, metrics []string) ([]Curve, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	var out []Curve
	have := map[string]bool{}
	for _, id := range runIDs {
		run, err := e.ws.Store.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		series, err := e.ws.Store.MetricSeries(ctx, id)
		if err != nil {
			return nil, err
		}
		for k := range series {
			have[k] = true
		}
		for _, m := range metrics {
			if pts, ok := series[m]; ok {
				out = append(out, Curve{RunID: id, Name: run.Name, Metric: m, Points: pts})
			}
		}
	}
	for _, m := range metrics {
		if !have[m] {
			return nil, unknownMetric(m, have)
		}
	}
	return out, nil
}

// unknownMetric is the --metric error for m, naming the metrics there are.
func unknownMetric(m string, have map[string]bool) error {
	msg := "no metric " + strconv.Quote(m) + " in these runs"
	if names := format.SortedKeys(have); len(names) > 0 {
		msg += "; they report " + strings.Join(names, ", ")
	} else {
		msg += "; they report no metrics yet"
	}
	return &config.InputError{Field: "--metric", Msg: msg}
}

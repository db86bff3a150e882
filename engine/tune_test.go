package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runstatus"
)

// curveScript is a synthetic trainer: the n-th trial it runs (counted in a
// directory, so trials must run one at a time) prints a chosen curve of
// loss and mem, one JSON line per step, 12 steps (0.08 s apart; 0.5 s from
// step 3 on for the trials that must be stopped).
//
//	good: loss 100/i, mem 50    — never worse than the median: must run to the end
//	bad:  loss 500 flat, mem 50 — worse than the median once three ended trials
//	                              reach the step: must be stopped (median rule)
//	hog:  like good, but mem 500 from step 3 — breaks the mem <= 100
//	                              constraint: must be stopped and infeasible
const curveScript = `D="$1" KINDS="$3"
n=$(ls "$D" | wc -l); n=$((n + 1)); : > "$D/$n"
kind=good
case " $KINDS " in *" $n:bad "*) kind=bad;; *" $n:hog "*) kind=hog;; esac
i=1
while [ $i -le 12 ]; do
  loss=$((100 / i)); mem=50
  [ $kind = bad ] && loss=500
  [ $kind = hog ] && [ $i -ge 3 ] && mem=500
  echo "{\"step\": $i, \"loss\": $loss, \"mem\": $mem}"
  # Trials to be stopped go slowly once they can be, so a loaded machine
  # still stops them before their last step.
  if [ $kind != good ] && [ $i -ge 3 ]; then sleep 0.5; else sleep 0.08; fi
  i=$((i + 1))
done
`

func TestStudyDriverEarlyStopping(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "curves.sh")
	if err := os.WriteFile(script, []byte(curveScript), 0o644); err != nil {
		t.Fatal(err)
	}
	counter := filepath.Join(dir, "n")
	if err := os.Mkdir(counter, 0o755); err != nil {
		t.Fatal(err)
	}
	// Trial 2 is bad but has only one ended trial to compare with: not
	// stopped. Trial 4 hogs memory. Trial 6 is bad with five ended trials.
	// (An argument: a local run inherits no ambient variables.)
	thr := 100.0
	spec := StudySpec{LaunchTemplate: LaunchTemplate{Runner: "local", Command: []string{"/bin/sh", script, counter, "{x}", "2:bad 4:hog 6:bad"}}, Spec: optimizer.Spec{
		Name:       "curves",
		Parameters: []optimizer.Parameter{{Name: "x", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0, Max: 1}}},
		Metrics: []optimizer.Metric{
			{Name: "loss", Objective: optimizer.Minimize},
			{Name: "mem", Objective: optimizer.Minimize, Strategy: optimizer.StrategyConstraint, Threshold: &thr},
		},
		ObservationBudget: 7,
		ParallelBandwidth: 1,
		EarlyStopping:     &optimizer.EarlyStopping{Rule: "median", MinSteps: 3},
		Seed:              1,
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var events []TuneEvent
	rep, err := e.RunStudy(ctx, spec, TuneOptions{Progress: func(ev TuneEvent) { events = append(events, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != experiments.StudyCompleted || len(rep.Trials) != 7 {
		t.Fatalf("study %s with %d trials, want completed with 7", rep.Status, len(rep.Trials))
	}
	for _, tr := range rep.Trials {
		run, err := e.ws.Store.GetRun(ctx, tr.RunID)
		if err != nil {
			t.Fatalf("trial %d: run %q: %v", tr.Number, tr.RunID, err)
		}
		series, _ := e.ws.Store.MetricSeriesKey(ctx, tr.RunID, "loss", -1)
		switch tr.Number {
		case 4: // constraint kill
			if tr.Status != experiments.TrialPruned || tr.Feasible == nil || *tr.Feasible || tr.Metrics["mem"] != 500 {
				t.Errorf("hog trial: %s feasible=%v metrics=%v error=%q; want pruned, infeasible, mem 500", tr.Status, tr.Feasible, tr.Metrics, tr.Error)
			}
			if !strings.Contains(tr.Error, "constraint mem") || run.Status != runstatus.Stopped || len(series) >= 12 {
				t.Errorf("hog trial: error %q, run %s after %d steps; want a constraint stop before step 12", tr.Error, run.Status, len(series))
			}
		case 6: // median rule
			if tr.Status != experiments.TrialPruned || tr.Metrics["loss"] != 500 || !strings.Contains(tr.Error, "median") {
				t.Errorf("bad trial 6: %s metrics=%v error=%q; want pruned by the median rule with loss 500", tr.Status, tr.Metrics, tr.Error)
			}
			if run.Status != runstatus.Stopped || len(series) >= 12 || len(series) < 4 {
				t.Errorf("bad trial 6: run %s after %d steps; want stopped between step 4 and 11", run.Status, len(series))
			}
		default: // good, and bad trial 2 without enough company
			want := 8.0 // 100/12 in integer arithmetic
			if tr.Number == 2 {
				want = 500
			}
			if tr.Status != experiments.TrialCompleted || tr.Metrics["loss"] != want || len(series) != 12 || tr.Feasible == nil || !*tr.Feasible {
				t.Errorf("trial %d: %s loss=%v after %d steps, feasible %v, error %q; want completed, loss %v, 12 steps, feasible", tr.Number, tr.Status, tr.Metrics["loss"], len(series), tr.Feasible, tr.Error, want)
			}
		}
	}
	if rep.Best == nil || *rep.Best == 2 || *rep.Best == 4 || *rep.Best == 6 {
		t.Errorf("best %v, want a good trial", rep.Best)
	}
	var stops int
	for _, ev := range events {
		if ev.Kind == "stopping" {
			stops++
		}
	}
	if stops != 2 {
		t.Errorf("%d stopping events, want 2: %v", stops, events)
	}
}

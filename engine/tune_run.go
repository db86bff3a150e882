package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// The study driver launches a study's trials as runs on the spec's runner,
// up to parallel_bandwidth at once, follows their metrics from the store,
// stops hopeless ones early and tells the optimizer each outcome, until the
// observation budget is spent.
//
// Crash safety. A trial is asked (a pending row) before it is launched, and
// Launch creates the run and links it to the trial in one transaction
// (experiments.Store.CreateRunForTrial), so after a kill -9 every trial is
// in one of three states that ResumeStudy knows how to continue: pending
// without a run (launch it now), running with a run (reattach: Reconcile takes
// over its ingestion, then follow it to its end) or told. A trial the driver
// decided to prune carries "pruned: why" in its error before its run is
// stopped, so a resumed driver records it pruned, not failed.
//
// Workers. Any number of drivers, on any hosts that share the store, may
// drive one study at once, as Optuna's workers share an RDB storage: each
// asks under the study's lock and only while the study has fewer trials
// than its budget, so together they ask for exactly the budget; each trial
// records the worker driving it, and a worker whose lock is gone (its
// process died, kill -9 included) has its trials adopted by the others
// (tune_workers.go). A driver returns once every trial of the study has
// ended, whoever drove it.

// TuneOptions tune RunStudy and ResumeStudy.
type TuneOptions struct {
	// WorkDir is the working directory of local runs and the base of relative
	// input paths (default: this process's).
	WorkDir string
	// Progress, when set, receives what happens, on the driver's goroutine.
	Progress func(TuneEvent)
	// Join makes RunStudy join a study of that name already in the store,
	// as one more worker, when its spec is the same (Optuna's
	// load_if_exists); a different spec is still an input error.
	Join bool
	// stop, when closed, stops the study cleanly (tune_background.go).
	stop <-chan struct{}
}

// TuneEvent is one step of a driven study.
type TuneEvent struct {
	Study   string             `json:"study"`
	Kind    string             `json:"kind"` // launched, reattached, stopping, completed, failed, pruned
	Trial   int                `json:"trial"`
	RunID   string             `json:"run_id,omitempty"`
	Params  map[string]any     `json:"params,omitempty"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Message string             `json:"message,omitempty"`
}

func (ev TuneEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: trial %d %s", ev.Study, ev.Trial, ev.Kind)
	if ev.RunID != "" {
		fmt.Fprintf(&b, " (run %s)", ev.RunID)
	}
	for _, k := range format.SortedKeys(ev.Params) {
		fmt.Fprintf(&b, " %s=%s", k, paramString(ev.Params[k]))
	}
	for _, k := range format.SortedKeys(ev.Metrics) {
		fmt.Fprintf(&b, " %s=%.5g", k, ev.Metrics[k])
	}
	if ev.Message != "" {
		b.WriteString(": " + ev.Message)
	}
	return b.String()
}

// prunedPrefix marks a trial whose run the driver is stopping on purpose.
const prunedPrefix = "pruned: "

// RunStudy creates the study of spec and drives it to its budget. A study
// of that name already existing is an input error (resume it instead).
func (e *Engine) RunStudy(ctx context.Context, spec StudySpec, o TuneOptions) (StudyReport, error) {
	if err := permit(ctx, "tune", fmt.Sprintf("%q", spec.Name)); err != nil {
		return StudyReport{}, err
	}
	if err := e.checkStudyLaunch(spec); err != nil {
		return StudyReport{}, err
	}
	if _, err := createStudy(ctx, e.ws, spec); err != nil {
		if !o.Join || !config.IsInput(err) {
			return StudyReport{}, err
		}
		if err := e.sameSpec(ctx, spec); err != nil {
			return StudyReport{}, err
		}
	}
	return e.drive(ctx, spec.Name, o)
}

// checkStudyLaunch refuses, before anything is recorded, a spec whose trials
// could not be launched: an unknown runner, no command, a placeholder that
// names no parameter, a docker runner without an image.
func (e *Engine) checkStudyLaunch(spec StudySpec) error {
	rcs, err := e.studyRunners(spec)
	if err != nil {
		return err
	}
	if len(spec.Command) == 0 {
		return &config.InputError{Field: "command", Msg: "the study driver needs a command to launch for each trial, e.g. [\"python\", \"train.py\", \"--lr={lr}\"]"}
	}
	params := map[string]string{}
	for _, p := range spec.Parameters {
		params[p.Name] = "0"
	}
	if _, err := runners.ExpandCommand(spec.Command, params); err != nil {
		return err
	}
	for _, rc := range rcs {
		if rc.Type == config.RunnerDocker && spec.Image == "" && rc.Image == "" {
			return &config.InputError{Field: "image", Msg: fmt.Sprintf("runner %s runs containers: set image: in the spec or on the runner", rc.Name)}
		}
	}
	return nil
}

// studyRunners resolves a study's runner, or each runner of its pool.
func (e *Engine) studyRunners(spec StudySpec) ([]config.Runner, error) {
	names := spec.Runners
	if len(names) == 0 {
		rc, err := e.runnerConfig(spec.Runner, "runner")
		if err != nil || rc.Type != config.RunnerPool {
			return []config.Runner{rc}, err
		}
		return e.cfg.PoolMembers(rc)
	}
	var out []config.Runner
	for _, n := range names {
		rc, err := e.runnerConfig(n, "runners")
		if err != nil {
			return nil, err
		}
		out = append(out, rc)
	}
	return out, nil
}

// ResumeStudy continues a study after its driver stopped or crashed: it
// reattaches to trials still running, launches trials asked but never
// launched, and goes on to the budget.
func (e *Engine) ResumeStudy(ctx context.Context, name string, o TuneOptions) (StudyReport, error) {
	if err := permit(ctx, "resume study", fmt.Sprintf("%q", name)); err != nil {
		return StudyReport{}, err
	}
	return e.drive(ctx, name, o)
}

type trialState struct {
	number  int
	runID   string
	params  map[string]any
	curves  map[string][]float64 // objective metric -> values in arrival order
	last    map[string]float64
	pruning string // why the driver is stopping it; "" if not
	// relaunched is set when the trial got a second run because its first
	// never started.
	relaunched bool
}

type trialMsg struct {
	number  int
	samples []Point
	done    bool
	err     error
}

type driver struct {
	e        *Engine
	worker   string // this process as a tuning worker (tune_workers.go)
	name     string
	studyID  int64
	spec     StudySpec
	roles    *optimizer.Study // spec-only study for constraint checks and the stopping rule
	o        TuneOptions
	trials   map[int]*trialState
	finished map[int]*trialState // curves of trials that ended, for the median rule
	progress Progress
	msgs     chan trialMsg
	// lastAdopt is when adopt last looked; adoptNow makes it look at once.
	lastAdopt time.Time
	adoptNow  bool
	wg        sync.WaitGroup
}

func (e *Engine) drive(ctx context.Context, name string, o TuneOptions) (StudyReport, error) {
	rec, err := e.ws.Store.GetStudy(ctx, name)
	if errors.Is(err, experiments.ErrNotFound) {
		return StudyReport{}, &config.InputError{Field: "STUDY", Msg: fmt.Sprintf("no study named %q; start one with `lathe tune run SPEC`", name), Err: err}
	}
	if err != nil {
		return StudyReport{}, err
	}
	worker, err := e.tuningWorker(ctx)
	if err != nil {
		return StudyReport{}, err
	}
	spec, err := storedSpec(rec)
	if err != nil {
		return StudyReport{}, err
	}
	if _, err := e.studyRunners(spec); err != nil {
		return StudyReport{}, err
	}
	roles, err := optimizer.NewStudy(spec.Spec)
	if err != nil {
		return StudyReport{}, err
	}
	if o.WorkDir == "" {
		o.WorkDir = e.ws.Root
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &driver{e: e, name: name, studyID: rec.ID, spec: spec, roles: roles, o: o, progress: progressOf(ctx), worker: worker,
		trials: map[int]*trialState{}, finished: map[int]*trialState{}, msgs: make(chan trialMsg, 64)}
	defer func() {
		cancel()
		d.wg.Wait()
		d.release()
	}()
	if _, err := e.ws.Store.UpdateStudy(ctx, name, func(st *experiments.Study) error {
		st.Status = experiments.StudyRunning
		return nil
	}); err != nil {
		return StudyReport{}, err
	}
	err = d.run(ctx)
	rep, rerr := studyStatus(context.WithoutCancel(ctx), e.ws, name)
	if err == nil && rerr != nil {
		err = rerr
	}
	return rep, err
}

// emit tells TuneOptions.Progress what happened, and the context's Progress
// how far the study has got (trials ended of the budget).
func (d *driver) emit(ev TuneEvent) {
	ev.Study = d.name
	if d.o.Progress != nil {
		d.o.Progress(ev)
	}
	if d.progress != nil {
		d.progress.Report(ProgressEvent{Op: "tune", Subject: d.name, Done: int64(len(d.finished)), Total: int64(d.budget()),
			Unit: "trials", Message: ev.String()})
	}
}

func (d *driver) budget() int {
	if b := d.spec.ObservationBudget; b > 0 {
		return b
	}
	return 20
}

func (d *driver) bandwidth() int { return max(1, d.spec.ParallelBandwidth) }

func (d *driver) run(ctx context.Context) error {
	exhausted, stop, stopping := false, d.o.stop, false
	poll := time.NewTicker(workerPoll)
	defer poll.Stop()
	for {
		// Trials nobody drives (their worker died, or the last driver of
		// this study stopped) are taken over first, then new ones asked.
		// A stopping driver takes nothing more.
		if !stopping {
			if err := d.adopt(ctx); err != nil {
				return err
			}
		}
		for !exhausted && !stopping && len(d.trials) < d.bandwidth() {
			ts, err := askTrials(ctx, d.e.ws, d.name, 1, d.budget(), d.worker)
			if errors.Is(err, optimizer.ErrExhausted) {
				exhausted = true
			} else if err != nil {
				return err
			}
			if len(ts) == 0 {
				break // the budget is asked for (by this worker and others)
			}
			for _, t := range ts {
				if err := d.launch(ctx, t); err != nil {
					return err
				}
			}
		}
		if len(d.trials) == 0 && stopping {
			return d.markStopped(ctx)
		}
		if len(d.trials) == 0 {
			done, err := d.studyDone(ctx, exhausted)
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			stop, stopping = nil, true
			d.stopTrials(ctx)
		case m := <-d.msgs:
			if err := d.handle(ctx, m); err != nil {
				return err
			}
		case <-poll.C:
		}
	}
	_, err := d.e.ws.Store.UpdateStudy(ctx, d.name, func(s *experiments.Study) error {
		s.Status = experiments.StudyCompleted
		return nil
	})
	return err
}

// loadCurves reads an ended trial's objective curves for the median rule.
func (d *driver) loadCurves(ctx context.Context, t experiments.Trial) *trialState {
	ts := &trialState{number: t.Number, runID: t.RunID, curves: map[string][]float64{}}
	for _, m := range d.spec.Metrics {
		if m.Strategy != "" && m.Strategy != optimizer.StrategyOptimize {
			continue
		}
		ss, err := d.e.ws.Store.MetricSeriesKey(ctx, t.RunID, m.Name, -1<<63)
		if err != nil {
			continue
		}
		for _, s := range ss {
			ts.curves[m.Name] = append(ts.curves[m.Name], s.Value)
		}
	}
	return ts
}

// launch starts trial t as a run and follows it. A trial the runner refuses
// is told failed; a spec the engine refuses (bad command, unknown runner) ends
// the study with that input error.
func (d *driver) launch(ctx context.Context, t experiments.Trial) error {
	params := make(map[string]string, len(t.Params))
	for k, v := range t.Params {
		params[k] = paramString(v)
	}
	r, err := d.e.Launch(ctx, LaunchRequest{
		Name:    fmt.Sprintf("%s#%d", d.name, t.Number),
		Runner:  d.spec.Runner,
		Pool:    d.spec.Runners,
		Image:   d.spec.Image,
		Command: trialCommand(d.spec, params),
		Params:  params,
		Inputs:  d.spec.Inputs,
		WorkDir: d.o.WorkDir,
		Trial:   &TrialRef{StudyID: d.studyID, Number: t.Number},
	})
	if err != nil {
		if config.IsInput(err) {
			return err
		}
		if _, terr := tell(ctx, d.e.ws, d.name, t.Number, nil, optimizer.StatusFailed, "launch: "+err.Error()); terr != nil {
			return errors.Join(err, terr)
		}
		d.emit(TuneEvent{Kind: "failed", Trial: t.Number, Params: t.Params, Message: "launch: " + err.Error()})
		return nil
	}
	ts := &trialState{number: t.Number, runID: r.ID, params: t.Params, curves: map[string][]float64{}, last: map[string]float64{}}
	d.trials[t.Number] = ts
	d.emit(TuneEvent{Kind: "launched", Trial: t.Number, RunID: r.ID, Params: t.Params})
	d.follow(ctx, ts)
	return nil
}

// follow streams a trial's metric samples to the driver until its run ends.
func (d *driver) follow(ctx context.Context, ts *trialState) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		send := func(m trialMsg) bool {
			select {
			case d.msgs <- m:
				return true
			case <-ctx.Done():
				return false
			}
		}
		err := d.e.FollowWith(ctx, ts.runID, FollowOptions{NoLogs: true}, func(ev Event) {
			if ev.Kind == EventMetrics {
				send(trialMsg{number: ts.number, samples: ev.Samples})
			}
		})
		if ctx.Err() == nil {
			send(trialMsg{number: ts.number, done: true, err: err})
		}
	}()
}

func (d *driver) handle(ctx context.Context, m trialMsg) error {
	ts := d.trials[m.number]
	if ts == nil {
		return nil
	}
	if !m.done {
		d.observe(ctx, ts, m.samples)
		return nil
	}
	delete(d.trials, m.number)
	d.adoptNow = true // a slot is free: trials nobody drives come first
	return d.finish(ctx, ts, m.err)
}

// finish tells the optimizer how a trial's run ended: the last value of each
// metric it reported; pruned when the driver stopped it; failed when the run
// failed or never reported an objective.
func (d *driver) finish(ctx context.Context, ts *trialState, followErr error) error {
	if followErr != nil {
		return fmt.Errorf("follow trial %d (run %s): %w", ts.number, ts.runID, followErr)
	}
	run, err := d.e.ws.Store.GetRun(ctx, ts.runID)
	if err != nil {
		return err
	}
	if run.Status == runstatus.Stopped && run.PID == 0 && run.ContainerID == "" && ts.pruning == "" && !ts.relaunched {
		// Its run never left the queue (the last driver died first): the
		// trial was never evaluated, so it gets a new run.
		return d.relaunch(ctx, ts, run)
	}
	last, err := d.e.ws.Store.LastMetrics(ctx, ts.runID)
	if err != nil {
		return err
	}
	metrics := map[string]float64{}
	for _, m := range d.spec.Metrics {
		if s, ok := last[m.Name]; ok && finiteValue(s.Value) {
			metrics[m.Name] = s.Value
		}
	}
	var missing []string
	for _, m := range d.spec.Metrics {
		if m.Strategy == "" || m.Strategy == optimizer.StrategyOptimize {
			if _, ok := metrics[m.Name]; !ok {
				missing = append(missing, m.Name)
			}
		}
	}
	status, msg := optimizer.StatusCompleted, ""
	switch {
	case ts.pruning != "" && run.Status != runstatus.Completed || ts.pruning != "" && len(missing) > 0:
		status, msg = optimizer.StatusPruned, prunedPrefix+ts.pruning
		if len(metrics) == 0 {
			status = optimizer.StatusFailed
		}
	case ts.pruning != "":
		// It finished before the stop landed: a complete result.
		msg = prunedPrefix + ts.pruning + " (the run ended before it was stopped)"
	case run.Status != runstatus.Completed:
		status, msg = optimizer.StatusFailed, fmt.Sprintf("run %s", run.Status)
		if run.Error != "" {
			msg += ": " + run.Error
		}
	case len(missing) > 0:
		status, msg = optimizer.StatusFailed, "the run did not report "+strings.Join(missing, ", ")
	}
	if status == optimizer.StatusFailed {
		metrics = nil
	}
	t, err := tell(ctx, d.e.ws, d.name, ts.number, metrics, status, msg)
	if err != nil {
		return fmt.Errorf("tell trial %d: %w", ts.number, err)
	}
	if status != optimizer.StatusFailed {
		d.finished[ts.number] = ts
	}
	kind := string(status)
	if t.Feasible != nil && !*t.Feasible && status == optimizer.StatusCompleted {
		msg = strings.TrimSpace(msg + " infeasible")
	}
	d.emit(TuneEvent{Kind: kind, Trial: ts.number, RunID: ts.runID, Metrics: metrics, Message: msg})
	return nil
}

// relaunch detaches a trial from a run that never started and launches it
// again; the old run stays in the store (stopped, with its trial_of edge).
func (d *driver) relaunch(ctx context.Context, ts *trialState, old experiments.Run) error {
	t, err := d.e.ws.Store.UpdateTrial(ctx, d.studyID, ts.number, func(t *experiments.Trial) error {
		t.RunID, t.Status, t.Error = "", experiments.TrialPending, ""
		return nil
	})
	if err != nil {
		return err
	}
	d.emit(TuneEvent{Kind: "relaunching", Trial: ts.number, RunID: old.ID, Message: "its run never started: " + old.Error})
	if err := d.launch(ctx, t); err != nil {
		return err
	}
	if nt := d.trials[ts.number]; nt != nil {
		nt.relaunched = true
	}
	return nil
}

// paramString formats a parameter value for a command line: ints without a
// decimal point, doubles in the shortest form that round-trips.
// trialCommand is the launch template's command for one trial: an argument
// that names a parameter the trial does not have (a conditional parameter
// whose condition does not hold, e.g. --momentum={momentum} with optimizer
// adam) is left out, as the parameter is.
func trialCommand(spec StudySpec, params map[string]string) []string {
	inactive := map[string]bool{}
	for _, p := range spec.Parameters {
		if _, ok := params[p.Name]; !ok {
			inactive[p.Name] = true
		}
	}
	out := make([]string, 0, len(spec.Command))
	for _, arg := range spec.Command {
		drop := false
		for name := range inactive {
			if strings.Contains(arg, "{"+name+"}") {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, arg)
		}
	}
	return out
}

func paramString(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && (x < 1e15 && x > -1e15) {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func finiteValue(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
)

// Background studies: the Tuner screen starts `tune run` or `resume` of a
// study and goes on being a screen. The engine drives it on a goroutine it
// owns (under Engine.Close: closing the engine cancels the driver, which
// releases its trials to the next resume, as a killed `lathe tune run`
// would); StudyRun.Stop ends it cleanly instead: no new trials, the running
// ones stopped and told pruned, the study left "stopped" for a later resume.

// maxStudyEvents bounds the events a StudyRun keeps (the newest).
const maxStudyEvents = 64

// StopReason is the pruned message of trials StudyRun.Stop ended.
const StopReason = "stopped by the user"

// StudyRun is a study this engine drives in the background.
type StudyRun struct {
	Study   string
	Resumed bool // a resume, not a new study
	Started time.Time

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu     sync.Mutex
	events []TuneEvent
	rep    StudyReport
	err    error
}

// Stop asks the driver to stop cleanly; it returns at once (Done closes
// when the running trials have been stopped and told).
func (r *StudyRun) Stop() { r.stopOnce.Do(func() { close(r.stop) }) }

// Stopping reports whether Stop was called.
func (r *StudyRun) Stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// Done is closed when the driver has returned.
func (r *StudyRun) Done() <-chan struct{} { return r.done }

// Running reports whether the driver has not returned yet.
func (r *StudyRun) Running() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// Result is the driver's final report and error, once Done is closed.
func (r *StudyRun) Result() (StudyReport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rep, r.err
}

// Events returns the newest events of the driver, oldest first.
func (r *StudyRun) Events() []TuneEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]TuneEvent(nil), r.events...)
}

func (r *StudyRun) record(ev TuneEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == maxStudyEvents {
		r.events = append(r.events[:0], r.events[1:]...)
	}
	r.events = append(r.events, ev)
}

// StartStudy creates the study of spec, as RunStudy does (the same input
// errors, returned here), and drives it in the background.
func (e *Engine) StartStudy(ctx context.Context, spec StudySpec, o TuneOptions) (*StudyRun, error) {
	if err := permit(ctx, "tune", fmt.Sprintf("%q", spec.Name)); err != nil {
		return nil, err
	}
	if err := e.need(); err != nil {
		return nil, err
	}
	if err := e.checkStudyLaunch(spec); err != nil {
		return nil, err
	}
	if r := e.StudyRun(spec.Name); r != nil && r.Running() {
		return nil, alreadyDriven(spec.Name)
	}
	if _, err := createStudy(ctx, e.ws, spec); err != nil {
		return nil, err
	}
	return e.startDriver(ctx, spec.Name, false, o)
}

// StartResume resumes the named study (ResumeStudy) in the background. A
// completed study is refused: it has nothing left to run.
func (e *Engine) StartResume(ctx context.Context, name string, o TuneOptions) (*StudyRun, error) {
	if err := permit(ctx, "resume study", fmt.Sprintf("%q", name)); err != nil {
		return nil, err
	}
	if err := e.need(); err != nil {
		return nil, err
	}
	if r := e.StudyRun(name); r != nil && r.Running() {
		return nil, alreadyDriven(name)
	}
	st, err := e.ws.Store.GetStudy(ctx, name)
	if errors.Is(err, experiments.ErrNotFound) {
		return nil, &config.InputError{Field: "STUDY", Msg: fmt.Sprintf("no study named %q; start one from its spec", name), Err: err}
	}
	if err != nil {
		return nil, err
	}
	if st.Status == experiments.StudyCompleted {
		return nil, &config.InputError{Field: "STUDY", Msg: fmt.Sprintf("study %q is completed; give its spec another name: to run it again", name)}
	}
	return e.startDriver(ctx, name, true, o)
}

// StudyRun returns the background driver of the named study this engine
// started last, or nil.
func (e *Engine) StudyRun(name string) *StudyRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.studyRuns[name]
}

func alreadyDriven(name string) error {
	return &config.InputError{Field: "STUDY", Msg: fmt.Sprintf("study %q is already running in this session", name)}
}

func (e *Engine) startDriver(ctx context.Context, name string, resumed bool, o TuneOptions) (*StudyRun, error) {
	r := &StudyRun{Study: name, Resumed: resumed, Started: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	e.mu.Lock()
	if e.ctx.Err() != nil {
		e.mu.Unlock()
		return nil, errors.New("engine closed")
	}
	if e.studyRuns == nil {
		e.studyRuns = map[string]*StudyRun{}
	}
	e.studyRuns[name] = r
	e.wg.Add(1)
	e.mu.Unlock()
	progress := o.Progress
	o.Progress = func(ev TuneEvent) {
		r.record(ev)
		if progress != nil {
			progress(ev)
		}
	}
	o.stop = r.stop
	// The driver lives as long as the engine, not the request that started
	// it; the caller's access (lathe serve) goes with it.
	dctx, cancel := context.WithCancel(e.ctx)
	if a, ok := AccessFrom(ctx); ok {
		dctx = WithAccess(dctx, a)
	}
	go func() {
		defer e.wg.Done()
		defer close(r.done)
		defer cancel()
		rep, err := e.drive(dctx, name, o)
		r.mu.Lock()
		r.rep, r.err = rep, err
		r.mu.Unlock()
	}()
	return r, nil
}

// markStopped ends a stopped driver's study: "stopped", for a resume.
func (d *driver) markStopped(ctx context.Context) error {
	_, err := d.e.ws.Store.UpdateStudy(ctx, d.name, func(s *experiments.Study) error {
		s.Status = experiments.StudyStopped
		return nil
	})
	return err
}

// stopTrials stops every trial this driver runs; each is told (pruned, or
// failed when it reported nothing) as its run's end arrives.
func (d *driver) stopTrials(ctx context.Context) {
	for _, ts := range d.trials {
		if ts.pruning == "" {
			d.prune(ctx, ts, StopReason)
		}
	}
}

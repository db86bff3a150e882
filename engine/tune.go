package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
)

// Studies over the store. The optimizer's state (optimizer.Study.MarshalState)
// lives in the study row and is written after every change; the trials table
// is the record. Every change (ask, tell) runs under the study's lock (the
// store's: a file lock on one host, an advisory lock in a shared store), so
// two processes asking at once, on any hosts, never hand out the same trial,
// and it reloads the state first, so separate processes continue the same
// study exactly.
// When the state and the trials disagree (a process died between writing a
// trial and the state), the study is rebuilt from the trials.
//
// Trial numbers: the store numbers trials 1, 2, ...; the optimizer 0, 1, ...
// Everything exported here speaks the store's numbers.

// StudyReport is a study's trials and what the optimizer makes of them: the
// JSON of `lathe tune run|status --json` (DESIGN §5).
type StudyReport struct {
	Study       string              `json:"study"`
	Status      string              `json:"status"`
	Trials      []experiments.Trial `json:"trials"`
	Pareto      []int               `json:"pareto"`
	Best        *int                `json:"best"`
	Hypervolume float64             `json:"hypervolume"`
	// HypervolumeHistory[i] is the hypervolume after the first i+1 trials,
	// against the final reference point so the curve never goes down.
	HypervolumeHistory []float64          `json:"hypervolume_history,omitempty"`
	Reference          []float64          `json:"reference,omitempty"`
	Importance         map[string]float64 `json:"importance,omitempty"`
	Budget             int                `json:"observation_budget"`
	// Noisy says the objectives are treated as noisy (the spec's noisy:, or
	// inferred from the fitted noise when NoisyInferred); then Best is the
	// trial with the best posterior mean, not the luckiest observation, and
	// BestBy says so.
	Noisy         bool      `json:"noisy"`
	NoisyInferred bool      `json:"noisy_inferred"`
	BestBy        string    `json:"best_by"` // "observed" or "posterior mean"
	Spec          StudySpec `json:"-"`
}

// Trial returns the report's trial by store number.
func (r StudyReport) Trial(number int) (experiments.Trial, bool) {
	if number < 1 || number > len(r.Trials) || r.Trials[number-1].Number != number {
		for _, t := range r.Trials {
			if t.Number == number {
				return t, true
			}
		}
		return experiments.Trial{}, false
	}
	return r.Trials[number-1], true
}

// CreateStudy records a new study from a parsed spec. A name already taken is
// an input error.
func (e *Engine) CreateStudy(ctx context.Context, spec StudySpec) (experiments.Study, error) {
	if err := permit(ctx, "create study", fmt.Sprintf("%q", spec.Name)); err != nil {
		return experiments.Study{}, err
	}
	if err := e.need(); err != nil {
		return experiments.Study{}, err
	}
	return createStudy(ctx, e.ws, spec)
}

// AskTrials asks the study for n new trials and records them as pending;
// it returns them with their store numbers. A study whose discrete space is
// exhausted returns what it could suggest and optimizer.ErrExhausted.
func (e *Engine) AskTrials(ctx context.Context, name string, n int) ([]experiments.Trial, error) {
	if err := permit(ctx, "ask trials", fmt.Sprintf("%q n=%d", name, n)); err != nil {
		return nil, err
	}
	if err := e.need(); err != nil {
		return nil, err
	}
	return askTrials(ctx, e.ws, name, n, 0, "")
}

// TellTrial records a trial's final metrics (completed), or, with failed,
// that it failed. Unknown trials, unknown metrics, non-finite values and a
// missing objective are input errors.
func (e *Engine) TellTrial(ctx context.Context, name string, number int, metrics map[string]float64, failed bool) (experiments.Trial, error) {
	if err := permit(ctx, "tell trial", fmt.Sprintf("%q #%d", name, number)); err != nil {
		return experiments.Trial{}, err
	}
	if err := e.need(); err != nil {
		return experiments.Trial{}, err
	}
	status := optimizer.StatusCompleted
	if failed {
		status = optimizer.StatusFailed
	}
	return tell(ctx, e.ws, name, number, metrics, status, "")
}

// StudyStatus reports a study: its trials, the feasible Pareto set, the best
// trial, the hypervolume (with its history) and parameter importance. It
// reads only, without the lock.
func (e *Engine) StudyStatus(ctx context.Context, name string) (StudyReport, error) {
	if err := e.need(); err != nil {
		return StudyReport{}, err
	}
	return studyStatus(ctx, e.ws, name)
}

// ListStudies lists the workspace's studies, newest first.
func (e *Engine) ListStudies(ctx context.Context) ([]experiments.Study, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.ListStudies(ctx)
}

func createStudy(ctx context.Context, ws *experiments.Workspace, spec StudySpec) (experiments.Study, error) {
	priors, err := priorOptions(ctx, ws, spec)
	if err != nil {
		return experiments.Study{}, err
	}
	s, err := optimizer.NewStudy(spec.Spec, priors...)
	if err != nil {
		return experiments.Study{}, err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return experiments.Study{}, err
	}
	state, err := s.MarshalState()
	if err != nil {
		return experiments.Study{}, err
	}
	return ws.Store.CreateStudy(ctx, experiments.Study{Name: spec.Name, Spec: raw, State: state})
}

// askTrials asks for n trials, recorded as driven by worker ("" for the
// ask/tell interface). A budget > 0 caps the study's trials: fewer are
// asked when the study is near it, none once it is there, so workers that
// share a study together ask for exactly the budget.
func askTrials(ctx context.Context, ws *experiments.Workspace, name string, n, budget int, worker string) ([]experiments.Trial, error) {
	if n < 1 {
		return nil, &config.InputError{Field: "--count", Msg: fmt.Sprintf("count must be at least 1, got %d", n)}
	}
	var out []experiments.Trial
	err := withStudy(ctx, ws, name, func(ls *loadedStudy) error {
		if budget > 0 {
			n = min(n, budget-len(ls.trials))
			if n <= 0 {
				return nil
			}
		}
		ts, askErr := ls.opt.Ask(n)
		for _, t := range ts {
			rec := experiments.Trial{Status: experiments.TrialPending, Params: t.Params, Worker: worker}
			if err := ws.Store.CreateTrial(ctx, ls.rec.ID, &rec); err != nil {
				return err
			}
			if rec.Number != t.Number+1 {
				// Only possible if someone wrote trials without the lock.
				return fmt.Errorf("study %s: store numbered the trial %d, the optimizer %d", name, rec.Number, t.Number+1)
			}
			out = append(out, rec)
		}
		return askErr
	})
	return out, err
}

// tell records a trial's outcome in the optimizer and the store.
func tell(ctx context.Context, ws *experiments.Workspace, name string, number int, metrics map[string]float64, status optimizer.TrialStatus, msg string) (experiments.Trial, error) {
	var out experiments.Trial
	err := withStudy(ctx, ws, name, func(ls *loadedStudy) error {
		if number < 1 || number > len(ls.trials) {
			return &config.InputError{Field: "TRIAL", Msg: fmt.Sprintf("study %s has no trial %d (it has %d)", name, number, len(ls.trials))}
		}
		var err error
		switch status {
		case optimizer.StatusCompleted:
			err = ls.opt.Tell(number-1, metrics)
		case optimizer.StatusPruned:
			err = ls.opt.TellPruned(number-1, metrics)
		default:
			err = ls.opt.TellFailed(number - 1)
			metrics = nil
		}
		if err != nil {
			var ie *config.InputError
			if errors.As(err, &ie) && ie.Field == "trial" {
				ie.Field = "TRIAL"
			}
			return err
		}
		feasible := trialFeasible(ls.opt, number-1)
		out, err = ws.Store.UpdateTrial(ctx, ls.rec.ID, number, func(t *experiments.Trial) error {
			t.Status = storeStatus(status)
			t.Metrics = metrics
			t.Feasible = feasible
			t.Ended = time.Now().UTC()
			if msg != "" {
				t.Error = msg
			}
			return nil
		})
		return err
	})
	return out, err
}

// trialFeasible is what the store records: completed trials are feasible or
// not; a pruned trial is infeasible when a value it reached breaks a
// constraint, unknown otherwise; a failed one is infeasible.
func trialFeasible(s *optimizer.Study, idx int) *bool {
	t := s.Trials()[idx]
	var f bool
	switch t.Status {
	case optimizer.StatusCompleted:
		f = s.Feasible(idx)
	case optimizer.StatusPruned:
		for k, v := range t.Metrics {
			if s.ViolatesConstraint(k, v) {
				return &f
			}
		}
		return nil
	case optimizer.StatusFailed:
	default:
		return nil
	}
	return &f
}

func storeStatus(s optimizer.TrialStatus) string {
	switch s {
	case optimizer.StatusCompleted:
		return experiments.TrialCompleted
	case optimizer.StatusPruned:
		return experiments.TrialPruned
	case optimizer.StatusFailed:
		return experiments.TrialFailed
	}
	return experiments.TrialPending
}

func optStatus(s string) optimizer.TrialStatus {
	switch s {
	case experiments.TrialCompleted:
		return optimizer.StatusCompleted
	case experiments.TrialPruned:
		return optimizer.StatusPruned
	case experiments.TrialFailed, experiments.TrialStopped:
		return optimizer.StatusFailed
	}
	return optimizer.StatusPending
}

// studyStatus reads a study without the lock.
func studyStatus(ctx context.Context, ws *experiments.Workspace, name string) (StudyReport, error) {
	ls, err := loadStudy(ctx, ws, name)
	if err != nil {
		return StudyReport{}, err
	}
	return ls.report(), nil
}

func (ls *loadedStudy) report() StudyReport {
	s := ls.opt
	rep := StudyReport{Study: ls.rec.Name, Status: ls.rec.Status, Trials: ls.trials, Pareto: []int{},
		Hypervolume: s.Hypervolume(), Importance: s.Importance(), Budget: ls.spec.ObservationBudget, Spec: ls.spec}
	if rep.Trials == nil {
		rep.Trials = []experiments.Trial{}
	}
	for _, n := range s.Pareto() {
		rep.Pareto = append(rep.Pareto, n+1)
	}
	if b, ok := s.Best(); ok {
		b++
		rep.Best = &b
	}
	rep.Noisy, rep.NoisyInferred = s.Noisy()
	rep.BestBy = "observed"
	if rep.Noisy {
		rep.BestBy = "posterior mean"
	}
	if ref, ok := s.ReferencePoint(); ok {
		rep.Reference = ref
		rep.HypervolumeHistory = hypervolumeHistory(ls.spec.Spec, s.Trials(), ref)
	}
	return rep
}

// hypervolumeHistory recomputes the hypervolume after each trial with the
// reference point fixed at ref, by rebuilding the study from each prefix
// (adding trials fits no model, so this is cheap).
func hypervolumeHistory(spec optimizer.Spec, ts []optimizer.Trial, ref []float64) []float64 {
	spec.Metrics = slices.Clone(spec.Metrics)
	j := 0
	for i, m := range spec.Metrics {
		if m.Strategy == "" || m.Strategy == optimizer.StrategyOptimize {
			if j < len(ref) {
				r := ref[j]
				spec.Metrics[i].Threshold = &r
			}
			j++
		}
	}
	out := make([]float64, 0, len(ts))
	for k := 1; k <= len(ts); k++ {
		prefix := slices.Clone(ts[:k])
		for i := range prefix {
			if prefix[i].Status == optimizer.StatusPending {
				prefix[i].Metrics = nil
			}
		}
		s, err := optimizer.NewStudy(spec, optimizer.WithTrials(prefix))
		if err != nil {
			return nil
		}
		out = append(out, s.Hypervolume())
	}
	return out
}

// loadedStudy is a study's record, spec, trials and optimizer, consistent
// with each other.
type loadedStudy struct {
	rec    experiments.Study
	spec   StudySpec
	trials []experiments.Trial
	opt    *optimizer.Study
}

// priorOptions load the spec's prior_studies (their completed and pruned
// trials) to warm-start the study: optimizer.WithPriorTrials. A name that is
// no study, or is the study itself, is an input error naming prior_studies.
func priorOptions(ctx context.Context, ws *experiments.Workspace, spec StudySpec) ([]optimizer.Option, error) {
	var out []optimizer.Option
	for i, name := range spec.PriorStudies {
		field := fmt.Sprintf("prior_studies[%d]", i)
		if name == spec.Name {
			return nil, &config.InputError{Field: field, Msg: fmt.Sprintf("%q is this study; name finished studies to learn from", name)}
		}
		rec, err := ws.Store.GetStudy(ctx, name)
		if errors.Is(err, experiments.ErrNotFound) {
			return nil, &config.InputError{Field: field, Msg: fmt.Sprintf("no study named %q in this store (lathe tune status lists them)", name)}
		}
		if err != nil {
			return nil, err
		}
		ps, err := storedSpec(rec)
		if err != nil {
			return nil, fmt.Errorf("prior study %s: stored spec: %w", name, err)
		}
		trials, err := ws.Store.ListTrials(ctx, rec.ID)
		if err != nil {
			return nil, err
		}
		var ots []optimizer.Trial
		for _, t := range trials {
			ot := optimizer.Trial{Number: t.Number - 1, Params: t.Params, Status: optStatus(t.Status)}
			if ot.Status != optimizer.StatusCompleted && ot.Status != optimizer.StatusPruned {
				continue
			}
			ot.Metrics = t.Metrics
			ots = append(ots, ot)
		}
		out = append(out, optimizer.WithPriorTrials(ps.Spec, ots))
	}
	return out, nil
}

// storedSpec reads the spec JSON stored in a study row.
func storedSpec(st experiments.Study) (StudySpec, error) {
	return ParseStudySpecBytes(st.Name+".json", st.Spec)
}

func loadStudy(ctx context.Context, ws *experiments.Workspace, name string) (*loadedStudy, error) {
	rec, err := ws.Store.GetStudy(ctx, name)
	if errors.Is(err, experiments.ErrNotFound) {
		return nil, &config.InputError{Field: "STUDY", Msg: fmt.Sprintf("no study named %q; create one with `lathe tune create SPEC`", name), Err: err}
	}
	if err != nil {
		return nil, err
	}
	spec, err := storedSpec(rec)
	if err != nil {
		return nil, fmt.Errorf("study %s: stored spec: %w", name, err)
	}
	trials, err := ws.Store.ListTrials(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	priors, err := priorOptions(ctx, ws, spec)
	if err != nil {
		return nil, fmt.Errorf("study %s: %w", name, err)
	}
	ls := &loadedStudy{rec: rec, spec: spec, trials: trials}
	if len(rec.State) > 0 && string(rec.State) != "null" {
		if s, err := optimizer.RestoreStudy(rec.State, priors...); err == nil && consistent(s.Trials(), trials) {
			ls.opt = s
			return ls, nil
		}
	}
	// No state, or one behind the trials: rebuild from the trials.
	ots := make([]optimizer.Trial, len(trials))
	for i, t := range trials {
		if t.Number != i+1 {
			return nil, fmt.Errorf("study %s: trial numbers have a gap at %d", name, i+1)
		}
		ot := optimizer.Trial{Number: i, Params: t.Params, Status: optStatus(t.Status)}
		if ot.Status == optimizer.StatusCompleted || ot.Status == optimizer.StatusPruned {
			ot.Metrics = t.Metrics
		}
		ots[i] = ot
	}
	s, err := optimizer.NewStudy(spec.Spec, append(priors, optimizer.WithTrials(ots))...)
	if err != nil {
		return nil, fmt.Errorf("study %s: rebuild from trials: %w", name, err)
	}
	ls.opt = s
	return ls, nil
}

// consistent reports whether the optimizer's trials are the store's.
func consistent(ots []optimizer.Trial, ts []experiments.Trial) bool {
	if len(ots) != len(ts) {
		return false
	}
	for i := range ots {
		if ots[i].Status != optStatus(ts[i].Status) {
			return false
		}
	}
	return true
}

// withStudy runs fn on the freshly loaded study under its lock, then stores
// the optimizer's state (also when fn fails part way, so trials it recorded
// stay in step).
func withStudy(ctx context.Context, ws *experiments.Workspace, name string, fn func(*loadedStudy) error) error {
	rec, err := ws.Store.GetStudy(ctx, name)
	if errors.Is(err, experiments.ErrNotFound) {
		return &config.InputError{Field: "STUDY", Msg: fmt.Sprintf("no study named %q; create one with `lathe tune create SPEC`", name), Err: err}
	}
	if err != nil {
		return err
	}
	lock, err := ws.Store.Locks().Lock(ctx, "study-"+strconv.FormatInt(rec.ID, 10))
	if err != nil {
		return err
	}
	defer unlock(lock)
	ls, err := loadStudy(ctx, ws, name)
	if err != nil {
		return err
	}
	ferr := fn(ls)
	state, err := ls.opt.MarshalState()
	if err != nil {
		return errors.Join(ferr, err)
	}
	_, err = ws.Store.UpdateStudy(ctx, name, func(st *experiments.Study) error {
		st.State = state
		return nil
	})
	return errors.Join(ferr, err)
}

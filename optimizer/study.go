package optimizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
)

// TrialStatus is where a trial stands.
type TrialStatus string

const (
	StatusPending   TrialStatus = "pending"   // asked, not yet told
	StatusCompleted TrialStatus = "completed" // told with its final metrics
	StatusFailed    TrialStatus = "failed"    // the run failed; no metrics
	StatusPruned    TrialStatus = "pruned"    // stopped early; metrics are the values it reached
)

// Trial is one suggested parameter assignment and what came of it. Params
// hold float64 for double, int64 for int and string for categorical values.
type Trial struct {
	Number  int                `json:"number"`
	Params  map[string]any     `json:"params"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Status  TrialStatus        `json:"status"`
}

// ErrExhausted is returned by Ask when every point of a discrete space has
// been suggested already.
var ErrExhausted = errors.New("optimizer: search space exhausted; every distinct assignment has been suggested")

// Option configures a Study.
type Option func(*options)

type options struct {
	initial     int
	candidates  int
	restarts    int
	localStarts int
	trials      []Trial
	priors      []priorSet
}

// WithInitialDesign sets the number of scrambled-Sobol trials before the
// models take over (default 10, or a third of a small budget).
func WithInitialDesign(n int) Option { return func(o *options) { o.initial = n } }

// WithTrials rebuilds a study from stored trials (any status), e.g. from the
// store after a restart. Pending trials stay pending.
func WithTrials(ts []Trial) Option { return func(o *options) { o.trials = ts } }

// WithCandidates sets the number of quasi-random candidates the acquisition
// is scored on before local search (default 1024).
func WithCandidates(n int) Option { return func(o *options) { o.candidates = n } }

// metricRole is an optimize or constraint metric in internal form: every
// objective minimized, every constraint a slack that is feasible when >= 0.
type metricRole struct {
	name      string
	index     int // into spec.Metrics
	objective bool
	maximize  bool
	threshold *float64
}

// internal converts a reported value: objectives to minimization, constraints to slack.
func (m metricRole) internal(v float64) float64 {
	if m.objective {
		if m.maximize {
			return -v
		}
		return v
	}
	if m.maximize {
		return v - *m.threshold
	}
	return *m.threshold - v
}

// Study is an ask/tell optimization study. It is not safe for concurrent use;
// its owner serializes calls.
type Study struct {
	spec   Spec
	sp     *space
	opt    options
	objs   []metricRole
	cons   []metricRole
	trials []Trial
	keys   map[string]bool
	models map[string]hyper // last fit per model, warm start for the next
	gps    map[string]*gp   // last posterior per model (its Cholesky factor is extended between refits)
	warp   *warping         // the fitted input warping (spec input_warping; warp.go), nil for none
	priors []priorTrial     // observations of prior studies (WithPriorTrials)
}

// NewStudy validates spec and returns a study, optionally rebuilt from trials.
func NewStudy(spec Spec, opts ...Option) (*Study, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	s := &Study{spec: spec, sp: newSpace(spec.Parameters), keys: map[string]bool{}, models: map[string]hyper{}, gps: map[string]*gp{}}
	for _, o := range opts {
		o(&s.opt)
	}
	if s.opt.initial <= 0 {
		s.opt.initial = 10
		if b := spec.ObservationBudget; b > 0 && b < 30 {
			s.opt.initial = max(3, b/3)
		}
	}
	if s.opt.candidates <= 0 {
		s.opt.candidates = 1024
	}
	if s.opt.restarts <= 0 {
		s.opt.restarts = 5
	}
	if s.opt.localStarts <= 0 {
		s.opt.localStarts = 5
	}
	for i, m := range spec.Metrics {
		r := metricRole{name: m.Name, index: i, maximize: m.Objective == Maximize, threshold: m.Threshold}
		switch m.strategy() {
		case StrategyOptimize:
			r.objective = true
			s.objs = append(s.objs, r)
		case StrategyConstraint:
			s.cons = append(s.cons, r)
		}
	}
	if err := s.loadPriors(); err != nil {
		return nil, err
	}
	for _, t := range s.opt.trials {
		if err := s.add(t); err != nil {
			return nil, err
		}
	}
	s.opt.trials = nil
	return s, nil
}

func (s *Study) add(t Trial) error {
	if t.Number != len(s.trials) {
		return fmt.Errorf("trial %d out of order: expected number %d", t.Number, len(s.trials))
	}
	t.Params = s.sp.normalize(t.Params)
	if _, err := s.sp.encode(t.Params); err != nil {
		return fmt.Errorf("trial %d: %w", t.Number, err)
	}
	switch t.Status {
	case StatusPending, StatusCompleted, StatusFailed, StatusPruned:
	default:
		return fmt.Errorf("trial %d: unknown status %q", t.Number, t.Status)
	}
	t.Metrics = copyMetrics(t.Metrics)
	s.trials = append(s.trials, t)
	s.keys[s.sp.key(t.Params)] = true
	return nil
}

func copyMetrics(m map[string]float64) map[string]float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Spec returns the study's spec.
func (s *Study) Spec() Spec { return s.spec }

// Trials returns a copy of all trials in number order.
func (s *Study) Trials() []Trial {
	out := make([]Trial, len(s.trials))
	for i, t := range s.trials {
		t.Params = copyParams(t.Params)
		t.Metrics = copyMetrics(t.Metrics)
		out[i] = t
	}
	return out
}

func copyParams(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// Ask returns n new trials to evaluate. The first trials come from a
// scrambled Sobol design; later ones maximize the acquisition with the
// pending trials fantasized (Kriging believer), so a batch spreads out.
// No assignment is ever suggested twice.
func (s *Study) Ask(n int) ([]Trial, error) {
	var out []Trial
	fit := &askFit{}
	for i := 0; i < n; i++ {
		params, err := s.next(fit)
		if err != nil {
			return out, err
		}
		t := Trial{Number: len(s.trials), Params: params, Status: StatusPending}
		s.trials = append(s.trials, t)
		s.keys[s.sp.key(params)] = true
		t.Params = copyParams(params)
		out = append(out, t)
	}
	return out, nil
}

func (s *Study) next(fit *askFit) (map[string]any, error) {
	num := len(s.trials)
	completed := 0
	for _, t := range s.trials {
		if t.Status == StatusCompleted || t.Status == StatusPruned {
			completed++
		}
	}
	if num < s.opt.initial-len(s.priors) || completed+len(s.priors) < 2 {
		return s.sobolPoint(num)
	}
	return s.suggest(fit)
}

// sobolPoint returns design point num, skipping ahead past assignments that
// were already suggested (ints and categoricals can collide).
func (s *Study) sobolPoint(num int) (map[string]any, error) {
	if n, ok := s.sp.cardinality(); ok && float64(len(s.keys)) >= n {
		return nil, ErrExhausted
	}
	q := newSobol(s.sp.dim, uint64(s.spec.Seed))
	for j := num; j < num+1<<16; j++ {
		u := q.point(uint32(j))
		s.sp.project(u)
		p := s.sp.decode(u)
		if !s.keys[s.sp.key(p)] {
			return p, nil
		}
	}
	return nil, ErrExhausted
}

// Tell records the final metric values of a pending trial.
func (s *Study) Tell(number int, metrics map[string]float64) error {
	return s.finish(number, metrics, StatusCompleted)
}

// TellPruned records a trial stopped early with the values it reached; the
// models learn from them, but the trial is not a candidate for Best or Pareto.
func (s *Study) TellPruned(number int, metrics map[string]float64) error {
	return s.finish(number, metrics, StatusPruned)
}

// TellFailed records that a trial's run failed. The study models failure as
// an extra constraint so the region is not suggested again blindly.
func (s *Study) TellFailed(number int) error { return s.finish(number, nil, StatusFailed) }

func (s *Study) finish(number int, metrics map[string]float64, st TrialStatus) error {
	if number < 0 || number >= len(s.trials) {
		return &config.InputError{Field: "trial", Msg: fmt.Sprintf("no trial %d (the study has %d)", number, len(s.trials))}
	}
	t := &s.trials[number]
	if t.Status != StatusPending {
		return &config.InputError{Field: "trial", Msg: fmt.Sprintf("trial %d is already %s", number, t.Status)}
	}
	known := map[string]bool{}
	for _, m := range s.spec.Metrics {
		known[m.Name] = true
	}
	for _, k := range format.SortedKeys(metrics) {
		v := metrics[k]
		if !known[k] {
			return &config.InputError{Field: k, Msg: fmt.Sprintf("unknown metric %q; the spec's metrics are %v", k, s.metricNames())}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &config.InputError{Field: k, Msg: fmt.Sprintf("metric value must be finite, got %v", v)}
		}
	}
	if st == StatusCompleted {
		for _, r := range s.objs {
			if _, ok := metrics[r.name]; !ok {
				return &config.InputError{Field: r.name, Msg: "missing value for optimize metric " + r.name + "; tell a failed trial with TellFailed"}
			}
		}
	}
	t.Metrics = copyMetrics(metrics)
	t.Status = st
	return nil
}

func (s *Study) metricNames() []string {
	var ns []string
	for _, m := range s.spec.Metrics {
		ns = append(ns, m.Name)
	}
	return ns
}

// Feasible reports whether a trial completed and satisfied every constraint.
func (s *Study) Feasible(number int) bool {
	if number < 0 || number >= len(s.trials) {
		return false
	}
	return s.feasible(s.trials[number])
}

// feasibleEncoded yields the feasible trials (in trial order) whose
// parameters encode into the search space, each with its encoding.
func (s *Study) feasibleEncoded() iter.Seq2[Trial, []float64] {
	return func(yield func(Trial, []float64) bool) {
		for _, t := range s.trials {
			if !s.feasible(t) {
				continue
			}
			x, err := s.sp.encode(t.Params)
			if err != nil {
				continue
			}
			if !yield(t, x) {
				return
			}
		}
	}
}

func (s *Study) feasible(t Trial) bool {
	if t.Status != StatusCompleted {
		return false
	}
	for _, c := range s.cons {
		v, ok := t.Metrics[c.name]
		if !ok || c.internal(v) < 0 {
			return false
		}
	}
	for _, o := range s.objs {
		if _, ok := t.Metrics[o.name]; !ok {
			return false
		}
	}
	return true
}

func (s *Study) objVec(t Trial) []float64 {
	y := make([]float64, len(s.objs))
	for j, o := range s.objs {
		y[j] = o.internal(t.Metrics[o.name])
	}
	return y
}

// Pareto returns the numbers of the feasible completed trials that no other
// feasible trial dominates, in number order.
func (s *Study) Pareto() []int {
	var nums []int
	var ys [][]float64
	for _, t := range s.trials {
		if s.feasible(t) {
			nums = append(nums, t.Number)
			ys = append(ys, s.objVec(t))
		}
	}
	var out []int
	for i := range ys {
		dom := false
		for k := range ys {
			if dominates(ys[k], ys[i]) || (k < i && equal(ys[k], ys[i])) {
				dom = true
				break
			}
		}
		if !dom {
			out = append(out, nums[i])
		}
	}
	return out
}

// Best returns the best feasible trial: for one objective the best value (in
// a noisy study, the trial whose posterior mean is best, the point most
// likely best rather than the luckiest observation); for
// several, the Pareto trial closest to the ideal point after scaling each
// objective to [0,1] from the front's ideal to the reference point (a knee
// point). ok is false when no
// trial is feasible.
func (s *Study) Best() (number int, ok bool) {
	front := s.Pareto()
	if len(front) == 0 {
		return 0, false
	}
	if len(s.objs) == 1 {
		if n, ok := s.bestByMean(); ok {
			return n, true
		}
	}
	if len(s.objs) == 1 || len(front) == 1 {
		return front[0], true
	}
	m := len(s.objs)
	lo, hi := make([]float64, m), make([]float64, m)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	for _, n := range front {
		y := s.objVec(s.trials[n])
		for j := range y {
			lo[j], hi[j] = math.Min(lo[j], y[j]), math.Max(hi[j], y[j])
		}
	}
	// Scale each objective from the ideal point to the reference point
	// (thresholds where given), not to the front's own nadir: otherwise a
	// front of two points always ties, however small one of its differences
	// is next to the region of interest.
	if ref, ok := s.refPoint(nil); ok {
		for j := range hi {
			hi[j] = math.Max(hi[j], ref[j])
		}
	}
	bestD := math.Inf(1)
	for _, n := range front {
		y := s.objVec(s.trials[n])
		var d float64
		for j := range y {
			if hi[j] > lo[j] {
				t := (y[j] - lo[j]) / (hi[j] - lo[j])
				d += t * t
			}
		}
		if d < bestD {
			bestD, number = d, n
		}
	}
	return number, true
}

// ReferencePoint returns the hypervolume reference point in the metrics' own
// orientation: thresholds where the spec gives them, otherwise inferred from
// the feasible front as nadir + 10 % of its range (BoTorch's
// infer_reference_point). ok is false when it cannot be inferred yet.
func (s *Study) ReferencePoint() (ref []float64, ok bool) {
	r, ok := s.refPoint(nil)
	if !ok {
		return nil, false
	}
	out := make([]float64, len(r))
	for j, o := range s.objs {
		out[j] = r[j]
		if o.maximize {
			out[j] = -r[j]
		}
	}
	return out, true
}

// refPoint in internal (minimized) form; extra are additional front points.
func (s *Study) refPoint(extra [][]float64) ([]float64, bool) {
	var ys [][]float64
	for _, t := range s.trials {
		if s.feasible(t) {
			ys = append(ys, s.objVec(t))
		}
	}
	ys = append(ys, extra...)
	m := len(s.objs)
	ref := make([]float64, m)
	need := false
	for j, o := range s.objs {
		if o.threshold != nil {
			ref[j] = o.internal(*o.threshold)
		} else {
			need = true
		}
	}
	if !need {
		return ref, true
	}
	if len(ys) == 0 {
		return nil, false
	}
	big := make([]float64, m)
	for j := range big {
		big[j] = math.Inf(1)
	}
	front := nondominated(ys, big)
	for j, o := range s.objs {
		if o.threshold != nil {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, y := range front {
			lo, hi = math.Min(lo, y[j]), math.Max(hi, y[j])
		}
		rng := hi - lo
		if rng <= 0 {
			rng = math.Max(1e-3, 0.1*math.Abs(hi))
		}
		ref[j] = hi + 0.1*rng
	}
	return ref, true
}

// Hypervolume is the volume that the feasible completed trials dominate up to
// the reference point (for one objective: the distance from the reference to
// the best value).
func (s *Study) Hypervolume() float64 {
	ref, ok := s.refPoint(nil)
	if !ok {
		return 0
	}
	var ys [][]float64
	for _, t := range s.trials {
		if s.feasible(t) {
			ys = append(ys, s.objVec(t))
		}
	}
	return hypervolume(ys, ref)
}

// ViolatesConstraint reports whether value of metric already breaks its
// constraint threshold (<= when minimizing, >= when maximizing). It is false
// for metrics that are not constraints. A driver uses it on streamed values to
// stop a trial early and tell it with TellPruned.
func (s *Study) ViolatesConstraint(metric string, value float64) bool {
	for _, c := range s.cons {
		if c.name == metric {
			return c.internal(value) < 0
		}
	}
	return false
}

// state is the JSON form of a study.
type state struct {
	Version int              `json:"version"`
	Spec    Spec             `json:"spec"`
	Initial int              `json:"initial"`
	Trials  []Trial          `json:"trials"`
	Models  map[string]hyper `json:"models,omitempty"`
	Warp    *warping         `json:"warp,omitempty"`
}

// MarshalState serializes the study (spec, trials and the fitted
// hyperparameters that warm-start the next fit) as JSON.
func (s *Study) MarshalState() ([]byte, error) {
	return json.Marshal(state{Version: 1, Spec: s.spec, Initial: s.opt.initial, Trials: s.trials, Models: s.models, Warp: s.warp})
}

// RestoreStudy rebuilds a study from MarshalState output; it continues with
// exactly the suggestions the original would have made.
func RestoreStudy(data []byte, opts ...Option) (*Study, error) {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("restore study: %w", err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("restore study: unsupported state version %d", st.Version)
	}
	opts = append([]Option{WithInitialDesign(st.Initial), WithTrials(st.Trials)}, opts...)
	s, err := NewStudy(st.Spec, opts...)
	if err != nil {
		return nil, fmt.Errorf("restore study: %w", err)
	}
	for k, v := range st.Models {
		s.models[k] = v
	}
	s.warp = st.Warp
	return s, nil
}

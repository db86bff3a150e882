package optimizer

import (
	"fmt"
	"math"

	"github.com/lathe-ml/lathe/config"
)

// WithPriorTrials warm-starts a study from the trials of a finished study
// (the spec's prior_studies; the engine loads them from the store) whose
// parameters are the same as this study's or a subset of them, each of the
// same type. Its completed and pruned trials join the models' data (and, when
// feasible, the incumbent front EI and EHVI improve on) but are not this
// study's trials: Best, Pareto and the budget count only its own. A
// parameter the prior study did not have is imputed at the centre of its
// range (categoricals equidistant from every value); a prior trial with a
// value outside this study's bounds or categories is left out, as are its
// metrics this study does not have. The initial design shrinks by the
// number of prior trials used. Several calls add up.
func WithPriorTrials(prior Spec, trials []Trial) Option {
	return func(o *options) { o.priors = append(o.priors, priorSet{spec: prior, trials: trials}) }
}

type priorSet struct {
	spec   Spec
	trials []Trial
}

// priorTrial is a usable prior observation in this study's encoding.
type priorTrial struct {
	x []float64
	t Trial
}

// loadPriors checks the prior specs against this study's space and encodes
// their trials.
func (s *Study) loadPriors() error {
	byName := map[string]Parameter{}
	for _, p := range s.sp.params {
		byName[p.Name] = p
	}
	for _, ps := range s.opt.priors {
		for _, q := range ps.spec.Parameters {
			p, ok := byName[q.Name]
			if !ok {
				return &config.InputError{Field: "prior_studies", Msg: fmt.Sprintf("prior study %q has parameter %q, which this study does not; a prior study's space must be the same or a subset", ps.spec.Name, q.Name)}
			}
			if p.Type != q.Type {
				return &config.InputError{Field: "prior_studies", Msg: fmt.Sprintf("prior study %q has %q as %s, this study as %s", ps.spec.Name, q.Name, q.Type, p.Type)}
			}
		}
		for _, t := range ps.trials {
			if t.Status != StatusCompleted && t.Status != StatusPruned {
				continue
			}
			x, ok := s.sp.encodePrior(s.sp.normalize(t.Params))
			if !ok {
				continue
			}
			m := map[string]float64{}
			for _, r := range append(append([]metricRole{}, s.objs...), s.cons...) {
				if v, has := t.Metrics[r.name]; has && !math.IsNaN(v) && !math.IsInf(v, 0) {
					m[r.name] = v
				}
			}
			s.priors = append(s.priors, priorTrial{x: x, t: Trial{Number: -1, Params: t.Params, Metrics: m, Status: t.Status}})
		}
	}
	return nil
}

// encodePrior encodes an assignment that may lack parameters: a missing
// double or int sits at the centre of its range, a missing categorical at
// 1/K in each one-hot dimension. ok is false when a value is out of range.
func (s *space) encodePrior(vals map[string]any) ([]float64, bool) {
	full := make(map[string]any, len(vals))
	for k, v := range vals {
		full[k] = v
	}
	var missing []int
	for i, p := range s.params {
		if _, ok := vals[p.Name]; ok || len(s.cond[i]) > 0 {
			continue
		}
		missing = append(missing, i)
		switch p.Type { // a placeholder value, replaced below
		case TypeCategorical:
			full[p.Name] = p.CategoricalValues[0]
		case TypeInt:
			full[p.Name] = int64(p.Bounds.Min)
		default:
			full[p.Name] = p.Bounds.Min
		}
	}
	u, err := s.encode(full)
	if err != nil {
		return nil, false
	}
	for _, i := range missing {
		p := s.params[i]
		o := s.offset[i]
		if p.Type == TypeCategorical {
			for k := range p.CategoricalValues {
				u[o+k] = 1 / float64(len(p.CategoricalValues))
			}
		} else {
			u[o] = 0.5
		}
	}
	return u, true
}

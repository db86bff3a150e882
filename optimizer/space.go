package optimizer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
)

// space maps parameter values to and from the unit cube [0,1]^d the models
// work in, as Optuna's GPSampler does: log parameters in log space, ints
// widened by ±0.5 so every integer owns an equal cell, categoricals one-hot
// (one ARD length scale per value).
type space struct {
	params []Parameter
	offset []int // first encoded dimension of each parameter
	dim    int
	// conditional parameters: cond[i] lists (parent index, allowed values)
	cond [][]condition
}

// condition: parameter parent must take one of the values (their indices
// into its categorical_values) for the parameter holding it to be active.
type condition struct {
	parent int
	allow  map[int]bool
}

// inactiveValue is where an inactive conditional parameter sits in the unit
// cube: a constant, so the models see every inactive trial alike in that
// dimension (imputation, as in Levesque et al. 2017), at the centre so it is
// on average no nearer one active value than another.
const inactiveValue = 0.5

func newSpace(ps []Parameter) *space {
	s := &space{params: ps, offset: make([]int, len(ps)), cond: make([][]condition, len(ps))}
	index := map[string]int{}
	for i, p := range ps {
		index[p.Name] = i
		s.offset[i] = s.dim
		if p.Type == TypeCategorical {
			s.dim += len(p.CategoricalValues)
		} else {
			s.dim++
		}
	}
	for i, p := range ps {
		for _, parent := range format.SortedKeys(p.Conditions) {
			j, ok := index[parent]
			if !ok {
				continue // Validate reports it
			}
			c := condition{parent: j, allow: map[int]bool{}}
			for _, v := range p.Conditions[parent] {
				for k, cv := range ps[j].CategoricalValues {
					if cv == v {
						c.allow[k] = true
					}
				}
			}
			s.cond[i] = append(s.cond[i], c)
		}
	}
	return s
}

// lohi returns the interval, in the (possibly log) working scale, mapped to [0,1].
func lohi(p Parameter) (lo, hi float64) {
	lo, hi = p.Bounds.Min, p.Bounds.Max
	if p.Type == TypeInt {
		lo, hi = lo-0.5, hi+0.5
	}
	if p.Transformation == "log" {
		if p.Type == TypeInt {
			// widen in the original scale but never to <= 0
			lo = math.Max(lo, p.Bounds.Min*0.5)
		}
		lo, hi = math.Log(lo), math.Log(hi)
	}
	return lo, hi
}

// encode maps parameter values to the unit cube.
func (s *space) encode(vals map[string]any) ([]float64, error) {
	u := make([]float64, s.dim)
	for i, p := range s.params {
		o := s.offset[i]
		if len(s.cond[i]) > 0 && !s.activeIn(i, vals) {
			if p.Type == TypeCategorical {
				u[o] = 1
			} else {
				u[o] = inactiveValue
			}
			continue
		}
		v, ok := vals[p.Name]
		if !ok {
			return nil, &config.InputError{Field: p.Name, Msg: "missing parameter value"}
		}
		if p.Type == TypeCategorical {
			str := fmt.Sprint(v)
			k := -1
			for j, c := range p.CategoricalValues {
				if c == str {
					k = j
				}
			}
			if k < 0 {
				return nil, &config.InputError{Field: p.Name, Msg: fmt.Sprintf("value %q is not one of %s", str, strings.Join(p.CategoricalValues, ", "))}
			}
			u[o+k] = 1
			continue
		}
		x, err := toFloat(v)
		if err != nil {
			return nil, &config.InputError{Field: p.Name, Msg: err.Error()}
		}
		if x < p.Bounds.Min || x > p.Bounds.Max || (p.Type == TypeInt && x != math.Round(x)) {
			return nil, &config.InputError{Field: p.Name, Msg: fmt.Sprintf("value %g outside %s bounds [%g, %g]", x, p.Type, p.Bounds.Min, p.Bounds.Max)}
		}
		lo, hi := lohi(p)
		if p.Transformation == "log" {
			x = math.Log(x)
		}
		u[o] = (x - lo) / (hi - lo)
	}
	return u, nil
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("not a number: %q", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

// decode maps a unit-cube point to parameter values: float64 for double,
// int64 for int, string for categorical.
func (s *space) decode(u []float64) map[string]any {
	out := make(map[string]any, len(s.params))
	for i, p := range s.params {
		o := s.offset[i]
		if !s.active(i, u) {
			continue
		}
		switch p.Type {
		case TypeCategorical:
			k := argmax(u[o : o+len(p.CategoricalValues)])
			out[p.Name] = p.CategoricalValues[k]
		default:
			lo, hi := lohi(p)
			x := lo + clamp01(u[o])*(hi-lo)
			if p.Transformation == "log" {
				x = math.Exp(x)
			}
			if p.Type == TypeInt {
				out[p.Name] = int64(math.Max(p.Bounds.Min, math.Min(p.Bounds.Max, math.Round(x))))
			} else {
				out[p.Name] = math.Max(p.Bounds.Min, math.Min(p.Bounds.Max, x))
			}
		}
	}
	return out
}

// project snaps u in place onto the encodings of valid values, so that the
// models only ever see points that can actually be evaluated.
func (s *space) project(u []float64) {
	for i, p := range s.params {
		o := s.offset[i]
		if !s.active(i, u) {
			if p.Type == TypeCategorical {
				for j := range p.CategoricalValues {
					u[o+j] = 0
				}
				u[o] = 1
			} else {
				u[o] = inactiveValue
			}
			continue
		}
		switch p.Type {
		case TypeCategorical:
			n := len(p.CategoricalValues)
			k := argmax(u[o : o+n])
			for j := 0; j < n; j++ {
				u[o+j] = 0
			}
			u[o+k] = 1
		case TypeInt:
			v, _ := s.encode1(p, s.decode1(i, u))
			u[o] = v
		default:
			u[o] = clamp01(u[o])
		}
	}
}

func (s *space) decode1(i int, u []float64) float64 {
	p := s.params[i]
	lo, hi := lohi(p)
	x := lo + clamp01(u[s.offset[i]])*(hi-lo)
	if p.Transformation == "log" {
		x = math.Exp(x)
	}
	return math.Max(p.Bounds.Min, math.Min(p.Bounds.Max, math.Round(x)))
}

func (s *space) encode1(p Parameter, x float64) (float64, error) {
	lo, hi := lohi(p)
	if p.Transformation == "log" {
		x = math.Log(x)
	}
	return (x - lo) / (hi - lo), nil
}

// key is a canonical text form of a parameter assignment, for duplicate checks.
func (s *space) key(vals map[string]any) string {
	var b strings.Builder
	for i, p := range s.params {
		if len(s.cond[i]) > 0 && !s.activeIn(i, vals) {
			b.WriteString("-\x00")
			continue
		}
		switch v := vals[p.Name].(type) {
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'g', 12, 64))
		default:
			fmt.Fprint(&b, v)
		}
		b.WriteByte(0)
	}
	return b.String()
}

// normalize converts values that came through JSON (float64 for ints) back to
// the types decode produces.
func (s *space) normalize(vals map[string]any) map[string]any {
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		out[k] = v
	}
	for _, p := range s.params {
		v, ok := out[p.Name]
		if !ok {
			continue
		}
		switch p.Type {
		case TypeInt:
			if f, err := toFloat(v); err == nil {
				out[p.Name] = int64(math.Round(f))
			}
		case TypeDouble:
			if f, err := toFloat(v); err == nil {
				out[p.Name] = f
			}
		case TypeCategorical:
			out[p.Name] = fmt.Sprint(v)
		}
	}
	return out
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

func argmax(x []float64) int {
	k := 0
	for i := range x {
		if x[i] > x[k] {
			k = i
		}
	}
	return k
}

// cardinality is the number of distinct assignments of an all-discrete
// space (an upper bound when some parameters are conditional); ok is false
// when a double makes it infinite.
func (s *space) cardinality() (n float64, ok bool) {
	n = 1
	for _, p := range s.params {
		switch p.Type {
		case TypeCategorical:
			n *= float64(len(p.CategoricalValues))
		case TypeInt:
			n *= p.Bounds.Max - p.Bounds.Min + 1
		default:
			return 0, false
		}
	}
	return n, true
}

// hasContinuous reports whether the space has double parameters.
func (s *space) hasContinuous() bool {
	for _, p := range s.params {
		if p.Type == TypeDouble {
			return true
		}
	}
	return false
}

// continuousMask marks the encoded dimensions of double parameters.
func (s *space) continuousMask() []bool {
	m := make([]bool, s.dim)
	for i, p := range s.params {
		if p.Type == TypeDouble {
			m[s.offset[i]] = true
		}
	}
	return m
}

// active reports whether parameter i is active at the unit-cube point u
// (its parents' categories, decoded from u, are among the allowed ones).
// Parents are unconditional (Validate), so no recursion is needed.
func (s *space) active(i int, u []float64) bool {
	for _, c := range s.cond[i] {
		p := s.params[c.parent]
		o := s.offset[c.parent]
		if !c.allow[argmax(u[o:o+len(p.CategoricalValues)])] {
			return false
		}
	}
	return true
}

// activeIn reports whether parameter i is active for the assignment vals.
func (s *space) activeIn(i int, vals map[string]any) bool {
	for _, c := range s.cond[i] {
		p := s.params[c.parent]
		v := fmt.Sprint(vals[p.Name])
		ok := false
		for k := range c.allow {
			if p.CategoricalValues[k] == v {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// activeMask marks the encoded dimensions of the parameters active at u.
func (s *space) activeMask(u []float64) []bool {
	m := make([]bool, s.dim)
	for i, p := range s.params {
		if !s.active(i, u) {
			continue
		}
		n := 1
		if p.Type == TypeCategorical {
			n = len(p.CategoricalValues)
		}
		for k := 0; k < n; k++ {
			m[s.offset[i]+k] = true
		}
	}
	return m
}

// catGroups lists the one-hot dimensions of each categorical parameter with
// two or more values: the fits tie their length scales (tiedNLP).
func (s *space) catGroups() [][]int {
	var out [][]int
	for i, p := range s.params {
		if p.Type != TypeCategorical || len(p.CategoricalValues) < 2 {
			continue
		}
		g := make([]int, len(p.CategoricalValues))
		for k := range g {
			g[k] = s.offset[i] + k
		}
		out = append(out, g)
	}
	return out
}

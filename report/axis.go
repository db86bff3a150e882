package report

import (
	"math"
	"strconv"
	"time"

	"github.com/lathe-ml/lathe/format"
)

// scale maps data values on [lo, hi] to pixels on [a, b], linearly or by
// log10.
type scale struct {
	lo, hi, a, b float64
	log          bool
}

func (s scale) at(v float64) float64 {
	lo, hi := s.lo, s.hi
	if s.log {
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if hi == lo {
		return (s.a + s.b) / 2
	}
	return s.a + (v-lo)/(hi-lo)*(s.b-s.a)
}

// extent is the finite range of vs (positive values only on a log axis).
func extent(vs []float64, log bool) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
			continue
		}
		lo, hi, ok = math.Min(lo, v), math.Max(hi, v), true
	}
	return lo, hi, ok
}

// pad widens [lo, hi] by frac of its width on each side, and an empty range
// to one around its value, so a point is never on the frame.
func pad(lo, hi, frac float64, log bool) (float64, float64) {
	if log {
		l, h := math.Log10(lo), math.Log10(hi)
		if h == l {
			return lo / 2, hi * 2
		}
		d := (h - l) * frac
		return math.Pow(10, l-d), math.Pow(10, h+d)
	}
	if hi == lo {
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		return lo - d, hi + d
	}
	d := (hi - lo) * frac
	return lo - d, hi + d
}

// linearTicks are about n values inside [lo, hi] at a "nice" spacing (1, 2
// or 5 times a power of ten, Heckbert's numbers), the spacing whose count
// of ticks comes closest to n; and that spacing.
func linearTicks(lo, hi float64, n int) ([]float64, float64) {
	if !(hi > lo) || n < 2 {
		return []float64{lo}, 1
	}
	count := func(step float64) int {
		return int(math.Floor(hi/step+1e-9) - math.Ceil(lo/step-1e-9) + 1)
	}
	e := math.Floor(math.Log10((hi - lo) / float64(n)))
	step, best := 0.0, math.MaxInt
	for k := e - 1; k <= e+1; k++ {
		for _, m := range []float64{1, 2, 5} {
			s := m * math.Pow(10, k)
			if d := abs(count(s) - n); d < best {
				step, best = s, d
			}
		}
	}
	var out []float64
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out, step
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// logTicks are the powers of ten inside [lo, hi]; with fewer than three,
// the 2s and 5s between them too.
func logTicks(lo, hi float64) []float64 {
	var out []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		if v := math.Pow(10, e); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			out = append(out, v)
		}
	}
	if len(out) >= 3 {
		return out
	}
	out = out[:0]
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				out = append(out, v)
			}
		}
	}
	return out
}

// tickLabel prints a tick value with as many decimals as its spacing needs.
func tickLabel(v, step float64, log bool) string {
	if log || math.Abs(v) >= 1e6 || (v != 0 && math.Abs(v) < 1e-4) {
		return format.Short(v)
	}
	d := 0
	if step > 0 && step < 1 {
		d = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if d == 0 && v == math.Trunc(v) && math.Abs(v) >= 1e4 {
		return format.Digits(int64(v))
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// ticksFor gives a scale's tick values and labels.
func ticksFor(s scale, n int) ([]float64, []string) {
	var vs []float64
	step := 0.0
	if s.log {
		vs = logTicks(s.lo, s.hi)
	} else {
		vs, step = linearTicks(s.lo, s.hi, n)
	}
	labels := make([]string, len(vs))
	for i, v := range vs {
		labels[i] = tickLabel(v, step, s.log)
	}
	return vs, labels
}

// dateTicks are at most about n ticks on [lo, hi] (Unix seconds) at whole
// calendar units: years, months, days or hours, whichever the range needs.
func dateTicks(lo, hi float64, n int) ([]float64, []string) {
	if !(hi > lo) {
		return []float64{lo}, []string{unixText(lo)}
	}
	t0 := time.Unix(int64(math.Floor(lo)), 0).UTC()
	span := time.Duration((hi - lo) * float64(time.Second))
	type unit struct {
		years, months, days, hours int
		layout                     string
	}
	units := []unit{{hours: 1, layout: "01-02 15:04"}, {hours: 3, layout: "01-02 15:04"}, {hours: 6, layout: "01-02 15:04"}, {hours: 12, layout: "01-02 15:04"},
		{days: 1, layout: "2006-01-02"}, {days: 2, layout: "2006-01-02"}, {days: 7, layout: "2006-01-02"}, {days: 14, layout: "2006-01-02"},
		{months: 1, layout: "2006-01"}, {months: 2, layout: "2006-01"}, {months: 3, layout: "2006-01"}, {months: 6, layout: "2006-01"}}
	for _, y := range []int{1, 2, 5, 10, 20, 50, 100} {
		units = append(units, unit{years: y, layout: "2006"})
	}
	pick := len(units) - 1
	for i, u := range units {
		approx := time.Duration(u.hours)*time.Hour + time.Duration(u.days)*24*time.Hour +
			time.Duration(u.months)*30*24*time.Hour + time.Duration(u.years)*365*24*time.Hour
		if span/approx <= time.Duration(n) {
			pick = i
			break
		}
	}
	u := units[pick]
	// The first whole unit at or after lo.
	var t time.Time
	switch {
	case u.years > 0:
		t = time.Date(t0.Year()/u.years*u.years, 1, 1, 0, 0, 0, 0, time.UTC)
	case u.months > 0:
		t = time.Date(t0.Year(), time.Month((int(t0.Month())-1)/u.months*u.months+1), 1, 0, 0, 0, 0, time.UTC)
	case u.days > 0:
		t = time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, time.UTC)
	default:
		t = time.Date(t0.Year(), t0.Month(), t0.Day(), t0.Hour()/u.hours*u.hours, 0, 0, 0, time.UTC)
	}
	var vs []float64
	var ls []string
	for ; float64(t.Unix()) <= hi; t = t.AddDate(u.years, u.months, u.days).Add(time.Duration(u.hours) * time.Hour) {
		if v := float64(t.Unix()); v >= lo {
			vs = append(vs, v)
			ls = append(ls, t.Format(u.layout))
		}
	}
	return vs, ls
}

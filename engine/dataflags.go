package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/explore"
)

// The data commands' knobs over the config, shared by the CLI's flags and
// the Data screen's controls: each field left zero keeps the config's
// value. Bad values are input errors naming the flag.

// ReadFlags adjust how files are read.
type ReadFlags struct {
	OnError  string   // --on-error: fail or skip ("" = fail)
	Header   string   // --header: first-row, none or sniff ("" = the config's explore.header)
	NoHeader bool     // --no-header: the same as --header none
	Missing  []string // --missing: the missing-value tokens, replacing the config's
	Parsers  int      // --parsers: CSV parser goroutines (0 = one per core)
}

// ReadOptionsFor are the readers' options for the config and f.
func (e *Engine) ReadOptionsFor(f ReadFlags) (explore.ReadOptions, error) {
	ro, err := e.ReadOptions(f.OnError)
	if err != nil {
		return ro, err
	}
	switch {
	case f.NoHeader && f.Header != "" && f.Header != "none":
		return ro, &config.InputError{Field: "--no-header", Msg: fmt.Sprintf("contradicts --header %s; give one of them", f.Header)}
	case f.NoHeader:
		ro.Header = explore.HeaderAbsent
	case f.Header != "":
		h, ok := explore.ParseHeaderMode(f.Header)
		if !ok {
			return ro, &config.InputError{Field: "--header", Msg: fmt.Sprintf("%q is not valid; use first-row (the first row names the columns, as pandas reads it), none or sniff", f.Header)}
		}
		ro.Header = h
	}
	if f.Missing != nil {
		ro.Missing = slices.Clone(f.Missing)
	}
	if f.Parsers < 0 {
		return ro, &config.InputError{Field: "--parsers", Msg: fmt.Sprintf("%d: give 0 (one per core) or a positive number", f.Parsers)}
	}
	ro.Parsers = f.Parsers
	return ro, nil
}

// ProfileFlags adjust what a profile computes.
type ProfileFlags struct {
	CorrColumns   int      // --corr-columns: correlate at most this many numeric columns
	CorrNames     []string // --corr-names: correlate these columns
	CramersMax    int      // --cramers-max: skip categoricals with more distinct values
	TimeColumn    string   // --time-column: the column ordering rows ("-": none)
	DisableAlerts []string // --disable-alert: alert kinds not to raise
}

// ProfileOptionsFor are the profiler's options for the config, ro and f.
func (e *Engine) ProfileOptionsFor(ro explore.ReadOptions, f ProfileFlags) (explore.ProfileOptions, error) {
	po := e.ProfileOptions(ro)
	if f.CorrColumns < 0 {
		return po, &config.InputError{Field: "--corr-columns", Msg: fmt.Sprintf("%d: give a positive number of columns", f.CorrColumns)}
	}
	if f.CorrColumns > 0 {
		po.CorrColumns = f.CorrColumns
	}
	if len(f.CorrNames) > 0 {
		po.CorrNames = slices.Clone(f.CorrNames)
	}
	if f.CramersMax < 0 {
		return po, &config.InputError{Field: "--cramers-max", Msg: fmt.Sprintf("%d: give a positive number of distinct values", f.CramersMax)}
	}
	if f.CramersMax > 0 {
		po.CramersMaxDistinct = f.CramersMax
	}
	if f.TimeColumn != "" {
		po.TimeColumn = f.TimeColumn
	}
	for _, k := range f.DisableAlerts {
		for _, kind := range strings.Split(k, ",") {
			kind = strings.TrimSpace(kind)
			if !slices.Contains(explore.AlertKinds, kind) {
				return po, &config.InputError{Field: "--disable-alert", Msg: fmt.Sprintf("%q is not an alert kind; valid: %s", kind, strings.Join(explore.AlertKinds, ", "))}
			}
			po.Alerts.Disable = append(po.Alerts.Disable, kind)
		}
	}
	return po, nil
}

// DriftFlags adjust when a column drifts; nil fields keep the config's
// explore.drift limits.
type DriftFlags struct {
	// Threshold sets the limit of the bounded statistics at once (JSD, L∞
	// and KS, all 0..1); PSI, which has no bound, then decides only when
	// PSI is given too. 0 flags any difference, significant or not.
	Threshold          *float64
	JSD, LInf, KS, PSI *float64
	Alpha              *float64
}

// DriftOptionsFor are Drift's options for the config, ro and f.
func (e *Engine) DriftOptionsFor(ro explore.ReadOptions, f DriftFlags) (explore.DriftOptions, error) {
	o := explore.DriftOptionsFrom(e.cfg.Explore, ro)
	limit := func(flag string, v *float64, dst *float64, max float64) error {
		if v == nil {
			return nil
		}
		if *v < 0 || math.IsNaN(*v) || *v > max {
			return &config.InputError{Field: flag, Msg: fmt.Sprintf("%v: give a number from 0 to %g", *v, max)}
		}
		*dst = anyIfZero(*v)
		return nil
	}
	if f.Threshold != nil {
		if err := limit("--threshold", f.Threshold, &o.Threshold, math.Inf(1)); err != nil {
			return o, err
		}
		o.LInf, o.KS, o.PSI = o.Threshold, o.Threshold, math.Inf(1)
		if *f.Threshold == 0 {
			o.PSI, o.Alpha = o.Threshold, 1 // any difference, significant or not
		}
	}
	for _, l := range []struct {
		flag string
		v    *float64
		dst  *float64
		max  float64
	}{{"--jsd", f.JSD, &o.Threshold, 1}, {"--linf", f.LInf, &o.LInf, 1}, {"--ks", f.KS, &o.KS, 1}, {"--psi", f.PSI, &o.PSI, math.Inf(1)}, {"--alpha", f.Alpha, &o.Alpha, 1}} {
		if err := limit(l.flag, l.v, l.dst, l.max); err != nil {
			return o, err
		}
	}
	return o, nil
}

// anyIfZero turns a limit of 0 ("any difference") into the smallest positive
// one, since explore reads 0 as "the default".
func anyIfZero(v float64) float64 {
	if v == 0 {
		return math.SmallestNonzeroFloat64
	}
	return v
}

package explore

import (
	"math"

	"github.com/lathe-ml/lathe/config"
)

// ReadOptionsFrom maps the explore section of the config onto the readers'
// options; the CLI and the Data screen both start from it. The config has
// validated the header mode, so an unknown one cannot reach here.
func ReadOptionsFrom(e config.Explore) ReadOptions {
	ro := ReadOptions{}
	if e.MissingValues != nil {
		ro.Missing = append([]string{}, e.MissingValues...)
	}
	ro.Header, _ = ParseHeaderMode(e.Header)
	return ro
}

// orAny turns a configured 0 ("fire on any") into the smallest positive
// threshold, since the explore options read 0 as "the default".
func orAny(x float64) float64 {
	if x == 0 {
		return math.SmallestNonzeroFloat64
	}
	return x
}

// ProfileOptionsFrom maps the explore section of the config (histogram bins,
// top values, correlation caps, the time column, alert thresholds) onto the
// profiler's options around ro.
func ProfileOptionsFrom(e config.Explore, ro ReadOptions) ProfileOptions {
	a := e.Alerts
	return ProfileOptions{
		Read:               ro,
		HistogramBins:      e.HistogramBins,
		TopK:               e.TopValues,
		CorrColumns:        e.CorrelationColumns,
		CramersMaxDistinct: e.CramersMaxDistinct,
		TimeColumn:         e.TimeColumn,
		Alerts: AlertThresholds{
			Missing:         orAny(a.Missing),
			HighCardinality: int64(a.HighCardinality),
			Correlation:     orAny(a.HighCorrelation),
			Skewness:        orAny(a.Skewness),
			Imbalance:       orAny(a.Imbalance),
			Zeros:           orAny(a.Zeros),
			Infinite:        orAny(a.Infinite),
			Duplicates:      int64(a.Duplicates),
			Constant:        orAny(a.Constant),
			Unique:          orAny(a.Unique),
			Uniform:         orAny(a.Uniform),
			ConstantLength:  orAny(a.ConstantLength),
			MixedTypes:      orAny(a.MixedTypes),
			Empty:           int64(a.Empty),
			NonStationary:   orAny(a.NonStationary),
			Seasonal:        orAny(a.Seasonal),
			Disable:         append([]string(nil), a.Disable...),
		},
	}
}

// DriftOptionsFrom maps explore.drift onto Drift's options around ro.
func DriftOptionsFrom(e config.Explore, ro ReadOptions) DriftOptions {
	d := e.Drift
	return DriftOptions{Read: ro, Threshold: orAny(d.JSD), LInf: orAny(d.LInf), KS: orAny(d.KS), PSI: orAny(d.PSI), Alpha: orAny(d.Alpha)}
}

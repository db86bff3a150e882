package explore

import "github.com/lathe-ml/lathe/config"

// ReadOptionsFrom maps the explore section of the config onto the readers'
// options; the CLI and the Data screen both start from it.
func ReadOptionsFrom(e config.Explore) ReadOptions {
	ro := ReadOptions{}
	if e.MissingValues != nil {
		ro.Missing = append([]string{}, e.MissingValues...)
	}
	return ro
}

// ProfileOptionsFrom maps the explore section of the config (histogram bins,
// top values, alert thresholds) onto the profiler's options around ro.
func ProfileOptionsFrom(e config.Explore, ro ReadOptions) ProfileOptions {
	return ProfileOptions{
		Read:          ro,
		HistogramBins: e.HistogramBins,
		TopK:          e.TopValues,
		Alerts: AlertThresholds{
			Missing:         e.Alerts.Missing,
			HighCardinality: int64(e.Alerts.HighCardinality),
			Correlation:     e.Alerts.HighCorrelation,
			Skewness:        e.Alerts.Skewness,
			Imbalance:       e.Alerts.Imbalance,
			Zeros:           e.Alerts.Zeros,
		},
	}
}

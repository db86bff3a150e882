package explore

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// AlertThresholds configures Alerts. Zero fields take the defaults below,
// which follow ydata-profiling's (config_default.yaml, model/alerts.py):
//
//	kind              fires when                                        default
//	empty             rows <= Empty                                     0
//	duplicates        duplicate rows > Duplicates                       0
//	missing           missing share > Missing                           0.01
//	constant          top value's share of non-missing >= Constant      1
//	unique            distinct share of rows >= Unique                  1
//	high_cardinality  categorical with distinct > HighCardinality       50
//	high_correlation  |pearson|, |spearman| or cramers_v > Correlation  0.9
//	skewed            |skewness| > Skewness                             20
//	imbalance         1 − H/log2(k) > Imbalance (categorical, boolean)  0.5
//	zeros             share of zeros > Zeros                            0.01
//	infinite          share of ±Inf > Infinite                          0.01
//	uniform           chi-squared p-value of a flat histogram > Uniform 0.999
//	                  (at least 30 values)
//	constant_length   share of strings with the modal length >= ConstantLength 1
//	mixed_types       a column of several kinds; a string column with at
//	                  most MixedTypes of other kinds is a string column  0.01
//	date_as_string    datetime values stored as text (CSV/JSON)         -
//	non_stationary    ADF p-value > NonStationary (time-indexed)        0.05
//	seasonal          seasonal strength > Seasonal (time-indexed)       0.6
//
// Disable lists kinds never to raise.
type AlertThresholds struct {
	Missing         float64
	HighCardinality int64
	Correlation     float64
	Skewness        float64
	Imbalance       float64
	Zeros           float64
	Duplicates      int64 // fire when more than this many duplicate rows
	Infinite        float64
	Constant        float64
	Unique          float64
	Uniform         float64
	ConstantLength  float64
	MixedTypes      float64
	Empty           int64
	NonStationary   float64
	Seasonal        float64
	Disable         []string
}

// AlertKinds are every alert kind, in the order alerts are listed.
var AlertKinds = []string{"empty", "duplicates", "mixed_types", "constant", "high_correlation", "missing", "unique",
	"high_cardinality", "imbalance", "skewed", "zeros", "infinite", "uniform", "constant_length",
	"non_stationary", "seasonal", "date_as_string"}

func (t *AlertThresholds) defaults() {
	def := func(p *float64, v float64) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&t.Missing, 0.01)
	def(&t.Correlation, 0.9)
	def(&t.Skewness, 20)
	def(&t.Imbalance, 0.5)
	def(&t.Zeros, 0.01)
	def(&t.Infinite, 0.01)
	def(&t.Constant, 1)
	def(&t.Unique, 1)
	def(&t.Uniform, 0.999)
	def(&t.ConstantLength, 1)
	def(&t.MixedTypes, 0.01)
	def(&t.NonStationary, 0.05)
	def(&t.Seasonal, 0.6)
	if t.HighCardinality <= 0 {
		t.HighCardinality = 50
	}
}

// Alert is one data-quality finding.
type Alert struct {
	Kind    string   `json:"kind"`
	Columns []string `json:"columns"`
	Value   float64  `json:"value"` // NaN and ±Inf are written as null
	Message string   `json:"message"`
}

// MarshalJSON writes a non-finite Value as null rather than failing.
func (a Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	return json.Marshal(struct {
		plain
		Value Num `json:"value"`
	}{plain(a), Num(a.Value)})
}

// Alerts derives the quality alerts of a profile.
func Alerts(p *Profile, t AlertThresholds) []Alert {
	t.defaults()
	out := []Alert{}
	add := func(kind string, v float64, msg string, cols ...string) {
		if slices.Contains(t.Disable, kind) {
			return
		}
		out = append(out, Alert{Kind: kind, Columns: cols, Value: v, Message: msg})
	}
	if p.Rows <= t.Empty {
		add("empty", float64(p.Rows), fmt.Sprintf("the table has %d rows (%d columns)", p.Rows, len(p.Columns)))
	}
	if p.DuplicateRows > t.Duplicates {
		approx := ""
		if !p.DuplicatesExact {
			approx = "about "
		}
		add("duplicates", float64(p.DuplicateRows), fmt.Sprintf("%s%d duplicate rows (%.1f%%)", approx, p.DuplicateRows, pct(p.DuplicateRows, p.Rows)))
	}
	for i := range p.Columns {
		c := &p.Columns[i]
		if c.MissingShare > t.Missing {
			add("missing", c.MissingShare, fmt.Sprintf("%s has %d missing values (%.1f%%)", c.Name, c.Missing, 100*c.MissingShare), c.Name)
		}
		if c.Count > 0 && len(c.Top) > 0 && c.TopExact {
			if share := float64(c.Top[0].Count) / float64(c.Count); share >= t.Constant {
				msg := fmt.Sprintf("%s has one value: %s", c.Name, topValue(c))
				if c.Distinct > 1 {
					msg = fmt.Sprintf("%s is %s in %.1f%% of rows", c.Name, topValue(c), 100*share)
				}
				add("constant", share, msg, c.Name)
			}
		}
		if c.DistinctExact && c.Count > 1 && p.Rows > 0 && float64(c.Distinct) >= t.Unique*float64(p.Rows) {
			add("unique", float64(c.Distinct)/float64(p.Rows), fmt.Sprintf("%s has a distinct value in every row; likely an identifier", c.Name), c.Name)
		}
		if c.Type == TypeCategorical && c.Distinct > t.HighCardinality {
			add("high_cardinality", float64(c.Distinct), fmt.Sprintf("%s has %d distinct values", c.Name, c.Distinct), c.Name)
		}
		if c.Skewness != nil && math.Abs(float64(*c.Skewness)) > t.Skewness {
			add("skewed", float64(*c.Skewness), fmt.Sprintf("%s is highly skewed (skewness %.1f)", c.Name, float64(*c.Skewness)), c.Name)
		}
		if c.Imbalance != nil && float64(*c.Imbalance) > t.Imbalance {
			add("imbalance", float64(*c.Imbalance), fmt.Sprintf("%s is imbalanced (score %.2f; top value %s)", c.Name, float64(*c.Imbalance), topValue(c)), c.Name)
		}
		if c.Type.IsNumeric() && p.Rows > 0 && float64(c.Zeros)/float64(p.Rows) > t.Zeros {
			z := float64(c.Zeros) / float64(p.Rows)
			add("zeros", z, fmt.Sprintf("%s is zero in %d rows (%.1f%%)", c.Name, c.Zeros, 100*z), c.Name)
		}
		if c.Infinite > 0 && p.Rows > 0 && float64(c.Infinite)/float64(p.Rows) > t.Infinite {
			z := float64(c.Infinite) / float64(p.Rows)
			add("infinite", z, fmt.Sprintf("%s is ±inf in %d rows (%.1f%%)", c.Name, c.Infinite, 100*z), c.Name)
		}
		if c.UniformP != nil && float64(*c.UniformP) > t.Uniform && c.Count >= minUniformCount {
			add("uniform", float64(*c.UniformP), fmt.Sprintf("%s is evenly spread (chi-squared p = %.4f)", c.Name, float64(*c.UniformP)), c.Name)
		}
		if c.Length != nil && c.Length.ModalShare >= t.ConstantLength && (c.Type == TypeCategorical || c.Type == TypeText || c.Type == TypeIdentifier) {
			msg := fmt.Sprintf("every %s value is %d characters long", c.Name, c.Length.Min)
			if c.Length.Min != c.Length.Max {
				msg = fmt.Sprintf("%.1f%% of %s values have the same length", 100*c.Length.ModalShare, c.Name)
			}
			add("constant_length", c.Length.ModalShare, msg, c.Name)
		}
		if c.Type == TypeMixed {
			msg := c.Name + " mixes kinds of values:"
			for _, s := range c.TypeShares {
				msg += fmt.Sprintf(" %s %.1f%%", s.Type, 100*s.Share)
			}
			add("mixed_types", float64(len(c.TypeShares)), msg, c.Name)
		}
		if c.Type == TypeDatetime && p.Source.Format != FormatParquet {
			add("date_as_string", 1, fmt.Sprintf("%s holds dates stored as text; parse it as a datetime", c.Name), c.Name)
		}
		if ts := c.TimeSeries; ts != nil {
			if ts.ADFP != nil && float64(*ts.ADFP) > t.NonStationary {
				add("non_stationary", float64(*ts.ADFP), fmt.Sprintf("%s is not stationary over %s (ADF p = %.3f)", c.Name, p.TimeIndex, float64(*ts.ADFP)), c.Name)
			}
			if ts.SeasonalStrength != nil && float64(*ts.SeasonalStrength) > t.Seasonal {
				add("seasonal", float64(*ts.SeasonalStrength), fmt.Sprintf("%s is seasonal with period %d rows (strength %.2f)", c.Name, ts.Period, float64(*ts.SeasonalStrength)), c.Name)
			}
		}
	}
	// One high_correlation alert per pair, with the strongest measure.
	best := map[[2]string]Correlation{}
	var order [][2]string
	for _, r := range p.Correlations {
		if math.Abs(r.Value) <= t.Correlation {
			continue
		}
		k := [2]string{r.A, r.B}
		old, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || math.Abs(r.Value) > math.Abs(old.Value) {
			best[k] = r
		}
	}
	for _, k := range order {
		r := best[k]
		add("high_correlation", r.Value, fmt.Sprintf("%s is highly correlated with %s (%s %.3f)", r.A, r.B, r.Method, r.Value), r.A, r.B)
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		return alertRank(a.Kind) - alertRank(b.Kind)
	})
	return out
}

// minUniformCount: with fewer values every histogram looks flat.
const minUniformCount = 30

func alertRank(k string) int { return slices.Index(AlertKinds, k) }

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func topValue(c *Column) string {
	if len(c.Top) > 0 {
		return c.Top[0].Value
	}
	return "?"
}

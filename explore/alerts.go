package explore

import (
	"fmt"
	"math"
	"slices"
)

// AlertThresholds configures Alerts. Zero fields take the defaults below,
// which follow ydata-profiling's (config_default.yaml, model/alerts.py):
//
//	kind              fires when                                      default
//	missing           missing share > Missing                         0.01
//	constant          one distinct value                              -
//	unique            every row distinct (not float/datetime)         -
//	high_cardinality  categorical with distinct > HighCardinality     50
//	high_correlation  |pearson|, |spearman| or cramers_v > Correlation 0.9
//	skewed            |skewness| > Skewness                           20
//	imbalance         1 − H/log2(k) > Imbalance (categorical, boolean) 0.5
//	zeros             share of zeros > Zeros                          0.01
//	duplicates        duplicate rows > Duplicates                     0
//	mixed_types       more than one kind of value                     -
//	date_as_string    datetime values stored as text (CSV/JSON)       -
type AlertThresholds struct {
	Missing         float64
	HighCardinality int64
	Correlation     float64
	Skewness        float64
	Imbalance       float64
	Zeros           float64
	Duplicates      int64 // fire when more than this many duplicate rows
}

func (t *AlertThresholds) defaults() {
	if t.Missing <= 0 {
		t.Missing = 0.01
	}
	if t.HighCardinality <= 0 {
		t.HighCardinality = 50
	}
	if t.Correlation <= 0 {
		t.Correlation = 0.9
	}
	if t.Skewness <= 0 {
		t.Skewness = 20
	}
	if t.Imbalance <= 0 {
		t.Imbalance = 0.5
	}
	if t.Zeros <= 0 {
		t.Zeros = 0.01
	}
}

// Alert is one data-quality finding.
type Alert struct {
	Kind    string   `json:"kind"`
	Columns []string `json:"columns"`
	Value   float64  `json:"value"`
	Message string   `json:"message"`
}

// Alerts derives the quality alerts of a profile.
func Alerts(p *Profile, t AlertThresholds) []Alert {
	t.defaults()
	out := []Alert{}
	add := func(kind string, v float64, msg string, cols ...string) {
		out = append(out, Alert{Kind: kind, Columns: cols, Value: v, Message: msg})
	}
	if p.DuplicateRows > t.Duplicates {
		add("duplicates", float64(p.DuplicateRows), fmt.Sprintf("%d duplicate rows (%.1f%%)", p.DuplicateRows, pct(p.DuplicateRows, p.Rows)))
	}
	for i := range p.Columns {
		c := &p.Columns[i]
		if c.MissingShare > t.Missing {
			add("missing", c.MissingShare, fmt.Sprintf("%s has %d missing values (%.1f%%)", c.Name, c.Missing, 100*c.MissingShare), c.Name)
		}
		if c.Count > 0 && c.Distinct == 1 {
			add("constant", 1, fmt.Sprintf("%s has one value: %s", c.Name, topValue(c)), c.Name)
		}
		if c.DistinctExact && c.Count > 1 && c.Distinct == p.Rows && c.Type != TypeFloat && c.Type != TypeDatetime {
			add("unique", 1, fmt.Sprintf("%s has a distinct value in every row; likely an identifier", c.Name), c.Name)
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

var alertOrder = []string{"duplicates", "mixed_types", "constant", "high_correlation", "missing", "unique",
	"high_cardinality", "imbalance", "skewed", "zeros", "date_as_string"}

func alertRank(k string) int { return slices.Index(alertOrder, k) }

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

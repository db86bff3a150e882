package explore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// alertsCSV: 1000 rows (and one duplicate) built so that each alert fires on a known column.
func alertsCSV() string {
	var sb strings.Builder
	sb.WriteString("id,price,price_with_tax,const,sparse,spike,label,many,zeroish,mixed,day\n")
	var last string
	for i := 0; i < 1000; i++ {
		price := float64(10 + (i*37)%90)
		sparse := fmt.Sprint(i % 7)
		if i%10 == 0 {
			sparse = "" // 10% missing
		}
		spike := "0.5"
		if i == 0 {
			spike = "1000000" // one outlier in 1001 rows: skewness about sqrt(1001)
		}
		label := "a"
		if i%40 == 0 {
			label = "b"
		}
		zero := fmt.Sprint(i % 5) // 20% zeros
		mixed := fmt.Sprint(i)
		if i%2 == 0 {
			mixed = fmt.Sprintf("x%d", i)
		}
		last = fmt.Sprintf("%d,%.2f,%.4f,k,%s,%s,%s,v%d,%s,%s,2020-02-%02d\n",
			i, price, price*1.2, sparse, spike, label, i%60, zero, mixed, 1+i%28)
		sb.WriteString(last)
	}
	sb.WriteString(last) // one duplicate row
	return sb.String()
}

func TestAlerts(t *testing.T) {
	p, err := ProfileFile(context.Background(), writeFile(t, "alerts.csv", alertsCSV()), ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	has := func(kind string, cols ...string) *Alert {
		for i := range p.Alerts {
			a := &p.Alerts[i]
			if a.Kind == kind && strings.Join(a.Columns, ",") == strings.Join(cols, ",") {
				return a
			}
		}
		return nil
	}
	want := []struct {
		kind string
		cols []string
	}{
		{"high_correlation", []string{"price", "price_with_tax"}},
		{"constant", []string{"const"}},
		{"missing", []string{"sparse"}},
		{"skewed", []string{"spike"}},
		{"imbalance", []string{"label"}},
		{"high_cardinality", []string{"many"}},
		{"zeros", []string{"zeroish"}},
		{"mixed_types", []string{"mixed"}},
		{"date_as_string", []string{"day"}},
		{"duplicates", nil},
	}
	for _, w := range want {
		if has(w.kind, w.cols...) == nil {
			t.Errorf("no %s alert on %v; got %+v", w.kind, w.cols, p.Alerts)
		}
	}
	if a := has("high_correlation", "price", "price_with_tax"); a != nil && (a.Value < 0.999999 || !strings.Contains(a.Message, "price_with_tax")) {
		t.Errorf("high_correlation %+v", a)
	}
	if a := has("duplicates"); a != nil && a.Value != 1 {
		t.Errorf("duplicates value %v, want 1", a.Value)
	}
	if a := has("missing", "sparse"); a != nil && a.Value != 100.0/1001 {
		t.Errorf("missing share %v, want %v", a.Value, 100.0/1001)
	}
	// The id column repeats 999 once (the duplicate row), so it is not unique;
	// only uniform fires on it (0..999 is as evenly spread as can be).
	for _, a := range p.Alerts {
		if len(a.Columns) == 1 && a.Columns[0] == "id" && a.Kind != "uniform" {
			t.Errorf("unexpected alert on id: %+v", a)
		}
	}
	// Thresholds are configurable: raising the missing threshold silences it.
	p.Alerts = Alerts(p, AlertThresholds{Missing: 0.5})
	if has("missing", "sparse") != nil {
		t.Error("missing alert fired above a 50% threshold")
	}
}

// TestEachAlertFiresAndNot: every alert kind on a file that must raise it
// and one that must not, and its threshold or Disable silences it.
func TestEachAlertFiresAndNot(t *testing.T) {
	alerts := writeFile(t, "alerts.csv", alertsCSV())
	empty := writeFile(t, "empty.csv", "a,b\n")
	cases := []struct {
		kind, file, col string
		fire            bool
		quiet           AlertThresholds // raises the threshold past the value
	}{
		{"empty", empty, "", true, AlertThresholds{Disable: []string{"empty"}}},
		{"empty", testdata("stocks.csv"), "", false, AlertThresholds{}},
		{"duplicates", alerts, "", true, AlertThresholds{Duplicates: 1}},
		{"duplicates", testdata("airports.csv"), "", false, AlertThresholds{}},
		{"missing", testdata("penguins.json"), "Sex", true, AlertThresholds{Missing: 0.05}},
		{"missing", testdata("normal-2d.json"), "u", false, AlertThresholds{}},
		{"constant", alerts, "const", true, AlertThresholds{Disable: []string{"constant"}}},
		{"constant", testdata("budget.csv"), "Bureau code", false, AlertThresholds{}},
		{"unique", testdata("airports.csv"), "iata", true, AlertThresholds{Disable: []string{"unique"}}},
		{"unique", testdata("normal-2d.json"), "u", true, AlertThresholds{Disable: []string{"unique"}}}, // floats too
		{"unique", testdata("stocks.csv"), "symbol", false, AlertThresholds{}},
		{"high_cardinality", testdata("airports.csv"), "state", true, AlertThresholds{HighCardinality: 60}},
		{"high_cardinality", testdata("penguins.json"), "Island", false, AlertThresholds{}},
		{"high_correlation", alerts, "price", true, AlertThresholds{Disable: []string{"high_correlation"}}},
		{"high_correlation", testdata("cars.json"), "Displacement", true, AlertThresholds{Correlation: 0.99}},
		{"high_correlation", testdata("uniform-2d.json"), "u", false, AlertThresholds{}},
		{"skewed", alerts, "spike", true, AlertThresholds{Skewness: 40}},
		{"skewed", testdata("normal-2d.json"), "u", false, AlertThresholds{}},
		{"imbalance", alerts, "label", true, AlertThresholds{Imbalance: 0.9}},
		{"imbalance", testdata("penguins.json"), "Species", false, AlertThresholds{}},
		{"zeros", alerts, "zeroish", true, AlertThresholds{Zeros: 0.25}},
		{"zeros", testdata("normal-2d.json"), "u", false, AlertThresholds{}},
		{"infinite", testdata("edge-cases.csv"), "score", true, AlertThresholds{Infinite: 0.5}},
		{"infinite", testdata("normal-2d.json"), "u", false, AlertThresholds{}},
		{"uniform", testdata("global-temp.csv"), "year", true, AlertThresholds{Disable: []string{"uniform"}}},
		{"uniform", testdata("normal-2d.json"), "u", false, AlertThresholds{}},
		{"uniform", testdata("global-temp.csv"), "temp", false, AlertThresholds{}},
		{"constant_length", testdata("airports.csv"), "state", true, AlertThresholds{Disable: []string{"constant_length"}}},
		{"constant_length", testdata("penguins.json"), "Species", false, AlertThresholds{}},
		{"mixed_types", alerts, "mixed", true, AlertThresholds{Disable: []string{"mixed_types"}}},
		{"mixed_types", testdata("airports.csv"), "iata", false, AlertThresholds{}},
		{"date_as_string", testdata("seattle-weather.csv"), "date", true, AlertThresholds{Disable: []string{"date_as_string"}}},
		{"date_as_string", testdata("penguins.json"), "Species", false, AlertThresholds{}},
		{"non_stationary", testdata("co2-concentration.csv"), "CO2", true, AlertThresholds{NonStationary: 1.5}},
		{"non_stationary", testdata("global-temp.csv"), "temp", true, AlertThresholds{NonStationary: 1.5}},
		{"non_stationary", testdata("seattle-weather.csv"), "precipitation", false, AlertThresholds{}},
		{"seasonal", testdata("co2-concentration.csv"), "CO2", true, AlertThresholds{Seasonal: 0.9}},
		{"seasonal", testdata("seattle-weather.csv"), "temp_max", true, AlertThresholds{Seasonal: 0.9}},
		{"seasonal", testdata("co2-concentration.csv"), "adjusted CO2", false, AlertThresholds{}},
		{"seasonal", testdata("global-temp.csv"), "temp", false, AlertThresholds{}},
	}
	profiles := map[string]*Profile{}
	for _, c := range cases {
		p := profiles[c.file]
		if p == nil {
			p = profileOf(t, c.file, ProfileOptions{})
			profiles[c.file] = p
		}
		has := func(as []Alert) bool {
			for _, a := range as {
				if a.Kind == c.kind && (c.col == "" || (len(a.Columns) > 0 && a.Columns[0] == c.col)) {
					return true
				}
			}
			return false
		}
		name := c.kind + " " + filepath.Base(c.file) + " " + c.col
		if got := has(p.Alerts); got != c.fire {
			t.Errorf("%s: fired %v, want %v (alerts %+v)", name, got, c.fire, p.Alerts)
			continue
		}
		if c.fire && has(Alerts(p, c.quiet)) {
			t.Errorf("%s: still fires with %+v", name, c.quiet)
		}
	}
	// A lower constant threshold: Bureau code is 0 in 96.2% of budget's rows.
	p := profiles[testdata("budget.csv")]
	if p == nil {
		p = profileOf(t, testdata("budget.csv"), ProfileOptions{})
	}
	if !slices.ContainsFunc(Alerts(p, AlertThresholds{Constant: 0.95}), func(a Alert) bool { return a.Kind == "constant" && a.Columns[0] == "Bureau code" }) {
		t.Error("constant at 0.95 does not fire on Bureau code")
	}
}

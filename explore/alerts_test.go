package explore

import (
	"context"
	"fmt"
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

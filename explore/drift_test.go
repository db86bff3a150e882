package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDriftSelfIsZero(t *testing.T) {
	for _, f := range []string{"seattle-weather.csv", "penguins.json", "penguins.parquet", "stocks.csv"} {
		p := filepath.Join("testdata", f)
		rep, err := Drift(context.Background(), p, p, DriftOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Columns) == 0 || rep.Drifted != 0 {
			t.Fatalf("%s: %+v", f, rep)
		}
		for _, c := range rep.Columns {
			if c.JSD != 0 || c.PSI != 0 || (c.KS != nil && *c.KS != 0) || (c.LInf != nil && *c.LInf != 0) {
				t.Errorf("%s.%s vs itself: %+v", f, c.Column, c)
			}
		}
	}
}

// Reference values from scipy 1.10.1:
//
//	jensenshannon([.5,.5],[.8,.2],base=2)**2 = 0.07310400793180988
//	ks_2samp(arange(1,101), arange(21,121)).statistic = 0.2
//	with 10 bins over [1,120]: jensenshannon(p,q,base=2)**2 = 0.15019550008653876
func TestDriftKnownValues(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("x,c\n")
	b.WriteString("x,c\n")
	for i := 1; i <= 100; i++ {
		ca, cb := "a", "a"
		if i > 50 {
			ca = "b"
		}
		if i > 80 {
			cb = "b"
		}
		fmt.Fprintf(&a, "%d,%s\n", i, ca)
		fmt.Fprintf(&b, "%d,%s\n", i+20, cb)
	}
	rep, err := Drift(context.Background(), writeFile(t, "a.csv", a.String()), writeFile(t, "b.csv", b.String()), DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, c := rep.Columns[0], rep.Columns[1]
	if x.Kind != "numeric" || *x.KS != 0.2 || math.Abs(x.JSD-0.15019550008653876) > 1e-12 || !x.Drifted {
		t.Errorf("numeric drift %+v (KS %v)", x, *x.KS)
	}
	psi := 0.3*math.Log(1.6) + 0.3*math.Log(2.5)
	if c.Kind != "categorical" || math.Abs(c.JSD-0.07310400793180988) > 1e-12 || math.Abs(float64(*c.LInf)-0.3) > 1e-12 ||
		math.Abs(c.PSI-psi) > 1e-12 {
		t.Errorf("categorical drift %+v (LInf %v), want JSD 0.0731 LInf 0.3 PSI %v", c, *c.LInf, psi)
	}
}

// TestKolmogorovSF checks the KS p-value against scipy.stats.kstwobign.sf
// (testdata/pandas/ks.json).
func TestKolmogorovSF(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "pandas", "ks.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref []struct{ D, N, M, P float64 }
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for _, r := range ref {
		got := kolmogorovSF(math.Sqrt(r.N*r.M/(r.N+r.M)) * r.D)
		if math.Abs(got-r.P) > 1e-12*math.Max(r.P, 1e-300) && math.Abs(got-r.P) > 1e-15 {
			t.Errorf("D=%v n=%v m=%v: p %.17g, scipy %.17g", r.D, r.N, r.M, got, r.P)
		}
	}
}

// TestDriftByType: a heavy-tailed shift that JSD over 10 equal bins cannot
// see is caught by KS; dates are compared as times (KS and range overlap),
// not as categories; each column names the statistic that decided.
func TestDriftByType(t *testing.T) {
	var a, b strings.Builder
	a.WriteString("x,day,c\n")
	b.WriteString("x,day,c\n")
	for i := 0; i < 1000; i++ {
		// Most values in [0, 1), a few far out: all land in the first of 10 bins.
		xa, xb := float64(i%100)/100, float64(i%100)/100+0.3
		if i%100 == 0 {
			xa, xb = 1000, 1000
		}
		fmt.Fprintf(&a, "%g,2020-01-%02d,%c\n", xa, 1+i%28, 'p'+rune(i%3))
		fmt.Fprintf(&b, "%g,2020-02-%02d,%c\n", xb, 1+i%28, 'p'+rune(i%3))
	}
	rep, err := Drift(context.Background(), writeFile(t, "a.csv", a.String()), writeFile(t, "b.csv", b.String()), DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, day, c := rep.Columns[0], rep.Columns[1], rep.Columns[2]
	if x.Kind != "numeric" || x.JSD > 0.1 || float64(*x.KS) < 0.25 || !x.Drifted || x.DecidedBy != "ks" || float64(*x.P) > 1e-10 {
		t.Errorf("heavy tail: %+v KS %v p %v", x, *x.KS, *x.P)
	}
	if day.Kind != "datetime" || float64(*day.KS) != 1 || float64(*day.Overlap) != 0 || !day.Drifted || day.DecidedBy != "ks" {
		t.Errorf("dates: %+v KS %v overlap %v", day, *day.KS, *day.Overlap)
	}
	if c.Kind != "categorical" || c.Drifted || c.DecidedBy != "jsd" || c.JSD != 0 {
		t.Errorf("same categories: %+v", c)
	}
	if rep.Drifted != 2 || !strings.Contains(rep.String(), "KS > 0.1") {
		t.Errorf("report %s", rep)
	}
	// A small split of the same distribution: the p-value guard keeps
	// sampling noise from reading as drift.
	var s strings.Builder
	s.WriteString("c\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&s, "%c\n", 'p'+rune((i*7)%5))
	}
	rep, err = Drift(context.Background(), writeFile(t, "s.csv", s.String()), writeFile(t, "t.csv", "c\np\nq\nq\nr\ns\nt\n"), DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Columns[0]; c.Drifted || *c.LInf < 0.1 {
		t.Errorf("small sample: %+v LInf %v p %v", c, *c.LInf, *c.P)
	}
}

package explore

import (
	"context"
	"fmt"
	"math"
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

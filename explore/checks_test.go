package explore

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

func TestChecks(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	// 10 rows: price has one missing and one out of range; species one unknown; id one duplicate.
	os.WriteFile(data, []byte("id,price,species,review\n"+
		"1,10,Adelie,the cat and the dog\n2,20,Gentoo,the end\n3,,Adelie,a day at the sea\n4,5000,Chinstrap,the the\n"+
		"5,30,Adelie,ok\n6,40,Gentoo,fine\n7,50,Dodo,the one\n8,60,Adelie,then\n9,70,Gentoo,sure\n9,80,Adelie,the last\n"), 0o644)
	ref := filepath.Join(dir, "ref.csv")
	os.WriteFile(ref, []byte("id,price,species,review\n1,10,Adelie,x\n2,20,Adelie,y\n"), 0o644)
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte(`reference: ref.csv
rules:
  - column: price
    not_null: true
  - column: price
    between: {min: 0, max: 1000}
    mostly: 0.8
  - column: price
    between: {min: 0, max: 1000}
  - {column: species, in_set: [Adelie, Gentoo, Chinstrap]}
  - {column: id, unique: true}
  - {column: id, type: integer}
  - {column: price, max_missing_fraction: 0.2}
  - {column: species, regex: '^[A-Z][a-z]+$'}
  - {column: review, top_token: the}
  - {column: species, max_drift: 0.01}
  - table: {row_count: {min: 5, max: 100}}
`), 0o644)
	rs, err := LoadRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(context.Background(), data, rs, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		check   string
		passed  bool
		failing int64
		total   int64
	}{
		{"not_null", false, 1, 10}, {"between", true, 1, 9}, {"between", false, 1, 9}, {"in_set", false, 1, 10},
		{"unique", false, 1, 10}, {"type", true, 0, 10}, {"max_missing_fraction", true, 1, 10}, {"regex", true, 0, 10},
		{"row_count", true, 0, 10}, {"top_token", true, 0, 0}, {"max_drift", false, 0, 0},
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results: %+v", len(rep.Results), rep.Results)
	}
	for i, w := range want {
		r := rep.Results[i]
		if r.Check != w.check || r.Passed != w.passed || (w.check != "max_drift" && (r.Failing != w.failing || r.Total != w.total)) {
			t.Errorf("result %d: %+v; want %+v", i, r, w)
		}
	}
	if rep.Passed || rep.Failed != 5 {
		t.Errorf("passed %v failed %d, want false 5", rep.Passed, rep.Failed)
	}
	// JSD of Adelie 5/Gentoo 3/Chinstrap 1/Dodo 1 (over 10) vs Adelie 2/2 is
	// 0.31127812445913283 (scipy jensenshannon(p, q, base=2)**2).
	if d := rep.Results[10]; d.Value == nil || math.Abs(float64(*d.Value)-0.31127812445913283) > 1e-12 {
		t.Errorf("max_drift value %+v", d)
	}
	if ex := rep.Results[3].Examples; len(ex) != 1 || ex[0] != "Dodo" {
		t.Errorf("in_set examples %v", ex)
	}
}

func TestRulesErrors(t *testing.T) {
	cases := []struct {
		yaml string
		line int
		msg  string
	}{
		{"rules:\n  - column: a\n    not_nul: true\n", 3, "unknown rule key"},
		{"rules:\n  - column: a\n    between: {min: x}\n", 3, "cannot unmarshal"},
		{"rules:\n  - {column: a, type: decimal}\n", 2, "unknown type"},
		{"rules:\n  - {column: a, regex: '('}\n", 2, "bad regex"},
		{"rules:\n  - not_null: true\n", 2, "needs column"},
		{"rules: [\n", 1, "did not find"},
		{"rulez: []\n", 1, "unknown key"},
		{"rules:\n  - {column: a, max_drift: 0.1}\n", 2, "reference"},
		{"rules:\n  - {column: a, mostly: 2}\n", 2, "between 0 and 1"},
	}
	for _, c := range cases {
		_, err := ParseRules("r.yaml", []byte(c.yaml))
		var ie *config.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: error %v, want InputError", c.yaml, err)
			continue
		}
		if ie.File != "r.yaml" || ie.Line != c.line || !strings.Contains(ie.Error(), c.msg) {
			t.Errorf("%q: %s (line %d); want line %d with %q", c.yaml, ie.Error(), ie.Line, c.line, c.msg)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, err := FingerprintFile(context.Background(), filepath.Join("testdata", "stocks.csv"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// sha256sum testdata/stocks.csv
	const want = "f9953ac6693e587476b4ebf2f0b00d9bb95371ca8c39da4cc6155077b3e417cd"
	if a.SHA256 != want || a.Rows != 560 || a.Format != FormatCSV || a.Bytes != 12245 || len(a.Schema) != 3 ||
		a.Schema[2].Type != TypeFloat || a.Schema[1].Type != TypeDatetime {
		t.Errorf("fingerprint %+v", a)
	}
}

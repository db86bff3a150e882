package explore

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func profileOf(t *testing.T, path string, opts ProfileOptions) *Profile {
	t.Helper()
	p, err := ProfileFile(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatalf("profile JSON: %v", err)
	}
	return p
}

func testdata(name string) string { return filepath.Join("testdata", name) }

// TestHeaderOfYears: a wide table whose header names years is read with
// that header, as pandas does (issue 12, case 1); the column-by-column
// match with pandas is in TestProfileMatchesPandas (budget.csv).
func TestHeaderOfYears(t *testing.T) {
	p := profileOf(t, testdata("budget.csv"), ProfileOptions{})
	if p.Rows != 237 || len(p.Columns) != 72 || p.Columns[12].Name != "1962" || p.Columns[71].Name != "2020" {
		t.Fatalf("rows %d, %d columns, column 12 %q", p.Rows, len(p.Columns), p.Columns[12].Name)
	}
	for _, a := range p.Alerts {
		if a.Kind == "constant" {
			t.Errorf("constant alert %+v: the header row was read as data", a)
		}
	}
	// --no-header: the years become a data row.
	q := profileOf(t, testdata("budget.csv"), ProfileOptions{Read: ReadOptions{Header: HeaderAbsent}})
	if q.Rows != 238 || q.Columns[0].Name != "column_1" {
		t.Errorf("no header: rows %d, first column %q", q.Rows, q.Columns[0].Name)
	}
}

// TestIDColumnWithExponentLookalikes: airports' iata codes include 0E0 and
// 0E8; the column is a string column with 3376 distinct codes (case 2).
func TestIDColumnWithExponentLookalikes(t *testing.T) {
	p := profileOf(t, testdata("airports.csv"), ProfileOptions{})
	c := p.Column("iata")
	if c.Type == TypeMixed || c.Type.IsNumeric() || c.Distinct != 3376 || !c.DistinctExact {
		t.Fatalf("iata: type %s, distinct %d (exact %v); want a string column of 3376", c.Type, c.Distinct, c.DistinctExact)
	}
	// The codes keep their text; a later string after numbers converts the table.
	path := writeFile(t, "late.csv", "code\n0E0\n0E8\n1.0\n1\n"+strings.Repeat("abc\n", 200))
	q := profileOf(t, path, ProfileOptions{})
	if c := q.Column("code"); c.Distinct != 5 {
		t.Errorf("late text: distinct %d, want 5 (0E0, 0E8, 1.0, 1, abc)", c.Distinct)
	}
}

// TestMissingTokens: pandas' default tokens count as missing and the JSON
// says which did (case 3); a configured list replaces them.
func TestMissingTokens(t *testing.T) {
	p := profileOf(t, testdata("edge-cases.csv"), ProfileOptions{})
	amount := p.Column("amount")
	got := map[string]int64{}
	for _, vc := range amount.MissingTokens {
		got[vc.Value] = vc.Count
	}
	want := map[string]int64{"#N/A": 1, "<NA>": 1, "None": 1, "nan": 1, "-NaN": 1, "n/a": 1, "NULL": 1, "": 1}
	if len(got) != len(want) || amount.Missing != 8 {
		t.Errorf("amount: missing %d, tokens %v; want 8, %v", amount.Missing, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("token %q counted %d, want %d", k, got[k], v)
		}
	}
	if !slices.Contains(p.MissingValues, "NULL") || !slices.Contains(p.MissingValues, "None") || len(p.MissingValues) != 19 {
		t.Errorf("missing_values %q", p.MissingValues)
	}
	q := profileOf(t, testdata("edge-cases.csv"), ProfileOptions{Read: ReadOptions{Missing: []string{"", "NULL"}}})
	if a := q.Column("amount"); a.Missing != 2 || a.Type != TypeMixed {
		t.Errorf("custom tokens: amount missing %d type %s, want 2 and mixed", a.Missing, a.Type)
	}
}

// TestInfinities: ±Inf is numeric, counted, written as "inf" in the JSON,
// alerted, and never breaks drift or split (case 4).
func TestInfinities(t *testing.T) {
	p := profileOf(t, testdata("edge-cases.csv"), ProfileOptions{})
	s := p.Column("score")
	if s.Type != TypeFloat || s.Infinite != 4 || s.Min != "-inf" || s.Max != "inf" || s.Count != 10 {
		t.Fatalf("score: type %s infinite %d min %v max %v count %d", s.Type, s.Infinite, s.Min, s.Max, s.Count)
	}
	// The finite values: 1.5, 2.25, 3, 0.5, 4, -2.
	if math.Abs(float64(*s.Mean)-9.25/6) > 1e-15 || s.Quantiles.P50 != 1.875 {
		t.Errorf("finite mean %v p50 %v", *s.Mean, s.Quantiles.P50)
	}
	if !slices.ContainsFunc(p.Alerts, func(a Alert) bool { return a.Kind == "infinite" && a.Columns[0] == "score" }) {
		t.Errorf("no infinite alert: %+v", p.Alerts)
	}
	data, _ := json.Marshal(s)
	if !strings.Contains(string(data), `"min":"-inf","max":"inf"`) || !strings.Contains(string(data), `"infinite":4`) {
		t.Errorf("JSON %s", data)
	}
	// 1e999 overflows to +inf (Python's float does the same).
	q := profileOf(t, writeFile(t, "o.csv", "x\n1e999\n-1e999\n1\n"), ProfileOptions{})
	if x := q.Column("x"); x.Type != TypeFloat || x.Infinite != 2 {
		t.Errorf("1e999: type %s infinite %d", x.Type, x.Infinite)
	}
	a, b := testdata("edge-cases.csv"), writeFile(t, "b.csv", "id,score\n1,inf\n2,3\n3,-inf\n4,1\n")
	rep, err := Drift(context.Background(), a, b, DriftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
	res, err := Split(context.Background(), a, SplitOptions{Ratios: []float64{0.5, 0.5}, Seed: 3, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
}

// TestDatesAndBigInts: a …Z timestamp keeps its zone, a datetime column
// prints its time even at midnight, integers above 2^53 stay exact (case 5).
func TestDatesAndBigInts(t *testing.T) {
	p := profileOf(t, testdata("edge-cases.csv"), ProfileOptions{})
	if w := p.Column("when"); w.Min != "2021-03-01T08:00:00Z" || w.Max != "2021-03-04T00:00:00Z" || w.Top[0].Value != "2021-03-04T00:00:00Z" {
		t.Errorf("when: min %v max %v top %v", w.Min, w.Max, w.Top[0])
	}
	if d := p.Column("day"); d.Min != "2021-03-01T08:00:00" || d.Max != "2021-03-04T00:00:00" {
		t.Errorf("day: min %v max %v", d.Min, d.Max)
	}
	b := p.Column("big")
	if b.Min != int64(-9223372036854775807) || b.Max != int64(9223372036854775807) || b.Distinct != 9 {
		t.Errorf("big: min %v max %v distinct %d", b.Min, b.Max, b.Distinct)
	}
	if b.Top[0].Value != "9007199254740993" || b.Top[0].Count != 2 {
		t.Errorf("big top %+v; 2^53+1 must not merge with 2^53", b.Top[0])
	}
	data, _ := json.Marshal(b)
	if !strings.Contains(string(data), `"min":-9223372036854775807,"max":9223372036854775807`) {
		t.Errorf("JSON %s", data)
	}
	// A zone other than UTC is kept; mixed offsets are written in UTC.
	q := profileOf(t, writeFile(t, "z.csv", "t,u\n2020-01-01T10:00:00+02:00,2020-01-01T10:00:00+02:00\n2020-01-02T10:00:00+02:00,2020-01-02T10:00:00-05:00\n"), ProfileOptions{})
	if c := q.Column("t"); c.Max != "2020-01-02T10:00:00+02:00" {
		t.Errorf("offset kept: %v", c.Max)
	}
	if c := q.Column("u"); c.Max != "2020-01-02T15:00:00Z" {
		t.Errorf("mixed offsets: %v", c.Max)
	}
}

// TestCramersVCap: categoricals above the cardinality cap are left out of
// Cramér's V, and the bias correction keeps chance association of two
// high-cardinality columns low (case 6).
func TestCramersVCap(t *testing.T) {
	p := profileOf(t, testdata("budget.csv"), ProfileOptions{})
	for _, r := range p.Correlations {
		if r.Method != "cramers_v" {
			continue
		}
		for _, name := range []string{r.A, r.B} {
			if c := p.Column(name); c.Distinct > 100 {
				t.Errorf("cramers_v(%s, %s): %s has %d distinct values, over the cap", r.A, r.B, name, c.Distinct)
			}
		}
	}
	q := profileOf(t, testdata("budget.csv"), ProfileOptions{CramersMaxDistinct: 5})
	for _, r := range q.Correlations {
		if r.Method == "cramers_v" && (q.Column(r.A).Distinct > 5 || q.Column(r.B).Distinct > 5) {
			t.Errorf("cap 5: %+v", r)
		}
	}
	// Two independent columns of 60 values over 237 rows: uncorrected V is
	// about sqrt(59/237) = 0.5 by chance alone; corrected, near 0.
	var sb strings.Builder
	sb.WriteString("a,b\n")
	for i := 0; i < 237; i++ {
		sb.WriteString("a" + itoa(i*7%60) + ",b" + itoa(i*13%59) + "\n")
	}
	r := profileOf(t, writeFile(t, "ind.csv", sb.String()), ProfileOptions{})
	for _, c := range r.Correlations {
		if c.Method == "cramers_v" && c.Value > 0.3 {
			t.Errorf("chance association %v", c.Value)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// columnValues reads column name of path as numbers, skipping missing cells.
func columnValues(t *testing.T, path, name string) []float64 {
	t.Helper()
	cols, rows, _, err := readAll(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := slices.Index(cols, name)
	var out []float64
	for _, r := range rows {
		if x, ok := numberValue([]byte(r[c])); ok {
			out = append(out, x)
		}
	}
	return out
}

// TestTimeSeriesTests checks ADF and the seasonal strength against
// statsmodels 0.13.5 (testdata/pandas/timeseries.json).
func TestTimeSeriesTests(t *testing.T) {
	data, err := os.ReadFile(testdata("pandas/timeseries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]map[string]struct {
		ADF              float64 `json:"adf"`
		ADFP             float64 `json:"adf_p"`
		ADFLags          int     `json:"adf_lags"`
		Points           int     `json:"points"`
		Period           int     `json:"period"`
		SeasonalStrength float64 `json:"seasonal_strength"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for file, cols := range ref {
		p := profileOf(t, testdata(file), ProfileOptions{})
		if p.TimeIndex == "" {
			t.Fatalf("%s: no time index", file)
		}
		for name, r := range cols {
			ts := p.Column(name).TimeSeries
			if ts == nil || ts.ADF == nil {
				t.Fatalf("%s.%s: no time-series tests", file, name)
			}
			if ts.Points != r.Points || ts.Lags != r.ADFLags || !relClose(float64(*ts.ADF), r.ADF, 1e-9) || math.Abs(float64(*ts.ADFP)-r.ADFP) > 1e-9 {
				t.Errorf("%s.%s: ADF %v p %v lags %d points %d; statsmodels %v %v %d %d", file, name, *ts.ADF, *ts.ADFP, ts.Lags, ts.Points, r.ADF, r.ADFP, r.ADFLags, r.Points)
			}
			if r.Period > 0 {
				if got := seasonalStrength(columnValues(t, testdata(file), name), r.Period); math.Abs(got-r.SeasonalStrength) > 1e-12 {
					t.Errorf("%s.%s: strength at %d = %.15g, statsmodels %.15g", file, name, r.Period, got, r.SeasonalStrength)
				}
			}
		}
	}
	// MacKinnon's p at a few τ, from statsmodels' mackinnonp(t, "c", 1).
	for tau, want := range map[float64]float64{-3.5: 0.007987094061496709, -2.86: 0.05020109988200309, 0: 0.958532086060056} {
		if got := mackinnonP(tau); math.Abs(got-want) > 1e-12 {
			t.Errorf("mackinnonP(%v) = %.16g, want %.16g", tau, got, want)
		}
	}
}

package explore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestClassifyCells(t *testing.T) {
	cases := []struct {
		in   string
		want kind
	}{
		{"42", kindInt}, {"-7", kindInt}, {"+3", kindInt}, {"3.5", kindFloat}, {"1e-3", kindFloat}, {".5", kindFloat},
		{"-0.0", kindFloat}, {"true", kindBool}, {"FALSE", kindBool}, {"2012-01-01", kindDate},
		{"2012-01-01T10:20:30Z", kindDate}, {"2012-01-01 10:20", kindDate}, {"2012-01-01T10:20:30.5+02:00", kindDate},
		{"Jun 12 1998", kindDate}, {"Jan 1 2000", kindDate}, {"June 12, 1998", kindDate}, {"12 Jun 1998", kindDate},
		{"12/31/1999", kindDate}, {"2012-02-30", kindString}, {"2012-13-01", kindString}, {"Junk 12 1998", kindString},
		{"0x1p4", kindString}, {"1_000", kindString}, {"inf", kindFloat}, {"-Infinity", kindFloat}, {"INF", kindFloat}, {"infinit", kindString}, {"1e999", kindFloat}, {"hello", kindString}, {"-", kindString},
		{"1.2.3", kindString}, {"e5", kindString},
	}
	for _, c := range cases {
		if got := classify([]byte(c.in)); got != c.want {
			t.Errorf("classify(%q) = %s, want %s", c.in, kindNames[got], kindNames[c.want])
		}
	}
	// Known epoch values: 2012-01-01 is 1325376000 (date -d 2012-01-01 +%s, UTC).
	for in, want := range map[string]float64{"2012-01-01": 1325376000, "Jun 12 1998": 897609600,
		"2012-01-01T01:00:00+01:00": 1325376000, "1969-12-31T23:59:59": -1, "2000-02-29 12:00": 951825600} {
		got, ok := parseDate([]byte(in))
		if !ok || got != want {
			t.Errorf("parseDate(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
}

// typesCSV builds a file whose columns each exercise one inferred type.
func typesCSV() string {
	var sb strings.Builder
	sb.WriteString("flag,n,x,when,day,color,review,code,mixed\n")
	words := []string{"the cat sat on the mat", "the dog ate the bone", "a bird in the hand", "the end of the road"}
	colors := []string{"red", "green", "blue"}
	for i := 0; i < 200; i++ {
		mixed := fmt.Sprint(i)
		if i%4 == 0 {
			mixed = "n/a-" + fmt.Sprint(i)
		}
		fmt.Fprintf(&sb, "%t,%d,%.2f,2020-01-%02dT10:00:00Z,Jun %d 1998,%s,\"%s %d\",ID%05d,%s\n",
			i%3 == 0, i*7, float64(i)/3, 1+i%28, 1+i%28, colors[i%3], words[i%4], i, i*13, mixed)
	}
	return sb.String()
}

func TestInferTypes(t *testing.T) {
	p, err := ProfileFile(context.Background(), writeFile(t, "types.csv", typesCSV()), ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ColumnType{"flag": TypeBoolean, "n": TypeInteger, "x": TypeFloat, "when": TypeDatetime,
		"day": TypeDatetime, "color": TypeCategorical, "review": TypeText, "code": TypeIdentifier, "mixed": TypeMixed}
	for name, typ := range want {
		c := p.Column(name)
		if c == nil || c.Type != typ {
			t.Errorf("%s: type %v, want %s", name, c, typ)
		}
	}
	m := p.Column("mixed")
	if len(m.TypeShares) != 2 || m.TypeShares[0].Type != "string" || m.TypeShares[0].Share != 0.25 ||
		m.TypeShares[1].Type != "integer" || m.TypeShares[1].Share != 0.75 {
		t.Errorf("mixed shares %+v, want string 0.25, integer 0.75", m.TypeShares)
	}
	r := p.Column("review")
	if len(r.TopTokens) == 0 || r.TopTokens[0].Value != "the" || r.TopTokens[0].Count != 350 {
		t.Errorf("review top tokens %+v, want \"the\" x350 first (7 per 4 rows)", r.TopTokens)
	}
	// Lengths computed independently from the generator.
	minLen, maxLen := math.MaxInt, 0
	for i := 0; i < 200; i++ {
		l := len(fmt.Sprintf("%s %d", []string{"the cat sat on the mat", "the dog ate the bone", "a bird in the hand", "the end of the road"}[i%4], i))
		minLen, maxLen = min(minLen, l), max(maxLen, l)
	}
	if r.Length == nil || r.Length.Min != int64(minLen) || r.Length.Max != int64(maxLen) {
		t.Errorf("review length %+v, want min %d max %d", r.Length, minLen, maxLen)
	}
	w := p.Column("when")
	if w.Min != "2020-01-01T10:00:00Z" || w.Max != "2020-01-28T10:00:00Z" {
		t.Errorf("when min/max %v %v", w.Min, w.Max)
	}
	if h := w.Histogram; h == nil || len(h.Counts) != 10 || h.Counts[0] != 24 || float64(h.Edges[0]) != 1577872800 {
		// 28 days in 10 bins of 2.7 days: days 1-3 fall in bin 0, 8 rows each (200 rows over 28 days).
		t.Errorf("when histogram %+v", h)
	}
	if !slices.ContainsFunc(p.Alerts, func(a Alert) bool { return a.Kind == "mixed_types" && a.Columns[0] == "mixed" }) {
		t.Errorf("no mixed_types alert: %+v", p.Alerts)
	}
}

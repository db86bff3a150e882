package explore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pandasRef is what testdata/pandas/gen.py writes (pandas 1.5.3).
type pandasRef struct {
	Rows          int64 `json:"rows"`
	DuplicateRows int64 `json:"duplicate_rows"`
	Columns       map[string]struct {
		Count, Missing, Distinct, TopCount int64
		Dtype                              string
		Min, Max                           any // a number, or "inf"/"-inf"
		MinExact, MaxExact                 string
		Mean, Std, Skew                    *float64
		Zeros, Negatives, Infinite         int64
		UniformP                           *float64
		Quantiles                          map[string]float64
		Histogram                          *struct {
			Edges  []float64
			Counts []int64
		}
	} `json:"columns"`
	Correlations []struct {
		A, B, Method string
		Value        *float64
	} `json:"correlations"`
}

func loadRef(t *testing.T, name string) pandasRef {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pandas", name))
	if err != nil {
		t.Fatal(err)
	}
	var ref pandasRef
	// gen.py writes snake_case keys; map them onto the struct.
	data = []byte(strings.NewReplacer(`"top_count"`, `"TopCount"`, `"min_exact"`, `"MinExact"`, `"max_exact"`, `"MaxExact"`,
		`"uniform_p"`, `"UniformP"`).Replace(string(data)))
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return math.NaN()
}

func relClose(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-300)
}

func TestProfileMatchesPandas(t *testing.T) {
	cases := []struct{ file, ref string }{
		{"seattle-weather.csv", "seattle-weather.json"},
		{"stocks.csv", "stocks.json"},
		{"cars.json", "cars.json"},
		{"penguins.json", "penguins.json"},
		{"penguins.parquet", "penguins.json"},
		{"airports.csv", "airports.json"},
		{"budget.csv", "budget.json"},
		{"edge-cases.csv", "edge-cases.json"},
		{"co2-concentration.csv", "co2-concentration.json"},
		{"global-temp.csv", "global-temp.json"},
		{"uniform-2d.json", "uniform-2d.json"},
		{"normal-2d.json", "normal-2d.json"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			ref := loadRef(t, c.ref)
			p, err := ProfileFile(context.Background(), filepath.Join("testdata", c.file), ProfileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Rows != ref.Rows || p.DuplicateRows != ref.DuplicateRows || !p.DuplicatesExact {
				t.Errorf("rows %d dup %d; pandas %d %d", p.Rows, p.DuplicateRows, ref.Rows, ref.DuplicateRows)
			}
			if len(p.Columns) != len(ref.Columns) {
				t.Fatalf("%d columns, pandas %d", len(p.Columns), len(ref.Columns))
			}
			for name, rc := range ref.Columns {
				col := p.Column(name)
				if col == nil {
					t.Errorf("column %q missing", name)
					continue
				}
				if col.Count != rc.Count || col.Missing != rc.Missing || col.Distinct != rc.Distinct || !col.DistinctExact {
					t.Errorf("%s: count/missing/distinct %d/%d/%d, pandas %d/%d/%d", name, col.Count, col.Missing, col.Distinct, rc.Count, rc.Missing, rc.Distinct)
				}
				if len(col.Top) > 0 && col.Top[0].Count != rc.TopCount {
					t.Errorf("%s: top count %d, pandas %d", name, col.Top[0].Count, rc.TopCount)
				}
				numeric := strings.HasPrefix(rc.Dtype, "float") || strings.HasPrefix(rc.Dtype, "int")
				if numeric != col.Type.IsNumeric() {
					t.Errorf("%s: type %s, pandas dtype %s", name, col.Type, rc.Dtype)
					continue
				}
				if (rc.UniformP == nil) != (col.UniformP == nil) {
					t.Errorf("%s: uniform p %v, scipy %v", name, col.UniformP, rc.UniformP)
				} else if rc.UniformP != nil && !relClose(float64(*col.UniformP), *rc.UniformP, 1e-9) && math.Abs(float64(*col.UniformP)-*rc.UniformP) > 1e-12 {
					t.Errorf("%s: uniform p %.15g, scipy %.15g", name, float64(*col.UniformP), *rc.UniformP)
				}
				if !numeric {
					continue
				}
				if col.Infinite != rc.Infinite {
					t.Errorf("%s: infinite %d, pandas %d", name, col.Infinite, rc.Infinite)
				}
				if rc.MinExact != "" {
					if got := fmt.Sprint(col.Min, " ", col.Max); got != rc.MinExact+" "+rc.MaxExact {
						t.Errorf("%s: integer min/max %s, pandas %s %s", name, got, rc.MinExact, rc.MaxExact)
					}
				}
				for _, b := range []struct {
					what      string
					got, want any
				}{{"min", col.Min, rc.Min}, {"max", col.Max, rc.Max}} {
					if w, ok := b.want.(string); ok && b.got != w {
						t.Errorf("%s.%s = %v, pandas %s", name, b.what, b.got, w)
					}
				}
				check := func(what string, got *Num, want *float64, tol float64) {
					if got == nil || want == nil {
						if (got == nil) != (want == nil) {
							t.Errorf("%s.%s: got %v want %v", name, what, got, want)
						}
						return
					}
					if !relClose(float64(*got), *want, tol) {
						t.Errorf("%s.%s = %.17g, pandas %.17g", name, what, float64(*got), *want)
					}
				}
				if mn, ok := rc.Min.(float64); ok {
					check("min", numPtr(toFloat(col.Min)), &mn, 1e-12)
				}
				if mx, ok := rc.Max.(float64); ok {
					check("max", numPtr(toFloat(col.Max)), &mx, 1e-12)
				}
				check("mean", col.Mean, rc.Mean, 1e-9)
				check("std", col.Std, rc.Std, 1e-9)
				check("skew", col.Skewness, rc.Skew, 1e-9)
				if col.Zeros != rc.Zeros || col.Negatives != rc.Negatives {
					t.Errorf("%s: zeros/negatives %d/%d, pandas %d/%d", name, col.Zeros, col.Negatives, rc.Zeros, rc.Negatives)
				}
				q := col.Quantiles
				if q == nil || q.Method != "exact" {
					t.Fatalf("%s: quantiles %+v", name, q)
				}
				for k, got := range map[string]Num{"p05": q.P05, "p25": q.P25, "p50": q.P50, "p75": q.P75, "p95": q.P95} {
					if !relClose(float64(got), rc.Quantiles[k], 1e-12) {
						t.Errorf("%s.%s = %v, pandas %v", name, k, got, rc.Quantiles[k])
					}
				}
				h := col.Histogram
				for i := range rc.Histogram.Counts {
					if h.Counts[i] != rc.Histogram.Counts[i] {
						t.Errorf("%s: histogram counts %v, numpy %v", name, h.Counts, rc.Histogram.Counts)
						break
					}
				}
				for i := range rc.Histogram.Edges {
					if !relClose(float64(h.Edges[i]), rc.Histogram.Edges[i], 1e-15) {
						t.Errorf("%s: edges %v, numpy %v", name, h.Edges, rc.Histogram.Edges)
						break
					}
				}
			}
			corr := map[string]float64{}
			for _, r := range p.Correlations {
				corr[r.A+"|"+r.B+"|"+r.Method] = r.Value
			}
			for _, r := range ref.Correlations {
				got, ok := corr[r.A+"|"+r.B+"|"+r.Method]
				if r.Value == nil {
					if ok {
						t.Errorf("%s(%s, %s) = %v; pandas has none", r.Method, r.A, r.B, got)
					}
					continue
				}
				if !ok {
					t.Errorf("no %s correlation for %s, %s", r.Method, r.A, r.B)
					continue
				}
				if r.Value != nil && !relClose(got, *r.Value, 1e-9) {
					t.Errorf("%s(%s, %s) = %.15g, pandas/scipy %.15g", r.Method, r.A, r.B, got, *r.Value)
				}
			}
			if _, err := json.Marshal(p); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestKLLAccuracy checks the sketch against exact quantiles of 1M values.
func TestKLLAccuracy(t *testing.T) {
	s := newKLL(256, 7)
	const n = 1_000_000
	// A permutation of 0..n-1: the exact q-quantile is q·(n−1).
	x := uint64(12345)
	for i := 0; i < n; i++ {
		s.add(float64((uint64(i)*7919 + x) % n))
	}
	it := s.items()
	if len(it) > 5000 {
		t.Errorf("sketch holds %d items; want a few thousand", len(it))
	}
	for _, q := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		got := quantileOfItems(it, q)
		if math.Abs(got-q*(n-1)) > 0.02*n {
			t.Errorf("q%.2f = %.0f, want %.0f ± 2%%", q, got, q*(n-1))
		}
	}
}

// TestProfileOverflowPaths forces the distinct table to overflow (values kept
// exactly, then a KLL sketch) and checks the results against the exact path.
func TestProfileOverflowPaths(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("x,y,s\n")
	const n = 20000
	xs := make([]float64, n)
	for i := 0; i < n; i++ {
		xs[i] = float64((i*7919)%n) / 7
		fmt.Fprintf(&sb, "%s,%d,w%d\n", strconv.FormatFloat(xs[i], 'g', -1, 64), i%100, i%3000)
	}
	path := writeFile(t, "big.csv", sb.String())
	ctx := context.Background()
	exact, err := ProfileFile(ctx, path, ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spilled, err := ProfileFile(ctx, path, ProfileOptions{DistinctBudget: 3 * 64})
	if err != nil {
		t.Fatal(err)
	}
	sketched, err := ProfileFile(ctx, path, ProfileOptions{DistinctBudget: 3 * 64, ExactValuesBudget: 3 * 256})
	if err != nil {
		t.Fatal(err)
	}
	ex, sp, sk := exact.Column("x"), spilled.Column("x"), sketched.Column("x")
	if ex.Distinct != n || !ex.DistinctExact || sp.DistinctExact {
		t.Fatalf("distinct exact %d/%v, spilled %d/%v", ex.Distinct, ex.DistinctExact, sp.Distinct, sp.DistinctExact)
	}
	if d := math.Abs(float64(sp.Distinct-n)) / n; d > 0.02 {
		t.Errorf("HyperLogLog distinct %d, want %d ± 2%%", sp.Distinct, n)
	}
	if *ex.Quantiles != *sp.Quantiles || sp.Quantiles.Method != "exact" {
		t.Errorf("quantiles from the table %+v and from spilled values %+v differ", *ex.Quantiles, *sp.Quantiles)
	}
	for i := range ex.Histogram.Counts {
		if ex.Histogram.Counts[i] != sp.Histogram.Counts[i] {
			t.Errorf("histograms differ: %v vs %v", ex.Histogram.Counts, sp.Histogram.Counts)
			break
		}
	}
	if *ex.Mean != *sk.Mean || *ex.Std != *sk.Std {
		t.Errorf("moments depend on the path")
	}
	// KLL: each quantile's rank within 2% of n.
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	if sk.Quantiles.Method != "kll" || sk.Histogram.Exact {
		t.Fatalf("sketched method %q exact %v", sk.Quantiles.Method, sk.Histogram.Exact)
	}
	for p, v := range map[float64]Num{0.05: sk.Quantiles.P05, 0.5: sk.Quantiles.P50, 0.95: sk.Quantiles.P95} {
		rank, _ := slices.BinarySearch(sorted, float64(v))
		if math.Abs(float64(rank)-p*n) > 0.02*n {
			t.Errorf("kll p%.2f = %v at rank %d, want about %.0f", p, v, rank, p*n)
		}
	}
	var total int64
	for _, c := range sk.Histogram.Counts {
		total += c
	}
	if total != n {
		t.Errorf("sketched histogram counts sum to %d, want %d", total, n)
	}
	// Top values survive the overflow: y has 100 values of 200 each.
	if y := spilled.Column("y"); y.Top[0].Count != 200 {
		t.Errorf("y top %+v", y.Top[:1])
	}
	// s has 3000 distinct strings: lengths and tokens stay exact after pruning.
	es, ss := exact.Column("s"), spilled.Column("s")
	if *es.Length != *ss.Length || es.TopTokens[0] != ss.TopTokens[0] {
		t.Errorf("string stats differ after overflow: %+v %+v vs %+v %+v", es.Length, es.TopTokens[0], ss.Length, ss.TopTokens[0])
	}
}

// TestWideCorrelations checks the matrix path (more than 16 numeric
// columns) against a plain two-pass Pearson over the parsed values.
func TestWideCorrelations(t *testing.T) {
	const ncol, n = 20, 500
	data := make([][]float64, ncol)
	var sb strings.Builder
	for c := 0; c < ncol; c++ {
		if c > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "c%d", c)
		data[c] = make([]float64, n)
	}
	sb.WriteByte('\n')
	for i := 0; i < n; i++ {
		for c := 0; c < ncol; c++ {
			v := float64((i*(c+3)*7919)%1000) + float64(c*i%17)
			if c%5 == 4 {
				v = data[c-1][i]*2 + float64(i%7) // strongly related to its neighbour
			}
			data[c][i] = v
			if c > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		sb.WriteByte('\n')
	}
	p, err := ProfileFile(context.Background(), writeFile(t, "wide.csv", sb.String()), ProfileOptions{PearsonColumns: 2})
	if err != nil {
		t.Fatal(err)
	}
	pearson := func(x, y []float64) float64 {
		mx, my := 0.0, 0.0
		for i := range x {
			mx += x[i]
			my += y[i]
		}
		mx /= float64(len(x))
		my /= float64(len(y))
		sxy, sxx, syy := 0.0, 0.0, 0.0
		for i := range x {
			sxy += (x[i] - mx) * (y[i] - my)
			sxx += (x[i] - mx) * (x[i] - mx)
			syy += (y[i] - my) * (y[i] - my)
		}
		return sxy / math.Sqrt(sxx*syy)
	}
	seen := 0
	for _, r := range p.Correlations {
		var a, b int
		fmt.Sscanf(r.A, "c%d", &a)
		fmt.Sscanf(r.B, "c%d", &b)
		var want float64
		switch r.Method {
		case "pearson":
			want = pearson(data[a], data[b])
		case "spearman":
			want = pearson(rankAvg(data[a]), rankAvg(data[b]))
		default:
			continue
		}
		seen++
		if math.Abs(r.Value-want) > 1e-12 {
			t.Errorf("%s(%s,%s) = %.15g, want %.15g", r.Method, r.A, r.B, r.Value, want)
		}
	}
	if seen != ncol*(ncol-1) {
		t.Errorf("%d numeric correlations, want %d", seen, ncol*(ncol-1))
	}
}

// TestProfileJSONShape checks the field names DESIGN §5 promises to scripts.
func TestProfileJSONShape(t *testing.T) {
	p, err := ProfileFile(context.Background(), filepath.Join("testdata", "penguins.json"), ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	need := func(obj map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("missing key %q in %v", k, obj)
			}
		}
	}
	need(m, "source", "rows", "duplicate_rows", "columns", "correlations", "alerts")
	need(m["source"].(map[string]any), "path", "format", "bytes", "sha256")
	var num map[string]any
	for _, c := range m["columns"].([]any) {
		c := c.(map[string]any)
		need(c, "name", "type", "count", "missing", "distinct", "top")
		if c["name"] == "Body Mass (g)" {
			num = c
		}
	}
	need(num, "min", "max", "mean", "std", "quantiles", "histogram")
	need(num["quantiles"].(map[string]any), "p05", "p25", "p50", "p75", "p95")
	need(num["histogram"].(map[string]any), "edges", "counts")
	need(num["top"].([]any)[0].(map[string]any), "value", "count")
	need(m["correlations"].([]any)[0].(map[string]any), "a", "b", "method", "value")
	for _, a := range m["alerts"].([]any) {
		need(a.(map[string]any), "kind", "columns", "value", "message")
	}
	// sha256sum testdata/penguins.json
	if p.Source.SHA256 != "0facf769609f1205b82cbceb8238c36af3e6147a0ca0e163902cc6281ce3e917" {
		t.Errorf("sha256 %s", p.Source.SHA256)
	}
}

func TestProfileProgressAndCancel(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("a,b\n")
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&sb, "%d,x%d\n", i, i%10)
	}
	path := writeFile(t, "p.csv", sb.String())
	var last Progress
	calls := 0
	p, err := ProfileFile(context.Background(), path, ProfileOptions{Progress: func(pr Progress) { last = pr; calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || !last.Done || last.Rows != 200000 || last.Bytes != int64(sb.Len()) || last.TotalBytes != int64(sb.Len()) || p.Rows != 200000 {
		t.Errorf("last progress %+v after %d calls", last, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ProfileFile(ctx, path, ProfileOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled profile: %v", err)
	}
	// Cancel midway from the progress callback; no goroutine may be left behind.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	before := runtime.NumGoroutine()
	_, err = ProfileFile(ctx, path, ProfileOptions{Read: ReadOptions{BatchRows: 1000}, Progress: func(Progress) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancel midway: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after", before, after)
	}
}

func TestProfileSkipsMalformedRows(t *testing.T) {
	path := writeFile(t, "r.csv", "a,b\n1,2\n3\n4,5\n\"6,7\n")
	if _, err := ProfileFile(context.Background(), path, ProfileOptions{}); !isInput(err) || !strings.Contains(err.Error(), ":3:") {
		t.Fatalf("fail mode: %v, want an InputError at line 3", err)
	}
	p, err := ProfileFile(context.Background(), path, ProfileOptions{Read: ReadOptions{OnError: OnErrorSkip}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 2 || p.Skipped.Count != 2 || p.Skipped.Examples[0].Line != 3 || p.Skipped.Examples[1].Line != 5 {
		t.Errorf("rows %d, skipped %+v", p.Rows, p.Skipped)
	}
	if a := p.Column("a"); *a.Mean != 2.5 {
		t.Errorf("mean of a = %v, want 2.5", *a.Mean)
	}
}

func TestDuplicateCounting(t *testing.T) {
	ra := newRowAcc(1, ProfileOptions{DuplicateRowsLimit: 1 << 20})
	// Same bucket (top byte), colliding low bits, zeros, and repeats.
	in := []uint64{0, 0, 0, 5, 5 | 1<<40, 5, 5 | 1<<40, 5 | 1<<40, 1 << 56, 1<<56 | 16, 1 << 56}
	for _, h := range in {
		ra.addHash(h)
	}
	ra.total = int64(len(in))
	// Distinct: 0, 5, 5|1<<40, 1<<56, 1<<56|16 = 5, so 6 duplicates.
	if d, exact := ra.duplicates(); d != 6 || !exact {
		t.Errorf("duplicates %d %v, want 6", d, exact)
	}
	// Past the budget: a hash-chosen sample of the rows, scaled. 200000 rows,
	// 10% of them a repeat of an earlier one, with room for 50000 hashes.
	ra = newRowAcc(1, ProfileOptions{DuplicateRowsLimit: 50000})
	for i := 0; i < 200000; i++ {
		k := uint64(i)
		if i%10 == 9 {
			k = uint64(i - 1)
		}
		ra.addHash(k * 0x9e3779b97f4a7c15)
		ra.total++
	}
	d, exact := ra.duplicates()
	if exact || ra.nhashes > 50000 || math.Abs(float64(d)-20000) > 1500 {
		t.Errorf("sampled duplicates %d (exact %v, %d hashes kept), want about 20000", d, exact, ra.nhashes)
	}
}

func TestLongUniqueStringsOverflowByBytes(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("text\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, "row %05d %s\n", i, strings.Repeat("lorem ipsum ", 16)) // 202 bytes
	}
	p, err := ProfileFile(context.Background(), writeFile(t, "long.csv", sb.String()), ProfileOptions{DistinctBytesBudget: 100000})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Column("text")
	if c.DistinctExact || math.Abs(float64(c.Distinct)-5000) > 100 {
		t.Errorf("distinct %d exact %v; want about 5000, estimated", c.Distinct, c.DistinctExact)
	}
	if c.Length.Min != 202 || c.Length.Max != 202 || c.TopTokens[0].Value != "ipsum" || c.TopTokens[0].Count != 80000 { // ties go alphabetically
		t.Errorf("length %+v top token %+v", c.Length, c.TopTokens[0])
	}
}

// TestReservoirIsUniform feeds 100000 rows through the row stage and checks
// the 1000-row sample's spread (each quarter of the input about 250 rows).
func TestReservoirIsUniform(t *testing.T) {
	ra := newRowAcc(1, ProfileOptions{SampleRows: 1000, Seed: 9, DuplicateRowsLimit: 1 << 20})
	for batch := 0; batch < 100; batch++ {
		j := &job{}
		j.b.reset(1)
		for i := 0; i < 1000; i++ {
			j.b.addCell([]byte(strconv.Itoa(batch*1000+i)), false)
			j.b.lines = append(j.b.lines, batch*1000+i+1)
		}
		j.num = make([]float64, 1000)
		ra.addBatch(j)
	}
	if len(ra.sample) != 1000 {
		t.Fatalf("sample of %d rows", len(ra.sample))
	}
	var quarters [4]int
	seen := map[int]bool{}
	for _, s := range ra.sample {
		v, _ := strconv.Atoi(string(s.cell(0)))
		if seen[v] {
			t.Fatalf("row %d sampled twice", v)
		}
		seen[v] = true
		quarters[v/25000]++
	}
	for q, n := range quarters {
		// Binomial(1000, 1/4): sd 13.7, so ±60 is over 4 sd.
		if n < 190 || n > 310 {
			t.Errorf("quarter %d holds %d sampled rows, want about 250 (all: %v)", q, n, quarters)
		}
	}
}

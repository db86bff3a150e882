package explore

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rowsOf reads every row of path as joined strings.
func rowsOf(t *testing.T, path string) []string {
	t.Helper()
	_, rows, _, err := readAll(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\x1f")
	}
	return out
}

func TestSplitEveryRowOnce(t *testing.T) {
	cases := []struct {
		file     string
		ratios   []float64
		stratify string
		group    string
	}{
		{"seattle-weather.csv", []float64{0.8, 0.1, 0.1}, "weather", ""},
		{"stocks.csv", []float64{0.6, 0.2, 0.2}, "", "symbol"},
		{"penguins.json", []float64{0.7, 0.3}, "Species", ""},
		{"penguins.parquet", []float64{0.8, 0.1, 0.1}, "", ""},
		{"cars.json", []float64{0.8, 0.1, 0.1}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			in := filepath.Join("testdata", c.file)
			dir := t.TempDir()
			res, err := Split(context.Background(), in, SplitOptions{Ratios: c.ratios, Stratify: c.stratify, Group: c.group, Seed: 42, OutDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			want := rowsOf(t, in)
			var got []string
			stem, ext := splitStem(c.file)
			for i, f := range res.Files {
				if filepath.Base(f.Path) != stem+"."+f.Name+"."+ext {
					t.Errorf("file %s", f.Path)
				}
				rows := rowsOf(t, f.Path)
				if int64(len(rows)) != f.Rows {
					t.Errorf("%s: %d rows, report says %d", f.Name, len(rows), f.Rows)
				}
				q := quotas(len(want), c.ratios)[i]
				if c.group == "" && c.stratify == "" && len(rows) != q {
					t.Errorf("%s: %d rows, want %d", f.Name, len(rows), q)
				}
				got = append(got, rows...)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Fatalf("splits hold %d rows, input %d, or contents differ", len(got), len(want))
			}
			// Deterministic for a seed.
			again, err := Split(context.Background(), in, SplitOptions{Ratios: c.ratios, Stratify: c.stratify, Group: c.group, Seed: 42, OutDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			for i := range res.Files {
				a, _ := os.ReadFile(res.Files[i].Path)
				b, _ := os.ReadFile(again.Files[i].Path)
				if string(a) != string(b) {
					t.Errorf("%s differs between two runs with one seed", res.Files[i].Name)
				}
			}
			if c.stratify != "" {
				// Each class's share per split is within one row of its share overall.
				total := map[string]int64{}
				for _, s := range res.Report.Splits {
					for _, cl := range s.Classes {
						total[cl.Class] += cl.Count
					}
				}
				for _, s := range res.Report.Splits {
					for _, cl := range s.Classes {
						exp := float64(total[cl.Class]) * float64(s.Rows) / float64(res.Report.Rows)
						if d := float64(cl.Count) - exp; d > 1.5 || d < -1.5 {
							t.Errorf("%s/%s: %d rows, expected about %.1f", s.Name, cl.Class, cl.Count, exp)
						}
					}
				}
			}
			if c.group != "" {
				seen := map[string]string{}
				for _, f := range res.Files {
					_, rows, _, _ := readAll(t, f.Path, ReadOptions{})
					for _, r := range rows {
						if s, ok := seen[r[0]]; ok && s != f.Name {
							t.Errorf("group %s in %s and %s", r[0], s, f.Name)
						}
						seen[r[0]] = f.Name
					}
				}
			}
			if len(res.Report.Drift) != len(c.ratios)-1 {
				t.Errorf("drift reports: %d", len(res.Report.Drift))
			}
		})
	}
}

func TestSplitLeakage(t *testing.T) {
	content := "a,b\n" + strings.Repeat("1,x\n", 10) + "2,y\n3,z\n"
	res, err := Split(context.Background(), writeFile(t, "dup.csv", content), SplitOptions{Ratios: []float64{0.5, 0.5}, Seed: 3, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// 6 rows per split; the test split's copies of "1,x" all also occur in train.
	test := rowsOf(t, res.Files[1].Path)
	var dup int64
	for _, r := range test {
		if r == "1\x1fx" {
			dup++
		}
	}
	if len(res.Report.Leakage) != 1 || res.Report.Leakage[0].Rows != dup || dup == 0 {
		t.Errorf("leakage %+v, want %d", res.Report.Leakage, dup)
	}
}

func TestSplitBadInput(t *testing.T) {
	in := filepath.Join("testdata", "stocks.csv")
	for _, o := range []SplitOptions{{Ratios: []float64{0.5}}, {Ratios: []float64{0.5, 0.6}}, {Ratios: []float64{0.5, 0.5}, Stratify: "nope"},
		{Ratios: []float64{0.5, 0.5}, Stratify: "symbol", Group: "symbol"}} {
		o.OutDir = t.TempDir()
		if _, err := Split(context.Background(), in, o); err == nil || !strings.Contains(err.Error(), "") {
			t.Errorf("%+v: no error", o)
		} else if !isInput(err) {
			t.Errorf("%+v: %v is not an InputError", o, err)
		}
	}
}

// JSON strings that look like numbers stay strings, as in pandas, in the
// profile and through a split.
func TestJSONStringsStayStrings(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; i < 100; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"zip":"0` + strings.Repeat("1", 1+i%3) + `","n":` + strings.Repeat("2", 1+i%4) + `}`)
	}
	sb.WriteString("]")
	in := writeFile(t, "z.json", sb.String())
	p, err := ProfileFile(context.Background(), in, ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Column("zip").Type != TypeCategorical || p.Column("n").Type != TypeInteger {
		t.Errorf("types %s %s, want categorical integer", p.Column("zip").Type, p.Column("n").Type)
	}
	res, err := Split(context.Background(), in, SplitOptions{Ratios: []float64{0.5, 0.5}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(res.Files[0].Path)
	if !strings.Contains(string(out), `"zip":"01`) || strings.Contains(string(out), `"n":"`) {
		t.Errorf("split output lost JSON types:\n%.200s", out)
	}
}

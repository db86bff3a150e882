package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/demo"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
)

// demoWorkspace is a fresh workspace holding copies of the shipped demo data
// (demo/data, see its SOURCES.md) under data/.
func demoWorkspace(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	if err := demo.Ensure(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func demoFiles(t *testing.T, ws string) []string {
	t.Helper()
	var out []string
	for _, f := range demo.Files() {
		if !strings.HasPrefix(f, "data/") || strings.HasSuffix(f, ".md") {
			continue // the demo also ships studies and notes
		}
		out = append(out, filepath.Join(ws, filepath.FromSlash(f)))
	}
	if len(out) < 5 {
		t.Fatalf("expected the five demo data files, got %v", out)
	}
	return out
}

func mustRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, out, errs := run(t, args...)
	if code != want {
		t.Fatalf("lathe %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
	}
	return out
}

func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return v
}

func closeTo(a, b float64) bool {
	if math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// The profile JSON carries DESIGN §5's shape and the engine's numbers, on
// every demo file; the human report names every column and the alerts.
func TestDataProfileEveryDemoFile(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	for _, path := range demoFiles(t, ws) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out := mustRun(t, 0, "--workspace", ws, "--json", "data", "profile", path)
			// The documented keys, read generically so a renamed field fails.
			raw := decode[map[string]any](t, out)
			for _, k := range []string{"source", "rows", "duplicate_rows", "columns", "correlations", "alerts"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("profile JSON lacks %q", k)
				}
			}
			src := raw["source"].(map[string]any)
			for _, k := range []string{"path", "format", "bytes", "sha256"} {
				if _, ok := src[k]; !ok {
					t.Errorf("profile source lacks %q", k)
				}
			}
			cols := raw["columns"].([]any)
			for _, k := range []string{"name", "type", "count", "missing", "distinct", "top"} {
				if _, ok := cols[0].(map[string]any)[k]; !ok {
					t.Errorf("column lacks %q", k)
				}
			}

			got := decode[explore.Profile](t, out)
			want, err := explore.ProfileFile(context.Background(), path, explore.ProfileOptions{
				HistogramBins: 20, TopK: 10, // the config defaults the CLI passes
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Rows != want.Rows || got.DuplicateRows != want.DuplicateRows || len(got.Columns) != len(want.Columns) {
				t.Fatalf("rows %d dup %d cols %d; engine %d %d %d", got.Rows, got.DuplicateRows, len(got.Columns), want.Rows, want.DuplicateRows, len(want.Columns))
			}
			st, _ := os.Stat(path)
			if got.Source.Bytes != st.Size() || len(got.Source.SHA256) != 64 {
				t.Errorf("source %+v; file has %d bytes", got.Source, st.Size())
			}
			for i, c := range got.Columns {
				w := want.Columns[i]
				if c.Name != w.Name || c.Type != w.Type || c.Count != w.Count || c.Missing != w.Missing || c.Distinct != w.Distinct {
					t.Errorf("column %q: %s count %d missing %d distinct %d; engine %q %s %d %d %d",
						c.Name, c.Type, c.Count, c.Missing, c.Distinct, w.Name, w.Type, w.Count, w.Missing, w.Distinct)
				}
				if c.Count+c.Missing != got.Rows {
					t.Errorf("column %q: count %d + missing %d != rows %d", c.Name, c.Count, c.Missing, got.Rows)
				}
				if (c.Mean == nil) != (w.Mean == nil) || c.Mean != nil && !closeTo(float64(*c.Mean), float64(*w.Mean)) {
					t.Errorf("column %q: mean %v, engine %v", c.Name, c.Mean, w.Mean)
				}
				if c.Histogram != nil && len(c.Histogram.Counts) != 20 && c.Histogram.Exact && c.Distinct > 20 {
					t.Errorf("column %q: %d histogram bins, config says 20", c.Name, len(c.Histogram.Counts))
				}
			}
			if len(got.Alerts) != len(want.Alerts) {
				t.Errorf("%d alerts, engine %d", len(got.Alerts), len(want.Alerts))
			}

			text := mustRun(t, 0, "--workspace", ws, "data", "profile", path)
			for _, c := range got.Columns {
				if !strings.Contains(text, format.Clip(c.Name, 28)) {
					t.Errorf("report does not name column %q:\n%s", c.Name, text)
				}
			}
			for _, a := range got.Alerts {
				if !strings.Contains(text, a.Message) {
					t.Errorf("report does not list alert %q:\n%s", a.Message, text)
				}
			}
			if !strings.Contains(text, format.Digits(got.Rows)+" rows") {
				t.Errorf("report does not give the row count %d:\n%s", got.Rows, text)
			}
		})
	}
}

// Known values of the penguins file, counted independently of the engine with
// encoding/json: 344 records (SOURCES.md) and the nulls of each column.
func TestDataProfilePenguinsKnownCounts(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	path := filepath.Join(ws, "data", "penguins.json")
	var recs []map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	// Independent count with encoding/json: nulls per column.
	nulls := map[string]int64{}
	for _, r := range recs {
		for k, v := range r {
			if v == nil {
				nulls[k]++
			}
		}
	}
	p := decode[explore.Profile](t, mustRun(t, 0, "--json", "data", "profile", path))
	if p.Rows != int64(len(recs)) || p.Rows != 344 {
		t.Fatalf("rows %d, file has %d records", p.Rows, len(recs))
	}
	for _, c := range p.Columns {
		if c.Missing != nulls[c.Name] {
			t.Errorf("%s: missing %d, the file has %d nulls", c.Name, c.Missing, nulls[c.Name])
		}
	}
	var sexAlert bool
	for _, a := range p.Alerts {
		if a.Kind == "missing" && len(a.Columns) == 1 && a.Columns[0] == "Sex" {
			sexAlert = true
		}
	}
	if !sexAlert {
		t.Errorf("no missing alert for Sex (%d nulls of 344 > 1%%): %+v", nulls["Sex"], p.Alerts)
	}
}

func TestDataDriftSelfIsZero(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	for _, path := range demoFiles(t, ws) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := decode[explore.DriftReport](t, mustRun(t, 0, "--json", "data", "drift", path, path, "--fail-on-drift"))
			if len(rep.Columns) == 0 || rep.Drifted != 0 {
				t.Fatalf("self drift: %d columns, %d drifted", len(rep.Columns), rep.Drifted)
			}
			for _, c := range rep.Columns {
				if c.JSD != 0 || c.PSI != 0 || c.Drifted || c.KS != nil && *c.KS != 0 || c.LInf != nil && *c.LInf != 0 {
					t.Errorf("%s: %+v, want all zero", c.Column, c)
				}
			}
			text := mustRun(t, 0, "data", "drift", path, path)
			if !strings.Contains(text, "0 of ") {
				t.Errorf("report does not say nothing drifted:\n%s", text)
			}
		})
	}
}

// Winter rows against the whole year: the temperatures drift, and
// --fail-on-drift turns that into exit 1.
func TestDataDriftFlagged(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	full := filepath.Join(ws, "data", "seattle-weather.csv")
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	winter := filepath.Join(t.TempDir(), "winter.csv")
	if err := os.WriteFile(winter, []byte(strings.Join(lines[:61], "")), 0o644); err != nil { // header + Jan-Feb 2012
		t.Fatal(err)
	}
	out := mustRun(t, 0, "--json", "data", "drift", full, winter)
	rep := decode[explore.DriftReport](t, out)
	var tempMax *explore.ColumnDrift
	for i := range rep.Columns {
		if rep.Columns[i].Column == "temp_max" {
			tempMax = &rep.Columns[i]
		}
	}
	if tempMax == nil || !tempMax.Drifted || tempMax.KS == nil || *tempMax.KS < 0.3 {
		t.Fatalf("temp_max of Jan-Feb vs the year should drift: %+v", tempMax)
	}
	mustRun(t, 1, "data", "drift", full, winter, "--fail-on-drift")
	// Threshold 0 flags any difference; 1 flags nothing (JSD is at most 1).
	if r := decode[explore.DriftReport](t, mustRun(t, 0, "--json", "data", "drift", full, winter, "--threshold", "1")); r.Drifted != 0 {
		t.Errorf("threshold 1 flagged %d columns", r.Drifted)
	}
	if r := decode[explore.DriftReport](t, mustRun(t, 0, "--json", "data", "drift", full, winter, "--threshold", "0")); r.Drifted != len(r.Columns) {
		t.Errorf("threshold 0 flagged %d of %d columns", r.Drifted, len(r.Columns))
	}
}

func TestDataCheck(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	path := filepath.Join(ws, "data", "penguins.json")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pass := write("pass.yaml", "rules:\n  - {column: Species, not_null: true, in_set: [Adelie, Gentoo, Chinstrap]}\n  - table: {row_count: {min: 300, max: 400}}\n")
	mustRun(t, 0, "data", "check", path, "--rules", pass)

	// 68 Chinstrap rows of 344 fail in_set (counted independently below).
	b, _ := os.ReadFile(path)
	var recs []map[string]any
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	chinstrap := 0
	for _, r := range recs {
		if r["Species"] == "Chinstrap" {
			chinstrap++
		}
	}
	fail := write("fail.yaml", "rules:\n  - {column: Species, in_set: [Adelie, Gentoo]}\n  - {column: Island, not_null: true}\n")
	code, out, _ := run(t, "--json", "data", "check", path, "--rules", fail)
	if code != 1 {
		t.Fatalf("violated check: exit %d, want 1", code)
	}
	rep := decode[explore.CheckReport](t, out)
	if rep.Passed || rep.Failed != 1 || len(rep.Results) < 2 {
		t.Fatalf("report %+v", rep)
	}
	r := rep.Results[0]
	if r.Column != "Species" || r.Passed || r.Failing != int64(chinstrap) || !closeTo(r.FailingShare, float64(chinstrap)/344) || r.Line != 2 {
		t.Errorf("in_set result %+v; want Species failing %d/344 at line 2", r, chinstrap)
	}
	code, text, _ := run(t, "data", "check", path, "--rules", fail)
	if code != 1 || !strings.Contains(text, "FAIL") || !strings.Contains(text, "Species") || !strings.Contains(text, format.Pct(float64(chinstrap)/344)) {
		t.Errorf("exit %d; human report must name the column and failing share:\n%s", code, text)
	}

	bad := write("bad.yaml", "rules:\n  - column: Species\n    not_nul: true\n")
	code, _, errs := run(t, "data", "check", path, "--rules", bad)
	if code != 2 || !strings.Contains(errs, "bad.yaml:3") {
		t.Errorf("malformed rules: exit %d, stderr %q; want 2 naming bad.yaml:3", code, errs)
	}
	code, _, errs = run(t, "data", "check", path)
	if code != 2 || !strings.Contains(errs, "--rules") {
		t.Errorf("no --rules: exit %d, stderr %q", code, errs)
	}
}

func TestDataBadInputExit2NamingFile(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	good := filepath.Join(ws, "data", "stocks.csv")
	dir := t.TempDir()
	ragged := filepath.Join(dir, "ragged.csv")
	if err := os.WriteFile(ragged, []byte("a,b,c\n1,2,3\n4,5\n6,7,8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.csv")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"data", "profile", missing}, []string{"nope.csv", "no such file"}},
		{[]string{"data", "profile", ragged}, []string{"ragged.csv", ":3"}},
		{[]string{"data", "profile", good, "--on-error", "maybe"}, []string{"--on-error", "fail or skip"}},
		{[]string{"data", "drift", good, missing}, []string{"nope.csv"}},
		{[]string{"data", "drift", good, good, "--threshold", "-1"}, []string{"--threshold"}},
		{[]string{"data", "check", ragged, "--rules", missing}, []string{"nope.csv"}},
		{[]string{"data", "split", good, "--ratios", "0.8,x"}, []string{"--ratios", `"x"`}},
		{[]string{"data", "split", good, "--ratios", "0.5,0.1"}, []string{"ratios", "sum"}},
		{[]string{"data", "split", good, "--stratify", "nocol", "--out", dir}, []string{"nocol"}},
		{[]string{"--workspace", ws, "data", "add", ragged}, []string{"ragged.csv"}},
		{[]string{"data", "ls"}, []string{"lathe init"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := run(t, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errs)
			}
			if out != "" {
				t.Errorf("stdout %q on bad input", out)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
		})
	}
	// --on-error skip reads past the ragged row and reports it.
	p := decode[explore.Profile](t, mustRun(t, 0, "--json", "data", "profile", ragged, "--on-error", "skip"))
	if p.Rows != 2 || p.Skipped.Count != 1 || len(p.Skipped.Examples) != 1 || p.Skipped.Examples[0].Line != 3 {
		t.Errorf("skip: rows %d skipped %+v; want 2 rows and line 3 skipped", p.Rows, p.Skipped)
	}
}

func TestDataAddTwiceIsOneVersion(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	path := filepath.Join(ws, "data", "penguins.parquet")
	first := decode[engine.Registered](t, mustRun(t, 0, "--workspace", ws, "--json", "data", "add", path))
	second := decode[engine.Registered](t, mustRun(t, 0, "--workspace", ws, "--json", "data", "add", path))
	if !first.Added || second.Added || first.ID != second.ID {
		t.Fatalf("first %+v, second %+v: want one version", first, second)
	}
	b, _ := os.ReadFile(path)
	if first.Size != int64(len(b)) || first.Rows != 344 || first.Format != "parquet" || first.Path != "data/penguins.parquet" {
		t.Errorf("version %+v", first)
	}
	var schema []explore.SchemaField
	if err := json.Unmarshal(first.Schema, &schema); err != nil || len(schema) != 7 || schema[0].Name != "Species" {
		t.Errorf("schema %s (%v)", first.Schema, err)
	}
	ls := decode[[]experiments.Dataset](t, mustRun(t, 0, "--workspace", ws, "--json", "data", "ls"))
	if len(ls) != 1 || ls[0].SHA256 != first.SHA256 {
		t.Fatalf("ls %+v; want the one version", ls)
	}
	// Every demo file registers; changed content is a new version.
	mustRun(t, 0, append([]string{"--workspace", ws, "data", "add"}, demoFiles(t, ws)...)...)
	csv := filepath.Join(ws, "data", "x.csv")
	for _, body := range []string{"a\n1\n", "a\n1\n2\n"} {
		if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, 0, "--workspace", ws, "data", "add", csv)
	}
	ls = decode[[]experiments.Dataset](t, mustRun(t, 0, "--workspace", ws, "--json", "data", "ls"))
	if len(ls) != len(demoFiles(t, ws))+2 {
		t.Errorf("%d versions; want %d (five files, x.csv twice)", len(ls), len(demoFiles(t, ws))+2)
	}
	text := mustRun(t, 0, "--workspace", ws, "data", "ls")
	if !strings.Contains(text, "data/x.csv") || !strings.Contains(text, first.SHA256[:12]) {
		t.Errorf("ls report:\n%s", text)
	}
}

func TestDataSplitRegistersLineage(t *testing.T) {
	isolate(t)
	ws := demoWorkspace(t)
	for _, path := range demoFiles(t, ws) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out := filepath.Join(ws, "splits", filepath.Base(path))
			res := decode[engine.SplitResult](t, mustRun(t, 0, "--workspace", ws, "--json", "data", "split", path, "--seed", "7", "--out", out))
			if len(res.Files) != 3 || len(res.Datasets) != 3 || res.Parent == nil {
				t.Fatalf("split %+v", res)
			}
			var sum int64
			for i, f := range res.Files {
				sum += f.Rows
				if res.Datasets[i].Rows != f.Rows {
					t.Errorf("%s: registered %d rows, wrote %d", f.Name, res.Datasets[i].Rows, f.Rows)
				}
			}
			if sum != res.Parent.Rows || sum != res.Report.Rows {
				t.Errorf("splits hold %d rows; parent %d", sum, res.Parent.Rows)
			}
			w, err := experiments.Open(ws)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			edges, err := w.Store.EdgesFrom(context.Background(), experiments.Node{Kind: experiments.KindDataset, ID: strconv.FormatInt(res.Parent.ID, 10)})
			if err != nil {
				t.Fatal(err)
			}
			if len(edges) != 3 {
				t.Fatalf("%d edges from the parent, want 3", len(edges))
			}
			for i, e := range edges {
				if e.Kind != experiments.EdgeDerivedFrom || e.Operation != "split" || e.To.ID != strconv.FormatInt(res.Datasets[i].ID, 10) {
					t.Errorf("edge %+v", e)
				}
				var params struct {
					Ratios []float64 `json:"ratios"`
					Seed   uint64    `json:"seed"`
				}
				if err := json.Unmarshal(e.Params, &params); err != nil || params.Seed != 7 || len(params.Ratios) != 3 {
					t.Errorf("params %s (%v)", e.Params, err)
				}
				d, err := w.Store.GetDataset(context.Background(), res.Datasets[i].ID)
				if err != nil || d.Path != w.Rel(res.Files[i].Path) {
					t.Errorf("dataset %+v (%v), file %s", d, err, res.Files[i].Path)
				}
			}
		})
	}
	// Stratified: the human report shows class balance and leakage.
	text := mustRun(t, 0, "--workspace", ws, "data", "split", filepath.Join(ws, "data", "penguins.json"),
		"--ratios", "0.7,0.3", "--stratify", "Species", "--out", filepath.Join(ws, "strat"))
	for _, want := range []string{"Class balance", "Adelie", "Gentoo", "Leakage", "penguins.train.json", "penguins.test.json", "Drift"} {
		if !strings.Contains(text, want) {
			t.Errorf("split report lacks %q:\n%s", want, text)
		}
	}
}

// The Data screen in the real binary at 80x24 on the demo workspace: pick a
// file, profile it, open a column, filter the rows by typing (digits and q
// are text there, not tab switches or quit), and quit cleanly.
func TestDataScreenInTmux80x24(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	dir := filepath.Join(t.TempDir(), "demo")
	s := newTmux(t, 80, 24, "NO_COLOR=1", "XDG_CONFIG_HOME="+os.Getenv("XDG_CONFIG_HOME"), "TERM=xterm-256color")
	s.keys(fmt.Sprintf("%s demo --dir %s; echo LATHE_EXIT=$?", bin, dir), "Enter")
	s.waitFor(20*time.Second, "5 data files", "data/penguins.json")
	s.keys("Down")
	s.waitFor(5*time.Second, "▸data/penguins.json")
	s.keys("Enter")
	scr := s.waitFor(20*time.Second, "344 rows", "Flipper Length (mm)", "HISTOGRAM")
	checkScreen(t, scr)
	for range 5 {
		s.keys("Down")
	}
	s.keys("Enter")
	scr = s.waitFor(5*time.Second, "Body Mass (g) · integer", "p50 4,050", "top values")
	checkScreen(t, scr)
	s.keys("Escape")
	s.waitFor(5*time.Second, "enter detail")
	s.keys("r")
	s.waitFor(5*time.Second, "344 rows · row 1")
	s.keys("/")
	s.keys("-l", "Island == Dream and Body Mass (g) > 4000 or Sex == q")
	s.waitFor(5*time.Second, "filter: Island == Dream and Body Mass (g) > 4000 or Sex == q")
	s.keys("Enter")
	// 28 heavy Dream penguins, and no Sex is "q".
	scr = s.waitFor(5*time.Second, "28 of 344 rows match")
	checkScreen(t, scr)
	s.keys("Escape")
	s.waitFor(5*time.Second, "enter detail")
	s.keys("q")
	s.waitFor(10*time.Second, "LATHE_EXIT=0")
}

// checkScreen asserts a captured 80x24 screen fits: at most 24 lines, none
// wider than 80 cells.
func checkScreen(t *testing.T, scr string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if len(lines) > 24 {
		t.Errorf("%d lines at 80x24", len(lines))
	}
	for i, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d is %d cells: %q", i+1, n, l)
		}
	}
}

// The readers' and the profiler's flags (issue 12): a header of years stays
// a header by default, --no-header numbers the columns, --missing and
// --disable-alert apply, and bad values name the flag.
func TestDataProfileFlags(t *testing.T) {
	budget, _ := filepath.Abs("../../explore/testdata/budget.csv") // before isolate leaves the package directory
	isolate(t)
	p := decode[explore.Profile](t, mustRun(t, 0, "--json", "data", "profile", budget))
	names := map[string]bool{}
	for _, c := range p.Columns {
		names[c.Name] = true
	}
	if !names["1962"] || !names["Agency name"] || names["column_1"] {
		t.Errorf("the header of years was not taken as the header: %d columns, e.g. %q", len(p.Columns), p.Columns[0].Name)
	}
	rows := p.Rows
	p = decode[explore.Profile](t, mustRun(t, 0, "--json", "data", "profile", budget, "--no-header"))
	if p.Columns[0].Name != "column_1" || p.Rows != rows+1 {
		t.Errorf("--no-header: first column %q, %d rows (with a header %d)", p.Columns[0].Name, p.Rows, rows)
	}
	csv := filepath.Join(t.TempDir(), "m.csv")
	if err := os.WriteFile(csv, []byte("a,b\n1,x\n-999,y\n3,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p = decode[explore.Profile](t, mustRun(t, 0, "--json", "data", "profile", csv, "--missing", "-999", "--disable-alert", "unique"))
	if p.Columns[0].Missing != 1 {
		t.Errorf("--missing -999: column a has %d missing, want 1", p.Columns[0].Missing)
	}
	for _, al := range p.Alerts {
		if al.Kind == "unique" {
			t.Errorf("--disable-alert unique raised %+v", al)
		}
	}
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"--header", "maybe"}, "--header"},
		{[]string{"--header", "sniff", "--no-header"}, "--no-header"},
		{[]string{"--disable-alert", "nope"}, "--disable-alert"},
		{[]string{"--corr-columns", "-3"}, "--corr-columns"},
		{[]string{"--parsers", "-1"}, "--parsers"},
	} {
		code, _, errs := run(t, append([]string{"data", "profile", csv}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.flag) {
			t.Errorf("%v: exit %d %q, want 2 naming %s", c.args, code, errs, c.flag)
		}
	}
}

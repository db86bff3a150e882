package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/lathe-ml/lathe/optimizer"
)

// createStudy records a two-objective study with a constraint
// (ConstrainedBraninCurrin, BoTorch's test problem) and drives it through
// n ask/tell rounds on the CLI; it returns the trials told.
func createStudy(t *testing.T, ws string, n int) string {
	t.Helper()
	p, _ := optimizer.ProblemByName("ConstrainedBraninCurrin")
	spec := p.Spec(3, n)
	spec.Name = "cbc"
	raw, _ := json.Marshal(spec)
	specPath := writeFile(t, filepath.Join(t.TempDir(), "cbc.json"), string(raw))
	if code, _, errs := run(t, "-w", ws, "tune", "create", specPath); code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	for i := 0; i < n; i++ {
		code, out, errs := run(t, "-w", ws, "tune", "ask", "cbc", "--json")
		var ts []struct {
			Number int            `json:"number"`
			Params map[string]any `json:"params"`
		}
		if err := json.Unmarshal([]byte(out), &ts); code != 0 || err != nil || len(ts) != 1 {
			t.Fatalf("ask %d: exit %d %v: %s", i, code, err, errs)
		}
		mj, _ := json.Marshal(p.Metrics(ts[0].Params))
		if code, _, errs := run(t, "-w", ws, "tune", "tell", "cbc", strconv.Itoa(ts[0].Number), "--metrics", string(mj)); code != 0 {
			t.Fatalf("tell: exit %d: %s", code, errs)
		}
	}
	return "cbc"
}

// launchRuns starts n real local runs of a small sh trainer that prints
// JSON metric lines: loss = (100+10i)/step over 10 steps, acc = step/10,
// and on the last run an extra metric and parameter. It returns their ids.
func launchRuns(t *testing.T, ws string, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		script := `s=1; while [ $s -le 10 ]; do echo "{\"step\": $s, \"loss\": $(( ` + strconv.Itoa(100+10*i) + ` / s )), \"acc\": 0.$(( s - 1 ))}"; s=$((s+1)); done`
		args := []string{"-w", ws, "--json", "run", "--name", fmt.Sprintf(`run <%d> & "co"`, i), "--param", "lr=0.0" + strconv.Itoa(i+1), "--param", "opt=adam"}
		if i == n-1 {
			args = append(args, "--param", "warmup=true")
			script += `; echo '{"step": 10, "only_last": 7}'`
		}
		code, out, errs := run(t, append(args, "--", "sh", "-c", script)...)
		var rec struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &rec); code != 0 || err != nil || rec.Status != "completed" {
			t.Fatalf("run %d: exit %d %v %s %s", i, code, err, out, errs)
		}
		ids = append(ids, rec.ID)
	}
	return ids
}

// chromium finds Debian's chromium (or Chrome). Without one the test
// skips, except in CI, where .ci/run installs it and a skip would hide a
// broken install.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium for this test")
	}
	t.Skip("no chromium on PATH (apt-get install chromium)")
	return ""
}

// browser is a headless Chromium tab that records every console message,
// uncaught exception and log entry of warning or error level.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T, w, h int) *browser {
	t.Helper()
	bin := chromium(t)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h))
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// The first action starts the browser and must not carry a timeout (it
	// would end the browser with it); this watchdog ends a start that hangs.
	watchdog := time.AfterFunc(90*time.Second, cancelA)
	defer watchdog.Stop()
	b := &browser{ctx: ctx}
	add := func(s string) { b.mu.Lock(); b.problems = append(b.problems, s); b.mu.Unlock() }
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value))
			}
			add("console." + string(e.Type) + ": " + strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			add("exception: " + e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if l := string(e.Entry.Level); l == "error" || l == "warning" {
				add("log " + l + " (" + string(e.Entry.Source) + "): " + e.Entry.Text + " " + e.Entry.URL)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// open loads a file, waits for it, and fails on anything the page logged.
func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	abs, _ := filepath.Abs(path)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	// Log entries arrive asynchronously; give them a moment.
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("%s: %s", filepath.Base(path), p)
	}
	b.problems = nil
}

func (b *browser) count(t *testing.T, selector string) int {
	t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(selector)+`).length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type box struct{ X, Y, W, H, VW, VH float64 }

func (b *browser) box(t *testing.T, selector string) box {
	t.Helper()
	r, err := chromedp.Run(b.ctx, chromedp.Evaluate[box](`(() => { const r = document.querySelector(`+strconv.Quote(selector)+`).getBoundingClientRect();
		return {X: r.x, Y: r.y, W: r.width, H: r.height, VW: innerWidth, VH: innerHeight}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReportStudyInChromium is the check: the study report opens
// in headless Chromium with no console message, exception or failed load,
// its Pareto chart has a point per trial, and the chart is visible in a
// screenshot: inside the viewport, and drawn (the Pareto set's colour is
// there, and the box is not blank).
func TestReportStudyInChromium(t *testing.T) {
	shots := os.Getenv("LATHE_SCREENSHOTS") // a folder to keep the screenshot in, for people
	isolate(t)
	ws := newWorkspace(t)
	const trials = 12
	study := createStudy(t, ws, trials)
	ids := launchRuns(t, ws, 2)
	dir := t.TempDir()
	studyHTML, runHTML, dataHTML := filepath.Join(dir, "study.html"), filepath.Join(dir, "run.html"), filepath.Join(dir, "data.html")
	for ref, out := range map[string]string{study: studyHTML, ids[0]: runHTML} {
		if code, stdout, errs := run(t, "-w", ws, "report", ref, "--out", out); code != 0 || strings.TrimSpace(stdout) != out {
			t.Fatalf("report %s: exit %d %q %s", ref, code, stdout, errs)
		}
	}
	csv := writeFile(t, filepath.Join(dir, "d.csv"), "a,b,c\n1,x,2024-01-01\n2,y,2024-02-01\n3,x,2024-03-01\n4,z,2024-04-01\n")
	if code, _, errs := run(t, "-w", ws, "report", csv, "--out", dataHTML); code != 0 {
		t.Fatalf("report %s: exit %d %s", csv, code, errs)
	}

	b := newBrowser(t, 1280, 1000)
	b.open(t, studyHTML)
	if n := b.count(t, "svg.chart.pareto circle.point"); n != trials {
		t.Errorf("Pareto chart has %d points, want one per trial: %d", n, trials)
	}
	if n := b.count(t, "svg.chart.pareto circle.point.pareto"); n < 1 {
		t.Error("no Pareto-set point in the DOM")
	}
	if n := b.count(t, "svg.chart.pareto path.threshold"); n != 2 {
		t.Errorf("%d threshold lines", n)
	}
	if n := b.count(t, "svg.chart.pareto path.front"); n != 1 {
		t.Errorf("%d front lines", n)
	}
	if n := b.count(t, "tr.trial"); n != trials {
		t.Errorf("%d trial rows", n)
	}
	bx := b.box(t, "svg.chart.pareto")
	if bx.W < 300 || bx.H < 150 || bx.X < 0 || bx.Y < 0 || bx.X+bx.W > bx.VW || bx.Y+bx.H > bx.VH {
		t.Fatalf("Pareto chart box %+v is not inside the %v×%v viewport", bx, bx.VW, bx.VH)
	}
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if shots != "" {
		if err := os.WriteFile(filepath.Join(shots, "study-report.png"), shot, 0o644); err != nil {
			t.Error(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != int(bx.VW) || s.Y != int(bx.VH) {
		t.Fatalf("screenshot is %v, the viewport %v×%v", s, bx.VW, bx.VH)
	}
	inked, orange := 0, 0
	r := image.Rect(int(bx.X), int(bx.Y), int(bx.X+bx.W), int(bx.Y+bx.H))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			R, G, B := float64(cr>>8), float64(cg>>8), float64(cb>>8)
			if R < 235 || G < 235 || B < 235 {
				inked++
			}
			if math.Abs(R-0xd5) < 30 && math.Abs(G-0x5e) < 30 && B < 40 { // the Pareto set's vermillion
				orange++
			}
		}
	}
	if share := float64(inked) / float64(r.Dx()*r.Dy()); share < 0.02 {
		t.Errorf("the Pareto chart's box is %.1f%% drawn: blank in the screenshot", 100*share)
	}
	if orange < 30 {
		t.Errorf("%d Pareto-coloured pixels in the chart's box: the front is not drawn", orange)
	}

	b.open(t, runHTML)
	if n := b.count(t, "svg.chart.curves path.curve"); n != 2 {
		t.Errorf("run report: %d curve paths, want one per metric (2)", n)
	}
	if n := b.count(t, "svg.chart.curves circle.marker"); n != 20 {
		t.Errorf("run report: %d markers, want 10 points × 2 metrics", n)
	}
	b.open(t, dataHTML)
	if n := b.count(t, "div.column-card"); n != 3 {
		t.Errorf("dataset report: %d column cards", n)
	}
	if n := b.count(t, "svg.histogram rect.bar"); n == 0 {
		t.Error("dataset report: no histogram bars")
	}
}

// `lathe report` writes REF.html here by default and prints the path, "-"
// writes the page to stdout, --json describes what was written, and a REF
// that names nothing exits 2.
func TestReportCommand(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	ids := launchRuns(t, ws, 1)
	prefix := ids[0][:6]
	code, out, errs := run(t, "-w", ws, "report", prefix)
	if code != 0 || strings.TrimSpace(out) != prefix+".html" || !strings.Contains(errs, "wrote the run report of "+ids[0]) {
		t.Fatalf("report: exit %d %q %s", code, out, errs)
	}
	page, err := os.ReadFile(prefix + ".html")
	if err != nil || !bytes.Contains(page, []byte(`run &lt;0&gt; &amp; &#34;co&#34;`)) {
		t.Fatalf("page: %v (%d bytes)", err, len(page))
	}
	code, out, _ = run(t, "-w", ws, "report", ids[0], "--out", "-")
	if code != 0 || !strings.HasPrefix(out, "<!doctype html>") || !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("--out -: exit %d, %d bytes", code, len(out))
	}
	code, out, _ = run(t, "-w", ws, "--json", "report", ids[0], "--out", "r.html")
	var info struct {
		Kind, Ref, Path string
		Bytes           int64
	}
	if err := json.Unmarshal([]byte(out), &info); code != 0 || err != nil || info.Kind != "run" || info.Ref != ids[0] || info.Path != "r.html" || info.Bytes < 1000 {
		t.Errorf("--json: exit %d %v %+v", code, err, info)
	}
	// A data file outside any workspace is profiled as `lathe data profile` would.
	csv := writeFile(t, filepath.Join(t.TempDir(), "x.csv"), "a,b\n1,2\n3,4\n")
	if code, out, errs := run(t, "report", csv); code != 0 || strings.TrimSpace(out) != "x.csv.html" {
		t.Errorf("report of a file without a workspace: exit %d %q %s", code, out, errs)
	}
	// A registered version is reported while its file is unchanged; after
	// a change the version is refused, naming both hashes, and the path
	// reports the file as it is.
	data := writeFile(t, filepath.Join(ws, "v.csv"), "a,b\n1,2\n3,4\n")
	code, out, errs = run(t, "-w", ws, "--json", "data", "add", data)
	var reg struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &reg); code != 0 || err != nil || reg.ID == 0 {
		t.Fatalf("data add: exit %d %v %s", code, err, errs)
	}
	ref := "dataset:" + strconv.FormatInt(reg.ID, 10)
	code, out, errs = run(t, "-w", ws, "report", ref, "--out", "-")
	if code != 0 || !strings.Contains(out, "Registered as dataset version "+strconv.FormatInt(reg.ID, 10)) {
		t.Errorf("report %s: exit %d %s", ref, code, errs)
	}
	writeFile(t, data, "a,b\n9,9\n")
	if code, _, errs := run(t, "-w", ws, "report", ref, "--out", "-"); code != 2 || !strings.Contains(errs, "has changed since dataset version") {
		t.Errorf("report of a changed version: exit %d %q, want 2", code, errs)
	}
	if code, out, _ := run(t, "-w", ws, "report", data, "--out", "-"); code != 0 || strings.Contains(out, "Registered as") {
		t.Errorf("report of the changed file by path: exit %d", code)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "nothing-like-this"}, `nothing in the lineage matches "nothing-like-this"`},
		{[]string{"report"}, "one REF"},
		{[]string{"report", ids[0], "--out", filepath.Join(t.TempDir(), "no", "such", "dir.html")}, "does not exist"},
	} {
		code, _, errs := run(t, append([]string{"-w", ws}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// `lathe plot` writes the curves as SVG or PNG by the --out extension.
func TestPlotWritesSVGAndPNG(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	ids := launchRuns(t, ws, 2)
	dir := t.TempDir()
	svgPath := filepath.Join(dir, "loss.svg")
	if code, out, errs := run(t, append([]string{"-w", ws, "plot", "--metric", "loss", "--out", svgPath}, ids...)...); code != 0 || strings.TrimSpace(out) != svgPath {
		t.Fatalf("plot svg: exit %d %q %s", code, out, errs)
	}
	raw, _ := os.ReadFile(svgPath)
	d := xml.NewDecoder(bytes.NewReader(raw))
	curves := map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not XML: %v", svgPath, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			var class, runID string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "class":
					class = a.Value
				case "data-run":
					runID = a.Value
				}
			}
			if class == "curve" {
				curves[runID] = true
			}
		}
	}
	if len(curves) != 2 || !curves[ids[0]] || !curves[ids[1]] {
		t.Errorf("SVG curves %v, want one per run %v", curves, ids)
	}
	pngPath := filepath.Join(dir, "loss.png")
	if code, _, errs := run(t, "-w", ws, "plot", ids[0], "--metric", "loss", "--metric", "acc", "--out", pngPath, "--width", "640", "--height", "360"); code != 0 {
		t.Fatalf("plot png: exit %d %s", code, errs)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 640 || cfg.Height != 360 {
		t.Errorf("PNG: %v %dx%d", err, cfg.Width, cfg.Height)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", ids[0], "--metric", "loss", "--out", "curve.jpg"}, "--out"},
		{[]string{"plot", ids[0], "--out", "c.svg"}, "--metric"},
		{[]string{"plot", ids[0], "--metric", "nope", "--out", "c.svg"}, `no metric "nope"`},
		{[]string{"plot", ids[0], "--metric", "loss", "--width", "20"}, "--width"},
		{[]string{"plot", "zzzz", "--metric", "loss"}, "zzzz"},
	} {
		code, _, errs := run(t, append([]string{"-w", ws}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d %q, want 2 naming %s", c.args, code, errs, c.want)
		}
	}
	if _, err := os.Stat("curve.jpg"); err == nil {
		t.Error("a rejected --out was written")
	}
	// No --out: METRIC.svg here.
	if code, out, errs := run(t, "-w", ws, "plot", ids[0], "--metric", "loss"); code != 0 || strings.TrimSpace(out) != "loss.svg" {
		t.Errorf("plot without --out: exit %d %q %s", code, out, errs)
	}
}

// profileJSON profiles a file with `lathe data profile --json`.
func profileJSON(t *testing.T, path string) (rows int64, cols map[string]string) {
	t.Helper()
	code, out, errs := run(t, "data", "profile", path, "--json")
	var p struct {
		Rows    int64 `json:"rows"`
		Columns []struct {
			Name, Type string
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(out), &p); code != 0 || err != nil {
		t.Fatalf("profile %s: exit %d %v %s", path, code, err, errs)
	}
	cols = map[string]string{}
	for _, c := range p.Columns {
		cols[c.Name] = c.Type
	}
	return p.Rows, cols
}

// TestRunsExportRoundTrip: exports of real runs read back by the profiler
// have one row per run and every parameter and metric column, in CSV,
// JSON Lines and Parquet alike; the values are the runs' own.
func TestRunsExportRoundTrip(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	ids := launchRuns(t, ws, 3)
	dir := t.TempDir()
	want := []string{"id", "name", "status", "runner", "started_at", "ended_at", "duration_s", "exit_code",
		"param.lr", "param.opt", "param.warmup",
		"metric.loss", "metric.loss.min", "metric.loss.max", "metric.acc", "metric.acc.min", "metric.acc.max",
		"metric.only_last", "metric.only_last.min", "metric.only_last.max"}
	for _, format := range []string{"csv", "jsonl", "parquet"} {
		out := filepath.Join(dir, "runs."+format)
		code, stdout, errs := run(t, "-w", ws, "runs", "export", "--format", format, "--out", out)
		if code != 0 || strings.TrimSpace(stdout) != out || !strings.Contains(errs, "exported 3 runs") {
			t.Fatalf("export %s: exit %d %q %s", format, code, stdout, errs)
		}
		rows, cols := profileJSON(t, out)
		if rows != int64(len(ids)) {
			t.Errorf("%s: the profiler reads %d rows, want one per run: %d", format, rows, len(ids))
		}
		for _, c := range want {
			if _, ok := cols[c]; !ok {
				t.Errorf("%s: no column %s (has %v)", format, c, cols)
			}
		}
		// Whole-valued metrics read as integers from text; Parquet stores
		// them as DOUBLE, which the profiler types float, as pandas does.
		lossMax := "integer"
		if format == "parquet" {
			lossMax = "float"
		}
		for c, typ := range map[string]string{"param.lr": "float", "metric.loss.max": lossMax, "metric.acc": "float", "started_at": "datetime"} {
			if cols[c] != typ {
				t.Errorf("%s: %s is %s, want %s", format, c, cols[c], typ)
			}
		}
	}
	// The values: CSV rows against the runs' own records.
	code, stdout, _ := run(t, "-w", ws, "runs", "export")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("export to stdout: exit %d, %d lines", code, len(lines))
	}
	head := strings.Split(lines[0], ",")
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	for _, line := range lines[1:] {
		cells := strings.Split(line, ",")
		id := cells[col("id")]
		i := -1
		for k, want := range ids {
			if want == id {
				i = k
			}
		}
		if i < 0 {
			t.Fatalf("row for unknown run %s", id)
		}
		// loss = (100+10i)/step in integers: last at step 10, max at step 1.
		wantLast, wantMax := strconv.Itoa((100+10*i)/10), strconv.Itoa(100+10*i)
		if cells[col("metric.loss")] != wantLast || cells[col("metric.loss.max")] != wantMax || cells[col("metric.loss.min")] != wantLast {
			t.Errorf("run %d: loss %s min %s max %s, want %s %s %s", i, cells[col("metric.loss")], cells[col("metric.loss.min")], cells[col("metric.loss.max")], wantLast, wantLast, wantMax)
		}
		if cells[col("metric.acc")] != "0.9" || cells[col("param.lr")] != "0.0"+strconv.Itoa(i+1) || cells[col("param.opt")] != "adam" {
			t.Errorf("run %d: row %q", i, line)
		}
		if (i == 2) != (cells[col("metric.only_last")] == "7") || (i == 2) != (cells[col("param.warmup")] == "true") {
			t.Errorf("run %d: only_last %q warmup %q: only the last run has them", i, cells[col("metric.only_last")], cells[col("param.warmup")])
		}
	}
	// JSON Lines to stdout, filters, bad input.
	code, stdout, _ = run(t, "-w", ws, "runs", "export", "--format", "jsonl", "--limit", "2")
	jl := strings.Split(strings.TrimSpace(stdout), "\n")
	var first map[string]any
	if code != 0 || len(jl) != 2 || json.Unmarshal([]byte(jl[0]), &first) != nil || first["id"] != ids[2] || first["metric.only_last"] != 7.0 {
		t.Errorf("jsonl --limit 2: exit %d %q", code, stdout)
	}
	code, stdout, _ = run(t, "-w", ws, "runs", "export", "--status", "failed")
	if code != 0 || len(strings.Split(strings.TrimSpace(stdout), "\n")) != 1 {
		t.Errorf("--status failed: exit %d %q, want the header alone", code, stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "export", "--format", "xls"}, "--format"},
		{[]string{"runs", "export", "--status", "bogus"}, "--status"},
		{[]string{"runs", "export", "--runner", "nope"}, "--runner"},
		{[]string{"runs", "export", "--limit", "-1"}, "--limit"},
	} {
		code, _, errs := run(t, append([]string{"-w", ws}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d %q, want 2 naming %s", c.args, code, errs, c.want)
		}
	}
}

// countElems counts the elements named tag carrying every class, inside
// the elements carrying within (all of the page when "").
func countElems(t *testing.T, page, within, tag string, classes ...string) int {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	has := func(n *html.Node, cls ...string) bool {
		var have []string
		for _, a := range n.Attr {
			if a.Key == "class" {
				have = strings.Fields(a.Val)
			}
		}
		for _, c := range cls {
			if !slices.Contains(have, c) {
				return false
			}
		}
		return true
	}
	count := 0
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode {
			if within == "" || has(n, strings.Fields(within)...) {
				in = true
			}
			if in && n.Data == tag && has(n, classes...) {
				count++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, within == "")
	return count
}

// A study tuned on the local runner: its report overlays each trial's
// learning curve of each objective, beside the Pareto front of its trials.
func TestReportOfTunedStudyHasTrialCurves(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	script := writeFile(t, filepath.Join(t.TempDir(), "train.sh"),
		`x=$1; s=1; while [ $s -le 5 ]; do echo "{\"step\": $s, \"a\": $((x * s / 5)), \"b\": $(((1000 - x) * s / 5))}"; s=$((s+1)); done`+"\n")
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), fmt.Sprintf(`name: tradeoff
runner: local
command: ["/bin/sh", %q, "{x}"]
parameters:
  - {name: x, type: int, bounds: {min: 0, max: 1000}}
metrics:
  - {name: a, objective: minimize}
  - {name: b, objective: minimize}
observation_budget: 4
parallel_bandwidth: 2
seed: 5
`, script))
	if code, _, errs := run(t, "-w", ws, "tune", "run", spec); code != 0 {
		t.Fatalf("tune run: exit %d: %s", code, errs)
	}
	code, page, errs := run(t, "-w", ws, "report", "tradeoff", "--out", "-")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errs)
	}
	if n := countElems(t, page, "chart pareto", "circle", "point"); n != 4 {
		t.Errorf("%d Pareto points, want 4", n)
	}
	// Final a = x and b = 1000-x: every trial is on the front.
	if n := countElems(t, page, "chart pareto", "circle", "pareto"); n != 4 {
		t.Errorf("%d Pareto-set points, want all 4", n)
	}
	if n := countElems(t, page, "trial-curves", "svg", "chart"); n != 2 {
		t.Errorf("%d trial-curve charts, want one per objective", n)
	}
	if n := countElems(t, page, "trial-curves", "path", "curve"); n != 8 {
		t.Errorf("%d trial curves, want 4 trials × 2 objectives", n)
	}
}

package data_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/demo"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/data"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// workspace is a demo workspace (copies of demo/data, see its SOURCES.md)
// and its loaded config.
func workspace(t *testing.T) (string, *config.Config) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "ws")
	if err := demo.Ensure(dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{WorkspaceDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

// newScreen is the Data screen over an engine on the workspace at root.
func newScreen(t *testing.T, root string, cfg *config.Config, w, h int) *data.Screen {
	t.Helper()
	e, err := engine.Open(root, cfg, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return newScreenEngine(t, e, w, h)
}

// newScreenWS is the Data screen over an engine on an open workspace.
func newScreenWS(t *testing.T, root string, cfg *config.Config, ws *experiments.Workspace, w, h int) *data.Screen {
	t.Helper()
	e := engine.New(ws, cfg, engine.Options{})
	t.Cleanup(func() { e.Close() })
	return newScreenEngine(t, e, w, h)
}

func newScreenEngine(t *testing.T, e *engine.Engine, w, h int) *data.Screen {
	t.Helper()
	s := data.New(tuitest.Context(t, e))
	s.SetSize(w, h)
	return s
}

var press = tuitest.Key

// settle runs cmd and every command its messages lead to, feeding each
// message back to the screen, until nothing is left (ticks included: they
// stop re-arming when the profile ends).
func settle(t *testing.T, s *data.Screen, cmd tea.Cmd) {
	t.Helper()
	tuitest.Settle(t, s, cmd)
}

func key(t *testing.T, s *data.Screen, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := s.Update(press(k))
		settle(t, s, cmd)
	}
}

func typeText(t *testing.T, s *data.Screen, text string) {
	t.Helper()
	for _, k := range tuitest.Typed(text) {
		_, cmd := s.Update(k)
		settle(t, s, cmd)
	}
}

func plain(s *data.Screen) string { return ansi.Strip(s.View()) }

// bounds asserts the view is exactly h lines, none wider than w.
func bounds(t *testing.T, what, view string, w, h int) {
	t.Helper()
	tuitest.Bounds(t, what, view, w, h)
}

// openFile moves the picker's cursor to rel and presses enter.
func openFile(t *testing.T, s *data.Screen, rel string) {
	t.Helper()
	settle(t, s, s.Activate())
	v := plain(s)
	if !strings.Contains(v, rel) {
		t.Fatalf("picker does not list %s:\n%s", rel, v)
	}
	for i := 0; i < 50 && !strings.Contains(cursorLine(plain(s)), rel); i++ {
		key(t, s, "down")
	}
	if !strings.Contains(cursorLine(plain(s)), rel) {
		t.Fatalf("cursor never reached %s:\n%s", rel, plain(s))
	}
	key(t, s, "enter")
}

func cursorLine(view string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "▸") {
			return l
		}
	}
	return ""
}

// penguins reads the demo penguins independently of the engine.
func penguins(t *testing.T, root string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "data", "penguins.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestProfileColumnsAndDetail(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 80, 21)
	openFile(t, s, "data/penguins.json")
	p := s.Profile()
	if p == nil || s.Busy() {
		t.Fatalf("no profile after settling (busy %v):\n%s", s.Busy(), plain(s))
	}
	recs := penguins(t, root)
	if p.Rows != int64(len(recs)) || len(p.Columns) != 7 {
		t.Fatalf("profile: %d rows, %d columns; the file has %d records of 7 fields", p.Rows, len(p.Columns), len(recs))
	}
	v := plain(s)
	for _, want := range []string{"data/penguins.json", "344 rows", "7 columns", "Species", "categorical", "Body Mass (g)", "integer", "HISTOGRAM"} {
		if !strings.Contains(v, want) {
			t.Errorf("column list lacks %q:\n%s", want, v)
		}
	}
	// Missing share of Sex, counted from the file: 10 nulls of 344 = 2.9%.
	nulls := 0
	for _, r := range recs {
		if r["Sex"] == nil {
			nulls++
		}
	}
	want := fmt.Sprintf("%.1f%%", 100*float64(nulls)/float64(len(recs)))
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "Sex") && !strings.Contains(l, want) {
			t.Errorf("Sex line %q lacks missing share %s", l, want)
		}
	}
	bounds(t, "columns", s.View(), 80, 21)

	// The cursor moves; enter opens the detail of the column under it.
	if !strings.Contains(cursorLine(v), "Species") {
		t.Fatalf("cursor starts on %q", cursorLine(v))
	}
	key(t, s, "down", "down", "down", "down", "down") // Body Mass (g)
	if !strings.Contains(cursorLine(plain(s)), "Body Mass (g)") {
		t.Fatalf("cursor on %q after 5 downs", cursorLine(plain(s)))
	}
	key(t, s, "enter")
	if s.ViewName() != "Detail" {
		t.Fatalf("enter opened %s", s.ViewName())
	}
	d := plain(s)
	bm := p.Column("Body Mass (g)")
	for _, want := range []string{"Body Mass (g)", "342 of 344 present", "mean 4,201.8", "p50 4,050", "histogram", "top values", "3800 ", "correlated with: Flipper Length (mm) +0.87 (pearson)"} {
		if !strings.Contains(d, want) {
			t.Errorf("detail lacks %q:\n%s", want, d)
		}
	}
	if bm.Top[0].Value != "3800" || bm.Quantiles == nil || bm.Quantiles.P50 != 4050 {
		t.Errorf("engine disagrees with the known values: top %v p50 %v", bm.Top[0], bm.Quantiles)
	}
	bounds(t, "detail", s.View(), 80, 21)
	key(t, s, "down")
	if !strings.Contains(plain(s), "Sex") {
		t.Errorf("down in the detail does not move to the next column:\n%s", plain(s))
	}
	key(t, s, "esc")
	if s.ViewName() != "Columns" {
		t.Errorf("esc from the detail went to %s", s.ViewName())
	}

	// Alerts: the missing values of Sex, with the engine's message.
	key(t, s, "a")
	a := plain(s)
	if !strings.Contains(a, "missing") || !strings.Contains(a, p.Alerts[0].Message) {
		t.Errorf("alerts view lacks %q:\n%s", p.Alerts[0].Message, a)
	}
	bounds(t, "alerts", s.View(), 80, 21)
}

func TestRowsSortFilterHide(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 80, 21)
	openFile(t, s, "data/penguins.json")
	key(t, s, "r")
	tb := s.Table()
	if tb == nil || tb.Len() != 344 {
		t.Fatalf("rows view: table %v:\n%s", tb, plain(s))
	}
	if !strings.Contains(plain(s), "344 rows") || !strings.Contains(plain(s), "Adelie") {
		t.Errorf("rows view:\n%s", plain(s))
	}
	bounds(t, "rows", s.View(), 80, 21)

	// Filter typed after "/": digits and q are text here, not global keys.
	heavy := 0
	for _, r := range penguins(t, root) {
		if m, ok := r["Body Mass (g)"].(float64); ok && m > 4000 && r["Sex"] == "FEMALE" {
			heavy++
		}
	}
	key(t, s, "/")
	typeText(t, s, `Body Mass (g) > 4000 and Sex == "FEMALE"`)
	if !strings.Contains(plain(s), `filter: Body Mass (g) > 4000`) {
		t.Errorf("the filter being typed is not shown:\n%s", plain(s))
	}
	key(t, s, "enter")
	if tb.Len() != heavy || heavy == 0 {
		t.Fatalf("filter kept %d rows; the file has %d heavy females", tb.Len(), heavy)
	}
	if v := plain(s); !strings.Contains(v, fmt.Sprintf("%d of 344 rows match", heavy)) || strings.Contains(v, "MALE ") && !strings.Contains(v, "FEMALE") {
		t.Errorf("filtered view:\n%s", v)
	}
	// A bad filter is reported and leaves the rows as they were.
	key(t, s, "/", "backspace")
	if !strings.Contains(plain(s), `Sex == "FEMALE`+"\n") && !strings.Contains(plain(s), `Sex == "FEMALE `) {
		t.Errorf("backspace did not delete the closing quote:\n%s", plain(s))
	}
	key(t, s, "enter")
	if !strings.Contains(plain(s), "unterminated") || tb.Len() != heavy {
		t.Errorf("unterminated quote: %d rows:\n%s", tb.Len(), plain(s))
	}
	key(t, s, "ctrl+u")
	typeText(t, s, "x")
	key(t, s, "enter")
	if !strings.Contains(plain(s), "no comparison") || tb.Len() != heavy {
		t.Errorf("bad filter: %d rows:\n%s", tb.Len(), plain(s))
	}
	key(t, s, "esc")

	// Sort by Body Mass (g), descending: the heaviest first.
	key(t, s, "right", "right", "right", "right", "right", "o", "o")
	col, desc := tb.Sort()
	if col != 5 || !desc {
		t.Fatalf("sort column %d desc %v; want 5 (Body Mass) descending", col, desc)
	}
	row, _ := tb.Cursor()
	max := 0.0
	for _, r := range penguins(t, root) {
		if m, ok := r["Body Mass (g)"].(float64); ok && m > 4000 && r["Sex"] == "FEMALE" && m > max {
			max = m
		}
	}
	if got := tb.Frame().Cells[row][5]; got != fmt.Sprint(max) {
		t.Errorf("first row after sorting has %s g; the heaviest filtered penguin has %v", got, max)
	}
	bounds(t, "rows sorted", s.View(), 80, 21)

	// Hide the column under the cursor, then show all again.
	key(t, s, "x")
	if !tb.Hidden(5) || strings.Contains(strings.Split(plain(s), "\n")[3], "Body Mass") {
		t.Errorf("x did not hide Body Mass (g):\n%s", plain(s))
	}
	key(t, s, "X")
	if tb.Hidden(5) {
		t.Error("X did not show the column again")
	}
	key(t, s, "esc")
	if s.ViewName() != "Columns" {
		t.Errorf("esc from rows went to %s", s.ViewName())
	}
}

var pColumnRE = regexp.MustCompile(`L∞ +P\b`)

func TestDriftAndSplit(t *testing.T) {
	root, cfg := workspace(t)
	ws, err := experiments.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	s := newScreenWS(t, root, cfg, ws, 80, 21)
	openFile(t, s, "data/penguins.json")
	// Drift of the file against its Parquet twin: same rows, so zero.
	key(t, s, "d")
	openFile(t, s, "data/penguins.parquet")
	if s.ViewName() != "Drift" {
		t.Fatalf("after picking B: %s", s.ViewName())
	}
	v := plain(s)
	for _, want := range []string{"0 of 7 columns drifted", "JSD", "Body Mass (g)", "penguins.parquet"} {
		if !strings.Contains(v, want) {
			t.Errorf("drift view lacks %q:\n%s", want, v)
		}
	}
	// The p-value decides what drifted, so it has a column (as the CLI's P).
	if !pColumnRE.MatchString(v) || !strings.Contains(v, "1.0000") {
		t.Errorf("drift view lacks the P column or a p-value of 1 for identical files:\n%s", v)
	}
	bounds(t, "drift", s.View(), 80, 21)
	key(t, s, "esc")

	// Split dialog: stratified by Species (the first categorical), seed 7.
	key(t, s, "s")
	if !s.CapturingInput() || !strings.Contains(plain(s), "stratify") || !strings.Contains(plain(s), "Species") {
		t.Fatalf("split dialog:\n%s", plain(s))
	}
	bounds(t, "split dialog", s.View(), 80, 21)
	key(t, s, "enter")
	v = plain(s)
	for _, want := range []string{"344 rows", "stratified by Species", "train", "val", "test", "Leakage: no row"} {
		if !strings.Contains(v, want) {
			t.Errorf("split report lacks %q:\n%s", want, v)
		}
	}
	for _, name := range []string{"penguins.train.json", "penguins.val.json", "penguins.test.json"} {
		if _, err := os.Stat(filepath.Join(root, "data", "splits", name)); err != nil {
			t.Errorf("split file: %v", err)
		}
	}
	bounds(t, "split report", s.View(), 80, 21)
	for i := 0; i < 40 && !pColumnRE.MatchString(v); i++ {
		key(t, s, "down")
		v = plain(s)
	}
	if !pColumnRE.MatchString(v) {
		t.Errorf("split report's drift tables lack the P column:\n%s", v)
	}

	// The parent and the three splits are dataset versions, linked by
	// derived_from edges that record the operation and its parameters.
	ctx := context.Background()
	parent, err := ws.Store.DatasetByPath(ctx, "data/penguins.json")
	if err != nil || parent.Rows != 344 {
		t.Fatalf("parent version %+v: %v", parent, err)
	}
	edges, err := ws.Store.EdgesFrom(ctx, experiments.Node{Kind: experiments.KindDataset, ID: strconv.FormatInt(parent.ID, 10)})
	if err != nil || len(edges) != 3 {
		t.Fatalf("%d edges from the parent (%v), want 3", len(edges), err)
	}
	var rows int64
	for _, e := range edges {
		id, _ := strconv.ParseInt(e.To.ID, 10, 64)
		d, err := ws.Store.GetDataset(ctx, id)
		if err != nil || e.Kind != experiments.EdgeDerivedFrom || e.Operation != "split" ||
			!strings.HasPrefix(d.Path, "data/splits/penguins.") || !strings.Contains(string(e.Params), `"stratify":"Species"`) {
			t.Errorf("edge %+v to %+v (%v)", e, d, err)
		}
		rows += d.Rows
	}
	if rows != 344 {
		t.Errorf("the splits hold %d rows, want 344", rows)
	}
}

// A profile runs in the background with a progress bar; esc cancels it,
// and its late result is dropped.
func TestProfileProgressAndCancel(t *testing.T) {
	root, cfg := workspace(t)
	// Four million rows that gzip to a small file: profiling them takes
	// seconds, writing them a moment.
	var block strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&block, "%d,%d.5,c%d\n", i, i%97, i%13)
	}
	f, err := os.Create(filepath.Join(root, "big.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	zw.Write([]byte("id,x,label\n"))
	for range 4000 {
		zw.Write([]byte(block.String()))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s := newScreen(t, root, cfg, 80, 21)
	settle(t, s, s.Activate())
	for i := 0; i < 20 && !strings.Contains(cursorLine(plain(s)), "big.csv.gz"); i++ {
		key(t, s, "down")
	}
	_, cmd := s.Update(press("enter"))
	if !s.Busy() {
		t.Fatal("enter did not start a profile")
	}
	v := plain(s)
	if !strings.Contains(v, "Profiling big.csv.gz") || !strings.Contains(v, "%") {
		t.Errorf("no progress view:\n%s", v)
	}
	bounds(t, "progress", s.View(), 80, 21)
	// The screen stays responsive: keys are handled while the job runs.
	batch, ok := cmd().(tea.BatchMsg) // the profile job and its progress tick
	if !ok || len(batch) != 2 {
		t.Fatalf("enter returned %T, want the job and a tick", batch)
	}
	result := make(chan tea.Msg, 1)
	go func() { result <- batch[0]() }()
	// The progress bar moves: ticks redraw it from the engine's callback.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(plain(s), "rows read") || strings.Contains(plain(s), " 0 rows read") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress within 10s:\n%s", plain(s))
		}
		if _, next := s.Update(tuitest.Run(batch[1])[0]); next == nil {
			t.Fatal("the tick stopped re-arming while the profile runs")
		} else {
			batch[1] = next
		}
	}
	t.Logf("progress: %s", strings.TrimSpace(strings.Split(plain(s), "\n")[5]))
	key(t, s, "esc")
	if s.Busy() || s.ViewName() != "Files" || !strings.Contains(plain(s), "cancelled") {
		t.Fatalf("esc did not cancel (busy %v, view %s):\n%s", s.Busy(), s.ViewName(), plain(s))
	}
	start := time.Now()
	select {
	case msg := <-result:
		r, ok := msg.(common.ResultMsg)
		if !ok || r.Err == nil {
			t.Errorf("cancelled profile returned %+v, want a context error", msg)
		}
		s.Update(msg)
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled profile did not stop within 10s")
	}
	t.Logf("the profile stopped %v after esc", time.Since(start))
	if s.Profile() != nil || s.Busy() {
		t.Error("a cancelled profile's late result was shown")
	}
}

func TestSizes(t *testing.T) {
	root, cfg := workspace(t)
	for _, sz := range []struct{ w, h int }{{80, 21}, {200, 47}, {60, 10}} {
		s := newScreen(t, root, cfg, sz.w, sz.h)
		settle(t, s, s.Activate())
		bounds(t, "files", s.View(), sz.w, sz.h)
		openFile(t, s, "data/cars.json")
		views := map[string][]string{"columns": {"c"}, "detail": {"c", "enter"}, "alerts": {"a"}, "rows": {"r"}, "split": {"s"}}
		for name, ks := range views {
			key(t, s, "esc", "c")
			key(t, s, ks...)
			bounds(t, name, s.View(), sz.w, sz.h)
		}
		key(t, s, "esc")
		if sz.w >= 120 {
			key(t, s, "c")
			if v := plain(s); !strings.Contains(v, "│") || !strings.Contains(v, "top values") {
				t.Errorf("at %d columns the column list shows the detail beside it:\n%s", sz.w, v)
			}
		}
	}
}

// Through the real router at 80x24 and 200x50: whole frames stay in bounds,
// and typing into the filter does not switch tabs or quit.
func TestInRouter(t *testing.T) {
	root, cfg := workspace(t)
	for _, sz := range []struct{ w, h int }{{80, 24}, {200, 50}} {
		e, err := engine.Open(root, cfg, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		m := tui.NewWithContext(t.Context(), tui.Options{Engine: e, NoColor: true})
		drive := func(msg tea.Msg) {
			queue := []tea.Msg{msg}
			for len(queue) > 0 {
				var cmd tea.Cmd
				_, cmd = m.Update(queue[0])
				queue = queue[1:]
				for _, r := range tuitest.Run(cmd) {
					if _, quit := r.(tea.QuitMsg); quit {
						t.Fatal("the program quit")
					}
					if r != nil {
						queue = append(queue, r)
					}
				}
			}
		}
		drive(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		for _, r := range tuitest.Run(m.Init()) {
			if r != nil {
				drive(r)
			}
		}
		frame := func() string { return m.View().Content }
		if !strings.Contains(ansi.Strip(frame()), "data/penguins.json") {
			t.Fatalf("router frame lacks the picker:\n%s", ansi.Strip(frame()))
		}
		for i := 0; i < 10 && !strings.Contains(cursorLine(ansi.Strip(frame())), "penguins.json"); i++ {
			drive(press("down"))
		}
		drive(press("enter"))
		drive(press("r"))
		drive(press("/"))
		for _, r := range "Island == Dream or 3 > q" {
			drive(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
		f := ansi.Strip(frame())
		if !strings.Contains(f, "filter: Island == Dream or 3 > q") {
			t.Errorf("%dx%d: typed filter not shown (a key went to the router?):\n%s", sz.w, sz.h, f)
		}
		bounds(t, "router", frame(), sz.w, sz.h)
		drive(press("esc"))
		drive(press("esc"))
		bounds(t, "router columns", frame(), sz.w, sz.h)
		if !strings.Contains(ansi.Strip(frame()), "Flipper Length (mm)") {
			t.Errorf("%dx%d: columns view:\n%s", sz.w, sz.h, ansi.Strip(frame()))
		}
	}
}

// Leaving the tab cancels a running profile (the router's rule for every
// screen); coming back starts it again.
func TestProfileResumesOnReturn(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 80, 21)
	settle(t, s, s.Activate())
	for i := 0; i < 10 && !strings.Contains(cursorLine(plain(s)), "stocks.csv"); i++ {
		key(t, s, "down")
	}
	_, cmd := s.Update(press("enter"))
	if !s.Busy() || cmd == nil {
		t.Fatal("no profile started")
	}
	s.Deactivate() // the job is cancelled before it ran; its result is never delivered
	if s.Busy() {
		t.Fatal("still busy after Deactivate")
	}
	settle(t, s, s.Activate())
	p := s.Profile()
	if p == nil || p.Rows != 560 || filepath.Base(p.Source.Path) != "stocks.csv" {
		t.Fatalf("profile after returning: %+v\n%s", p, plain(s))
	}
	// The same for the row sample.
	if _, cmd := s.Update(press("r")); cmd == nil {
		t.Fatal("r did not start reading the rows")
	}
	s.Deactivate()
	settle(t, s, s.Activate())
	if s.Table() == nil || s.Table().Len() != 560 {
		t.Fatalf("rows after returning:\n%s", plain(s))
	}
}

// Space pages down (it was bound as " ", a string no key press has) and
// cycles the split dialog's stratify column.
func TestSpaceKey(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 80, 12)
	openFile(t, s, "data/penguins.json")
	key(t, s, "down", "down", "down", "down", "down", "enter") // Body Mass (g)
	before := plain(s)
	key(t, s, "space")
	if after := plain(s); after == before || strings.Contains(after, "342 of 344 present") {
		t.Errorf("space did not page down the detail:\n%s", after)
	}
	key(t, s, "esc", "s", "tab")
	if !strings.Contains(plain(s), "‹ Species ›") {
		t.Fatalf("split dialog:\n%s", plain(s))
	}
	key(t, s, "space")
	if strings.Contains(plain(s), "‹ Species ›") {
		t.Errorf("space did not change the stratify column:\n%s", plain(s))
	}
}

// H steps the CSV header mode (first-row, none, sniff) and profiles the file
// again: a header of years stays the header by default, as pandas reads it.
func TestHeaderModeKey(t *testing.T) {
	root, cfg := workspace(t)
	if err := os.WriteFile(filepath.Join(root, "data", "years.csv"), []byte("country,1962,1963\nfr,1,2\nde,3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newScreen(t, root, cfg, 100, 24)
	openFile(t, s, "data/years.csv")
	names := func() []string {
		var out []string
		for _, c := range s.Profile().Columns {
			out = append(out, c.Name)
		}
		return out
	}
	if got := names(); strings.Join(got, ",") != "country,1962,1963" || s.Profile().Rows != 2 {
		t.Fatalf("default header: %v, %d rows", got, s.Profile().Rows)
	}
	key(t, s, "H")
	if got := names(); strings.Join(got, ",") != "column_1,column_2,column_3" || s.Profile().Rows != 3 {
		t.Fatalf("H (none): %v, %d rows", got, s.Profile().Rows)
	}
	if !strings.Contains(plain(s), "Header: none") {
		t.Errorf("the mode is not shown:\n%s", plain(s))
	}
	key(t, s, "H") // sniff: the first row has a text column like the rest, so it is a header
	if got := names(); len(got) != 3 {
		t.Fatalf("H (sniff): %v", got)
	}
	key(t, s, "H")
	if got := names(); got[1] != "1962" {
		t.Fatalf("H (first-row again): %v", got)
	}
}

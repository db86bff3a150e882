package runs

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/chart"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// detail is the live view of one or several runs: a header, the curves of
// the chosen metrics (m cycles) and the first run's log tail (↑/↓ scroll).
// The keys that act on a run (stop, rerun, diff, lineage) are the screen's.
type detail struct {
	runs   []experiments.Run
	feed   *feed
	cancel context.CancelFunc
	wg     sync.WaitGroup

	series  map[string]map[string]*chart.Series // run -> metric -> series
	sys     map[string]map[string]*chart.Series // run -> system metric -> series (system.go)
	metrics []string                            // metric names seen, sorted
	logs    []string                            // tail, bounded
	sel     int                                 // index into views()
	scroll  int

	// A rerun's reproducibility verdict, asked once it ended.
	reproAsked bool
	verdict    string
	changed    string // " on changed data" when the user allowed it
}

func newDetail(runs []experiments.Run) *detail {
	return &detail{runs: runs, series: map[string]map[string]*chart.Series{}, sys: map[string]map[string]*chart.Series{}}
}

// needsVerdict reports the run whose reproducibility should be computed
// now: a lone rerun that ended and has not been compared yet.
func (d *detail) needsVerdict() (experiments.Run, bool) {
	if len(d.runs) != 1 || d.reproAsked {
		return experiments.Run{}, false
	}
	r := d.runs[0]
	if r.RerunOf == "" || !r.Status.Terminal() {
		return experiments.Run{}, false
	}
	d.reproAsked = true
	return r, true
}

// start follows the runs, each from its beginning; the goroutines end with
// stop (the screen leaves the detail or is deactivated).
func (d *detail) start(c *common.Context) {
	d.stop()
	e := c.Engine()
	ctx, cancel := context.WithCancel(c.Base())
	d.cancel = cancel
	d.feed = newFeed()
	d.series = map[string]map[string]*chart.Series{}
	d.sys = map[string]map[string]*chart.Series{}
	d.metrics = nil
	d.logs = nil
	f := d.feed
	for i, r := range d.runs {
		o := engine.FollowOptions{NoLogs: i > 0} // the log tail is the first run's
		d.wg.Add(1)
		go func(id string) {
			defer d.wg.Done()
			err := e.FollowWith(ctx, id, o, func(ev engine.Event) { f.push(id, ev) })
			if err != nil && ctx.Err() == nil {
				f.fail(err)
			}
		}(r.ID)
	}
}

func (d *detail) stop() {
	if d.cancel != nil {
		d.cancel()
		d.wg.Wait()
		d.cancel = nil
	}
}

// drain moves what the follows delivered since the last tick into the
// series and the log tail.
func (d *detail) drain() {
	if d.feed == nil {
		return
	}
	pts, logs, status := d.feed.take()
	for _, p := range pts {
		if engine.IsSystemMetric(p.Key) {
			d.addSys(p.run, p.Key, float64(p.Step), p.Value)
			continue
		}
		byKey := d.series[p.run]
		if byKey == nil {
			byKey = map[string]*chart.Series{}
			d.series[p.run] = byKey
		}
		s := byKey[p.Key]
		if s == nil {
			s = &chart.Series{Cap: maxSeriesPts}
			byKey[p.Key] = s
			if !slices.Contains(d.metrics, p.Key) {
				d.metrics = append(d.metrics, p.Key)
				sort.Strings(d.metrics)
			}
		}
		s.Add(chart.Point{X: float64(p.Step), Y: p.Value})
	}
	d.logs = append(d.logs, logs...)
	if n := len(d.logs) - maxLogLines; n > 0 {
		d.logs = slices.Delete(d.logs, 0, n)
	}
	for i, r := range d.runs {
		if st, ok := status[r.ID]; ok {
			d.runs[i] = st
		}
	}
}

// update handles the keys that move within the detail: the metric view and
// the log scroll.
func (d *detail) update(msg tea.KeyPressMsg, k KeyMap) {
	switch {
	case key.Matches(msg, k.NextMetric):
		d.sel++
	case key.Matches(msg, k.PrevMetric):
		d.sel--
	case key.Matches(msg, k.Up):
		d.scroll++
	case key.Matches(msg, k.Down):
		d.scroll = max(d.scroll-1, 0)
	}
}

// views are the metric selections m cycles through: every loss together,
// every accuracy together, then each metric alone.
func (d *detail) views() [][]string {
	var out [][]string
	group := func(sub string) {
		var g []string
		for _, m := range d.metrics {
			if strings.Contains(m, sub) {
				g = append(g, m)
			}
		}
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	group("loss")
	group("acc")
	for _, m := range d.metrics {
		out = append(out, []string{m})
	}
	return out
}

func (d *detail) currentView() []string {
	v := d.views()
	if len(v) == 0 {
		return nil
	}
	i := ((d.sel % len(v)) + len(v)) % len(v)
	return v[i]
}

// view renders the detail in w x h; now dates the runs still going.
func (d *detail) view(st *styles.Styles, w, h int, now time.Time) string {
	var head string
	if len(d.runs) == 1 {
		r := d.runs[0]
		dur := ""
		if dd := duration(r, now); dd > 0 {
			dur = "  " + format.Compact(dd)
		}
		head = fmt.Sprintf("%s  %s on %s%s  %s", r.ID, r.Status, r.Runner, dur, params(r.Params))
		if r.Error != "" {
			head += "  " + r.Error
		}
	} else {
		var parts []string
		for _, r := range d.runs {
			parts = append(parts, r.ID+" "+string(r.Status))
		}
		head = fmt.Sprintf("%d runs: %s", len(d.runs), strings.Join(parts, ", "))
	}
	lines := []string{st.Title.Render(format.Clip(head, w))}
	if len(d.runs) == 1 {
		if o := orgLine(d.runs[0]); o != "" {
			lines = append(lines, st.Text.Render(format.Clip(o, w)))
		}
	}
	switch {
	case d.verdict != "":
		lines = append(lines, st.Text.Bold(true).Render(format.Clip(d.verdict+d.changed, w)))
	case len(d.runs) == 1 && d.runs[0].RerunOf != "":
		lines = append(lines, st.Muted.Render(format.Clip("rerun of "+d.runs[0].RerunOf+d.changed+": reproducibility when it ends", w)))
	}
	if d.feed != nil {
		if err := d.feed.error(); err != nil {
			lines = append(lines, st.Error.Render(format.OneLine(err.Error())))
		}
	}
	rest := h - len(lines)
	if rest <= 0 {
		return strings.Join(lines[:h], "\n")
	}
	chartH := rest
	logH := 0
	if rest >= 10 {
		chartH = rest * 3 / 5
		logH = rest - chartH - 1
	}
	switch {
	case !d.hasSys():
		lines = append(lines, d.chart(st, w, chartH))
	case w >= 120: // the system pane is a column right of the curves
		sw := w * 2 / 5
		lines = append(lines, besideCurves(d.chart(st, w-sw-1, chartH), d.sysPane(st, sw, chartH, true), w-sw-1))
	default: // a row below them
		sysH := max(chartH*2/5, min(chartH, 5))
		if chartH-sysH >= 3 {
			lines = append(lines, d.chart(st, w, chartH-sysH))
		} else {
			sysH = chartH
		}
		lines = append(lines, d.sysPane(st, w, sysH, false))
	}
	if logH > 0 {
		lines = append(lines, d.logTail(st, w, logH)...)
	}
	return strings.Join(lines, "\n")
}

// chart draws the current view's metrics of every run, one colour each.
func (d *detail) chart(st *styles.Styles, w, h int) string {
	metrics := d.currentView()
	var ss []*chart.Series
	for ri, r := range d.runs {
		for _, m := range metrics {
			src := d.series[r.ID][m]
			if src == nil {
				continue
			}
			label := format.OneLine(m) // a metric's name is the run's to choose
			if len(d.runs) > 1 {
				label = r.ID[:min(6, len(r.ID))] + "·" + label
			}
			cp := *src
			cp.Label = label
			cp.Color = chart.Palette[(ri*len(metrics)+slices.Index(metrics, m))%len(chart.Palette)]
			ss = append(ss, &cp)
		}
	}
	title := ""
	if v := d.views(); len(v) > 1 {
		title = fmt.Sprintf("[%d/%d]", ((d.sel%len(v))+len(v))%len(v)+1, len(v))
	}
	return chart.Render(w, h, ss, chart.Options{NoColor: st.NoColor, Title: title, Charset: st.Charset})
}

// logTail is a rule and the last h log lines, scrolled back by d.scroll.
func (d *detail) logTail(st *styles.Styles, w, h int) []string {
	lines := []string{st.Muted.Render(frame.Line("── log "+strings.Repeat("─", max(w-7, 0)), w))}
	end := len(d.logs) - d.scroll
	end = max(min(end, len(d.logs)), 0)
	start := max(end-h, 0)
	tail := d.logs[start:end]
	for _, l := range tail {
		lines = append(lines, st.Text.Render(frame.Line(logText(l), w)))
	}
	for i := len(tail); i < h; i++ {
		lines = append(lines, "")
	}
	return lines
}

// logText is a log line as the tail shows it: as the CLI prints it
// (format.LogLine: a progress bar redrawn with \r shows its last state,
// control characters escaped, so a run's output cannot move the cursor,
// recolour or retitle the terminal), tabs as spaces to keep the width.
func logText(l string) string { return format.LogLine(strings.ReplaceAll(l, "\t", " ")) }

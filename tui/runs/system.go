package runs

import (
	"sort"
	"strings"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/tui/components/chart"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/styles"
)

// The system pane: the runs' CPU, memory and GPU use (engine.SystemPrefix
// metrics), one small chart each, beside the training curves on a wide
// terminal and below them on a narrow one. System metrics never enter the
// metric views that m cycles through.

// addSys files a system sample under its run; x is seconds since the start.
func (d *detail) addSys(run, key string, x, y float64) {
	byKey := d.sys[run]
	if byKey == nil {
		byKey = map[string]*chart.Series{}
		d.sys[run] = byKey
	}
	s := byKey[key]
	if s == nil {
		s = &chart.Series{Cap: maxSeriesPts}
		byKey[key] = s
	}
	s.Add(chart.Point{X: x, Y: y})
}

// hasSys reports whether any run has system samples.
func (d *detail) hasSys() bool {
	for _, byKey := range d.sys {
		if len(byKey) > 0 {
			return true
		}
	}
	return false
}

// sysPanel is one chart of the pane: the keys it plots, the factor from
// a value to the y axis and the axis' unit.
type sysPanel struct {
	name  string
	keys  []string
	scale float64
	unit  string
}

// sysPanels are the charts with data: CPU, memory, then GPU use and GPU
// memory when a run has GPUs.
func (d *detail) sysPanels() []sysPanel {
	var gpuUtil, gpuMem []string
	seen := map[string]bool{}
	for _, byKey := range d.sys {
		for k := range byKey {
			if seen[k] {
				continue
			}
			seen[k] = true
			switch {
			case strings.HasSuffix(k, "_util"):
				gpuUtil = append(gpuUtil, k)
			case strings.HasPrefix(k, engine.SystemPrefix+"gpu") && strings.HasSuffix(k, "_mem"):
				gpuMem = append(gpuMem, k)
			}
		}
	}
	sort.Strings(gpuUtil)
	sort.Strings(gpuMem)
	out := []sysPanel{
		{name: "cpu", keys: []string{engine.SystemPrefix + "cpu"}, scale: 1, unit: "%"},
		{name: "mem", keys: []string{engine.SystemPrefix + "mem_rss"}, scale: 1e-6, unit: "MB"},
	}
	if len(gpuUtil) > 0 {
		out = append(out, sysPanel{name: "gpu", keys: gpuUtil, scale: 1, unit: "%"})
	}
	if len(gpuMem) > 0 {
		out = append(out, sysPanel{name: "gpu mem", keys: gpuMem, scale: 1e-6, unit: "MB"})
	}
	return out
}

// sysLabel names one series in the legend ("cpu %", "gpu1 mem MB"; the
// legend adds the newest value), a run's id in front when several runs
// share the chart.
func (d *detail) sysLabel(p sysPanel, key, run string) string {
	name := p.name
	if len(p.keys) > 1 || strings.HasPrefix(p.name, "gpu") {
		name = strings.TrimPrefix(key, engine.SystemPrefix)
		name = strings.TrimSuffix(strings.TrimSuffix(name, "_util"), "_mem")
		if p.name == "gpu mem" {
			name += " mem"
		}
	}
	if len(d.runs) > 1 {
		name = run[:min(6, len(run))] + "·" + name
	}
	return name + " " + p.unit
}

// renderSysPanel draws one panel in w x h; memory is plotted in MB.
func (d *detail) renderSysPanel(st *styles.Styles, p sysPanel, w, h int) string {
	var ss []*chart.Series
	for ri, r := range d.runs {
		for ki, k := range p.keys {
			src := d.sys[r.ID][k]
			if src == nil {
				continue
			}
			cp := chart.Series{Cap: maxSeriesPts}
			for _, pt := range src.Points() {
				cp.Add(chart.Point{X: pt.X, Y: pt.Y * p.scale})
			}
			cp.Label = d.sysLabel(p, k, r.ID)
			cp.Color = chart.Palette[(ri*len(p.keys)+ki+2)%len(chart.Palette)]
			ss = append(ss, &cp)
		}
	}
	if len(ss) == 0 {
		return frame.Fit(st.Muted.Render(p.name+" "+p.unit+": no samples yet"), w, h)
	}
	return chart.Render(w, h, ss, chart.Options{NoColor: st.NoColor, Charset: st.Charset})
}

// sysPane draws every panel in w x h: stacked when the pane is a column
// (wide terminals), side by side when it is a row (narrow ones).
func (d *detail) sysPane(st *styles.Styles, w, h int, column bool) string {
	panels := d.sysPanels()
	rule := st.Muted.Render(frame.Line("── system "+strings.Repeat("─", max(w-10, 0)), w))
	h--
	if h <= 0 {
		return rule
	}
	if column {
		n := max(min(len(panels), h/4), 1)
		var parts []string
		for i, p := range panels[:n] {
			ph := h / n
			if i == n-1 {
				ph = h - ph*(n-1)
			}
			parts = append(parts, d.renderSysPanel(st, p, w, ph))
		}
		return rule + "\n" + strings.Join(parts, "\n")
	}
	n := max(min(len(panels), w/24), 1)
	cols := make([][]string, n)
	for i, p := range panels[:n] {
		pw := (w - (n - 1)) / n
		if i == n-1 {
			pw = w - (pw+1)*(n-1)
		}
		cols[i] = strings.Split(d.renderSysPanel(st, p, pw, h), "\n")
		for j := range cols[i] {
			cols[i][j] = frame.Line(cols[i][j], pw)
		}
	}
	lines := []string{rule}
	for r := 0; r < h; r++ {
		var row []string
		for _, c := range cols {
			if r < len(c) {
				row = append(row, c[r])
			}
		}
		lines = append(lines, strings.Join(row, " "))
	}
	return strings.Join(lines, "\n")
}

// besideCurves joins the training chart and the system column line by line.
func besideCurves(left, right string, lw int) string {
	l, r := strings.Split(left, "\n"), strings.Split(right, "\n")
	out := make([]string, max(len(l), len(r)))
	for i := range out {
		var a, b string
		if i < len(l) {
			a = l[i]
		}
		if i < len(r) {
			b = r[i]
		}
		out[i] = frame.Line(a, lw) + " " + b
	}
	return strings.Join(out, "\n")
}

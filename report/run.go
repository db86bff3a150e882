package report

import (
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

// Run is what a run's page shows: its record and every metric series.
type Run struct {
	Record experiments.RunRecord
	Series map[string][]experiments.Sample
}

// maxRunCharts bounds a run page's charts; the metrics table lists all.
const maxRunCharts = 48

// sysPrefix names the system metrics (CPU, memory, GPU), which get their
// own section.
const sysPrefix = "sys/"

type runBody struct {
	Params, Props       []kv
	Metrics             []metricRow
	Charts, SysCharts   []chartHTML
	More                int
	Inputs              []kv
	Outputs             []artifactRow
	Command, Error, Run string
}

type metricRow struct {
	Name                  string
	Last, Min, Max, Steps string
	Sys                   bool
}

type artifactRow struct {
	Path, Size, SHA string
}

const runTemplate = `{{define "body"}}
{{if .Error}}<section class="error"><h2>Error</h2><p class="mono">{{.Error}}</p></section>{{end}}
<section class="command"><h2>Command</h2><p class="mono">{{.Command}}</p></section>
{{if .Charts}}<section class="curves"><h2>Metrics</h2>{{template "charts" .Charts}}{{if .More}}<p class="note">{{.More}} more metrics are in the table below.</p>{{end}}</section>{{end}}
{{if .SysCharts}}<section class="system"><h2>System</h2>{{template "charts" .SysCharts}}</section>{{end}}
<section class="metrics"><h2>Metric values</h2>{{if .Metrics}}<div class="scroll"><table class="metric-table"><thead><tr><th>metric</th><th class="num">last</th><th class="num">min</th><th class="num">max</th><th class="num">samples</th></tr></thead><tbody>
{{range .Metrics}}<tr><td class="mono">{{.Name}}</td><td class="num">{{.Last}}</td><td class="num">{{.Min}}</td><td class="num">{{.Max}}</td><td class="num">{{.Steps}}</td></tr>
{{end}}</tbody></table></div>{{else}}<p class="note">This run reported no metrics.</p>{{end}}</section>
<section class="params"><h2>Parameters</h2>{{if .Params}}{{template "kvtable" .Params}}{{else}}<p class="note">No parameters.</p>{{end}}</section>
{{if .Props}}<section class="properties"><h2>Properties</h2>{{template "kvtable" .Props}}</section>{{end}}
{{if .Inputs}}<section class="inputs"><h2>Inputs</h2>{{template "kvtable" .Inputs}}</section>{{end}}
{{if .Outputs}}<section class="outputs"><h2>Artifacts</h2><div class="scroll"><table><thead><tr><th>path</th><th class="num">size</th><th>sha256</th></tr></thead><tbody>{{range .Outputs}}<tr><td class="mono">{{.Path}}</td><td class="num">{{.Size}}</td><td class="mono">{{.SHA}}</td></tr>{{end}}</tbody></table></div></section>{{end}}
{{end}}`

// WriteRun writes a run's page.
func WriteRun(w io.Writer, r Run, o Options) error {
	rec := r.Record
	title := rec.Name
	if title == "" {
		title = rec.ID
	}
	p := page{Kind: "run", Title: title}
	if rec.Name != "" {
		p.Subtitle = rec.ID
	}
	p.Facts = []kv{
		{K: "status", V: string(rec.Status), Class: badgeClass(string(rec.Status))},
		{K: "runner", V: rec.Runner},
		{K: "started", V: when(rec.Started)},
		{K: "ended", V: when(rec.Ended)},
		{K: "duration", V: runDuration(rec.Run)},
	}
	if rec.ExitCode != nil {
		p.Facts = append(p.Facts, kv{K: "exit code", V: strconv.Itoa(*rec.ExitCode)})
	}
	for _, f := range []kv{{K: "host", V: rec.Host}, {K: "image", V: rec.Image, Mono: true}, {K: "image digest", V: shortHash(rec.ImageDigest), Mono: true},
		{K: "gpus", V: strings.Join(rec.GPUIDs, ", ")}, {K: "gpu", V: rec.GPUInfo}, {K: "code", V: codeVersion(rec.Code), Mono: true},
		{K: "rerun of", V: rec.RerunOf, Mono: true}, {K: "tags", V: strings.Join(rec.Tags, " ")}, {K: "note", V: rec.Note}} {
		if f.V != "" {
			p.Facts = append(p.Facts, f)
		}
	}
	if rec.StudyID != 0 {
		p.Facts = append(p.Facts, kv{K: "trial of study", V: "#" + strconv.FormatInt(rec.StudyID, 10)})
	}
	body := runBody{Command: shellJoin(rec.Command), Error: rec.Error}
	for _, k := range format.SortedKeys(rec.Params) {
		body.Params = append(body.Params, kv{K: k, V: paramText(rec.Params[k]), Mono: true})
	}
	for _, k := range format.SortedKeys(rec.Properties) {
		body.Props = append(body.Props, kv{K: k, V: string(rec.Properties[k]), Mono: true})
	}
	for _, k := range format.SortedKeys(rec.Inputs) {
		d := rec.Inputs[k]
		body.Inputs = append(body.Inputs, kv{K: k, V: d.Path + " @ " + shortHash(d.SHA256) + " (" + format.Bytes(d.Size) + ")", Mono: true})
	}
	for _, a := range rec.Outputs {
		body.Outputs = append(body.Outputs, artifactRow{Path: a.Path, Size: format.Bytes(a.Size), SHA: shortHash(a.SHA256)})
	}
	names := format.SortedKeys(r.Series)
	// Metrics that have a last value but no series (a store that lost them)
	// still get a row.
	for k := range rec.Metrics {
		if _, ok := r.Series[k]; !ok {
			names = append(names, k)
		}
	}
	sort.SliceStable(names, func(i, j int) bool {
		si, sj := strings.HasPrefix(names[i], sysPrefix), strings.HasPrefix(names[j], sysPrefix)
		if si != sj {
			return sj
		}
		return names[i] < names[j]
	})
	charts := 0
	for _, k := range names {
		pts := r.Series[k]
		last, lo, hi, n := seriesStats(pts)
		if len(pts) == 0 && rec.Metrics[k] != nil {
			last, lo, hi = *rec.Metrics[k], *rec.Metrics[k], *rec.Metrics[k]
		}
		sys := strings.HasPrefix(k, sysPrefix)
		body.Metrics = append(body.Metrics, metricRow{Name: k, Last: cellNum(last), Min: cellNum(lo), Max: cellNum(hi), Steps: format.Digits(int64(len(pts))), Sys: sys})
		if len(pts) == 0 || n == 0 {
			continue
		}
		if charts >= maxRunCharts {
			body.More++
			continue
		}
		charts++
		f := lineChart(540, 260, axes{class: "curves", title: k, xlabel: "step", ylabel: k, xInts: true},
			[]line{curveLine(Curve{RunID: rec.ID, Name: rec.Name, Metric: k, Points: pts}, k, seriesColor(0))}, nil)
		if sys {
			body.SysCharts = append(body.SysCharts, svgHTML(f, false))
		} else {
			body.Charts = append(body.Charts, svgHTML(f, false))
		}
	}
	p.Body = body
	return render(w, runTemplate, p, o)
}

func runDuration(r experiments.Run) string {
	if r.Started.IsZero() {
		return "–"
	}
	if r.Ended.IsZero() {
		return "running"
	}
	return format.Duration(r.Ended.Sub(r.Started))
}

// codeVersion prints the commit, marked when the tree had changes.
func codeVersion(c experiments.CodeVersion) string {
	if c.Commit == "" {
		return ""
	}
	s := shortHash(c.Commit)
	if c.Dirty {
		s += " (uncommitted changes)"
	}
	return s
}

func shortHash(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// paramText prints a parameter value: strings as they are, numbers as
// numbers, anything else as JSON.
func paramText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "–"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return format.Value(v)
	}
	return string(b)
}

// shellJoin prints a command as a POSIX shell would need it typed, for
// reading only (nothing runs it).
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%{}") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

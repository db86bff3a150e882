package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/format"
)

// Options are what every page says about itself.
type Options struct {
	Version   string    // lathe's version, in the footer
	Generated time.Time // when, in the footer; zero leaves it out
}

// kv is a labelled value of a fact list or a two-column table.
type kv struct {
	K, V  string
	Mono  bool   // an id, a hash, a command
	Class string // e.g. a status badge
}

// page is what the layout template needs around a kind's content.
type page struct {
	Kind     string // run, study, dataset
	Title    string
	Subtitle string
	Facts    []kv
	Body     any
	Footer   string
}

// The page's only style sheet. No fonts, images or scripts are loaded: the
// Content-Security-Policy in the head forbids every fetch, so a page that
// renders here renders anywhere offline.
const styleSheet = `
:root{--ink:#222;--muted:#666;--line:#e3e3e3;--bg:#f6f6f4;--card:#fff;--accent:#0072b2;--warn:#d55e00;--ok:#009e73}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 20px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 2px;overflow-wrap:anywhere}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:14px;margin:0 0 6px;overflow-wrap:anywhere}
.kind{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--muted);font-weight:600}
.subtitle{color:var(--muted);margin:0 0 12px;overflow-wrap:anywhere}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px 16px;margin:12px 0 8px;padding:0}
.facts div{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-width:0}
.facts dt{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.facts dd{margin:0;overflow-wrap:anywhere}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;margin:16px 0}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.charts figure{margin:0;flex:1 1 440px;min-width:0}
figure.wide{flex-basis:100%}
svg.chart{max-width:100%;height:auto;display:block}
.note{color:var(--muted);font-size:13px}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;width:100%;font-size:13px}
.scroll{overflow-x:auto}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);font-size:12px;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fafafa}
tr.pareto td{background:#fff4e8}
tr.best td{font-weight:600}
tr.infeasible td{color:#999}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;background:#eee;color:#333;white-space:nowrap}
.badge.completed,.badge.ok{background:#dff3ec;color:#00664a}
.badge.running,.badge.queued,.badge.pending{background:#e1eef8;color:#00507d}
.badge.failed,.badge.oom_killed,.badge.lost,.badge.warn{background:#fbe6da;color:#9a3b00}
.badge.stopped,.badge.pruned{background:#eee;color:#555}
ul.alerts{list-style:none;padding:0;margin:0}
ul.alerts li{padding:4px 0;border-bottom:1px solid var(--line)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px;min-width:0}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:0 10px;margin:6px 0;font-size:12.5px}
.card dt{color:var(--muted)}
.card dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:12px;padding-bottom:28px}
@media print{body{background:#fff}section{break-inside:avoid;border-color:#ccc}}
`

const layoutTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="lathe">
<title>{{.Title}} · Lathe {{.Kind}} report</title>
<style>{{css}}</style>
</head>
<body class="report report-{{.Kind}}">
<header>
<div class="kind">Lathe {{.Kind}} report</div>
<h1>{{.Title}}</h1>
{{with .Subtitle}}<p class="subtitle">{{.}}</p>{{end}}
{{with .Facts}}<dl class="facts">{{range .}}<div><dt>{{.K}}</dt><dd{{if .Mono}} class="mono"{{end}}>{{if .Class}}<span class="badge {{.Class}}">{{.V}}</span>{{else}}{{.V}}{{end}}</dd></div>{{end}}</dl>{{end}}
</header>
<main>
{{template "body" .Body}}
</main>
<footer>{{.Footer}}</footer>
</body>
</html>
`

// Shared pieces of the kinds' templates.
const partsTemplate = `
{{define "kvtable"}}<div class="scroll"><table><tbody>{{range .}}<tr><th>{{.K}}</th><td{{if .Mono}} class="mono"{{end}}>{{.V}}</td></tr>{{end}}</tbody></table></div>{{end}}
{{define "charts"}}<div class="charts">{{range .}}<figure{{if .Wide}} class="wide"{{end}}>{{.SVG}}</figure>{{end}}</div>{{end}}
`

// chartHTML is a chart ready for a page.
type chartHTML struct {
	SVG  template.HTML
	Wide bool
}

// svgHTML writes a figure as inline SVG. Every string in it went through
// esc, so it is safe to mark as HTML.
func svgHTML(f *figure, wide bool) chartHTML {
	var b bytes.Buffer
	_ = f.writeSVG(&b, false)
	return chartHTML{SVG: template.HTML(b.String()), Wide: wide}
}

// render executes the layout around body (a kind's "body" template).
func render(w io.Writer, bodyTemplate string, p page, o Options) error {
	t := template.New("layout").Funcs(template.FuncMap{
		"css":   func() template.CSS { return template.CSS(styleSheet) },
		"badge": badgeClass,
		"list":  func(cs ...chartHTML) []chartHTML { return cs },
	})
	for _, src := range []string{layoutTemplate, partsTemplate, bodyTemplate} {
		if _, err := t.Parse(src); err != nil {
			return fmt.Errorf("report template: %w", err)
		}
	}
	p.Footer = "Generated by Lathe"
	if o.Version != "" {
		p.Footer += " " + o.Version
	}
	if !o.Generated.IsZero() {
		p.Footer += " on " + o.Generated.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	p.Footer += ". A self-contained page: it loads nothing."
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// badgeClass is the CSS class of a status word.
func badgeClass(s string) string {
	s = strings.ToLower(s)
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return ""
		}
	}
	return s
}

// cellNum prints a metric or statistic for a table cell.
func cellNum(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return format.Num(v)
}

// when prints a time for a fact list; zero is "–".
func when(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

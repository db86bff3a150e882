package report

import (
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
)

// Dataset is what a dataset's page shows: the file's profile and, when
// the file is a registered version, that version.
type Dataset struct {
	Profile *explore.Profile
	Version *experiments.Dataset
}

// maxCorrelations bounds the correlation table: the strongest pairs.
const maxCorrelations = 30

type datasetBody struct {
	Alerts       []alertRow
	Columns      [][]string
	Cards        []columnCard
	Correlations [][]string
	MoreCorr     int
	Skipped      string
	Sample       int
}

type alertRow struct{ Kind, Message string }

type columnCard struct {
	Name, Type string
	Stats      []kv
	Chart      chartHTML
	HasChart   bool
	Alerts     []string
}

const datasetTemplate = `{{define "body"}}
<section class="alerts-section"><h2>Alerts</h2>{{if .Alerts}}<ul class="alerts">{{range .Alerts}}<li class="alert"><span class="badge warn">{{.Kind}}</span> {{.Message}}</li>{{end}}</ul>{{else}}<p class="note">No alerts.</p>{{end}}
{{with .Skipped}}<p class="note">{{.}}</p>{{end}}</section>
<section class="columns"><h2>Columns</h2><div class="scroll"><table class="column-table"><thead><tr><th>column</th><th>type</th><th class="num">count</th><th class="num">missing</th><th class="num">distinct</th><th class="num">min</th><th class="num">median</th><th class="num">max</th><th class="num">mean</th><th class="num">std</th></tr></thead><tbody>
{{range .Columns}}<tr>{{range $i, $c := .}}{{if lt $i 2}}<td>{{$c}}</td>{{else}}<td class="num">{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</tbody></table></div></section>
<section class="distributions"><h2>Distributions</h2><div class="cards">{{range .Cards}}<div class="card column-card"><h3>{{.Name}} <span class="badge">{{.Type}}</span></h3>{{if .HasChart}}{{.Chart.SVG}}{{end}}<dl>{{range .Stats}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>{{range .Alerts}}<p class="note">⚠ {{.}}</p>{{end}}</div>{{end}}</div></section>
{{if .Correlations}}<section class="correlations"><h2>Correlations</h2><div class="scroll"><table><thead><tr><th>column</th><th>column</th><th>method</th><th class="num">value</th><th class="num">rows</th></tr></thead><tbody>{{range .Correlations}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td><td class="num">{{index . 3}}</td><td class="num">{{index . 4}}</td></tr>{{end}}</tbody></table></div>
{{if .MoreCorr}}<p class="note">The {{.MoreCorr}} weaker pairs are left out.</p>{{end}}{{if .Sample}}<p class="note">Spearman and Cramér's V are computed on a sample of {{.Sample}} rows.</p>{{end}}</section>{{end}}
{{end}}`

// WriteDataset writes a dataset profile's page.
func WriteDataset(w io.Writer, d Dataset, o Options) error {
	pr := d.Profile
	p := page{Kind: "dataset", Title: pr.Source.Path}
	p.Facts = []kv{
		{K: "format", V: string(pr.Source.Format)},
		{K: "size", V: format.Bytes(pr.Source.Bytes)},
		{K: "rows", V: format.Digits(pr.Rows)},
		{K: "columns", V: strconv.Itoa(len(pr.Columns))},
		{K: "duplicate rows", V: format.Digits(pr.DuplicateRows) + approx(!pr.DuplicatesExact)},
		{K: "alerts", V: strconv.Itoa(len(pr.Alerts))},
	}
	if pr.Source.SHA256 != "" {
		p.Facts = append(p.Facts, kv{K: "sha256", V: shortHash(pr.Source.SHA256), Mono: true})
	}
	if v := d.Version; v != nil {
		p.Subtitle = "Registered as dataset version " + strconv.FormatInt(v.ID, 10) + " on " + when(v.Created)
	}
	body := datasetBody{Sample: pr.SampleRows}
	byCol := map[string][]string{}
	for _, a := range pr.Alerts {
		body.Alerts = append(body.Alerts, alertRow{Kind: a.Kind, Message: a.Message})
		for _, c := range a.Columns {
			byCol[c] = append(byCol[c], a.Message)
		}
	}
	if pr.Skipped.Count > 0 {
		body.Skipped = format.Digits(int64(pr.Skipped.Count)) + " malformed rows were skipped."
	}
	for i := range pr.Columns {
		c := &pr.Columns[i]
		median := "–"
		if c.Quantiles != nil {
			median = colValue(c, float64(c.Quantiles.P50))
		}
		body.Columns = append(body.Columns, []string{c.Name, string(c.Type), format.Digits(c.Count), format.Digits(c.Missing) + " (" + format.Pct(c.MissingShare) + ")",
			format.Digits(c.Distinct) + approx(!c.DistinctExact), format.Value(c.Min), median, format.Value(c.Max), numPtr(c.Mean), numPtr(c.Std)})
		body.Cards = append(body.Cards, columnCardOf(c, byCol[c.Name]))
	}
	corr := append([]explore.Correlation(nil), pr.Correlations...)
	sort.SliceStable(corr, func(i, j int) bool { return math.Abs(corr[i].Value) > math.Abs(corr[j].Value) })
	if len(corr) > maxCorrelations {
		body.MoreCorr = len(corr) - maxCorrelations
		corr = corr[:maxCorrelations]
	}
	for _, c := range corr {
		body.Correlations = append(body.Correlations, []string{c.A, c.B, c.Method, strconv.FormatFloat(c.Value, 'f', 3, 64), format.Digits(c.Rows)})
	}
	p.Body = body
	return render(w, datasetTemplate, p, o)
}

func approx(yes bool) string {
	if yes {
		return " (approx.)"
	}
	return ""
}

func numPtr(n *explore.Num) string {
	if n == nil {
		return "–"
	}
	return format.Num(float64(*n))
}

// colValue prints a statistic of the column: a date for datetime columns
// (their numbers are Unix seconds), a number otherwise.
func colValue(c *explore.Column, v float64) string {
	if c.Type == explore.TypeDatetime {
		return unixText(v)
	}
	return format.Num(v)
}

func unixText(v float64) string {
	if !finite(v) {
		return "–"
	}
	t := time.Unix(int64(math.Floor(v)), 0).UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}

// columnCardOf is a column's card: a histogram for numbers and dates, the
// top values for the rest, and the statistics that fit its type.
func columnCardOf(c *explore.Column, alerts []string) columnCard {
	card := columnCard{Name: c.Name, Type: string(c.Type), Alerts: alerts}
	add := func(k, v string) { card.Stats = append(card.Stats, kv{K: k, V: v}) }
	add("count", format.Digits(c.Count))
	add("missing", format.Digits(c.Missing)+" ("+format.Pct(c.MissingShare)+")")
	add("distinct", format.Digits(c.Distinct)+approx(!c.DistinctExact))
	if c.Type.IsNumeric() {
		add("mean", numPtr(c.Mean))
		add("std", numPtr(c.Std))
		if q := c.Quantiles; q != nil {
			add("p05 · p25 · p50", format.Num(float64(q.P05))+" · "+format.Num(float64(q.P25))+" · "+format.Num(float64(q.P50)))
			add("p75 · p95", format.Num(float64(q.P75))+" · "+format.Num(float64(q.P95)))
		}
		add("zeros", format.Digits(c.Zeros))
		add("negatives", format.Digits(c.Negatives))
	} else {
		add("min", format.Value(c.Min))
		add("max", format.Value(c.Max))
	}
	if c.Length != nil {
		add("length", strconv.FormatInt(c.Length.Min, 10)+"–"+strconv.FormatInt(c.Length.Max, 10)+" (mean "+format.Num(c.Length.Mean)+")")
	}
	if h := c.Histogram; h != nil && len(h.Counts) > 0 && len(h.Edges) == len(h.Counts)+1 {
		edges := make([]float64, len(h.Edges))
		for i, e := range h.Edges {
			edges[i] = float64(e)
		}
		a := axes{xlabel: c.Name, ylabel: "rows", title: ""}
		a.xDates = c.Type == explore.TypeDatetime
		f := histogramChart(340, 170, a, edges, h.Counts)
		f.title = "histogram of " + c.Name
		card.Chart, card.HasChart = svgHTML(f, false), true
		return card
	}
	if len(c.Top) > 0 {
		top := c.Top
		if len(top) > 8 {
			top = top[:8]
		}
		labels := make([]string, len(top))
		vals := make([]float64, len(top))
		for i, t := range top {
			labels[i] = oneLine(t.Value)
			vals[i] = float64(t.Count)
		}
		f := hbarChart(340, "top-values", "", labels, vals, func(v float64) string { return format.Digits(int64(v)) })
		f.title = "most frequent values of " + c.Name
		card.Chart, card.HasChart = svgHTML(f, false), true
	}
	return card
}

func oneLine(s string) string {
	if s == "" {
		return `""`
	}
	return strings.TrimSpace(format.OneLine(s))
}

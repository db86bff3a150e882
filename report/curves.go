package report

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/lathe-ml/lathe/experiments"
)

// Curve is one metric series of one run.
type Curve struct {
	RunID  string
	Name   string // the run's name, if any
	Metric string
	Points []experiments.Sample
}

// PlotOptions size and scale a single chart.
type PlotOptions struct {
	Width, Height int  // pixels; 0 gives 800×480
	LogY          bool // log10 value axis (non-positive values are left out)
	Title         string
}

// Chart sizes a plot may have: small enough to be legible, large enough
// that a typo cannot ask for gigabytes of PNG.
const (
	MinChartSize = 160
	MaxChartSize = 8000
)

// CheckSize says what is wrong with a chart size, or nil.
func CheckSize(w, h int) error {
	if w < MinChartSize || h < MinChartSize || w > MaxChartSize || h > MaxChartSize {
		return fmt.Errorf("%d×%d pixels: give a width and height from %d to %d", w, h, MinChartSize, MaxChartSize)
	}
	return nil
}

// WriteCurvesSVG writes the curves as one standalone SVG chart.
func WriteCurvesSVG(w io.Writer, cs []Curve, o PlotOptions) error {
	f, err := curvesFigure(cs, o)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"); err != nil {
		return err
	}
	return f.writeSVG(w, true)
}

// WriteCurvesPNG writes the same chart as a PNG image.
func WriteCurvesPNG(w io.Writer, cs []Curve, o PlotOptions) error {
	f, err := curvesFigure(cs, o)
	if err != nil {
		return err
	}
	return f.writePNG(w)
}

func curvesFigure(cs []Curve, o PlotOptions) (*figure, error) {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 800, 480
	}
	if err := CheckSize(o.Width, o.Height); err != nil {
		return nil, err
	}
	metrics := map[string]bool{}
	for _, c := range cs {
		metrics[c.Metric] = true
	}
	a := axes{class: "curves", xlabel: "step", xInts: true, logY: o.LogY, title: o.Title}
	if len(metrics) == 1 {
		a.ylabel = cs[0].Metric
		if a.title == "" {
			a.title = cs[0].Metric
		}
	}
	if a.title == "" {
		a.title = "metrics"
	}
	var lines []line
	for i, c := range cs {
		label := c.RunID
		if c.Name != "" {
			label = c.Name
		}
		if len(metrics) > 1 {
			label += "/" + c.Metric
		}
		l := curveLine(c, label, seriesColor(i))
		lines = append(lines, l)
		if len(cs) > 1 {
			a.legend = append(a.legend, legendItem{label: label, color: l.color, shape: "line"})
		}
	}
	return lineChart(float64(o.Width), float64(o.Height), a, lines, nil), nil
}

// curveLine is a run's series as a chart line, classed "curve" with the
// run and metric as data attributes.
func curveLine(c Curve, label string, col color.NRGBA) line {
	l := line{label: label, class: "curve", data: [][2]string{{"run", c.RunID}, {"metric", c.Metric}}}
	l.color = col
	for _, p := range c.Points {
		l.xs = append(l.xs, float64(p.Step))
		l.ys = append(l.ys, p.Value)
	}
	if len(l.xs) <= 30 {
		l.markers = true
	}
	return l
}

// seriesStats are the last, lowest and highest finite values of a series.
func seriesStats(pts []experiments.Sample) (last, lo, hi float64, n int) {
	last, lo, hi = math.NaN(), math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		last = p.Value
		if finite(p.Value) {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
			n++
		}
	}
	if n == 0 {
		lo, hi = math.NaN(), math.NaN()
	}
	return last, lo, hi, n
}

// Package report turns what Lathe records into files people share: one
// self-contained HTML page for a run, a study or a dataset profile (inline
// SVG charts and CSS, no script, no network), a single chart as SVG or PNG,
// and a table of runs as CSV, JSON Lines or Parquet for notebooks.
//
// Charts are drawn once, as a display list of marks in pixel coordinates
// (figure.go), and written by two back ends from that one list: SVG by hand,
// with classes and <title> tooltips on every mark so a page can be read,
// styled and tested by its structure; PNG through golang.org/x/image's
// vector rasterizer and the Go fonts. gonum.org/v1/plot draws SVG and PNG
// from one plot too, but linking it alone grew the lathe binary by 7.3 MB
// (30.8 to 38.1 MB, +24 %: its embedded Liberation fonts, PDF and LaTeX
// back ends), where this whole package grows it by 1.3 MB (to 32.0 MB, of
// which x/image's rasterizer and fonts are 0.5 MB); and its SVG marks carry
// no classes or titles to test or style by.
//
// The package takes plain data (experiments' run records and trials,
// explore's profile, optimizer's spec) and imports no front end.
package report

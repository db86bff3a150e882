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
// from one plot too, but it added 7.3 MB (24 %) to the lathe binary (its
// embedded Liberation fonts and PDF/LaTeX back ends) against 0.5 MB for
// x/image, and its SVG marks carry no classes or titles.
//
// The package takes plain data (experiments' run records and trials,
// explore's profile, optimizer's spec) and imports no front end.
package report

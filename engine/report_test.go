package engine

import "testing"

// The files a report, plot or export goes to when --out says little.
func TestReportFileNames(t *testing.T) {
	for ref, want := range map[string]string{
		"r3k9":              "r3k9.html",
		"data/penguins.csv": "penguins.csv.html",
		"study:my study":    "study_my_study.html",
		"../..":             "report.html",
		".hidden":           "hidden.html",
	} {
		if got := DefaultOutName(ref, ".html"); got != want {
			t.Errorf("DefaultOutName(%q) = %q, want %q", ref, got, want)
		}
	}
	if got := safeFileName("sys/cpu", ".svg"); got != "sys_cpu.svg" {
		t.Errorf("plot name for sys/cpu = %q", got)
	}
	for out, want := range map[string]string{"c.svg": "svg", "C.PNG": "png", "-": "svg", "c.jpg": "", "c": ""} {
		got, err := PlotFormat(out)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("PlotFormat(%q) = %q, %v", out, got, err)
		}
	}
	for _, c := range []struct{ format, out, want string }{
		{"", "runs.parquet", "parquet"}, {"", "runs.ndjson", "jsonl"}, {"", "", "csv"}, {"jsonl", "x.csv", "jsonl"}, {"xls", "", ""},
	} {
		got, err := ExportFormat(c.format, c.out)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("ExportFormat(%q, %q) = %q, %v", c.format, c.out, got, err)
		}
	}
}

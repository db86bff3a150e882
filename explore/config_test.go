package explore

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// TestOptionsFromConfig loads a real lathe.yaml and checks that the new
// explore keys reach the readers, the profiler and drift.
func TestOptionsFromConfig(t *testing.T) {
	dir := t.TempDir()
	yaml := `explore:
  header: none
  correlation_columns: 3
  cramers_max_distinct: 7
  time_column: "-"
  alerts:
    missing: 0
    disable: [unique, uniform]
    seasonal: 0.95
  drift: {ks: 0.3, alpha: 0.01}
`
	if err := os.WriteFile(filepath.Join(dir, "lathe.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Options{WorkspaceDir: dir, Environ: []string{"HOME=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	ro := ReadOptionsFrom(c.Explore)
	po := ProfileOptionsFrom(c.Explore, ro)
	do := DriftOptionsFrom(c.Explore, ro)
	if ro.Header != HeaderAbsent || len(ro.Missing) != 19 || po.CorrColumns != 3 || po.CramersMaxDistinct != 7 || po.TimeColumn != "-" ||
		!slices.Equal(po.Alerts.Disable, []string{"unique", "uniform"}) || po.Alerts.Seasonal != 0.95 || po.Alerts.Missing <= 0 {
		t.Errorf("read %+v profile %+v", ro, po)
	}
	if do.KS != 0.3 || do.Alpha != 0.01 || do.Threshold != 0.1 || do.PSI != 0.2 {
		t.Errorf("drift %+v", do)
	}
	// missing: 0 means any missing value: one in three rows fires.
	path := writeFile(t, "m.csv", "a,b\n1,2\n,3\n4,5\n")
	p := profileOf(t, path, ProfileOptionsFrom(c.Explore, ReadOptions{}))
	if !slices.ContainsFunc(p.Alerts, func(a Alert) bool { return a.Kind == "missing" }) {
		t.Errorf("missing: 0 did not fire: %+v", p.Alerts)
	}
}

package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as lathe.yaml: Load must return a config
// or an error, never panic, and every error from the file must be an
// InputError that names it.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		WorkspaceTemplate("x"), "runerz:\n  - name: a\n", "runners: [{name: a, type: docker, gpus: [0, GPU-1]}]\n",
		"a: &a {b: *a}\n", "explore: {alerts: {skewness: .nan}}\n", "runners:\n  - &r {name: a, type: local}\n  - *r\n",
		"runners:\n  - name: s\n    type: docker\n    host: tcp://h:2376\n    tls: {ca: c, cert: d, key: e}\n",
		"\t", "---\n---\n", "- 1\n", "ui: {refresh: 1h}\n",
	} {
		f.Add([]byte(s))
	}
	home := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "lathe.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(Options{WorkspaceDir: dir, Environ: []string{"HOME=" + home}})
		if err != nil {
			ie := asInput(t, err)
			if ie.File == "" {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		if _, ok := c.Runner(c.DefaultRunner); !ok {
			t.Fatalf("loaded config whose default runner %q does not exist", c.DefaultRunner)
		}
		_ = c.Show()
	})
}

package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestWorkspaceTemplate: what `lathe init` writes loads cleanly, with the
// local and docker runners, and the name survives YAML for awkward names.
func TestWorkspaceTemplate(t *testing.T) {
	for _, name := range []string{"churn-model", "true", "1.10", "a: b", "# x", "it's", `q"uote`, "ünï", "null", ""} {
		tmpl := WorkspaceTemplate(name)
		c, p := mustLoad(t, fixture{ws: tmpl})
		if c.Name != name {
			t.Errorf("WorkspaceTemplate(%q) loads name %q", name, c.Name)
		}
		if got := c.RunnerNames(); !reflect.DeepEqual(got, []string{"local", "docker"}) {
			t.Errorf("runners = %v, want [local docker]", got)
		}
		if name != "churn-model" {
			continue
		}
		if !strings.Contains(tmpl, "name: churn-model\n") {
			t.Errorf("plain name quoted needlessly")
		}
		d, _ := c.Runner("docker")
		if d.Type != RunnerDocker || d.Host != "" || d.MaxConcurrent != 1 {
			t.Errorf("docker runner = %+v", d)
		}
		// The docker runner's origin is the template's own line.
		line := 1 + strings.Count(tmpl[:strings.Index(tmpl, "  - name: docker")], "\n")
		if o := c.Origin("runners.docker"); o.File != p.ws || o.Line != line || o.Layer != LayerWorkspace {
			t.Errorf("runners.docker origin = %+v, want %s:%d", o, p.ws, line)
		}
	}
}

// TestTemplateExamples uncomments the template's example runners and
// checks that they are valid too, so the examples cannot rot.
func TestTemplateExamples(t *testing.T) {
	var out []string
	for _, l := range strings.Split(WorkspaceTemplate("x"), "\n") {
		if rest, ok := strings.CutPrefix(l, "  # "); ok && (strings.HasPrefix(rest, "- ") || strings.HasPrefix(rest, "  ")) {
			l = "  " + rest
		}
		out = append(out, l)
	}
	body := strings.Join(out, "\n")
	p := fixture{}.write(t)
	dir := filepath.Join(p.root, "ws")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lathe.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Options{WorkspaceDir: dir, Environ: []string{"HOME=" + p.home}})
	if err != nil {
		t.Fatalf("uncommented template:\n%s\n: %v", body, err)
	}
	if got := c.RunnerNames(); !reflect.DeepEqual(got, []string{"local", "docker", "gpu1", "lab", "secure", "hpc", "anywhere", "cluster"}) {
		t.Errorf("runners = %v", got)
	}
	if k, _ := c.Runner("cluster"); k.Kube == nil || k.Kube.Namespace != "ml" || k.Kube.GPUsPerRun != 1 || len(k.Kube.Volumes) != 1 || !k.Kube.Volumes[0].Outputs {
		t.Errorf("cluster = %+v", k.Kube)
	}
	s, _ := c.Runner("secure")
	if s.TLS == nil || s.TLS.CA != filepath.Join(p.home, ".lathe/tls/ca.pem") {
		t.Errorf("secure tls = %+v", s.TLS)
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fixture lays out a home directory, a user config, a team runners file
// and a workspace in a temp dir, so Load reads real files.
type fixture struct {
	user  string // ~/.config/lathe/config.yaml; "" = absent
	team  string // <root>/infra/runners.yaml; "" = absent
	ws    string // <root>/ws/lathe.yaml; "" = no workspace
	env   []string
	flags map[string]string
}

type paths struct{ root, home, user, team, ws string }

func (f fixture) write(t *testing.T) paths {
	t.Helper()
	root := t.TempDir()
	p := paths{
		root: root,
		home: filepath.Join(root, "home"),
		user: filepath.Join(root, "home", ".config", "lathe", "config.yaml"),
		team: filepath.Join(root, "infra", "runners.yaml"),
		ws:   filepath.Join(root, "ws", "lathe.yaml"),
	}
	for path, body := range map[string]string{p.user: f.user, p.team: f.team, p.ws: f.ws} {
		if body == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(p.home, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f fixture) load(t *testing.T) (*Config, paths, error) {
	t.Helper()
	p := f.write(t)
	opts := Options{Environ: append([]string{"HOME=" + p.home}, f.env...), Flags: f.flags}
	if f.ws != "" {
		opts.WorkspaceDir = filepath.Dir(p.ws)
	}
	c, err := Load(opts)
	return c, p, err
}

func mustLoad(t *testing.T, f fixture) (*Config, paths) {
	t.Helper()
	c, p, err := f.load(t)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c, p
}

func asInput(t *testing.T, err error) *InputError {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InputError, got %T: %v", err, err)
	}
	return ie
}

// Package demo owns the demo workspace: real datasets embedded in the binary
// (with their SOURCES note), a README and studies for the example trainer,
// written into a workspace under the user's cache
// directory, so `lathe demo` works on a fresh machine with no network, Docker
// or Python.
package demo

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lathe-ml/lathe/experiments"
)

//go:embed data README.md studies
var files embed.FS

// Name is the demo workspace's name in its lathe.yaml.
const Name = "lathe-demo"

// DefaultDir is where the demo workspace lives: <user cache dir>/lathe/demo.
func DefaultDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("demo workspace: no user cache directory: %w", err)
	}
	return filepath.Join(cache, "lathe", "demo"), nil
}

// Ensure creates the demo workspace in dir, or refreshes it: shipped files
// that are missing or differ from the embedded copy are rewritten; files the
// user added are left alone, and so is the store.
func Ensure(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "lathe.yaml")); os.IsNotExist(err) {
		ws, err := experiments.Init(dir, Name)
		if err != nil {
			return fmt.Errorf("create demo workspace %s: %w", dir, err)
		}
		if err := ws.Close(); err != nil {
			return err
		}
	}
	return fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, want) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		tmp := dst + ".tmp"
		if err := os.WriteFile(tmp, want, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, dst)
	})
}

// Files lists the shipped files, relative to the workspace root.
func Files() []string {
	var out []string
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

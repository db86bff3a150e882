package engine

import (
	"context"
	"path/filepath"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
)

// ErrNoWorkspace is wrapped by Find when no lathe.yaml is found.
var ErrNoWorkspace = experiments.ErrNoWorkspace

// WorkspaceInfo says which workspace an engine has open.
type WorkspaceInfo struct {
	Name      string `json:"name"`
	Root      string `json:"root"`
	StateDir  string `json:"state_dir"`
	StorePath string `json:"store"`
	ID        string `json:"id"`
}

// Init creates a workspace in dir (lathe.yaml and .lathe/; see
// experiments.Init) and says where it is.
func Init(dir, name string) (WorkspaceInfo, error) {
	ws, err := experiments.Init(dir, name)
	if err != nil {
		return WorkspaceInfo{}, err
	}
	defer ws.Close()
	if name == "" {
		name = filepath.Base(ws.Root)
	}
	return WorkspaceInfo{Name: name, Root: ws.Root, StateDir: ws.StateDir, StorePath: ws.Store.Path(), ID: ws.ID}, nil
}

// Find searches start and its parents for lathe.yaml and returns the
// directory holding it; the error wraps ErrNoWorkspace when there is none.
func Find(start string) (string, error) { return experiments.Find(start) }

// WithoutWorkspace returns an engine with no workspace: the data operations
// on files (profile, drift, check, split without registration) work, and
// everything that needs the store says there is no workspace (exit 2).
func WithoutWorkspace(cfg *config.Config, opts Options) *Engine {
	if cfg == nil {
		cfg = &config.Config{}
	}
	return New(nil, cfg, opts)
}

// HasWorkspace reports whether the engine has a workspace open.
func (e *Engine) HasWorkspace() bool { return e.ws != nil }

// Info names the open workspace; zero without one.
func (e *Engine) Info() WorkspaceInfo {
	if e.ws == nil {
		return WorkspaceInfo{}
	}
	return WorkspaceInfo{Name: e.cfg.Name, Root: e.ws.Root, StateDir: e.ws.StateDir, StorePath: e.ws.Store.Path(), ID: e.ws.ID}
}

// errNoWorkspace is what an operation that needs the store says without one.
func errNoWorkspace() error {
	return &config.InputError{Msg: "no workspace here: run `lathe init` to create one, pass --workspace DIR, or try `lathe demo`"}
}

// need fails without a workspace.
func (e *Engine) need() error {
	if e.ws == nil {
		return errNoWorkspace()
	}
	return nil
}

// DataVersion changes whenever any process writes the store; screens poll
// it to know when to read again.
func (e *Engine) DataVersion(ctx context.Context) (int64, error) {
	if err := e.need(); err != nil {
		return 0, err
	}
	return e.ws.Store.DataVersion(ctx)
}

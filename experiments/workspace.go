package experiments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"go.yaml.in/yaml/v3"
)

// File and directory names of a workspace.
const (
	ConfigFile  = "lathe.yaml"
	StateDir    = ".lathe"
	StoreFile   = "store.db"
	ObjectsDir  = "objects"
	WorkspaceID = "workspace-id"
)

// ErrNoWorkspace is wrapped by Find when no lathe.yaml is found.
var ErrNoWorkspace = errors.New("no lathe workspace (lathe.yaml) found; run `lathe init` or pass --workspace")

// Workspace is an opened workspace: lathe.yaml at Root and the state beside
// it in StateDir (.lathe/).
type Workspace struct {
	Root     string // absolute
	StateDir string // Root/.lathe
	ID       string // random, stable: labels docker containers as this workspace's
	Store    *Store
	Objects  *Objects
}

// OpenOptions choose where a workspace's records and objects live (the
// store: and objects: settings) and who writes them.
type OpenOptions struct {
	// Store is "" for .lathe/store.db, or a shared store's postgres:// URL.
	Store string
	// PasswordEnv names the variable holding the shared store's password.
	PasswordEnv string
	// Objects is the object store directory; "" means .lathe/objects. A
	// team shares one on a mounted filesystem; objects are named by their
	// sha256, so any number of workspaces can write into one.
	Objects string
	// Name is the workspace's name (lathe.yaml's name; "" = its directory's).
	Name string
	// User is who this process writes as; "" means CurrentUser().
	User string
	// MigrateStore applies a shared store's pending migrations.
	MigrateStore bool
	// Getenv reads PasswordEnv; nil means os.Getenv.
	Getenv func(string) string
}

// CurrentUser names the user a store records: $LATHE_USER when set (a
// shared login, or a test), else the login name.
func CurrentUser() string {
	if u := os.Getenv("LATHE_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// Init creates a workspace in dir (created if needed): lathe.yaml from
// config.WorkspaceTemplate(name) and the .lathe/ state. An existing
// lathe.yaml is refused with an InputError unless it is a re-init of the same
// workspace (its .lathe/ already exists, or its name is name): then Init only
// makes sure the state is complete, which is what a teammate wants after
// cloning a repository whose lathe.yaml is committed and .lathe/ ignored. An
// empty name means the directory's base name.
func Init(dir, name string) (*Workspace, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = filepath.Base(root)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("init %s: %w", root, err)
	}
	cfg := filepath.Join(root, ConfigFile)
	created, err := createExclusive(cfg, []byte(config.WorkspaceTemplate(name)), 0o644)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", root, err)
	}
	if !created {
		if err := checkReinit(cfg, root, name); err != nil {
			return nil, err
		}
	}
	return Open(root)
}

// checkReinit accepts an existing lathe.yaml as the same workspace when the
// state directory exists beside it or its top-level name matches.
func checkReinit(cfg, root, name string) error {
	if fi, err := os.Stat(filepath.Join(root, StateDir, WorkspaceID)); err == nil && fi.Mode().IsRegular() {
		return nil
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		return fmt.Errorf("init %s: %w", root, err)
	}
	// Only the name is read here, to recognise the workspace; validating the
	// file is config's job.
	var doc struct {
		Name string `yaml:"name"`
	}
	if yaml.Unmarshal(b, &doc) == nil && doc.Name == name {
		return nil
	}
	msg := fmt.Sprintf("already exists and is not workspace %q", name)
	if doc.Name != "" {
		msg = fmt.Sprintf("already exists for workspace %q, not %q", doc.Name, name)
	}
	return &config.InputError{File: cfg, Field: "name", Msg: msg + "; open it as it is, or init another directory"}
}

// Find searches start and its parents for lathe.yaml and returns the
// directory holding it; the error wraps ErrNoWorkspace when there is none.
func Find(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for {
		fi, err := os.Stat(filepath.Join(dir, ConfigFile))
		if err == nil && fi.Mode().IsRegular() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w (searched %s and its parents)", ErrNoWorkspace, start)
		}
		dir = parent
	}
}

// Open opens the workspace whose lathe.yaml is in root, creating any missing
// part of .lathe/ (so a fresh clone of a repository with a committed
// lathe.yaml just works) and migrating the store.
func Open(root string) (*Workspace, error) { return OpenWith(root, OpenOptions{}) }

// OpenWith is Open with the store and objects o names.
func OpenWith(root string, o OpenOptions) (*Workspace, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(filepath.Join(root, ConfigFile)); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open workspace %s: %w", root, ErrNoWorkspace)
	}
	state := filepath.Join(root, StateDir)
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, fmt.Errorf("open workspace %s: %w", root, err)
	}
	// Everything in .lathe/ is local state: keep it out of git wholesale.
	if _, err := createExclusive(filepath.Join(state, ".gitignore"), []byte("# Lathe's local state; never commit it.\n*\n"), 0o644); err != nil {
		return nil, fmt.Errorf("open workspace %s: %w", root, err)
	}
	id, err := workspaceID(state)
	if err != nil {
		return nil, fmt.Errorf("open workspace %s: %w", root, err)
	}
	objDir := o.Objects
	if objDir == "" {
		objDir = filepath.Join(state, ObjectsDir)
	}
	objs, err := NewObjects(objDir)
	if err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		name = filepath.Base(root)
	}
	who := o.User
	if who == "" {
		who = CurrentUser()
	}
	host, _ := os.Hostname()
	st, err := OpenStoreWith(context.Background(), StoreOptions{Path: filepath.Join(state, StoreFile), URL: o.Store,
		PasswordEnv: o.PasswordEnv, Migrate: o.MigrateStore, Getenv: o.Getenv, LocksDir: filepath.Join(state, "locks"),
		Identity: Identity{Workspace: id, WorkspaceName: name, Root: root, Host: host, User: who}})
	if err != nil {
		return nil, err
	}
	return &Workspace{Root: root, StateDir: state, ID: id, Store: st, Objects: objs}, nil
}

// Close closes the store.
func (w *Workspace) Close() error { return w.Store.Close() }

// Rel turns a path into the form the store records: slash-separated and
// relative to the workspace root when inside it, absolute otherwise, so
// dataset paths survive moving the workspace.
func (w *Workspace) Rel(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(w.Root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// RunDir is the run's private directory under .lathe/runs/ (not created
// here): the conventional home of its output dir, params file and, for local
// runs, the log files a reattaching lathe reads from LogOffset on.
func (w *Workspace) RunDir(runID string) string {
	return filepath.Join(w.StateDir, "runs", filepath.Base(runID))
}

// Abs is the inverse of Rel.
func (w *Workspace) Abs(stored string) string {
	p := filepath.FromSlash(stored)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(w.Root, p)
}

// workspaceID reads .lathe/workspace-id, creating it on first use. Two
// processes initialising at once agree on one id: the file is created
// exclusively and the loser reads the winner's.
func workspaceID(state string) (string, error) {
	path := filepath.Join(state, WorkspaceID)
	var b [8]byte
	rand.Read(b[:])
	if _, err := createExclusive(path, []byte(hex.EncodeToString(b[:])+"\n"), 0o644); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(data))
	if len(id) != 16 || !isHex(id) {
		return "", fmt.Errorf("%s: %q is not a workspace id (16 hex digits); delete the file to get a new one", path, id)
	}
	return id, nil
}

// createExclusive writes data to path only if path does not exist, and makes
// it appear complete or not at all: the bytes go to a temp file that is then
// hard-linked into place, and link(2) fails when the name is taken. Reports
// whether this call created the file.
func createExclusive(path string, data []byte, perm fs.FileMode) (bool, error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

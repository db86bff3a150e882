package engine

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
)

// The store as a thing to manage (`lathe store`): which one a workspace
// uses, its schema, and joining a shared one with a workspace's history.

// StoreInfo describes an engine's store.
type StoreInfo struct {
	Backend    string                        `json:"backend"` // sqlite or postgres
	Store      string                        `json:"store"`   // the file, or the URL without its password
	Schema     int                           `json:"schema_version"`
	Latest     int                           `json:"schema_latest"` // what this lathe writes
	Live       bool                          `json:"live"`          // change notifications are arriving (shared store)
	User       string                        `json:"user"`          // who this lathe writes as
	Workspace  string                        `json:"workspace_id"`
	Workspaces []experiments.WorkspaceRecord `json:"workspaces"` // every workspace that used the store
}

// StoreInfo reports on the engine's store.
func (e *Engine) StoreInfo(ctx context.Context) (StoreInfo, error) {
	if err := e.need(); err != nil {
		return StoreInfo{}, err
	}
	st := e.ws.Store
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return StoreInfo{}, err
	}
	ws, err := st.ListWorkspaces(ctx)
	if err != nil {
		return StoreInfo{}, err
	}
	return StoreInfo{Backend: st.Backend(), Store: st.Path(), Schema: v, Latest: experiments.SchemaLatest, Live: st.Live(),
		User: st.Identity().User, Workspace: e.ws.ID, Workspaces: ws}, nil
}

// User is the user this engine records as the maker of what it writes.
func (e *Engine) User() string {
	if e.ws == nil {
		return experiments.CurrentUser()
	}
	return e.ws.Store.Identity().User
}

// StoreMigration says what `lathe store migrate` did.
type StoreMigration struct {
	Store string `json:"store"`
	From  int    `json:"from"`
	To    int    `json:"to"`
}

// MigrateStore opens the workspace's store at root (its config's store:)
// with pending migrations applied, which a shared store only gets on
// request: every lathe sharing it must understand the new schema.
func MigrateStore(ctx context.Context, root string, cfg *config.Config) (StoreMigration, error) {
	ws, err := experiments.OpenWith(root, openOptions(cfg, true))
	if err != nil {
		return StoreMigration{}, err
	}
	defer ws.Close()
	from, to, err := ws.Store.Migrated(ctx)
	return StoreMigration{Store: ws.Store.Path(), From: from, To: to}, err
}

// openOptions are the workspace open options cfg names.
func openOptions(cfg *config.Config, migrate bool) experiments.OpenOptions {
	return experiments.OpenOptions{Store: cfg.Store.URL, PasswordEnv: cfg.Store.PasswordEnv, Objects: cfg.Objects,
		Name: cfg.Name, MigrateStore: migrate}
}

// CopyOptions say where `lathe store copy` copies to.
type CopyOptions struct {
	// To is the shared store's postgres:// URL (no password in it).
	To string
	// PasswordEnv names the variable holding its password ("" = PGPASSWORD
	// or ~/.pgpass).
	PasswordEnv string
	// Objects is the team's object directory; "" means the config's
	// objects:, and when that is unset too the objects stay where they are.
	Objects string
	// Progress is told after each run copied.
	Progress func(done, total int)
}

// CopyReport is what a store copy did, and where.
type CopyReport struct {
	experiments.CopyReport
	From       string `json:"from"`
	To         string `json:"to"`
	ObjectsDir string `json:"objects_dir,omitempty"` // where objects went; "" when they stayed
}

// CopyStore copies the history in the workspace's own SQLite store
// (.lathe/store.db) into the store at o.To, as the workspace's and this
// user's, so a member joins a team's store with their past runs; objects
// go into the team's object directory. Run it again to finish a copy that
// was interrupted: nothing is copied twice.
func CopyStore(ctx context.Context, root string, cfg *config.Config, o CopyOptions) (CopyReport, error) {
	if o.To == "" {
		return CopyReport{}, &config.InputError{Field: "--to", Msg: "give the shared store's URL: --to postgres://user@host/db?sslmode=require"}
	}
	if config.URLHasPassword(o.To) {
		return CopyReport{}, &config.InputError{Field: "--to", Msg: fmt.Sprintf("%s contains a password; take it out and set PGPASSWORD, use ~/.pgpass, or pass --password-env NAME", config.RedactURL(o.To))}
	}
	srcOpts := openOptions(cfg, false)
	srcOpts.Store, srcOpts.Objects = "", ""
	src, err := experiments.OpenWith(root, srcOpts)
	if err != nil {
		return CopyReport{}, err
	}
	defer src.Close()
	dst, err := experiments.OpenStoreWith(ctx, experiments.StoreOptions{URL: o.To, PasswordEnv: o.PasswordEnv, Identity: src.Store.Identity()})
	if err != nil {
		return CopyReport{}, config.RenameField(err, "store", "--to")
	}
	defer dst.Close()
	objDir := o.Objects
	if objDir == "" {
		objDir = cfg.Objects
	}
	rep := CopyReport{From: src.Store.Path(), To: dst.Path()}
	var dstObjs *experiments.Objects
	if objDir != "" {
		if objDir, err = filepath.Abs(objDir); err != nil {
			return rep, err
		}
		if dstObjs, err = experiments.NewObjects(objDir); err != nil {
			return rep, err
		}
		rep.ObjectsDir = objDir
	}
	rep.CopyReport, err = src.Store.CopyTo(ctx, dst, src.Objects, dstObjs, o.Progress)
	return rep, err
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Options says where Load looks.
type Options struct {
	// WorkspaceDir is the directory holding lathe.yaml; "" means no workspace.
	WorkspaceDir string
	// UserConfigPath overrides the user config location; "" means
	// UserConfigPath(Environ). An explicit path must exist; the default may not.
	UserConfigPath string
	// Environ is the environment as KEY=VALUE; nil means os.Environ().
	Environ []string
	// Flags maps dotted keys ("default_runner", "explore.sample_rows") to
	// values set by command-line flags. Values use the environment syntax.
	Flags map[string]string
}

// Origin says where a setting's value came from.
type Origin struct {
	Layer  Layer  `json:"layer"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Env    string `json:"env,omitempty"`  // the variable, for LayerEnv
	Flag   string `json:"flag,omitempty"` // the dotted key, for LayerFlag
}

// Source renders the origin for people: "file:line", the environment
// variable, "flag KEY", or "built-in".
func (o Origin) Source() string {
	switch {
	case o.File != "" && o.Line > 0:
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	case o.File != "":
		return o.File
	case o.Env != "":
		return o.Env
	case o.Flag != "":
		return "flag " + o.Flag
	case o.Layer == LayerDefault:
		return "built-in"
	}
	return string(o.Layer)
}

// Entry is one setting with its value and origin, for `lathe config show`.
type Entry struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Layer  Layer  `json:"layer"`
	Source string `json:"source"`
}

// UserConfigPath returns where the user config lives: $LATHE_CONFIG if set,
// else $XDG_CONFIG_HOME/lathe/config.yaml (when XDG_CONFIG_HOME is absolute,
// as the XDG spec requires), else ~/.config/lathe/config.yaml, or "" when
// no home directory is known.
func UserConfigPath(environ []string) string {
	env := envMap(environ)
	if p := env["LATHE_CONFIG"]; p != "" {
		return p
	}
	if x := env["XDG_CONFIG_HOME"]; x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "lathe", "config.yaml")
	}
	if h := env["HOME"]; h != "" {
		return filepath.Join(h, ".config", "lathe", "config.yaml")
	}
	return ""
}

// EnvVars returns the environment variable for each dotted key that one can
// set, e.g. "default_runner" -> "LATHE_DEFAULT_RUNNER", "runners_file" ->
// "LATHE_RUNNERS". Other LATHE_* variables are ignored: runs set several
// (LATHE_RUN_ID, LATHE_PARAM_*, ...) and a lathe started inside a run must
// not choke on them.
func EnvVars() map[string]string {
	m := map[string]string{}
	for _, l := range leaves() {
		m[l.key] = l.envName()
	}
	return m
}

// Keys returns the dotted keys that flags and environment variables may set.
func Keys() []string {
	var ks []string
	for _, l := range leaves() {
		ks = append(ks, l.key)
	}
	return ks
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// Load reads, layers and validates the configuration. Layers, lowest first:
// built-in defaults, the user config, the team runners file, the workspace
// lathe.yaml, LATHE_* environment variables, flags. Scalars override key by
// key; runners merge by name, a higher layer's runner replacing a lower
// one's whole. Bad input is an *InputError naming file, line and column.
func Load(opts Options) (*Config, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := envMap(environ)
	home := env["HOME"]
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("config: working directory: %w", err)
	}
	ls := leaves()
	c := defaults()
	for _, l := range ls {
		c.origins[l.key] = Origin{Layer: LayerDefault}
	}
	for _, r := range c.Runners {
		c.origins["runners."+r.Name] = Origin{Layer: LayerDefault}
		c.origins["runners."+r.Name+".type"] = Origin{Layer: LayerDefault}
	}

	var user, ws *fileLayer
	userPath := opts.UserConfigPath
	if userPath == "" {
		userPath = UserConfigPath(environ)
		userPath = expandPath(userPath, cwd, home)
	}
	if userPath != "" {
		user, err = parseFile(userPath, LayerUser, home, ls)
		if errors.Is(err, fs.ErrNotExist) && opts.UserConfigPath == "" {
			user, err = nil, nil
		}
		if err != nil {
			return nil, fileError(err, userPath, "user config")
		}
	}
	if opts.WorkspaceDir != "" {
		dir, err := filepath.Abs(opts.WorkspaceDir)
		if err != nil {
			return nil, fmt.Errorf("config: workspace %s: %w", opts.WorkspaceDir, err)
		}
		c.Name = filepath.Base(dir)
		ws, err = parseFile(filepath.Join(dir, "lathe.yaml"), LayerWorkspace, home, ls)
		if err != nil {
			return nil, fileError(err, filepath.Join(dir, "lathe.yaml"), "workspace config")
		}
	}
	envSets, err := envLayer(ls, env, cwd, home)
	if err != nil {
		return nil, err
	}
	c.Warnings = envTypos(ls, env)
	flagSets, err := flagLayer(ls, opts.Flags, cwd, home)
	if err != nil {
		return nil, err
	}

	// The team file is named by the highest layer that sets runners_file,
	// but sits below the workspace in precedence.
	var rf *assign
	for _, sets := range [][]assign{setsOf(user), setsOf(ws), envSets, flagSets} {
		for i := range sets {
			if sets[i].leaf.key == "runners_file" {
				rf = &sets[i]
			}
		}
	}
	var team *fileLayer
	if rf != nil && rf.value.(string) != "" {
		if team, err = loadTeam(rf, home, ls); err != nil {
			return nil, err
		}
	}

	for _, fl := range []*fileLayer{user, team, ws} {
		if fl == nil {
			continue
		}
		c.Files = append(c.Files, LayerFile{Layer: fl.layer, Path: fl.path})
		c.apply(fl.sets)
		c.mergeRunners(fl.runners)
	}
	c.apply(envSets)
	c.apply(flagSets)
	if rf == nil || rf.value.(string) == "" {
		c.RunnersFile = ""
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func setsOf(fl *fileLayer) []assign {
	if fl == nil {
		return nil
	}
	return fl.sets
}

// fileError keeps InputErrors as they are and explains a missing file.
func fileError(err error, path, what string) error {
	if IsInput(err) {
		return err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return &InputError{File: path, Msg: fmt.Sprintf("%s %s does not exist", what, path), Err: err}
	}
	return fmt.Errorf("config: read %s: %w", what, err)
}

// loadTeam reads the runners file named by rf, reporting a missing file at
// the place that names it.
func loadTeam(rf *assign, home string, ls []*leaf) (*fileLayer, error) {
	path := rf.value.(string)
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		what := "is a directory"
		if !st.IsDir() {
			what = "is not a regular file"
		}
		if path != rf.raw {
			what += " (" + path + ")"
		}
		return nil, &InputError{File: rf.origin.File, Line: rf.origin.Line, Column: rf.origin.Column,
			Field: fieldName(rf),
			Msg:   fmt.Sprintf("runners_file %q %s; give the path of the team's runners YAML file", rf.raw, what)}
	} else if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: runners file %s: %w", path, err)
		}
		rel := "relative paths are resolved against the directory of the file that names them"
		if rf.origin.File == "" {
			rel = "relative paths are resolved against the working directory"
		}
		return nil, &InputError{File: rf.origin.File, Line: rf.origin.Line, Column: rf.origin.Column,
			Field: fieldName(rf), Err: err,
			Msg: fmt.Sprintf("runners_file %q does not exist (looked for %s; %s)", rf.raw, path, rel)}
	}
	team, err := parseFile(path, LayerTeam, home, ls)
	if err != nil {
		return nil, fileError(err, path, "runners file")
	}
	return team, nil
}

func fieldName(a *assign) string {
	switch {
	case a.origin.Env != "":
		return a.origin.Env
	case a.origin.Flag != "":
		return a.origin.Flag
	}
	return a.leaf.key
}

// envLayer reads the LATHE_* variables that map to settings. Empty values
// count as unset, as with DOCKER_HOST.
func envLayer(ls []*leaf, env map[string]string, cwd, home string) ([]assign, error) {
	var out []assign
	for _, l := range ls {
		name := l.envName()
		s, ok := env[name]
		if !ok || s == "" {
			continue
		}
		v, msg := l.fromString(s)
		if msg != "" {
			return nil, &InputError{Field: name, Msg: fmt.Sprintf("sets %s: %s", l.key, msg)}
		}
		if l.kind == kPath {
			v = expandPath(s, cwd, home)
		}
		out = append(out, assign{leaf: l, value: v, raw: s, origin: Origin{Layer: LayerEnv, Env: name}})
	}
	return out, nil
}

// envTypos warns about LATHE_* variables that are not settings but are
// close to one. Unknown names far from any setting are left alone: runs set
// LATHE_RUN_ID, LATHE_PARAM_* and others, and the CLI reads LATHE_WORKSPACE.
func envTypos(ls []*leaf, env map[string]string) []string {
	known := make([]string, 0, len(ls)+1)
	for _, l := range ls {
		known = append(known, l.envName())
	}
	var out []string
	for name := range env {
		if !strings.HasPrefix(name, "LATHE_") || slices.Contains(known, name) || name == "LATHE_CONFIG" {
			continue
		}
		best, bestD := "", 3
		for _, k := range known {
			if d := osaDistance(name, k); d < bestD {
				best, bestD = k, d
			}
		}
		if best != "" {
			out = append(out, fmt.Sprintf("environment variable %s is not a Lathe setting and is ignored; did you mean %s?", name, best))
		}
	}
	sort.Strings(out)
	return out
}

// flagLayer reads the flag values the command line set, in key order.
func flagLayer(ls []*leaf, flags map[string]string, cwd, home string) ([]assign, error) {
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []assign
	for _, k := range keys {
		s := flags[k]
		l := findLeaf(ls, k)
		if l == nil {
			all := Keys()
			if sg := suggestion(k, all); sg != "" {
				return nil, &InputError{Field: k, Msg: fmt.Sprintf("unknown setting %q%s", k, sg)}
			}
			return nil, &InputError{Field: k, Msg: fmt.Sprintf("unknown setting %q; valid: %s", k, strings.Join(all, ", "))}
		}
		v, msg := l.fromString(s)
		if msg != "" {
			return nil, &InputError{Field: k, Msg: msg}
		}
		if l.kind == kPath {
			v = expandPath(s, cwd, home)
		}
		out = append(out, assign{leaf: l, value: v, raw: s, origin: Origin{Layer: LayerFlag, Flag: k}})
	}
	return out, nil
}

func (c *Config) apply(sets []assign) {
	for _, a := range sets {
		a.leaf.set(c, a.value)
		c.origins[a.leaf.key] = a.origin
	}
}

// mergeRunners adds runners by name; a runner with an existing name
// replaces it in place, with its origins.
func (c *Config) mergeRunners(defs []runnerDef) {
	for _, d := range defs {
		replaced := false
		for i := range c.Runners {
			if c.Runners[i].Name == d.r.Name {
				c.Runners[i] = d.r
				replaced = true
			}
		}
		if !replaced {
			c.Runners = append(c.Runners, d.r)
		}
		prefix := "runners." + d.r.Name
		for k := range c.origins {
			if strings.HasPrefix(k, prefix+".") {
				delete(c.origins, k)
			}
		}
		c.origins[prefix] = d.origin
		for f, o := range d.fields {
			c.origins[prefix+"."+f] = o
		}
	}
}

// validate checks what only the merged config can tell.
func (c *Config) validate() error {
	if _, ok := c.Runner(c.DefaultRunner); !ok {
		o := c.origins["default_runner"]
		names := c.RunnerNames()
		ie := &InputError{File: o.File, Line: o.Line, Column: o.Column, Field: "default_runner",
			Msg: fmt.Sprintf("default_runner %q names no runner; defined runners: %s%s", c.DefaultRunner, strings.Join(names, ", "), suggestion(c.DefaultRunner, names))}
		switch {
		case o.Env != "":
			ie.Field = o.Env
		case o.Flag != "":
			ie.Field = o.Flag
		}
		return ie
	}
	return nil
}

// Origin returns where the setting at a dotted key came from ("name",
// "runners.gpu1", "runners.gpu1.host", "explore.alerts.skewness"). A runner
// field the file left out reports the runner's origin; an unknown key
// reports the zero Origin.
func (c *Config) Origin(key string) Origin {
	if o, ok := c.origins[key]; ok {
		return o
	}
	if rest, ok := strings.CutPrefix(key, "runners."); ok {
		name, _, _ := strings.Cut(rest, ".")
		if o, ok := c.origins["runners."+name]; ok {
			return o
		}
	}
	return Origin{}
}

// Origins returns the settings that some layer above the built-in defaults
// set, with their values and origins, sorted by key.
func (c *Config) Origins() []Entry {
	var out []Entry
	for _, e := range c.Show() {
		if e.Layer != LayerDefault {
			out = append(out, e)
		}
	}
	return out
}

// Show returns every setting with its value and origin, sorted by key:
// the content of `lathe config show` and `lathe config show --json`.
// Values are plain (strings, numbers, string lists, maps), durations as
// text such as "10s".
func (c *Config) Show() []Entry {
	var out []Entry
	add := func(key string, v any) {
		o := c.Origin(key)
		out = append(out, Entry{Key: key, Value: v, Layer: o.Layer, Source: o.Source()})
	}
	for _, l := range leaves() {
		v := l.get(c)
		if l.kind == kStore {
			v = RedactURL(v.(string))
		}
		add(l.key, v)
	}
	for _, r := range c.Runners {
		p := "runners." + r.Name + "."
		add(p+"type", r.Type)
		add(p+"max_concurrent", r.MaxConcurrent)
		if r.Host != "" {
			add(p+"host", r.Host)
		}
		if r.Context != "" {
			add(p+"context", r.Context)
		}
		if !r.GPUs.IsZero() {
			add(p+"gpus", r.GPUs.value())
		}
		if r.Image != "" {
			add(p+"image", r.Image)
		}
		if r.ConnectTimeout > 0 {
			add(p+"connect_timeout", r.ConnectTimeout.String())
		}
		if r.Timeout > 0 {
			add(p+"timeout", r.Timeout.String())
		}
		r.showCluster(func(k string, v any) { add(p+k, v) })
		if r.TLS != nil {
			for k, v := range map[string]string{"ca": r.TLS.CA, "cert": r.TLS.Cert, "key": r.TLS.Key} {
				if v != "" {
					add(p+"tls."+k, v)
				}
			}
		}
		if len(r.Env) > 0 {
			add(p+"env", r.Env)
		}
		if len(r.PassEnv) > 0 {
			add(p+"pass_env", r.PassEnv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

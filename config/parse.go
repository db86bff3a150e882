package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// assign is one scalar setting made by one layer.
type assign struct {
	leaf   *leaf
	value  any
	raw    string // the text as written, for messages
	origin Origin
}

// runnerDef is one runner as one file defines it, with the position of each
// field it sets ("host", "tls.ca", ...).
type runnerDef struct {
	r      Runner
	origin Origin
	fields map[string]Origin
}

// fileLayer is what one configuration file contributes.
type fileLayer struct {
	layer   Layer
	path    string
	sets    []assign
	runners []runnerDef
}

// parser walks one file's YAML nodes against the schema, keeping positions
// so every error and every origin names file, line and column.
type parser struct {
	file  string // path as shown to the user
	dir   string // base for relative paths
	layer Layer
	home  string
	ls    []*leaf
	out   *fileLayer
}

var (
	runnerNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// parseFile reads and validates one file. A missing file returns an error
// wrapping fs.ErrNotExist, so callers can decide whether absence is fine.
func parseFile(path string, layer Layer, home string, ls []*leaf) (*fileLayer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &parser{file: path, dir: filepath.Dir(path), layer: layer, home: home, ls: ls,
		out: &fileLayer{layer: layer, path: path}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return p.out, nil // an empty file sets nothing
		}
		return nil, YAMLSyntaxError(path, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, YAMLSyntaxError(path, data, err)
		}
		return nil, p.errAt(&extra, "", "a second YAML document (---) is not allowed; put everything in one document")
	}
	if len(doc.Content) == 0 {
		return p.out, nil
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return p.out, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errAt(root, "", "expected a mapping of settings (key: value) at the top level, got %s", describeNode(root))
	}
	if err := p.mapping(root, ""); err != nil {
		return nil, err
	}
	return p.out, nil
}

func (p *parser) errAt(n *yaml.Node, field, format string, args ...any) *InputError {
	return &InputError{File: p.file, Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) origin(n *yaml.Node) Origin {
	return Origin{Layer: p.layer, File: p.file, Line: n.Line, Column: n.Column}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describeNode names a node's type for "expected X, got Y" messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "nothing"
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "an unexpected node"
}

// pairs walks a mapping's key/value pairs, rejecting non-scalar keys, merge
// keys, duplicate keys and secret-looking keys before calling fn.
func (p *parser) pairs(n *yaml.Node, prefix string, fn func(k, v *yaml.Node, full string) error) error {
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return p.errAt(k, prefix, "keys must be plain words, got %s", describeNode(k))
		}
		full := prefix + k.Value
		if k.Value == "<<" {
			return p.errAt(k, full, "merge keys (<<) are not supported; write the fields out (YAML anchors with *alias as whole values do work)")
		}
		if prev, ok := seen[k.Value]; ok {
			return p.errAt(k, full, "key %q is already set at line %d; give each key once", k.Value, prev.Line)
		}
		seen[k.Value] = k
		if msg := secretKey(k.Value); msg != "" && full != "store.password_env" {
			return p.errAt(k, full, "%s", msg)
		}
		if err := fn(k, v, full); err != nil {
			return err
		}
	}
	return nil
}

// secretKey returns a message when key names a secret. Secrets never live
// in configuration files, which teams check into repositories.
func secretKey(key string) string {
	norm := strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(key))
	for _, s := range []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey", "credential"} {
		if strings.Contains(norm, s) {
			return fmt.Sprintf("%q looks like a secret, and Lathe never reads secrets from config files: "+
				"SSH hosts use your ssh agent and ~/.ssh/config, TLS uses certificate paths (tls: {ca, cert, key}), "+
				"and runs receive secrets from your environment via pass_env: [NAME]", key)
		}
	}
	return ""
}

func (p *parser) mapping(n *yaml.Node, prefix string) error {
	return p.pairs(n, prefix, func(k, v *yaml.Node, full string) error {
		if full == "runners" {
			return p.runners(v)
		}
		if full == "store" && v.Kind == yaml.ScalarNode {
			// store: URL is short for store: {url: URL}.
			err := p.leafValue(findLeaf(p.ls, "store.url"), k, v)
			var ie *InputError
			if errors.As(err, &ie) {
				ie.Field = "store"
			}
			return err
		}
		if l := findLeaf(p.ls, full); l != nil {
			if !l.allowedIn(p.layer) {
				return p.errAt(k, full, "%s is not allowed in the %s config: %s", full, p.layer, l.why)
			}
			return p.leafValue(l, k, v)
		}
		if isSection(p.ls, full) {
			if isNull(v) {
				return nil
			}
			if v.Kind != yaml.MappingNode {
				return p.errAt(v, full, "%s must be a mapping of settings, got %s; valid keys: %s",
					full, describeNode(v), strings.Join(sectionKeys(p.ls, full+"."), ", "))
			}
			return p.mapping(v, full+".")
		}
		valid := sectionKeys(p.ls, prefix)
		if s := suggestion(k.Value, valid); s != "" {
			return p.errAt(k, full, "unknown key %q%s", k.Value, s)
		}
		return p.errAt(k, full, "unknown key %q; valid keys here: %s", k.Value, strings.Join(valid, ", "))
	})
}

// leafValue parses the value node of a scalar setting.
func (p *parser) leafValue(l *leaf, k, v *yaml.Node) error {
	if isNull(v) {
		return nil // "key:" with no value leaves the lower layer's value
	}
	var val any
	switch l.kind {
	case kString, kPath, kEnum, kAddr, kStore, kEnvName:
		s, err := p.str(v, l.key)
		if err != nil {
			return err
		}
		if l.kind == kPath {
			s = expandPath(s, p.dir, p.home)
		}
		val = s
	case kInt:
		n, err := p.integer(v, l.key, l.rangeText())
		if err != nil {
			return err
		}
		val = n
	case kFloat:
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
			return p.errAt(v, l.key, "expected a number, got %s; %s", describeNode(v), l.rangeText())
		}
		var f float64
		if err := v.Decode(&f); err != nil {
			return p.errAt(v, l.key, "expected a number, got %q; %s", v.Value, l.rangeText())
		}
		val = f
	case kDuration:
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			return p.errAt(v, l.key, "expected a duration with a unit, got %s; write for example 500ms, 10s or 2m", describeNode(v))
		}
		d, msg := l.fromString(v.Value)
		if msg != "" {
			return p.errAt(v, l.key, "%s", msg)
		}
		val = d
	case kList:
		items, err := p.list(v, l)
		if err != nil {
			return err
		}
		val = items
	}
	if msg := l.check(val); msg != "" {
		return p.errAt(v, l.key, "%s", msg)
	}
	if l.kind == kStore {
		if msg := checkStoreURL(val.(string), true); msg != "" {
			return p.errAt(v, l.key, "%s", msg)
		}
	}
	p.out.sets = append(p.out.sets, assign{leaf: l, value: val, raw: v.Value, origin: p.origin(k)})
	return nil
}

// str requires a YAML string. Numbers and booleans are refused rather than
// converted, so `name: 1.10` cannot silently become "1.1".
func (p *parser) str(v *yaml.Node, field string) (string, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		hint := ""
		if v.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf(`; quote it if you mean the text: "%s"`, v.Value)
		}
		return "", p.errAt(v, field, "expected a string, got %s%s", describeNode(v), hint)
	}
	return v.Value, nil
}

// timeout reads a positive duration such as 5s or 2m.
func (p *parser) timeout(v *yaml.Node, field string) (time.Duration, error) {
	s, err := p.str(v, field)
	if err != nil {
		return 0, err
	}
	d, perr := time.ParseDuration(strings.TrimSpace(s))
	if perr != nil || d <= 0 {
		return 0, p.errAt(v, field, "%q is not a timeout; valid: a positive duration such as 5s or 2m", s)
	}
	return d, nil
}

func (p *parser) integer(v *yaml.Node, field, valid string) (int, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		return 0, p.errAt(v, field, "expected an integer, got %s; %s", describeNode(v), valid)
	}
	var n int
	if err := v.Decode(&n); err != nil {
		return 0, p.errAt(v, field, "%q is not an integer that fits; %s", v.Value, valid)
	}
	return n, nil
}

// list parses a list setting. For free-text lists (missing_values) each
// item's literal text is kept, so `- null` and `- NaN` mean those tokens.
func (p *parser) list(v *yaml.Node, l *leaf) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		eg := `["", NA]`
		if len(l.enum) > 0 {
			eg = "[" + strings.Join(l.enum, ", ") + "]"
		}
		return nil, p.errAt(v, l.key, "expected a list such as %s, got %s", eg, describeNode(v))
	}
	items := make([]string, 0, len(v.Content))
	for _, it := range v.Content {
		it = deref(it)
		if it.Kind != yaml.ScalarNode {
			return nil, p.errAt(it, l.key, "list items must be plain values, got %s", describeNode(it))
		}
		if len(l.enum) > 0 && it.ShortTag() != "!!str" {
			return nil, p.errAt(it, l.key, "expected one of %s, got %s", strings.Join(l.enum, ", "), describeNode(it))
		}
		if len(l.enum) > 0 {
			if msg := l.check([]string{it.Value}); msg != "" {
				return nil, p.errAt(it, l.key, "%s", msg)
			}
		}
		items = append(items, it.Value)
	}
	return items, nil
}

// expandPath expands a leading ~ and makes a relative path absolute against
// base (the directory of the file that names it, or the working directory).
func expandPath(s, base, home string) string {
	if s == "" {
		return ""
	}
	if s == "~" {
		s = home
	} else if rest, ok := strings.CutPrefix(s, "~/"); ok {
		s = filepath.Join(home, rest)
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(base, s)
	}
	return filepath.Clean(s)
}

// runnerKeys are the keys a runner mapping may hold.
var runnerKeys = append(append([]string{"name", "type", "host", "context", "gpus", "max_concurrent", "min_free_memory", "connect_timeout", "timeout", "tls", "image", "env", "pass_env", "members"}, slurmKeys...), kubeOnlyKeys()...)

func (p *parser) runners(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return p.errAt(v, "runners", "runners must be a list (each item starting with - name: ...), got %s", describeNode(v))
	}
	names := map[string]*yaml.Node{}
	for i, item := range v.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			return p.errAt(item, fmt.Sprintf("runners[%d]", i), "each runner is a mapping with at least name and type, got %s", describeNode(item))
		}
		rd, nameNode, err := p.runner(item, i)
		if err != nil {
			return err
		}
		if prev, ok := names[rd.r.Name]; ok {
			return p.errAt(nameNode, "runners."+rd.r.Name, "duplicate runner name %q (first defined at line %d); runner names must be unique within a file", rd.r.Name, prev.Line)
		}
		names[rd.r.Name] = nameNode
		p.out.runners = append(p.out.runners, rd)
	}
	return nil
}

// runner parses and validates one runner mapping. It returns the node of
// its name for duplicate reporting.
func (p *parser) runner(n *yaml.Node, index int) (runnerDef, *yaml.Node, error) {
	rd := runnerDef{r: Runner{MaxConcurrent: 1}, origin: p.origin(n), fields: map[string]Origin{}}
	// Find the name first so that errors about other fields can name the runner.
	label := fmt.Sprintf("runners[%d]", index)
	var nameNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "name" {
			v := deref(n.Content[i+1])
			nameNode = v
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && runnerNameRE.MatchString(v.Value) {
				label = "runners." + v.Value
			}
		}
	}
	isKube := false // kubernetes and slurm share cpus, memory and gpus_per_run
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "type" {
			isKube = deref(n.Content[i+1]).Value == RunnerKubernetes
		}
	}
	keyNodes := map[string]*yaml.Node{}
	var tlsNode *yaml.Node
	r := &rd.r
	err := p.pairs(n, label+".", func(k, v *yaml.Node, full string) error {
		keyNodes[k.Value] = k
		rd.fields[k.Value] = p.origin(k)
		if isNull(v) && k.Value != "name" && k.Value != "type" {
			delete(rd.fields, k.Value)
			return nil
		}
		var err error
		switch k.Value {
		case "name":
			if r.Name, err = p.str(v, full); err != nil {
				return err
			}
			if !runnerNameRE.MatchString(r.Name) {
				return p.errAt(v, full, "runner name %q is not valid: use letters, digits, - and _, starting with a letter or digit (names appear in dotted keys like runners.gpu1.host)", r.Name)
			}
		case "type":
			if r.Type, err = p.str(v, full); err != nil {
				return err
			}
			switch r.Type {
			case RunnerLocal, RunnerDocker, RunnerSlurm, RunnerPool, RunnerKubernetes:
			case "k8s":
				return p.errAt(v, full, "unknown runner type %q; valid types: local, docker, slurm, pool, kubernetes (write kubernetes)", r.Type)
			default:
				return p.errAt(v, full, "unknown runner type %q; valid types: local, docker, slurm, pool, kubernetes%s", r.Type, suggestion(r.Type, []string{RunnerLocal, RunnerDocker, RunnerSlurm, RunnerPool, RunnerKubernetes}))
			}
		case "host":
			if r.Host, err = p.str(v, full); err != nil {
				return err
			}
			if msg := checkHost(r.Host); msg != "" {
				return p.errAt(v, full, "%s", msg)
			}
		case "context":
			if r.Context, err = p.str(v, full); err != nil {
				return err
			}
			if strings.TrimSpace(r.Context) == "" {
				return p.errAt(v, full, "context is empty; name a docker context (docker context ls) or a kubeconfig context (kubectl config get-contexts), or remove the key")
			}
		case "image":
			if r.Image, err = p.str(v, full); err != nil {
				return err
			}
		case "gpus":
			if r.GPUs, err = p.gpus(v, full); err != nil {
				return err
			}
		case "max_concurrent":
			if r.MaxConcurrent, err = p.integer(v, full, "valid: an integer of at least 1"); err != nil {
				return err
			}
			if r.MaxConcurrent < 1 {
				return p.errAt(v, full, "max_concurrent is %d; valid: an integer of at least 1 (runs beyond it queue)", r.MaxConcurrent)
			}
		case "min_free_memory":
			var sz string
			if sz, err = p.str(v, full); err != nil {
				if n, ierr := p.integer(v, full, ""); ierr == nil {
					sz, err = strconv.Itoa(n), nil
				} else {
					return err
				}
			}
			if r.MinFreeMemory, err = ParseSize(full, sz); err != nil || r.MinFreeMemory == 0 {
				return p.errAt(v, full, "min_free_memory %q is not a size; valid: a size such as 8g or 512m (a GPU with less free memory is not given to runs)", sz)
			}
		case "connect_timeout", "timeout":
			d, err := p.timeout(v, full)
			if err != nil {
				return err
			}
			if k.Value == "timeout" {
				r.Timeout = d
			} else {
				r.ConnectTimeout = d
			}
		case "tls":
			tlsNode = k
			if r.TLS, err = p.tls(v, full, rd.fields); err != nil {
				return err
			}
		case "env":
			if r.Env, err = p.env(v, full); err != nil {
				return err
			}
		case "pass_env":
			if v.Kind != yaml.SequenceNode {
				return p.errAt(v, full, "pass_env must be a list of environment variable names such as [WANDB_API_KEY], got %s", describeNode(v))
			}
			for _, it := range v.Content {
				s, err := p.str(deref(it), full)
				if err != nil {
					return err
				}
				if !envNameRE.MatchString(s) {
					return p.errAt(it, full, "%q is not an environment variable name (letters, digits and _, not starting with a digit)", s)
				}
				r.PassEnv = append(r.PassEnv, s)
			}
		default:
			if isKube || slices.Contains(kubeOnlyKeys(), k.Value) {
				if ok, err := p.kube(r, k, v, full); ok {
					return err
				}
			}
			if ok, err := p.slurmKey(r, k, v, full); ok {
				return err
			}
			if s := suggestion(k.Value, runnerKeys); s != "" {
				return p.errAt(k, full, "unknown runner key %q%s", k.Value, s)
			}
			return p.errAt(k, full, "unknown runner key %q; valid keys: %s", k.Value, strings.Join(runnerKeys, ", "))
		}
		return nil
	})
	if err != nil {
		return rd, nil, err
	}
	if nameNode == nil || r.Name == "" {
		return rd, nil, p.errAt(n, label, "runner has no name; every runner needs name and type (local, docker, slurm, pool or kubernetes)")
	}
	if r.Type == "" {
		return rd, nil, p.errAt(n, label, "runner %q has no type; valid types: local, docker, slurm, pool, kubernetes", r.Name)
	}
	if r.Type == RunnerLocal {
		for _, key := range []string{"host", "context", "tls", "image", "connect_timeout", "timeout"} {
			if k, ok := keyNodes[key]; ok && rd.fields[key].Line != 0 {
				return rd, nil, p.errAt(k, label+"."+key, "%s applies to docker runners only; runner %q is type local (a plain subprocess)", key, r.Name)
			}
		}
	}
	if err := p.checkKubeKeys(rd, keyNodes, label); err != nil {
		return rd, nil, err
	}
	if err := p.checkTypeKeys(r, label, keyNodes); err != nil {
		return rd, nil, err
	}
	if r.Host != "" && r.Context != "" {
		return rd, nil, p.errAt(keyNodes["context"], label+".context", "runner %q sets both host and context; set one: host for an endpoint, context for a docker context", r.Name)
	}
	if r.TLS != nil && !strings.HasPrefix(r.Host, "tcp://") {
		return rd, nil, p.errAt(tlsNode, label+".tls", "tls applies to tcp:// hosts only (ssh:// uses your ssh agent; a context carries its own TLS); runner %q has host %q", r.Name, r.Host)
	}
	return rd, nameNode, nil
}

// checkHost validates a Docker endpoint, as DOCKER_HOST accepts them.
func checkHost(h string) string {
	valid := "valid hosts: ssh://[user@]host[:port], tcp://host[:port] or unix:///path/to/docker.sock"
	u, err := url.Parse(h)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("host %q has no scheme; %s", h, valid)
	}
	switch u.Scheme {
	case "ssh":
		if u.Hostname() == "" {
			return fmt.Sprintf("host %q names no machine; %s", h, valid)
		}
		if _, ok := u.User.Password(); ok {
			return fmt.Sprintf("host %q contains a password; Lathe uses your ssh agent and ~/.ssh/config, never passwords in files", h)
		}
		if u.Path != "" && u.Path != "/" {
			return fmt.Sprintf("host %q has a path; ssh hosts are ssh://[user@]host[:port]", h)
		}
	case "tcp":
		if u.Hostname() == "" {
			return fmt.Sprintf("host %q names no machine; %s", h, valid)
		}
		if u.User != nil {
			return fmt.Sprintf("host %q has user info; tcp hosts authenticate with tls certificates", h)
		}
	case "unix":
		if u.Path == "" {
			return fmt.Sprintf("host %q names no socket path; write unix:///var/run/docker.sock", h)
		}
	default:
		return fmt.Sprintf("host %q has scheme %q; %s", h, u.Scheme, valid)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("host %q has port %q; ports are 1 to 65535", h, p)
		}
	}
	return ""
}

func (p *parser) gpus(v *yaml.Node, field string) (GPUSpec, error) {
	var g GPUSpec
	var err error
	switch {
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int":
		var n int
		if n, err = p.integer(v, field, ""); err == nil {
			g, err = gpuCount(n)
		}
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
		g, err = ParseGPUSpec(v.Value)
	case v.Kind == yaml.SequenceNode:
		items := make([]string, 0, len(v.Content))
		for _, it := range v.Content {
			it = deref(it)
			if it.Kind != yaml.ScalarNode || (it.ShortTag() != "!!int" && it.ShortTag() != "!!str") {
				return g, p.errAt(it, field, "gpu list items are indices or UUIDs, got %s", describeNode(it))
			}
			if _, e := gpuDevice(it.Value); e != nil {
				return g, p.locate(e, it, field)
			}
			items = append(items, it.Value)
		}
		g, err = gpuDevices(items)
	default:
		return g, p.errAt(v, field, "expected all, a count N, or a list of indices/UUIDs like [0, 2], got %s", describeNode(v))
	}
	if err != nil {
		return g, p.locate(err, v, field)
	}
	return g, nil
}

// locate fills in the position of a location-less InputError.
func (p *parser) locate(err error, n *yaml.Node, field string) error {
	var ie *InputError
	if errors.As(err, &ie) {
		c := *ie
		c.File, c.Line, c.Column, c.Field = p.file, n.Line, n.Column, field
		return &c
	}
	return err
}

func (p *parser) tls(v *yaml.Node, field string, fields map[string]Origin) (*TLSPaths, error) {
	if v.Kind != yaml.MappingNode {
		return nil, p.errAt(v, field, "tls must be a mapping of paths {ca, cert, key}, got %s", describeNode(v))
	}
	t := &TLSPaths{}
	err := p.pairs(v, field+".", func(k, val *yaml.Node, full string) error {
		var dst *string
		switch k.Value {
		case "ca":
			dst = &t.CA
		case "cert":
			dst = &t.Cert
		case "key":
			dst = &t.Key
		default:
			return p.errAt(k, full, "unknown tls key %q%s; valid keys: ca, cert, key (file paths)", k.Value, suggestion(k.Value, []string{"ca", "cert", "key"}))
		}
		if isNull(val) {
			return nil
		}
		s, err := p.str(val, full)
		if err != nil {
			return err
		}
		if strings.Contains(s, "-----BEGIN") {
			return p.errAt(val, full, "tls.%s holds PEM text; give the path of a file instead (secrets never live in config files)", k.Value)
		}
		*dst = expandPath(s, p.dir, p.home)
		fields["tls."+k.Value] = p.origin(k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, p.errAt(v, field, "tls needs both cert and key (a client certificate and its key), or neither")
	}
	if *t == (TLSPaths{}) {
		return nil, p.errAt(v, field, "tls names no files; give ca, and cert with key, as paths")
	}
	return t, nil
}

func (p *parser) env(v *yaml.Node, field string) (map[string]string, error) {
	if v.Kind != yaml.MappingNode {
		return nil, p.errAt(v, field, "env must be a mapping of NAME: value, got %s", describeNode(v))
	}
	out := map[string]string{}
	seen := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := deref(v.Content[i]), deref(v.Content[i+1])
		if k.Kind != yaml.ScalarNode || !envNameRE.MatchString(k.Value) {
			return nil, p.errAt(k, field, "%q is not an environment variable name (letters, digits and _, not starting with a digit)", k.Value)
		}
		if line, ok := seen[k.Value]; ok {
			return nil, p.errAt(k, field+"."+k.Value, "%s is already set at line %d", k.Value, line)
		}
		seen[k.Value] = k.Line
		if secretKey(k.Value) != "" {
			return nil, p.errAt(k, field+"."+k.Value, "%s looks like a secret, and Lathe never reads secrets from config files; list it in pass_env: [%s] to copy it from your environment into the run", k.Value, k.Value)
		}
		if val.Kind != yaml.ScalarNode {
			return nil, p.errAt(val, field+"."+k.Value, "env values are plain text, got %s", describeNode(val))
		}
		if isNull(val) {
			out[k.Value] = ""
		} else {
			out[k.Value] = val.Value
		}
	}
	return out, nil
}

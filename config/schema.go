package config

import (
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the value type of a scalar setting.
type kind int

const (
	kString kind = iota
	kPath        // a string; ~ expanded, relative to the file (or cwd) naming it
	kInt
	kFloat
	kDuration
	kList // a list of strings
	kEnum
	kAddr    // host:port
	kStore   // a store URL: "" or postgres://...
	kEnvName // an environment variable's name
)

func (k kind) describe() string {
	switch k {
	case kString:
		return "a string"
	case kPath:
		return "a file path"
	case kInt:
		return "an integer"
	case kFloat:
		return "a number"
	case kDuration:
		return "a duration such as 500ms, 10s or 2m"
	case kList:
		return "a list"
	case kEnum:
		return "one of the listed words"
	case kAddr:
		return "a host:port address"
	case kStore:
		return "a postgres:// URL"
	case kEnvName:
		return "an environment variable name"
	}
	return "a value"
}

// leaf is one setting outside the runners list: its dotted key, type, range,
// environment variable and where it lives in Config. The file schema (which
// keys a mapping may hold) is derived from these keys, so a new setting is
// one entry here.
type leaf struct {
	key      string
	kind     kind
	enum     []string // kEnum values, or allowed items of a kList
	min, max float64  // inclusive range for kInt, kFloat, kDuration (seconds); NaN = open
	env      string   // environment variable; "" derives LATHE_<KEY>
	notIn    []Layer  // file layers where the key is not allowed, with why
	why      string
	ptr      func(*Config) any
}

var open = math.NaN()

// leaves returns the schema. It is a function, not a package variable, so
// there is no package-level mutable state.
func leaves() []*leaf {
	return []*leaf{
		{key: "name", kind: kString, min: open, max: open, notIn: []Layer{LayerUser, LayerTeam},
			why: "name identifies one workspace; set it in lathe.yaml",
			ptr: func(c *Config) any { return &c.Name }},
		{key: "default_runner", kind: kString, min: open, max: open,
			ptr: func(c *Config) any { return &c.DefaultRunner }},
		{key: "runners_file", kind: kPath, min: open, max: open, env: "LATHE_RUNNERS", notIn: []Layer{LayerTeam},
			why: "a runners file cannot name another runners file",
			ptr: func(c *Config) any { return &c.RunnersFile }},

		{key: "store.url", kind: kStore, min: open, max: open, env: "LATHE_STORE",
			ptr: func(c *Config) any { return &c.Store.URL }},
		{key: "store.password_env", kind: kEnvName, min: open, max: open,
			ptr: func(c *Config) any { return &c.Store.PasswordEnv }},
		{key: "objects", kind: kPath, min: open, max: open,
			ptr: func(c *Config) any { return &c.Objects }},

		{key: "explore.missing_values", kind: kList, min: open, max: open,
			ptr: func(c *Config) any { return &c.Explore.MissingValues }},
		{key: "explore.sample_rows", kind: kInt, min: 1, max: open,
			ptr: func(c *Config) any { return &c.Explore.SampleRows }},
		{key: "explore.histogram_bins", kind: kInt, min: 1, max: 1000,
			ptr: func(c *Config) any { return &c.Explore.HistogramBins }},
		{key: "explore.top_values", kind: kInt, min: 1, max: 1000,
			ptr: func(c *Config) any { return &c.Explore.TopValues }},
		{key: "explore.alerts.missing", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Missing }},
		{key: "explore.alerts.zeros", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Zeros }},
		{key: "explore.alerts.infinite", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Infinite }},
		{key: "explore.alerts.high_correlation", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.HighCorrelation }},
		{key: "explore.alerts.skewness", kind: kFloat, min: 0, max: open,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Skewness }},
		{key: "explore.alerts.high_cardinality", kind: kInt, min: 1, max: open,
			ptr: func(c *Config) any { return &c.Explore.Alerts.HighCardinality }},
		{key: "explore.alerts.imbalance", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Imbalance }},
		{key: "explore.alerts.duplicates", kind: kInt, min: 0, max: open,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Duplicates }},
		{key: "explore.alerts.constant", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Constant }},
		{key: "explore.alerts.unique", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Unique }},
		{key: "explore.alerts.uniform", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Uniform }},
		{key: "explore.alerts.constant_length", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.ConstantLength }},
		{key: "explore.alerts.mixed_types", kind: kFloat, min: 0, max: 0.5,
			ptr: func(c *Config) any { return &c.Explore.Alerts.MixedTypes }},
		{key: "explore.alerts.empty", kind: kInt, min: 0, max: open,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Empty }},
		{key: "explore.alerts.non_stationary", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.NonStationary }},
		{key: "explore.alerts.seasonal", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Alerts.Seasonal }},
		{key: "explore.alerts.disable", kind: kList, min: open, max: open,
			enum: []string{"empty", "duplicates", "mixed_types", "constant", "high_correlation", "missing", "unique",
				"high_cardinality", "imbalance", "skewed", "zeros", "infinite", "uniform", "constant_length",
				"non_stationary", "seasonal", "date_as_string"},
			ptr: func(c *Config) any { return &c.Explore.Alerts.Disable }},
		{key: "explore.header", kind: kEnum, enum: []string{"first-row", "none", "sniff"}, min: open, max: open,
			ptr: func(c *Config) any { return &c.Explore.Header }},
		{key: "explore.correlation_columns", kind: kInt, min: 2, max: 100000,
			ptr: func(c *Config) any { return &c.Explore.CorrelationColumns }},
		{key: "explore.cramers_max_distinct", kind: kInt, min: 2, max: open,
			ptr: func(c *Config) any { return &c.Explore.CramersMaxDistinct }},
		{key: "explore.time_column", kind: kString, min: open, max: open,
			ptr: func(c *Config) any { return &c.Explore.TimeColumn }},
		{key: "explore.drift.jsd", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Drift.JSD }},
		{key: "explore.drift.linf", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Drift.LInf }},
		{key: "explore.drift.ks", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Drift.KS }},
		{key: "explore.drift.psi", kind: kFloat, min: 0, max: open,
			ptr: func(c *Config) any { return &c.Explore.Drift.PSI }},
		{key: "explore.drift.alpha", kind: kFloat, min: 0, max: 1,
			ptr: func(c *Config) any { return &c.Explore.Drift.Alpha }},

		{key: "runs.stop_grace", kind: kDuration, min: 0, max: 3600,
			ptr: func(c *Config) any { return &c.Runs.StopGrace }},
		{key: "runs.metric_formats", kind: kList, enum: []string{"json", "equals", "colon"}, min: open, max: open,
			ptr: func(c *Config) any { return &c.Runs.MetricFormats }},
		{key: "runs.system_interval", kind: kDuration, min: 0, max: 3600,
			ptr: func(c *Config) any { return &c.Runs.SystemInterval }},

		{key: "serve.ssh_addr", kind: kAddr, min: open, max: open,
			ptr: func(c *Config) any { return &c.Serve.SSHAddr }},
		{key: "serve.authorized_keys", kind: kPath, min: open, max: open,
			ptr: func(c *Config) any { return &c.Serve.AuthorizedKeys }},
		{key: "serve.operator_keys", kind: kPath, min: open, max: open,
			ptr: func(c *Config) any { return &c.Serve.OperatorKeys }},
		{key: "serve.host_key", kind: kPath, min: open, max: open,
			ptr: func(c *Config) any { return &c.Serve.HostKey }},
		{key: "serve.max_sessions", kind: kInt, min: 1, max: 10000,
			ptr: func(c *Config) any { return &c.Serve.MaxSessions }},

		{key: "ui.theme", kind: kEnum, enum: []string{"auto", "dark", "light"}, min: open, max: open,
			ptr: func(c *Config) any { return &c.UI.Theme }},
		{key: "ui.refresh", kind: kDuration, min: 0.01, max: 60,
			ptr: func(c *Config) any { return &c.UI.Refresh }},
	}
}

// envName is the environment variable that sets l.
func (l *leaf) envName() string {
	if l.env != "" {
		return l.env
	}
	return "LATHE_" + strings.ToUpper(strings.ReplaceAll(l.key, ".", "_"))
}

func (l *leaf) allowedIn(layer Layer) bool { return !slices.Contains(l.notIn, layer) }

// fromString parses an environment or flag value. Lists are comma-separated.
// It returns the value and, on failure, a message saying what is valid.
func (l *leaf) fromString(s string) (any, string) {
	switch l.kind {
	case kString, kPath:
		return s, ""
	case kStore, kEnvName:
		v := strings.TrimSpace(s)
		return v, l.check(v)
	case kInt:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Sprintf("%q is not an integer; %s", s, l.rangeText())
		}
		return n, l.check(n)
	case kFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a number; %s", s, l.rangeText())
		}
		return f, l.check(f)
	case kDuration:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Sprintf("%q is not a duration; use a number with a unit, such as 500ms, 10s or 2m", s)
		}
		return d, l.check(d)
	case kList:
		items := strings.Split(s, ",")
		for i := range items {
			items[i] = strings.TrimSpace(items[i])
		}
		return items, l.check(items)
	case kEnum, kAddr:
		v := strings.TrimSpace(s)
		return v, l.check(v)
	}
	return nil, "unsupported setting"
}

// check validates a parsed value against the leaf's range or vocabulary.
func (l *leaf) check(v any) string {
	switch x := v.(type) {
	case int:
		return l.checkRange(float64(x), strconv.Itoa(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprintf("%v is not a finite number; %s", x, l.rangeText())
		}
		return l.checkRange(x, strconv.FormatFloat(x, 'g', -1, 64))
	case time.Duration:
		return l.checkRange(x.Seconds(), x.String())
	case []string:
		if len(l.enum) > 0 {
			for _, it := range x {
				if !slices.Contains(l.enum, it) {
					return fmt.Sprintf("%q is not a valid item; valid items: %s%s", it, strings.Join(l.enum, ", "), suggestion(it, l.enum))
				}
			}
		}
	case string:
		switch l.kind {
		case kEnum:
			if !slices.Contains(l.enum, x) {
				return fmt.Sprintf("%q is not valid; valid values: %s%s", x, strings.Join(l.enum, ", "), suggestion(x, l.enum))
			}
		case kAddr:
			return checkAddr(x)
		case kStore:
			return checkStoreURL(x, false)
		case kEnvName:
			if x != "" && !envNameRE.MatchString(x) {
				return fmt.Sprintf("%q is not an environment variable name (letters, digits and _, not starting with a digit)", x)
			}
		}
	}
	return ""
}

func (l *leaf) checkRange(f float64, text string) string {
	if (!math.IsNaN(l.min) && f < l.min) || (!math.IsNaN(l.max) && f > l.max) {
		return fmt.Sprintf("%s is out of range; %s", text, l.rangeText())
	}
	return ""
}

func (l *leaf) rangeText() string {
	unit := ""
	if l.kind == kDuration {
		unit = "s"
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) + unit }
	what := l.kind.describe()
	switch {
	case !math.IsNaN(l.min) && !math.IsNaN(l.max):
		return fmt.Sprintf("valid: %s from %s to %s", what, num(l.min), num(l.max))
	case !math.IsNaN(l.min):
		return fmt.Sprintf("valid: %s of at least %s", what, num(l.min))
	case !math.IsNaN(l.max):
		return fmt.Sprintf("valid: %s of at most %s", what, num(l.max))
	}
	return "valid: " + what
}

// checkAddr validates a listen address: host:port with a numeric port.
func checkAddr(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not a host:port address (for example 127.0.0.1:2222 or :2222)", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Sprintf("port %q in %q must be a number from 1 to 65535", port, s)
	}
	_ = host
	return ""
}

// set stores v (already validated) in c.
func (l *leaf) set(c *Config, v any) {
	switch p := l.ptr(c).(type) {
	case *string:
		*p = v.(string)
	case *int:
		*p = v.(int)
	case *float64:
		*p = v.(float64)
	case *time.Duration:
		*p = v.(time.Duration)
	case *[]string:
		*p = append([]string(nil), v.([]string)...)
	}
}

// get returns the current value of l in c, as a plain value for display.
func (l *leaf) get(c *Config) any {
	switch p := l.ptr(c).(type) {
	case *string:
		return *p
	case *int:
		return *p
	case *float64:
		return *p
	case *time.Duration:
		return p.String()
	case *[]string:
		return append([]string{}, *p...)
	}
	return nil
}

// sectionKeys returns the keys valid directly under the mapping at prefix
// ("" for the top level), in schema order.
func sectionKeys(ls []*leaf, prefix string) []string {
	var keys []string
	for _, l := range ls {
		rest, ok := strings.CutPrefix(l.key, prefix)
		if !ok {
			continue
		}
		head, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(keys, head) {
			keys = append(keys, head)
		}
	}
	if prefix == "" {
		keys = append(keys, "runners")
	}
	return keys
}

func findLeaf(ls []*leaf, key string) *leaf {
	for _, l := range ls {
		if l.key == key {
			return l
		}
	}
	return nil
}

func isSection(ls []*leaf, key string) bool {
	for _, l := range ls {
		if strings.HasPrefix(l.key, key+".") {
			return true
		}
	}
	return false
}

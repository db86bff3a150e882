package config

import (
	"encoding/json"
	"time"
)

// Layer names where a setting came from. Layers are applied lowest first;
// a higher layer overrides a lower one key by key (runners: name by name).
type Layer string

// The layers, lowest first.
const (
	LayerDefault   Layer = "default"   // built into the binary
	LayerUser      Layer = "user"      // $XDG_CONFIG_HOME/lathe/config.yaml
	LayerTeam      Layer = "team"      // the runners file named by runners_file or LATHE_RUNNERS
	LayerWorkspace Layer = "workspace" // lathe.yaml at the workspace root
	LayerEnv       Layer = "env"       // LATHE_* environment variables
	LayerFlag      Layer = "flag"      // command-line flags
)

// Runner types (RunnerKubernetes is in kube.go).
const (
	RunnerLocal  = "local"  // a plain subprocess on this machine, no isolation
	RunnerDocker = "docker" // a container on a Docker daemon (local, ssh://, tcp:// + TLS, or a context)
)

// Config is the merged configuration of one Lathe invocation.
type Config struct {
	// Name names the workspace; it defaults to the workspace directory's base name.
	Name string `json:"name"`
	// DefaultRunner is the runner used when a command names none; it must name a runner.
	DefaultRunner string `json:"default_runner"`
	// RunnersFile is the team runners file actually loaded (absolute), or "".
	RunnersFile string `json:"runners_file,omitempty"`
	// Runners are merged by name across layers; the built-in "local" runner
	// is always present unless a layer redefines it.
	Runners []Runner `json:"runners"`
	// Store is where runs, lineage and studies live: the workspace's own
	// SQLite file by default, or a team's shared PostgreSQL.
	Store Store `json:"store"`
	// Objects is the object store directory (artifacts, code patches,
	// content-addressed); "" means the workspace's .lathe/objects. A team
	// sharing a store points every member at one mounted directory.
	Objects string  `json:"objects,omitempty"`
	Explore Explore `json:"explore"`
	Runs    Runs    `json:"runs"`
	Serve   Serve   `json:"serve"`
	UI      UI      `json:"ui"`

	// Files lists the configuration files that were read, lowest layer first.
	Files []LayerFile `json:"files"`
	// Warnings are problems that do not stop Lathe, such as a LATHE_*
	// variable one letter away from a setting's (LATHE_DEFAULT_RUNER).
	Warnings []string `json:"warnings,omitempty"`

	origins map[string]Origin
}

// LayerFile is one configuration file that took part in a Load.
type LayerFile struct {
	Layer Layer  `json:"layer"`
	Path  string `json:"path"`
}

// Runner is one place runs can be launched.
type Runner struct {
	Name string `json:"name"`
	// Type is RunnerLocal, RunnerDocker or RunnerKubernetes.
	Type string `json:"type"`
	// Host is a Docker endpoint: ssh://[user@]host[:port], tcp://host[:port]
	// or unix:///path. Empty means DOCKER_HOST or the current docker context.
	Host string `json:"host,omitempty"`
	// Context names a docker context (docker context ls); exclusive with Host.
	Context string `json:"context,omitempty"`
	// GPUs says which GPUs runs may use; the zero value means none.
	GPUs GPUSpec `json:"gpus"`
	// MaxConcurrent is how many runs may execute at once here (default 1);
	// the rest queue.
	MaxConcurrent int `json:"max_concurrent"`
	// MinFreeMemory (bytes) keeps runs off a GPU with less free memory than
	// this right now (something else is using it); 0 means no floor.
	MinFreeMemory int64 `json:"min_free_memory,omitempty"`
	// ConnectTimeout bounds connecting to a docker runner's daemon (and its
	// probe); Timeout bounds each call to it. Zero: 10 s and 1 minute.
	ConnectTimeout time.Duration `json:"connect_timeout,omitempty"`
	Timeout        time.Duration `json:"timeout,omitempty"`
	// TLS holds client certificate paths for a tcp:// host.
	TLS *TLSPaths `json:"tls,omitempty"`
	// Image is the default image for runs on a docker runner that name none.
	Image string `json:"image,omitempty"`
	// Env is set in every run's environment. Secret-looking names are
	// rejected: list them in PassEnv instead.
	Env map[string]string `json:"env,omitempty"`
	// PassEnv names variables copied from the launching process's environment
	// into the run (how secrets such as WANDB_API_KEY reach a run).
	PassEnv []string `json:"pass_env,omitempty"`
	// Kube holds a kubernetes runner's settings; nil for other types.
	Kube *Kube `json:"kubernetes,omitempty"`
	// Slurm configures a slurm runner (partition, account, work_dir, ...).
	Slurm *SlurmOptions `json:"slurm,omitempty"`
	// Members are the runners of a pool runner.
	Members []string `json:"members,omitempty"`
}

// TLSPaths are the client-side TLS files for a tcp:// Docker host. They are
// paths, never inline PEM: ~ is expanded and relative paths are resolved
// against the file that names them.
type TLSPaths struct {
	CA   string `json:"ca,omitempty"`
	Cert string `json:"cert,omitempty"`
	Key  string `json:"key,omitempty"`
}

// Explore configures data profiling.
type Explore struct {
	// MissingValues are the cell texts read as missing (default: pandas'
	// na_values, "", #N/A, NA, NULL, None, nan, <NA>, ...).
	MissingValues []string `json:"missing_values"`
	// SampleRows bounds the rows loaded into memory for the table view.
	SampleRows int `json:"sample_rows"`
	// HistogramBins is the number of histogram bins per numeric column.
	HistogramBins int `json:"histogram_bins"`
	// TopValues is how many most-frequent values a profile lists per column.
	TopValues int `json:"top_values"`
	// Header says whether a CSV's first record names the columns:
	// first-row (pandas' default), none, or sniff (guess).
	Header string `json:"header"`
	// CorrelationColumns caps the numeric columns correlated pairwise (the
	// most variable ones); the rest are profiled but not correlated.
	CorrelationColumns int `json:"correlation_columns"`
	// CramersMaxDistinct leaves categoricals with more values out of
	// Cramér's V (ydata-profiling uses 100).
	CramersMaxDistinct int `json:"cramers_max_distinct"`
	// TimeColumn names the column that orders the rows for the
	// non_stationary and seasonal alerts; "" detects one, "-" turns them off.
	TimeColumn string `json:"time_column"`
	Alerts     Alerts `json:"alerts"`
	Drift      Drift  `json:"drift"`
}

// Drift holds the per-type drift thresholds of lathe data drift and split.
type Drift struct {
	JSD   float64 `json:"jsd"`   // categorical: Jensen–Shannon divergence (bits)
	LInf  float64 `json:"linf"`  // categorical: largest frequency difference
	KS    float64 `json:"ks"`    // numeric, datetime: Kolmogorov–Smirnov D
	PSI   float64 `json:"psi"`   // numeric, datetime: population stability index
	Alpha float64 `json:"alpha"` // the KS or chi-squared p-value must be below this
}

// Alerts are the profile's quality-alert thresholds. The defaults follow
// ydata-profiling (config_default.yaml and its alert_value(p) = p > 0.01).
type Alerts struct {
	Missing         float64  `json:"missing"`          // alert when the missing fraction exceeds this
	Zeros           float64  `json:"zeros"`            // alert when the fraction of zeros exceeds this
	Infinite        float64  `json:"infinite"`         // alert when the fraction of ±Inf exceeds this
	HighCorrelation float64  `json:"high_correlation"` // alert when |correlation| of two columns is at least this
	Skewness        float64  `json:"skewness"`         // alert when |skewness| exceeds this
	HighCardinality int      `json:"high_cardinality"` // alert when a categorical column has more distinct values
	Imbalance       float64  `json:"imbalance"`        // alert when a categorical column's imbalance (1 - normalized entropy) exceeds this
	Duplicates      int      `json:"duplicates"`       // alert when there are more duplicate rows
	Constant        float64  `json:"constant"`         // alert when the top value's share of non-missing values is at least this
	Unique          float64  `json:"unique"`           // alert when the distinct share of rows is at least this
	Uniform         float64  `json:"uniform"`          // alert when the chi-squared p-value of an even spread exceeds this
	ConstantLength  float64  `json:"constant_length"`  // alert when the share of strings of the most common length is at least this
	MixedTypes      float64  `json:"mixed_types"`      // a string column with at most this share of other kinds is a string column
	Empty           int      `json:"empty"`            // alert when the table has at most this many rows
	NonStationary   float64  `json:"non_stationary"`   // alert when the ADF p-value exceeds this
	Seasonal        float64  `json:"seasonal"`         // alert when the seasonal strength exceeds this
	Disable         []string `json:"disable"`          // alert kinds never raised
}

// Runs configures how runs are launched and read.
type Runs struct {
	// StopGrace is how long a stopped run gets between SIGTERM and SIGKILL
	// (default 10s, as docker stop).
	StopGrace time.Duration `json:"stop_grace"`
	// MetricFormats are the stdout line formats read as metrics: "json"
	// (always on by default), "equals" (key=value), "colon" (key: value (step N)).
	MetricFormats []string `json:"metric_formats"`
	// SystemInterval is how often a running run's CPU, memory and GPU use
	// are sampled into its sys/ metrics (default 2s; 0 turns it off).
	SystemInterval time.Duration `json:"system_interval"`
}

// Serve configures lathe serve --ssh.
type Serve struct {
	// SSHAddr is the listen address (default 127.0.0.1:2222: loopback only).
	SSHAddr string `json:"ssh_addr"`
	// AuthorizedKeys is the public keys allowed in, as viewers. No default:
	// serving is an explicit decision.
	AuthorizedKeys string `json:"authorized_keys,omitempty"`
	// OperatorKeys is the public keys let in as operators (launch, stop,
	// rerun, tune); AuthorizedKeys' keys are viewers.
	OperatorKeys string `json:"operator_keys,omitempty"`
	// HostKey is the server key path; "" means .lathe/ssh_host_ed25519_key.
	HostKey string `json:"host_key,omitempty"`
	// MaxSessions caps concurrent SSH sessions.
	MaxSessions int `json:"max_sessions"`
}

// UI configures the terminal interface.
type UI struct {
	// Theme is auto (follow the terminal's background), dark or light.
	Theme string `json:"theme"`
	// Refresh is the redraw period of live charts.
	Refresh time.Duration `json:"refresh"`
}

// defaults returns the built-in layer.
func defaults() *Config {
	return &Config{
		DefaultRunner: "local",
		Runners:       []Runner{{Name: "local", Type: RunnerLocal, MaxConcurrent: 1}},
		Explore: Explore{
			// pandas' default na_values (pandas/_libs/parsers.pyx), with
			// pandas 2's "None".
			MissingValues: []string{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
				"1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"},
			SampleRows:         100000,
			HistogramBins:      20, // fits an 80-column terminal; ydata uses 50 for HTML
			TopValues:          10, // ydata-profiling n_freq_table_max
			Header:             "first-row",
			CorrelationColumns: 200,
			CramersMaxDistinct: 100,
			Alerts: Alerts{
				Missing:         0.01,
				Zeros:           0.01,
				Infinite:        0.01,
				HighCorrelation: 0.9,
				Skewness:        20,
				HighCardinality: 50,
				Imbalance:       0.5,
				Constant:        1,
				Unique:          1,
				Uniform:         0.999,
				ConstantLength:  1,
				MixedTypes:      0.01,
				NonStationary:   0.05,
				Seasonal:        0.6,
				Disable:         []string{},
			},
			Drift: Drift{JSD: 0.1, LInf: 0.1, KS: 0.1, PSI: 0.2, Alpha: 0.05},
		},
		Runs: Runs{
			StopGrace:      10 * time.Second,
			MetricFormats:  []string{"json"},
			SystemInterval: 2 * time.Second,
		},
		Serve: Serve{
			SSHAddr:     "127.0.0.1:2222",
			MaxSessions: 16,
		},
		UI: UI{
			Theme:   "auto",
			Refresh: 250 * time.Millisecond,
		},
		origins: map[string]Origin{},
	}
}

// Runner returns the runner with that name.
func (c *Config) Runner(name string) (Runner, bool) {
	for _, r := range c.Runners {
		if r.Name == name {
			return r, true
		}
	}
	return Runner{}, false
}

// RunnerNames returns the runner names in order.
func (c *Config) RunnerNames() []string {
	names := make([]string, len(c.Runners))
	for i, r := range c.Runners {
		names[i] = r.Name
	}
	return names
}

// MarshalJSON writes StopGrace and SystemInterval as text ("10s"), as the files spell it.
func (r Runs) MarshalJSON() ([]byte, error) {
	type plain Runs
	return json.Marshal(struct {
		plain
		StopGrace      string `json:"stop_grace"`
		SystemInterval string `json:"system_interval"`
	}{plain(r), r.StopGrace.String(), r.SystemInterval.String()})
}

// MarshalJSON writes Refresh as text ("250ms"), as the files spell it.
func (u UI) MarshalJSON() ([]byte, error) {
	type plain UI
	return json.Marshal(struct {
		plain
		Refresh string `json:"refresh"`
	}{plain(u), u.Refresh.String()})
}

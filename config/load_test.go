package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	userBody = "explore:\n  sample_rows: 10\nrunners:\n  - name: gpu1\n    type: docker\n    host: ssh://user@u\n"
	// Relative to ~/.config/lathe/, this is <root>/infra/runners.yaml.
	userNamesTeam = "runners_file: ../../../infra/runners.yaml\n"
	teamBody      = "runners:\n  - name: gpu1\n    type: docker\n    host: ssh://team@t\n    gpus: [0, 2]\n  - name: lab\n    type: docker\n    context: lab-box\nexplore:\n  sample_rows: 20\n"
	wsBody        = "name: churn\nexplore:\n  sample_rows: 30\nrunners:\n  - name: gpu1\n    type: docker\n    host: ssh://ws@w\n    max_concurrent: 2\n"
)

// TestLayering checks that each layer overrides the one below it, for a
// scalar (explore.sample_rows) and for a runner merged by name, and that
// the origins name the right layer, file and line.
func TestLayering(t *testing.T) {
	type want struct {
		rows      int
		layer     Layer
		file      string // "user", "team", "ws" or ""
		line, col int
		source    string // for env and flag layers
		gpu1Host  string
		gpu1Layer Layer
		gpu1Line  int
		runners   []string
	}
	env := []string{"LATHE_EXPLORE_SAMPLE_ROWS=40"}
	flags := map[string]string{"explore.sample_rows": "50"}
	cases := []struct {
		name string
		f    fixture
		w    want
	}{
		{"defaults only", fixture{},
			want{rows: 100000, layer: LayerDefault, source: "built-in", runners: []string{"local"}}},
		{"user over defaults", fixture{user: userBody},
			want{rows: 10, layer: LayerUser, file: "user", line: 2, col: 3,
				gpu1Host: "ssh://user@u", gpu1Layer: LayerUser, gpu1Line: 4, runners: []string{"local", "gpu1"}}},
		{"team over user", fixture{user: userBody + userNamesTeam, team: teamBody},
			want{rows: 20, layer: LayerTeam, file: "team", line: 10, col: 3,
				gpu1Host: "ssh://team@t", gpu1Layer: LayerTeam, gpu1Line: 2, runners: []string{"local", "gpu1", "lab"}}},
		{"workspace over team", fixture{user: userBody + userNamesTeam, team: teamBody, ws: wsBody},
			want{rows: 30, layer: LayerWorkspace, file: "ws", line: 3, col: 3,
				gpu1Host: "ssh://ws@w", gpu1Layer: LayerWorkspace, gpu1Line: 5, runners: []string{"local", "gpu1", "lab"}}},
		{"env over workspace", fixture{user: userBody + userNamesTeam, team: teamBody, ws: wsBody, env: env},
			want{rows: 40, layer: LayerEnv, source: "LATHE_EXPLORE_SAMPLE_ROWS",
				gpu1Host: "ssh://ws@w", gpu1Layer: LayerWorkspace, gpu1Line: 5, runners: []string{"local", "gpu1", "lab"}}},
		{"flag over env", fixture{user: userBody + userNamesTeam, team: teamBody, ws: wsBody, env: env, flags: flags},
			want{rows: 50, layer: LayerFlag, source: "flag explore.sample_rows",
				gpu1Host: "ssh://ws@w", gpu1Layer: LayerWorkspace, gpu1Line: 5, runners: []string{"local", "gpu1", "lab"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, p := mustLoad(t, tc.f)
			w := tc.w
			file := map[string]string{"user": p.user, "team": p.team, "ws": p.ws, "": ""}[w.file]
			if c.Explore.SampleRows != w.rows {
				t.Errorf("sample_rows = %d, want %d", c.Explore.SampleRows, w.rows)
			}
			o := c.Origin("explore.sample_rows")
			if o.Layer != w.layer || o.File != file || o.Line != w.line || o.Column != w.col {
				t.Errorf("origin = %+v, want layer %s file %s line %d col %d", o, w.layer, file, w.line, w.col)
			}
			wantSource := w.source
			if file != "" {
				wantSource = file + ":" + strconv.Itoa(w.line)
			}
			if o.Source() != wantSource {
				t.Errorf("source = %q, want %q", o.Source(), wantSource)
			}
			if got := c.RunnerNames(); !reflect.DeepEqual(got, w.runners) {
				t.Errorf("runners = %v, want %v", got, w.runners)
			}
			if w.gpu1Host == "" {
				return
			}
			r, ok := c.Runner("gpu1")
			if !ok || r.Host != w.gpu1Host {
				t.Fatalf("gpu1 = %+v, want host %s", r, w.gpu1Host)
			}
			ro := c.Origin("runners.gpu1.host")
			if ro.Layer != w.gpu1Layer || ro.Line != w.gpu1Line+2 || ro.Column != 5 {
				t.Errorf("runners.gpu1.host origin = %+v, want layer %s line %d col 5", ro, w.gpu1Layer, w.gpu1Line+2)
			}
			if ro := c.Origin("runners.gpu1"); ro.Line != w.gpu1Line || ro.Column != 5 {
				t.Errorf("runners.gpu1 origin = %+v, want line %d col 5", ro, w.gpu1Line)
			}
		})
	}
}

// TestRunnerReplacedWhole: a higher layer's runner replaces the lower one's
// entirely, so the team's gpus do not leak into the workspace's gpu1.
func TestRunnerReplacedWhole(t *testing.T) {
	c, p := mustLoad(t, fixture{user: userNamesTeam, team: teamBody, ws: wsBody})
	r, _ := c.Runner("gpu1")
	want := Runner{Name: "gpu1", Type: RunnerDocker, Host: "ssh://ws@w", MaxConcurrent: 2}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("gpu1 = %+v, want %+v", r, want)
	}
	// The team's gpus origin must be gone; an unset field reports the runner.
	if o := c.Origin("runners.gpu1.gpus"); o.File != p.ws || o.Line != 5 {
		t.Errorf("runners.gpu1.gpus origin = %+v, want the workspace runner at line 5", o)
	}
	lab, _ := c.Runner("lab")
	if lab.Context != "lab-box" || c.Origin("runners.lab.context").File != p.team {
		t.Errorf("lab = %+v from %+v", lab, c.Origin("runners.lab.context"))
	}
	if c.RunnersFile != p.team {
		t.Errorf("RunnersFile = %q, want %q", c.RunnersFile, p.team)
	}
	wantFiles := []LayerFile{{LayerUser, p.user}, {LayerTeam, p.team}, {LayerWorkspace, p.ws}}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("Files = %v, want %v", c.Files, wantFiles)
	}
}

// TestRunnersFileSources: LATHE_RUNNERS overrides the workspace's
// runners_file and is relative to the working directory; an empty
// runners_file in the workspace switches off the user's team file.
func TestRunnersFileSources(t *testing.T) {
	t.Run("LATHE_RUNNERS relative to cwd", func(t *testing.T) {
		f := fixture{team: teamBody, ws: "runners_file: does-not-matter.yaml\n"}
		p := f.write(t)
		t.Chdir(p.root)
		c, err := Load(Options{WorkspaceDir: filepath.Dir(p.ws), Environ: []string{"HOME=" + p.home, "LATHE_RUNNERS=infra/runners.yaml"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Runner("lab"); !ok || c.RunnersFile != p.team {
			t.Errorf("runners %v, RunnersFile %q; want lab from %s", c.RunnerNames(), c.RunnersFile, p.team)
		}
		if o := c.Origin("runners_file"); o.Layer != LayerEnv || o.Env != "LATHE_RUNNERS" {
			t.Errorf("runners_file origin = %+v", o)
		}
	})
	t.Run("workspace switches the team file off", func(t *testing.T) {
		c, p := mustLoad(t, fixture{user: userNamesTeam, team: teamBody, ws: "runners_file: \"\"\n"})
		if _, ok := c.Runner("lab"); ok || c.RunnersFile != "" {
			t.Errorf("team file still loaded: runners %v, RunnersFile %q", c.RunnerNames(), c.RunnersFile)
		}
		if o := c.Origin("runners_file"); o.File != p.ws || o.Line != 1 {
			t.Errorf("runners_file origin = %+v", o)
		}
	})
}

func TestDefaults(t *testing.T) {
	c, _ := mustLoad(t, fixture{ws: "# nothing yet\n"})
	if c.Name != "ws" || c.DefaultRunner != "local" {
		t.Errorf("name %q default_runner %q; want ws, local", c.Name, c.DefaultRunner)
	}
	// pandas 1.5's STR_NA_VALUES plus pandas 2's "None".
	if want := []string{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
		"<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}; !reflect.DeepEqual(c.Explore.MissingValues, want) {
		t.Errorf("missing_values = %q, want %q", c.Explore.MissingValues, want)
	}
	wantAlerts := Alerts{Missing: 0.01, Zeros: 0.01, Infinite: 0.01, HighCorrelation: 0.9, Skewness: 20, HighCardinality: 50, Imbalance: 0.5,
		Constant: 1, Unique: 1, Uniform: 0.999, ConstantLength: 1, MixedTypes: 0.01, NonStationary: 0.05, Seasonal: 0.6, Disable: []string{}}
	if !reflect.DeepEqual(c.Explore.Alerts, wantAlerts) {
		t.Errorf("alerts = %+v, want %+v", c.Explore.Alerts, wantAlerts)
	}
	if e := c.Explore; e.Header != "first-row" || e.CorrelationColumns != 200 || e.CramersMaxDistinct != 100 || e.TimeColumn != "" ||
		e.Drift != (Drift{JSD: 0.1, LInf: 0.1, KS: 0.1, PSI: 0.2, Alpha: 0.05}) {
		t.Errorf("explore = %+v", e)
	}
	if c.Serve.SSHAddr != "127.0.0.1:2222" || c.Runs.StopGrace != 10*time.Second || c.UI.Theme != "auto" {
		t.Errorf("serve %+v runs %+v ui %+v", c.Serve, c.Runs, c.UI)
	}
	if r, ok := c.Runner("local"); !ok || r.Type != RunnerLocal || r.MaxConcurrent != 1 {
		t.Errorf("built-in local runner = %+v, %v", r, ok)
	}
	if len(c.Origins()) != 0 {
		t.Errorf("Origins() = %v, want none above the defaults", c.Origins())
	}
}

// TestFileValues covers the value forms a file accepts: paths with ~ and
// relative paths, lists whose items keep their literal text, durations,
// nulls leaving the lower layer's value, and aliases.
func TestFileValues(t *testing.T) {
	ws := `name: "1.10"
explore:
  missing_values: ["", null, NaN, -999, ~]
  alerts: {skewness: 5, high_correlation: 1}
runs:
  stop_grace: 1m30s
  metric_formats: [json, equals, colon]
serve:
  ssh_addr: ":2223"
  authorized_keys: ~/.ssh/authorized_keys
  host_key: keys/host
ui:
  theme:
runners:
  - &base
    name: secure
    type: docker
    host: tcp://10.0.0.5:2376
    tls: {ca: ~/tls/ca.pem, cert: certs/cert.pem, key: /etc/lathe/key.pem}
    env: {OMP_NUM_THREADS: 4, EMPTY: }
    pass_env: [WANDB_API_KEY]
    image: lathe-trainer:dev
    gpus: ["GPU-8f3c2a1b-0000-4e5f-9a7b-123456789abc", 3]
  - name: sock
    type: docker
    host: unix:///var/run/docker.sock
`
	c, p := mustLoad(t, fixture{ws: ws})
	dir := filepath.Dir(p.ws)
	if c.Name != "1.10" {
		t.Errorf("name = %q", c.Name)
	}
	if want := []string{"", "null", "NaN", "-999", "~"}; !reflect.DeepEqual(c.Explore.MissingValues, want) {
		t.Errorf("missing_values = %q, want %q", c.Explore.MissingValues, want)
	}
	if c.Explore.Alerts.Skewness != 5 || c.Explore.Alerts.HighCorrelation != 1 || c.Explore.Alerts.Missing != 0.01 {
		t.Errorf("alerts = %+v", c.Explore.Alerts)
	}
	if c.Runs.StopGrace != 90*time.Second || !reflect.DeepEqual(c.Runs.MetricFormats, []string{"json", "equals", "colon"}) {
		t.Errorf("runs = %+v", c.Runs)
	}
	if c.Serve.SSHAddr != ":2223" || c.Serve.AuthorizedKeys != filepath.Join(p.home, ".ssh/authorized_keys") || c.Serve.HostKey != filepath.Join(dir, "keys/host") {
		t.Errorf("serve = %+v", c.Serve)
	}
	if c.UI.Theme != "auto" || c.Origin("ui.theme").Layer != LayerDefault {
		t.Errorf("null theme should leave the default: %q from %+v", c.UI.Theme, c.Origin("ui.theme"))
	}
	r, _ := c.Runner("secure")
	want := Runner{Name: "secure", Type: RunnerDocker, Host: "tcp://10.0.0.5:2376", MaxConcurrent: 1,
		TLS:     &TLSPaths{CA: filepath.Join(p.home, "tls/ca.pem"), Cert: filepath.Join(dir, "certs/cert.pem"), Key: "/etc/lathe/key.pem"},
		Env:     map[string]string{"OMP_NUM_THREADS": "4", "EMPTY": ""},
		PassEnv: []string{"WANDB_API_KEY"}, Image: "lathe-trainer:dev",
		GPUs: GPUSpec{Devices: []string{"GPU-8f3c2a1b-0000-4e5f-9a7b-123456789abc", "3"}}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("secure =\n %+v\nwant\n %+v", r, want)
	}
	if o := c.Origin("runners.secure.tls.ca"); o.Line != 19 || o.Column != 11 {
		t.Errorf("tls.ca origin = %+v, want line 19 col 11", o)
	}
	if s, ok := c.Runner("sock"); !ok || s.Host != "unix:///var/run/docker.sock" {
		t.Errorf("sock = %+v", s)
	}
}

func TestEnvironment(t *testing.T) {
	vars := EnvVars()
	for key, name := range map[string]string{
		"runners_file": "LATHE_RUNNERS", "default_runner": "LATHE_DEFAULT_RUNNER", "name": "LATHE_NAME",
		"explore.alerts.high_correlation": "LATHE_EXPLORE_ALERTS_HIGH_CORRELATION", "serve.ssh_addr": "LATHE_SERVE_SSH_ADDR",
	} {
		if vars[key] != name {
			t.Errorf("EnvVars()[%q] = %q, want %q", key, vars[key], name)
		}
	}
	c, _ := mustLoad(t, fixture{ws: "name: a\n", env: []string{
		"LATHE_NAME=b",
		"LATHE_EXPLORE_ALERTS_HIGH_CORRELATION=0.8",
		"LATHE_EXPLORE_MISSING_VALUES=NA, ,-1",
		"LATHE_RUNS_METRIC_FORMATS=json,colon",
		"LATHE_SERVE_SSH_ADDR=0.0.0.0:22",
		"LATHE_UI_REFRESH=1s",
		"LATHE_SERVE_AUTHORIZED_KEYS=~/keys",
		"LATHE_DEFAULT_RUNNER=", // empty counts as unset
		"LATHE_RUN_ID=r-123",    // run protocol variables are not settings
		"LATHE_PARAM_LR=0.1",
	}})
	if c.Name != "b" || c.Explore.Alerts.HighCorrelation != 0.8 || c.Serve.SSHAddr != "0.0.0.0:22" || c.UI.Refresh != time.Second {
		t.Errorf("env not applied: name %q corr %v addr %q refresh %v", c.Name, c.Explore.Alerts.HighCorrelation, c.Serve.SSHAddr, c.UI.Refresh)
	}
	if want := []string{"NA", "", "-1"}; !reflect.DeepEqual(c.Explore.MissingValues, want) {
		t.Errorf("missing_values = %q, want %q", c.Explore.MissingValues, want)
	}
	if !reflect.DeepEqual(c.Runs.MetricFormats, []string{"json", "colon"}) || c.DefaultRunner != "local" {
		t.Errorf("metric_formats %q default_runner %q", c.Runs.MetricFormats, c.DefaultRunner)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings for run protocol variables: %q", c.Warnings)
	}
	if !strings.HasSuffix(c.Serve.AuthorizedKeys, "/home/keys") {
		t.Errorf("authorized_keys = %q, want ~ expanded", c.Serve.AuthorizedKeys)
	}
}

func TestUserConfigPath(t *testing.T) {
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"HOME=/h", "XDG_CONFIG_HOME=/x", "LATHE_CONFIG=/c/lathe.yaml"}, "/c/lathe.yaml"},
		{[]string{"HOME=/h", "XDG_CONFIG_HOME=/x"}, "/x/lathe/config.yaml"},
		{[]string{"HOME=/h", "XDG_CONFIG_HOME=rel"}, "/h/.config/lathe/config.yaml"}, // XDG: relative is ignored
		{[]string{"HOME=/h"}, "/h/.config/lathe/config.yaml"},
		{nil, ""},
	}
	for _, tc := range cases {
		if got := UserConfigPath(tc.env); got != tc.want {
			t.Errorf("UserConfigPath(%q) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestExplicitUserConfig(t *testing.T) {
	p := fixture{}.write(t)
	_, err := Load(Options{UserConfigPath: filepath.Join(p.root, "missing.yaml"), Environ: []string{"HOME=" + p.home}})
	if ie := asInput(t, err); !strings.Contains(ie.Msg, "user config") || !strings.Contains(ie.Msg, "does not exist") {
		t.Errorf("error = %v", err)
	}
	_, err = Load(Options{WorkspaceDir: p.root, Environ: []string{"HOME=" + p.home}})
	if ie := asInput(t, err); ie.File != filepath.Join(p.root, "lathe.yaml") || !strings.Contains(ie.Msg, "does not exist") {
		t.Errorf("missing lathe.yaml: %v", err)
	}
}

func TestShow(t *testing.T) {
	c, p := mustLoad(t, fixture{user: userNamesTeam, team: teamBody, ws: wsBody, flags: map[string]string{"ui.theme": "dark"}})
	entries := c.Show()
	keys := make([]string, len(entries))
	byKey := map[string]Entry{}
	for i, e := range entries {
		keys[i] = e.Key
		byKey[e.Key] = e
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Fatalf("Show not sorted: %q before %q", keys[i-1], keys[i])
		}
	}
	checks := []Entry{
		{Key: "name", Value: "churn", Layer: LayerWorkspace, Source: p.ws + ":1"},
		{Key: "runners.gpu1.host", Value: "ssh://ws@w", Layer: LayerWorkspace, Source: p.ws + ":7"},
		{Key: "runners.gpu1.max_concurrent", Value: 2, Layer: LayerWorkspace, Source: p.ws + ":8"},
		{Key: "runners.lab.gpus", Value: nil}, // absent: lab sets none
		{Key: "runners.lab.context", Value: "lab-box", Layer: LayerTeam, Source: p.team + ":8"},
		{Key: "runners.lab.max_concurrent", Value: 1, Layer: LayerTeam, Source: p.team + ":6"},
		{Key: "runners.local.type", Value: "local", Layer: LayerDefault, Source: "built-in"},
		{Key: "runners_file", Value: p.team, Layer: LayerUser, Source: p.user + ":1"},
		{Key: "runs.stop_grace", Value: "10s", Layer: LayerDefault, Source: "built-in"},
		{Key: "ui.theme", Value: "dark", Layer: LayerFlag, Source: "flag ui.theme"},
	}
	for _, want := range checks {
		got, ok := byKey[want.Key]
		if want.Value == nil {
			if ok {
				t.Errorf("%s present: %+v", want.Key, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %+v, want %+v", want.Key, got, want)
		}
	}
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `{"key":"explore.alerts.skewness","value":20,"layer":"default","source":"built-in"}`) {
		t.Errorf("JSON lacks the skewness entry: %s", b)
	}
	// Origins lists only what some file, variable or flag set.
	for _, e := range c.Origins() {
		if e.Layer == LayerDefault {
			t.Errorf("Origins() has a default entry %+v", e)
		}
	}
	if n := len(c.Origins()); n != 10 {
		t.Errorf("len(Origins()) = %d, want 10: %v", n, c.Origins())
	}
}

func TestEnvTypoWarning(t *testing.T) {
	c, _ := mustLoad(t, fixture{env: []string{"LATHE_DEFAULT_RUNER=gpu1", "LATHE_WORKSPACE=/w", "LATHE_INPUT_TRAIN=/d", "LATHE_OUTPUT_DIR=/o"}})
	want := []string{"environment variable LATHE_DEFAULT_RUNER is not a Lathe setting and is ignored; did you mean LATHE_DEFAULT_RUNNER?"}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("Warnings = %q, want %q", c.Warnings, want)
	}
}

// TestConfigJSON: the merged config marshals with snake_case keys and
// durations as text, as `lathe config show --json` prints it.
func TestConfigJSON(t *testing.T) {
	c, _ := mustLoad(t, fixture{ws: "runners:\n  - name: g\n    type: docker\n    gpus: all\n"})
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"stop_grace":"10s"`, `"refresh":"250ms"`, `"metric_formats":["json"]`,
		`{"name":"g","type":"docker","gpus":"all","max_concurrent":1}`, `"ssh_addr":"127.0.0.1:2222"`, `"default_runner":"local"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

// BenchmarkLoad measures a full Load of a workspace with a user config and
// a team file (run with go test -bench Load ./config/).
func BenchmarkLoad(b *testing.B) {
	f := fixture{user: userNamesTeam, team: teamBody, ws: WorkspaceTemplate("bench")}
	root := b.TempDir()
	p := paths{home: filepath.Join(root, "home"), user: filepath.Join(root, "home", ".config", "lathe", "config.yaml"),
		team: filepath.Join(root, "infra", "runners.yaml"), ws: filepath.Join(root, "ws", "lathe.yaml")}
	for path, body := range map[string]string{p.user: f.user, p.team: f.team, p.ws: f.ws} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	opts := Options{WorkspaceDir: filepath.Dir(p.ws), Environ: []string{"HOME=" + p.home}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(opts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMinFreeMemory(t *testing.T) {
	dir := t.TempDir()
	body := "name: w\nrunners:\n  - {name: g, type: local, gpus: all, min_free_memory: 8g}\n  - {name: h, type: local, gpus: all, min_free_memory: 1048576}\n"
	if err := os.WriteFile(filepath.Join(dir, "lathe.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Options{WorkspaceDir: dir, Environ: []string{"HOME=" + t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := cfg.Runner("g")
	h, _ := cfg.Runner("h")
	if g.MinFreeMemory != 8<<30 || h.MinFreeMemory != 1<<20 {
		t.Errorf("min_free_memory %d and %d, want 8 GiB and 1 MiB", g.MinFreeMemory, h.MinFreeMemory)
	}
}

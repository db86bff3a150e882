package config

import (
	"strings"
	"testing"
)

// TestLoadErrors covers every kind of bad input: each case asserts the file,
// line, column, field and the message (what is wrong and what is valid).
func TestLoadErrors(t *testing.T) {
	const local = "runners:\n  - name: a\n    type: local\n"
	cases := []struct {
		name       string
		f          fixture
		file       string // "ws", "user", "team" or "" (env, flag)
		line, col  int
		field      string
		wantSubstr []string
	}{
		// Keys.
		{"unknown key, no near match", fixture{ws: "name: x\ncolour: red\n"}, "ws", 2, 1, "colour",
			[]string{`unknown key "colour"`, "valid keys here: name, default_runner, runners_file, store, objects, explore, runs, serve, ui, runners"}},
		{"unknown nested key suggests", fixture{ws: "explore:\n  alerts:\n    skewnes: 3\n"}, "ws", 3, 5, "explore.alerts.skewnes",
			[]string{`did you mean "skewness"?`}},
		{"duplicate key", fixture{ws: "name: a\nname: b\n"}, "ws", 2, 1, "name",
			[]string{`key "name" is already set at line 1`}},
		{"non-scalar key", fixture{ws: "? [a, b]\n: 1\n"}, "ws", 1, 3, "",
			[]string{"keys must be plain words, got a list"}},
		{"merge key", fixture{ws: "base: &b {type: local}\n"}, "ws", 1, 1, "base",
			[]string{`unknown key "base"`}},
		{"merge key in runner", fixture{ws: "runners:\n  - name: a\n    <<: {type: local}\n"}, "ws", 3, 5, "runners.a.<<",
			[]string{"merge keys (<<) are not supported"}},
		{"section not a mapping", fixture{ws: "explore: 5\n"}, "ws", 1, 10, "explore",
			[]string{"explore must be a mapping of settings, got the integer 5", "valid keys: missing_values, sample_rows"}},

		// Types and values.
		{"string field given an int", fixture{ws: "name: 123\n"}, "ws", 1, 7, "name",
			[]string{"expected a string, got the integer 123", `quote it if you mean the text: "123"`}},
		{"int field given text", fixture{ws: "explore:\n  sample_rows: many\n"}, "ws", 2, 16, "explore.sample_rows",
			[]string{`expected an integer, got the string "many"`, "valid: an integer of at least 1"}},
		{"int field given a float", fixture{ws: "explore:\n  histogram_bins: 2.5\n"}, "ws", 2, 19, "explore.histogram_bins",
			[]string{"expected an integer, got the number 2.5", "from 1 to 1000"}},
		{"int out of range", fixture{ws: "explore:\n  histogram_bins: 0\n"}, "ws", 2, 19, "explore.histogram_bins",
			[]string{"0 is out of range", "valid: an integer from 1 to 1000"}},
		{"fraction out of range", fixture{ws: "explore:\n  alerts: {missing: 1.5}\n"}, "ws", 2, 21, "explore.alerts.missing",
			[]string{"1.5 is out of range", "valid: a number from 0 to 1"}},
		{"number given a bool", fixture{ws: "explore:\n  alerts:\n    skewness: yes\n"}, "ws", 3, 15, "explore.alerts.skewness",
			[]string{`expected a number, got the string "yes"`}},
		{"enum typo", fixture{ws: "ui:\n  theme: drak\n"}, "ws", 2, 10, "ui.theme",
			[]string{`"drak" is not valid`, "valid values: auto, dark, light", `did you mean "dark"?`}},
		{"duration without unit", fixture{ws: "runs:\n  stop_grace: 10\n"}, "ws", 2, 15, "runs.stop_grace",
			[]string{"expected a duration with a unit, got the integer 10", "10s"}},
		{"duration bad text", fixture{ws: "runs:\n  stop_grace: soon\n"}, "ws", 2, 15, "runs.stop_grace",
			[]string{`"soon" is not a duration`}},
		{"duration out of range", fixture{ws: "ui:\n  refresh: 1ms\n"}, "ws", 2, 12, "ui.refresh",
			[]string{"1ms is out of range", "from 0.01s to 60s"}},
		{"list given a scalar", fixture{ws: "explore:\n  missing_values: NA\n"}, "ws", 2, 19, "explore.missing_values",
			[]string{"expected a list", `got the string "NA"`}},
		{"list item not scalar", fixture{ws: "explore:\n  missing_values: [NA, [x]]\n"}, "ws", 2, 24, "explore.missing_values",
			[]string{"list items must be plain values, got a list"}},
		{"header mode typo", fixture{ws: "explore:\n  header: snif\n"}, "ws", 2, 11, "explore.header",
			[]string{"first-row, none, sniff", `did you mean "sniff"?`}},
		{"alert kind typo", fixture{ws: "explore:\n  alerts:\n    disable: [seasonl]\n"}, "ws", 3, 15, "explore.alerts.disable",
			[]string{`"seasonl" is not a valid item`, `did you mean "seasonal"?`}},
		{"drift ks out of range", fixture{ws: "explore:\n  drift: {ks: 2}\n"}, "ws", 2, 15, "explore.drift.ks",
			[]string{"2 is out of range; valid: a number from 0 to 1"}},
		{"correlation columns too few", fixture{ws: "explore:\n  correlation_columns: 1\n"}, "ws", 2, 24, "explore.correlation_columns",
			[]string{"valid: an integer from 2 to 100000"}},
		{"enum list item typo", fixture{ws: "runs:\n  metric_formats: [json, equal]\n"}, "ws", 2, 26, "runs.metric_formats",
			[]string{`"equal" is not a valid item`, "valid items: json, equals, colon", `did you mean "equals"?`}},
		{"bad listen address", fixture{ws: "serve:\n  ssh_addr: localhost\n"}, "ws", 2, 13, "serve.ssh_addr",
			[]string{`"localhost" is not a host:port address`}},
		{"bad listen port", fixture{ws: "serve:\n  ssh_addr: \"127.0.0.1:99999\"\n"}, "ws", 2, 13, "serve.ssh_addr",
			[]string{"must be a number from 1 to 65535"}},

		// Runners.
		{"runners not a list", fixture{ws: "runners:\n  name: a\n"}, "ws", 2, 3, "runners",
			[]string{"runners must be a list", "got a mapping"}},
		{"runner not a mapping", fixture{ws: "runners:\n  - local\n"}, "ws", 2, 5, "runners[0]",
			[]string{"each runner is a mapping with at least name and type", `got the string "local"`}},
		{"runner without name", fixture{ws: "runners:\n  - type: local\n"}, "ws", 2, 5, "runners[0]",
			[]string{"runner has no name"}},
		{"runner without type", fixture{ws: "runners:\n  - name: gpu1\n"}, "ws", 2, 5, "runners.gpu1",
			[]string{`runner "gpu1" has no type; valid types: local, docker, slurm, pool, kubernetes`}},
		{"runner name with a dot", fixture{ws: "runners:\n  - name: gpu.1\n    type: local\n"}, "ws", 2, 11, "runners[0].name",
			[]string{`runner name "gpu.1" is not valid`}},
		{"unknown runner type suggests", fixture{ws: "runners:\n  - name: a\n    type: dokcer\n"}, "ws", 3, 11, "runners.a.type",
			[]string{`unknown runner type "dokcer"`, "valid types: local, docker, slurm, pool, kubernetes", `did you mean "docker"?`}},
		{"k8s is not a type", fixture{ws: "runners:\n  - name: k\n    type: k8s\n"}, "ws", 3, 11, "runners.k.type",
			[]string{"valid types: local, docker, slurm, pool, kubernetes (write kubernetes)"}},
		{"kubernetes key on docker", fixture{ws: "runners:\n  - name: d\n    type: docker\n    namespace: ml\n"}, "ws", 4, 5, "runners.d.namespace",
			[]string{"namespace applies to kubernetes runners only"}},
		{"gpus on kubernetes", fixture{ws: "runners:\n  - name: k\n    type: kubernetes\n    gpus: 2\n"}, "ws", 4, 5, "runners.k.gpus",
			[]string{"gpus does not apply to kubernetes runners", "gpus_per_run"}},
		{"kubernetes namespace not a name", fixture{ws: "runners:\n  - name: k\n    type: kubernetes\n    namespace: ML_Team\n"}, "ws", 4, 16, "runners.k.namespace",
			[]string{`namespace "ML_Team" is not a Kubernetes name`}},
		{"kubernetes toleration effect", fixture{ws: "runners:\n  - name: k\n    type: kubernetes\n    tolerations:\n      - {key: gpu, effect: Never}\n"}, "ws", 5, 28, "runners.k.tolerations[0].effect",
			[]string{`effect "Never" is not valid`, "NoSchedule"}},
		{"kubernetes outputs volume needs local", fixture{ws: "runners:\n  - name: k\n    type: kubernetes\n    volumes:\n      - {claim: res, mount: /res, outputs: true}\n"}, "ws", 5, 9, "runners.k.volumes[0]",
			[]string{"the outputs volume must be writable and name local"}},
		{"unknown runner key suggests", fixture{ws: local + "    max_concurent: 2\n"}, "ws", 4, 5, "runners.a.max_concurent",
			[]string{`unknown runner key "max_concurent"`, `did you mean "max_concurrent"?`}},
		{"unknown runner key lists valid", fixture{ws: local + "    zone: eu\n"}, "ws", 4, 5, "runners.a.zone",
			[]string{"valid keys: name, type, host, context, gpus, max_concurrent, min_free_memory, connect_timeout, timeout, tls, image, env, pass_env, members, partition", "kubeconfig, namespace"}},
		{"timeout not a duration", fixture{ws: "runners:\n  - name: a\n    type: docker\n    timeout: soon\n"}, "ws", 4, 14, "runners.a.timeout",
			[]string{`"soon" is not a timeout`, "5s"}},
		{"connect_timeout not positive", fixture{ws: "runners:\n  - name: a\n    type: docker\n    connect_timeout: 0s\n"}, "ws", 4, 22, "runners.a.connect_timeout",
			[]string{`"0s" is not a timeout`}},
		{"timeout on a local runner", fixture{ws: local + "    timeout: 5s\n"}, "ws", 4, 5, "runners.a.timeout",
			[]string{"timeout applies to docker runners only"}},
		{"min_free_memory not a size", fixture{ws: local + "    min_free_memory: lots\n"}, "ws", 4, 22, "runners.a.min_free_memory",
			[]string{`min_free_memory "lots" is not a size`, "8g"}},
		{"min_free_memory zero", fixture{ws: local + "    min_free_memory: 0\n"}, "ws", 4, 22, "runners.a.min_free_memory",
			[]string{`min_free_memory "0" is not a size`}},
		{"max_concurrent below 1", fixture{ws: local + "    max_concurrent: 0\n"}, "ws", 4, 21, "runners.a.max_concurrent",
			[]string{"max_concurrent is 0; valid: an integer of at least 1"}},
		{"max_concurrent not an int", fixture{ws: local + "    max_concurrent: two\n"}, "ws", 4, 21, "runners.a.max_concurrent",
			[]string{`expected an integer, got the string "two"`}},
		{"gpus zero count", fixture{ws: local + "    gpus: 0\n"}, "ws", 4, 11, "runners.a.gpus",
			[]string{"gpu count 0 must be at least 1", "omit gpus for none"}},
		{"gpus duplicate index", fixture{ws: local + "    gpus: [0, 0]\n"}, "ws", 4, 11, "runners.a.gpus",
			[]string{`gpu "0" listed twice`}},
		{"gpus bad item", fixture{ws: local + "    gpus: [0, cuda1]\n"}, "ws", 4, 15, "runners.a.gpus",
			[]string{`"cuda1" is not a gpu index or UUID`, "GPU-"}},
		{"gpus negative index", fixture{ws: local + "    gpus: [-1]\n"}, "ws", 4, 12, "runners.a.gpus",
			[]string{"gpu index -1 is negative"}},
		{"gpus mapping", fixture{ws: local + "    gpus: {count: 2}\n"}, "ws", 4, 11, "runners.a.gpus",
			[]string{"expected all, a count N, or a list", "got a mapping"}},
		{"gpus word", fixture{ws: local + "    gpus: some\n"}, "ws", 4, 11, "runners.a.gpus",
			[]string{`"some" is not a gpu index or UUID`}},
		{"host without scheme", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: gpu1.example\n"}, "ws", 4, 11, "runners.d.host",
			[]string{`host "gpu1.example" has no scheme`, "ssh://[user@]host[:port], tcp://host[:port] or unix:///"}},
		{"host with http scheme", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: http://x:2375\n"}, "ws", 4, 11, "runners.d.host",
			[]string{`has scheme "http"`}},
		{"ssh host without machine", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: ssh://\n"}, "ws", 4, 11, "runners.d.host",
			[]string{"names no machine"}},
		{"ssh host with password", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: ssh://ml:pw@gpu1\n"}, "ws", 4, 11, "runners.d.host",
			[]string{"contains a password", "ssh agent"}},
		{"tcp host bad port", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://h:70000\n"}, "ws", 4, 11, "runners.d.host",
			[]string{`port "70000"`}},
		{"unix host without path", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: unix://\n"}, "ws", 4, 11, "runners.d.host",
			[]string{"names no socket path"}},
		{"slurm time_limit", fixture{ws: "runners:\n  - name: s\n    type: slurm\n    time_limit: soon\n"}, "ws", 4, 17, "runners.s.time_limit",
			[]string{`time_limit "soon" is not a Slurm time`, "HH:MM:SS"}},
		{"slurm partition word", fixture{ws: "runners:\n  - name: s\n    type: slurm\n    partition: \"a b\"\n"}, "ws", 4, 16, "runners.s.partition",
			[]string{`partition "a b" is not a Slurm name`}},
		{"slurm key on docker", fixture{ws: "runners:\n  - name: d\n    type: docker\n    partition: gpu\n"}, "ws", 4, 5, "runners.d.partition",
			[]string{"partition applies to slurm runners only", "type docker"}},
		{"slurm with gpus", fixture{ws: "runners:\n  - name: s\n    type: slurm\n    gpus: all\n"}, "ws", 4, 5, "runners.s.gpus",
			[]string{"does not apply to slurm runners", "gpus_per_run"}},
		{"slurm tcp host", fixture{ws: "runners:\n  - name: s\n    type: slurm\n    host: tcp://h:22\n"}, "ws", 4, 5, "runners.s.host",
			[]string{"login node ssh://"}},
		{"slurm sbatch arg", fixture{ws: "runners:\n  - name: s\n    type: slurm\n    sbatch_args: [exclusive]\n"}, "ws", 4, 18, "runners.s.sbatch_args",
			[]string{`"exclusive" does not start with -`}},
		{"slurm work_dir pattern", fixture{ws: "runners:\n  - name: s\n    type: slurm\n    work_dir: /scratch/%u\n"}, "ws", 4, 15, "runners.s.work_dir",
			[]string{"file name pattern"}},
		{"pool without members", fixture{ws: "runners:\n  - name: p\n    type: pool\n"}, "ws", 3, 5, "runners.p",
			[]string{`pool "p" has no members`}},
		{"pool with host", fixture{ws: "runners:\n  - name: p\n    type: pool\n    members: [local]\n    host: ssh://x\n"}, "ws", 5, 5, "runners.p.host",
			[]string{"a pool runner takes only members"}},
		{"host and context", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: ssh://h\n    context: lab\n"}, "ws", 5, 5, "runners.d.context",
			[]string{"sets both host and context; set one"}},
		{"empty context", fixture{ws: "runners:\n  - name: d\n    type: docker\n    context: \"\"\n"}, "ws", 4, 14, "runners.d.context",
			[]string{"context is empty"}},
		{"local runner with host", fixture{ws: local + "    host: ssh://h\n"}, "ws", 4, 5, "runners.a.host",
			[]string{"host applies to docker runners only", `runner "a" is type local`}},
		{"tls on ssh host", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: ssh://h\n    tls: {ca: ca.pem}\n"}, "ws", 5, 5, "runners.d.tls",
			[]string{"tls applies to tcp:// hosts only", `host "ssh://h"`}},
		{"tls without host", fixture{ws: "runners:\n  - name: d\n    type: docker\n    tls: {ca: ca.pem}\n"}, "ws", 4, 5, "runners.d.tls",
			[]string{"tls applies to tcp:// hosts only"}},
		{"tls cert without key", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://h:2376\n    tls: {cert: c.pem}\n"}, "ws", 5, 10, "runners.d.tls",
			[]string{"tls needs both cert and key"}},
		{"tls typo", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://h:2376\n    tls: {crt: c.pem}\n"}, "ws", 5, 11, "runners.d.tls.crt",
			[]string{`unknown tls key "crt"`, `did you mean "cert"?`}},
		{"tls inline PEM", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://h:2376\n    tls: {ca: \"-----BEGIN CERTIFICATE-----\"}\n"}, "ws", 5, 15, "runners.d.tls.ca",
			[]string{"holds PEM text; give the path of a file"}},
		{"tls not a mapping", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://h:2376\n    tls: ca.pem\n"}, "ws", 5, 10, "runners.d.tls",
			[]string{"tls must be a mapping of paths {ca, cert, key}"}},
		{"tls names no files", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://h:2376\n    tls: {}\n"}, "ws", 5, 10, "runners.d.tls",
			[]string{"tls names no files"}},
		{"ssh host with a path", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: ssh://h/var/run\n"}, "ws", 4, 11, "runners.d.host",
			[]string{"has a path; ssh hosts are ssh://[user@]host[:port]"}},
		{"tcp host with user", fixture{ws: "runners:\n  - name: d\n    type: docker\n    host: tcp://me@h:2376\n"}, "ws", 4, 11, "runners.d.host",
			[]string{"has user info; tcp hosts authenticate with tls certificates"}},
		{"env value not scalar", fixture{ws: local + "    env: {A: [1]}\n"}, "ws", 4, 14, "runners.a.env.A",
			[]string{"env values are plain text, got a list"}},
		{"enum list item not a string", fixture{ws: "runs:\n  metric_formats: [1]\n"}, "ws", 2, 20, "runs.metric_formats",
			[]string{"expected one of json, equals, colon, got the integer 1"}},
		{"integer too large", fixture{ws: "explore:\n  sample_rows: 99999999999999999999\n"}, "ws", 2, 16, "explore.sample_rows",
			[]string{"expected an integer"}},
		{"string setting given a list", fixture{ws: "default_runner: [a]\n"}, "ws", 1, 17, "default_runner",
			[]string{"expected a string, got a list"}},
		{"duplicate runner names in one file", fixture{ws: "runners:\n  - name: a\n    type: local\n  - name: a\n    type: docker\n"}, "ws", 4, 11, "runners.a",
			[]string{`duplicate runner name "a" (first defined at line 2)`}},
		{"env not a mapping", fixture{ws: local + "    env: [A]\n"}, "ws", 4, 10, "runners.a.env",
			[]string{"env must be a mapping of NAME: value"}},
		{"env bad name", fixture{ws: local + "    env: {1X: y}\n"}, "ws", 4, 11, "runners.a.env",
			[]string{`"1X" is not an environment variable name`}},
		{"pass_env bad name", fixture{ws: local + "    pass_env: [WANDB KEY]\n"}, "ws", 4, 16, "runners.a.pass_env",
			[]string{`"WANDB KEY" is not an environment variable name`}},

		// Secrets.
		{"secret top-level key", fixture{ws: "name: x\napi_token: abc\n"}, "ws", 2, 1, "api_token",
			[]string{`"api_token" looks like a secret`, "ssh agent", "pass_env"}},
		{"secret runner key", fixture{ws: local + "    password: hunter2\n"}, "ws", 4, 5, "runners.a.password",
			[]string{`"password" looks like a secret`}},
		{"secret in runner env", fixture{ws: local + "    env:\n      HF_TOKEN: abc\n"}, "ws", 5, 7, "runners.a.env.HF_TOKEN",
			[]string{"HF_TOKEN looks like a secret", "pass_env: [HF_TOKEN]"}},

		// Cross-checks and files.
		{"default_runner names no runner", fixture{ws: "default_runner: dokcer\nrunners:\n  - name: docker\n    type: docker\n"}, "ws", 1, 1, "default_runner",
			[]string{`default_runner "dokcer" names no runner`, "defined runners: local, docker", `did you mean "docker"?`}},
		{"default_runner from env names no runner", fixture{ws: "name: x\n", env: []string{"LATHE_DEFAULT_RUNNER=gpu9"}}, "", 0, 0, "LATHE_DEFAULT_RUNNER",
			[]string{`default_runner "gpu9" names no runner`}},
		{"relative runners_file missing", fixture{ws: "name: x\nrunners_file: ../nope/runners.yaml\n"}, "ws", 2, 1, "runners_file",
			[]string{`runners_file "../nope/runners.yaml" does not exist`, "resolved against the directory of the file that names them"}},
		{"LATHE_RUNNERS missing", fixture{env: []string{"LATHE_RUNNERS=/nonexistent/runners.yaml"}}, "", 0, 0, "LATHE_RUNNERS",
			[]string{`runners_file "/nonexistent/runners.yaml" does not exist`}},
		{"runners_file inside the team file", fixture{ws: "runners_file: ../infra/runners.yaml\n", team: "runners_file: other.yaml\n"}, "team", 1, 1, "runners_file",
			[]string{"runners_file is not allowed in the team config", "cannot name another runners file"}},
		{"error inside the team file", fixture{ws: "runners_file: ../infra/runners.yaml\n", team: "runners:\n  - name: t\n    type: dockr\n"}, "team", 3, 11, "runners.t.type",
			[]string{`did you mean "docker"?`}},
		{"name in the user config", fixture{user: "name: mine\n"}, "user", 1, 1, "name",
			[]string{"name is not allowed in the user config"}},
		{"error inside the user config", fixture{user: "explore:\n  top_values: -3\n"}, "user", 2, 15, "explore.top_values",
			[]string{"-3 is out of range"}},
		{"YAML syntax error", fixture{ws: "name: x\nrunners: [\n"}, "ws", 2, 0, "",
			[]string{"invalid YAML"}},
		// The parser names the line its block began on (counted from 0); the
		// mistake is on line 3.
		{"YAML mistake inside a block", fixture{ws: "runners:\n  - name: x\n   bad: [\n"}, "ws", 3, 0, "",
			[]string{"invalid YAML", "did not find expected '-' indicator"}},
		{"YAML tab indentation", fixture{ws: "name: x\nexplore:\n\tsample_rows: 3\n"}, "ws", 3, 0, "",
			[]string{"invalid YAML", "tab"}},
		{"two documents", fixture{ws: "name: x\n---\nname: y\n"}, "ws", 2, 1, "",
			[]string{"a second YAML document"}},
		{"top level is a list", fixture{ws: "- name: x\n"}, "ws", 1, 1, "",
			[]string{"expected a mapping of settings (key: value) at the top level, got a list"}},

		// Environment and flags.
		{"env bad int", fixture{env: []string{"LATHE_EXPLORE_SAMPLE_ROWS=lots"}}, "", 0, 0, "LATHE_EXPLORE_SAMPLE_ROWS",
			[]string{"sets explore.sample_rows", `"lots" is not an integer`}},
		{"env bad enum", fixture{env: []string{"LATHE_UI_THEME=neon"}}, "", 0, 0, "LATHE_UI_THEME",
			[]string{`"neon" is not valid; valid values: auto, dark, light`}},
		{"flag unknown key", fixture{flags: map[string]string{"defualt_runner": "x"}}, "", 0, 0, "defualt_runner",
			[]string{`unknown setting "defualt_runner"`, `did you mean "default_runner"?`}},
		{"flag bad duration", fixture{flags: map[string]string{"runs.stop_grace": "5"}}, "", 0, 0, "runs.stop_grace",
			[]string{`"5" is not a duration`}},
		{"flag default_runner names no runner", fixture{flags: map[string]string{"default_runner": "gpu1"}}, "", 0, 0, "default_runner",
			[]string{`default_runner "gpu1" names no runner; defined runners: local`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := tc.f.load(t)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			ie := asInput(t, err)
			wantFile := map[string]string{"ws": p.ws, "user": p.user, "team": p.team, "": ""}[tc.file]
			if ie.File != wantFile || ie.Line != tc.line || ie.Column != tc.col || ie.Field != tc.field {
				t.Errorf("got %s line %d col %d field %q; want %s line %d col %d field %q\n(%v)",
					ie.File, ie.Line, ie.Column, ie.Field, wantFile, tc.line, tc.col, tc.field, err)
			}
			for _, s := range tc.wantSubstr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err.Error(), s)
				}
			}
		})
	}
}

// TestTypoOnLine3 is the acceptance case of issue 2: `runerz:` on line 3 of
// lathe.yaml names the file, the line and the nearest valid key.
func TestTypoOnLine3(t *testing.T) {
	_, p, err := fixture{ws: "name: churn\ndefault_runner: local\nrunerz:\n  - name: gpu1\n    type: docker\n"}.load(t)
	if err == nil {
		t.Fatal("Load succeeded; want an error")
	}
	ie := asInput(t, err)
	msg := err.Error()
	want := p.ws + `:3:1: runerz: unknown key "runerz"; did you mean "runners"?`
	if msg != want {
		t.Errorf("error = %q\nwant    %q", msg, want)
	}
	if !strings.Contains(msg, "lathe.yaml") || ie.Line != 3 {
		t.Errorf("error must name lathe.yaml and line 3: %q", msg)
	}
}

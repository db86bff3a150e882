// Package config loads, layers and validates Lathe's configuration: built-in
// defaults, the user config ($XDG_CONFIG_HOME/lathe/config.yaml), the team
// runners file, the workspace lathe.yaml, LATHE_* environment variables and
// flags. It remembers which layer set each key, and its errors name the file,
// line and column of the problem. It also owns InputError, the error every
// front end maps to exit status 2.
//
// # Store
//
// store: is the store of records: empty for the workspace's SQLite file, or
// a shared PostgreSQL's postgres:// URL; "store: URL" is short for "store:
// {url: URL}". objects: is the object directory (default .lathe/objects).
//
// # Layers
//
// Lowest first: defaults < user < team < workspace < env < flags. Scalar
// settings override key by key. Runners merge by name: a runner in a higher
// layer replaces the lower layer's runner of the same name whole (fields are
// not mixed, so a host from one file never meets a context from another);
// new names are appended. The built-in layer holds one runner, "local".
//
// The team file is named by runners_file (in the user config or lathe.yaml,
// relative to the file that names it), LATHE_RUNNERS (relative to the working
// directory) or a flag; the highest layer naming it wins, and "" switches it
// off. It may hold runners and any setting except name and runners_file.
// The user config may hold anything except name.
//
// # Environment
//
// Every scalar setting has a variable: LATHE_ + the dotted key in upper case
// with dots as underscores, e.g. default_runner → LATHE_DEFAULT_RUNNER,
// explore.alerts.skewness → LATHE_EXPLORE_ALERTS_SKEWNESS, serve.ssh_addr →
// LATHE_SERVE_SSH_ADDR; the exceptions are runners_file → LATHE_RUNNERS and
// store.url → LATHE_STORE.
// EnvVars returns the full map. Lists are comma-separated; empty values
// count as unset. LATHE_CONFIG names the user config file. Other LATHE_*
// variables are ignored (runs set LATHE_RUN_ID, LATHE_PARAM_*, ...), with a
// warning in Config.Warnings when one is a near miss of a setting's name.
// Runners cannot be set from the environment or flags: they live in files.
//
// # Validation
//
// Unknown keys (with the nearest valid key suggested), wrong YAML types,
// values out of range, unknown runner types, bad GPU specs, Docker hosts that
// are not ssh://, tcp:// or unix://, TLS on a non-tcp host, duplicate keys
// and duplicate runner names within one file, a default_runner naming no
// runner and a runners_file that does not exist are all *InputError.
// Secret-looking keys (password, token, secret, api_key, ...) are refused:
// SSH uses the agent and ~/.ssh/config, TLS uses certificate paths, and runs
// receive secrets from the caller's environment through pass_env; a store
// URL with a password in a file is refused (store.password_env names the
// variable that holds it, the one secret-looking key allowed). Runner
// type kubernetes is reserved and refused until Lathe has that runner.
//
// Imports: nothing of Lathe's (engine/arch_test.go checks the direction).
package config

package runners

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lathe-ml/lathe/config"
)

// A local run gets the same environment rule as a container: the run
// variables of DESIGN §4 (LATHE_RUN_ID, LATHE_PARAM_*, ...), the spec's Env
// (the runner's env: and the pass_env variables copied from lathe's
// environment), and from lathe's own environment only what a process needs to
// behave as it does in the user's shell:
//
//	PATH, HOME, USER, LOGNAME   finding programs, ~ and the user's name
//	                            (getpass and friends read LOGNAME first)
//	SHELL                       programs that start the user's shell
//	                            (make, tmux, notebooks' terminals)
//	LANG, LANGUAGE, LC_*        the locale, so text decodes as it does outside
//	TERM                        colour and progress-bar decisions
//	TMPDIR                      where temporary files belong on this host
//	TZ                          log times in the user's zone
//
// None of these holds a secret. Anything else (cloud credentials, tokens,
// LD_LIBRARY_PATH, CONDA_*, ambient LATHE_* settings of lathe itself) reaches
// a run only when listed in pass_env.
var inheritedNames = []string{"HOME", "LANG", "LANGUAGE", "LOGNAME", "PATH", "SHELL", "TERM", "TMPDIR", "TZ", "USER"}

// inherited reports whether a local run takes variable name from lathe's
// environment by itself.
func inherited(name string) bool {
	return strings.HasPrefix(name, "LC_") || slices.Contains(inheritedNames, name)
}

// InheritedEnv returns the entries of environ ("NAME=value", as os.Environ
// gives) that a local run inherits without pass_env.
func InheritedEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok && inherited(k) {
			out = append(out, kv)
		}
	}
	return out
}

// InheritedNames are the sorted names of InheritedEnv(environ), for the run's
// record: names only, never values.
func InheritedNames(environ []string) []string {
	var names []string
	for _, kv := range InheritedEnv(environ) {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// CheckLocalSpec refuses resource limits a local run cannot honour. Docker
// enforces them with cgroups; a plain process has none Lathe can rely on (a
// writable cgroup v2 subtree is rare on shared hosts, and an address-space
// rlimit kills Go, CUDA and JVM programs that reserve memory they never use).
// Silently ignoring a limit would be worse than refusing it.
func CheckLocalSpec(spec Spec) error {
	for _, l := range []struct {
		flag string
		set  bool
	}{{"--memory", spec.Memory > 0}, {"--cpus", spec.CPUs > 0}, {"--shm-size", spec.ShmSize > 0}} {
		if l.set {
			return &config.InputError{Field: l.flag, Msg: fmt.Sprintf(
				"%s applies to docker runners only: a local run is a plain process and Lathe cannot enforce the limit; use a docker runner or leave %s out", l.flag, l.flag)}
		}
	}
	return nil
}

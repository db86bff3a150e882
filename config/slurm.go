package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Cluster and pool runner types.
const (
	RunnerSlurm = "slurm" // batch jobs on a Slurm cluster, from this machine or an ssh:// login node
	RunnerPool  = "pool"  // a named set of other runners; a run goes to the one with the most free capacity
)

// SlurmOptions configure a slurm runner. Every value reaches sbatch as its
// own argument, never through a shell; Setup lines are the exception by
// design: they are shell lines the cluster's users write (module load ...).
type SlurmOptions struct {
	Partition  string   `json:"partition,omitempty"`
	Account    string   `json:"account,omitempty"`
	QOS        string   `json:"qos,omitempty"`
	TimeLimit  string   `json:"time_limit,omitempty"`   // Slurm's format: minutes, MM:SS, HH:MM:SS, D-HH
	GPUsPerRun int      `json:"gpus_per_run,omitempty"` // default --gres=gpu:N when a run asks none
	CPUs       int      `json:"cpus,omitempty"`         // --cpus-per-task
	Memory     int64    `json:"memory,omitempty"`       // bytes, --mem
	WorkDir    string   `json:"work_dir,omitempty"`     // run folders on the shared filesystem
	Modules    []string `json:"modules,omitempty"`      // module load NAME, each its own argument
	Setup      []string `json:"setup,omitempty"`        // shell lines run before the command
	SbatchArgs []string `json:"sbatch_args,omitempty"`  // extra sbatch arguments, each one argument
}

// slurmKeys are the runner keys that only slurm runners take.
var slurmKeys = []string{"partition", "account", "qos", "time_limit", "gpus_per_run", "cpus", "memory", "work_dir", "modules", "setup", "sbatch_args"}

// slurmWord is what Slurm accepts as a partition, account or QOS name.
var slurmWord = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)

// slurmTime is sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
var slurmTime = regexp.MustCompile(`^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$`)

// slurmKey parses one slurm-only key of a runner mapping; ok is false when
// key is not one of them.
func (p *parser) slurmKey(r *Runner, k, v *yaml.Node, full string) (ok bool, err error) {
	if !slices.Contains(slurmKeys, k.Value) && k.Value != "members" {
		return false, nil
	}
	if k.Value == "members" {
		r.Members, err = p.strList(v, full, "members must be a list of runner names such as [local, cluster]")
		for _, m := range r.Members {
			if !runnerNameRE.MatchString(m) {
				return true, p.errAt(v, full, "member %q is not a runner name", m)
			}
		}
		return true, err
	}
	if r.Slurm == nil {
		r.Slurm = &SlurmOptions{}
	}
	s := r.Slurm
	word := func(dst *string, what string) error {
		if *dst, err = p.str(v, full); err != nil {
			return err
		}
		if !slurmWord.MatchString(*dst) {
			return p.errAt(v, full, "%s %q is not a Slurm name (letters, digits, _ . + -)", what, *dst)
		}
		return nil
	}
	switch k.Value {
	case "partition":
		return true, word(&s.Partition, "partition")
	case "account":
		return true, word(&s.Account, "account")
	case "qos":
		return true, word(&s.QOS, "qos")
	case "time_limit":
		if s.TimeLimit, err = p.str(v, full); err != nil {
			if n, ierr := p.integer(v, full, ""); ierr == nil {
				s.TimeLimit, err = strconv.Itoa(n), nil
			} else {
				return true, err
			}
		}
		if !slurmTime.MatchString(s.TimeLimit) {
			return true, p.errAt(v, full, "time_limit %q is not a Slurm time; valid: minutes (30), HH:MM:SS (2:00:00) or D-HH:MM:SS (1-12:00:00)", s.TimeLimit)
		}
	case "gpus_per_run", "cpus":
		n, err := p.integer(v, full, "valid: an integer of at least 0")
		if err != nil {
			return true, err
		}
		if n < 0 || n > 1024 {
			return true, p.errAt(v, full, "%s is %d; valid: an integer from 0 to 1024", k.Value, n)
		}
		if k.Value == "cpus" {
			s.CPUs = n
		} else {
			s.GPUsPerRun = n
		}
	case "memory":
		sz := v.Value
		if s.Memory, err = ParseSize(full, sz); err != nil || s.Memory <= 0 {
			return true, p.errAt(v, full, "memory %q is not a size; valid: a size such as 16g or 512m", sz)
		}
	case "work_dir":
		if s.WorkDir, err = p.str(v, full); err != nil {
			return true, err
		}
		if strings.ContainsAny(s.WorkDir, "%\n") {
			return true, p.errAt(v, full, "work_dir %q contains %% or a newline, which sbatch reads as a file name pattern; choose another folder", s.WorkDir)
		}
	case "modules":
		s.Modules, err = p.strList(v, full, "modules must be a list of module names such as [cuda/12.2, python/3.11]")
	case "setup":
		s.Setup, err = p.strList(v, full, "setup must be a list of shell lines run before the command")
	case "sbatch_args":
		s.SbatchArgs, err = p.strList(v, full, "sbatch_args must be a list of arguments such as [--constraint=a100, --exclusive]")
		for _, a := range s.SbatchArgs {
			if err == nil && !strings.HasPrefix(a, "-") {
				err = p.errAt(v, full, "sbatch argument %q does not start with -; give options only (the script is Lathe's)", a)
			}
		}
	}
	return true, err
}

// strList reads a list of strings.
func (p *parser) strList(v *yaml.Node, field, want string) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, p.errAt(v, field, "%s, got %s", want, describeNode(v))
	}
	out := make([]string, 0, len(v.Content))
	for _, it := range v.Content {
		s, err := p.str(deref(it), field)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// checkTypeKeys rejects keys that do not apply to the runner's type.
func (p *parser) checkTypeKeys(r *Runner, label string, keyNodes map[string]*yaml.Node) error {
	if r.Type != RunnerSlurm {
		for _, key := range slurmKeys {
			if r.Type == RunnerKubernetes && slices.Contains(kubeKeys, key) {
				continue // cpus, memory and gpus_per_run: kubernetes takes them too
			}
			if k, ok := keyNodes[key]; ok {
				return p.errAt(k, label+"."+key, "%s applies to slurm runners only; runner %q is type %s", key, r.Name, r.Type)
			}
		}
	}
	if k, ok := keyNodes["members"]; ok && r.Type != RunnerPool {
		return p.errAt(k, label+".members", "members applies to pool runners only; runner %q is type %s", r.Name, r.Type)
	}
	switch r.Type {
	case RunnerSlurm:
		for _, key := range []string{"context", "tls", "gpus", "min_free_memory"} {
			if k, ok := keyNodes[key]; ok {
				return p.errAt(k, label+"."+key, "%s does not apply to slurm runners (Slurm allocates GPUs: use gpus_per_run)", key)
			}
		}
		if k, ok := keyNodes["timeout"]; ok {
			return p.errAt(k, label+".timeout", "timeout applies to docker runners (each call to the daemon); a slurm runner takes connect_timeout for its login node")
		}
		if r.Host != "" && !strings.HasPrefix(r.Host, "ssh://") {
			return p.errAt(keyNodes["host"], label+".host", "a slurm runner's host is a login node ssh://[user@]host[:port], or empty for this machine; got %q", r.Host)
		}
		if _, ok := keyNodes["max_concurrent"]; !ok {
			r.MaxConcurrent = 64 // Slurm queues; this bounds what one lathe submits at once
		}
	case RunnerPool:
		for k := range keyNodes {
			if k != "name" && k != "type" && k != "members" && k != "max_concurrent" {
				return p.errAt(keyNodes[k], label+"."+k, "a pool runner takes only members (a list of runner names); %s belongs on its members", k)
			}
		}
		if len(r.Members) == 0 {
			return p.errAt(keyNodes["type"], label, "pool %q has no members; add members: [runner, ...]", r.Name)
		}
	}
	return nil
}

// PoolMembers checks a pool's members against the configured runners.
func (c *Config) PoolMembers(pool Runner) ([]Runner, error) {
	var out []Runner
	for _, m := range pool.Members {
		rc, ok := c.Runner(m)
		o := c.Origin("runners." + pool.Name + ".members")
		switch {
		case !ok:
			return nil, &InputError{File: o.File, Line: o.Line, Column: o.Column, Field: "runners." + pool.Name + ".members",
				Msg: fmt.Sprintf("pool %s names runner %q, which is not configured; runners: %s", pool.Name, m, strings.Join(c.RunnerNames(), ", "))}
		case rc.Type == RunnerPool:
			return nil, &InputError{File: o.File, Line: o.Line, Column: o.Column, Field: "runners." + pool.Name + ".members",
				Msg: fmt.Sprintf("pool %s names pool %q; members are runners, not pools", pool.Name, m)}
		}
		out = append(out, rc)
	}
	return out, nil
}

// showCluster hands a slurm or pool runner's settings to add, for config show.
func (r Runner) showCluster(add func(key string, v any)) {
	if len(r.Members) > 0 {
		add("members", append([]string{}, r.Members...))
	}
	o := r.Slurm
	if o == nil {
		return
	}
	for _, kv := range []struct {
		k string
		v string
	}{{"partition", o.Partition}, {"account", o.Account}, {"qos", o.QOS}, {"time_limit", o.TimeLimit}, {"work_dir", o.WorkDir}} {
		if kv.v != "" {
			add(kv.k, kv.v)
		}
	}
	for _, kv := range []struct {
		k string
		v int64
	}{{"gpus_per_run", int64(o.GPUsPerRun)}, {"cpus", int64(o.CPUs)}, {"memory", o.Memory}} {
		if kv.v != 0 {
			add(kv.k, kv.v)
		}
	}
	for _, kv := range []struct {
		k string
		v []string
	}{{"modules", o.Modules}, {"setup", o.Setup}, {"sbatch_args", o.SbatchArgs}} {
		if len(kv.v) > 0 {
			add(kv.k, append([]string{}, kv.v...))
		}
	}
}

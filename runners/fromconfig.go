package runners

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
)

// GPURequestFrom converts a GPU spec from flags or config into a request.
func GPURequestFrom(g config.GPUSpec) GPURequest {
	switch {
	case g.All:
		return GPURequest{Count: -1}
	case g.Count > 0:
		return GPURequest{Count: g.Count}
	case len(g.Devices) > 0:
		return GPURequest{DeviceIDs: append([]string(nil), g.Devices...)}
	}
	return GPURequest{}
}

// Options are what every runner built from config shares.
type Options struct {
	RunsDir     string // local runs' directories, typically <workspace>/.lathe/runs
	WorkspaceID string // Docker label
	Version     string // lathe version, Docker label
	// ConnectTimeout bounds reaching a Slurm login node (ssh ConnectTimeout).
	ConnectTimeout time.Duration
	// Origin locates a config key for errors (config.Config.Origin).
	Origin func(key string) config.Origin
}

// FromConfig builds the runner a config entry describes. It does not contact
// any daemon.
func FromConfig(rc config.Runner, o Options) (Runner, error) {
	switch rc.Type {
	case config.RunnerLocal:
		return NewLocal(rc.Name, o.RunsDir), nil
	case config.RunnerDocker:
		ep := Endpoint{Host: rc.Host, Context: rc.Context}
		if rc.TLS != nil {
			ep.TLS = &TLSFiles{CA: rc.TLS.CA, Cert: rc.TLS.Cert, Key: rc.TLS.Key}
		}
		return NewDocker(rc.Name, ep, DockerOptions{WorkspaceID: o.WorkspaceID, Version: o.Version,
			ConnectTimeout: rc.ConnectTimeout, CallTimeout: rc.Timeout})
	case config.RunnerKubernetes:
		ko := KubeOptions{WorkspaceID: o.WorkspaceID, Version: o.Version, Context: rc.Context}
		if rc.Kube != nil {
			ko.Settings = *rc.Kube
		}
		return NewKube(rc.Name, ko)
	case config.RunnerSlurm:
		ct := o.ConnectTimeout
		if rc.ConnectTimeout > 0 {
			ct = rc.ConnectTimeout // the runner's own connect_timeout
		}
		return NewSlurm(rc, SlurmOptions{RunsDir: o.RunsDir, ConnectTimeout: ct, Origin: o.Origin})
	case config.RunnerPool:
		return nil, &config.InputError{Field: "runner", Msg: fmt.Sprintf("runner %s is a pool of %s; a run goes to one of its members", rc.Name, strings.Join(rc.Members, ", "))}
	}
	return nil, &config.InputError{Field: "type", Msg: fmt.Sprintf("runner %s: unknown type %q (local, docker, slurm or kubernetes)", rc.Name, rc.Type)}
}

// GPUsOf is the GPU setting of a runner entry: its gpus:, and for a local
// runner without one every GPU of this host, which is what `runners ls`
// shows for it and what its runs can reach anyway (a plain process is not
// fenced off from any device). A docker runner without gpus: has none.
func GPUsOf(rc config.Runner) config.GPUSpec {
	if rc.GPUs.IsZero() && rc.Type == config.RunnerLocal {
		return config.GPUSpec{All: true}
	}
	return rc.GPUs
}

// SchedulerOptionsFor limits a host's inventory to the GPUs the runner entry
// allows (GPUsOf): all of them, the first N, or the listed indices/UUIDs.
func SchedulerOptionsFor(rc config.Runner, inv Inventory) SchedulerOptions {
	ids := inv.DeviceIDs()
	var allowed []string
	switch g := GPUsOf(rc); {
	case g.All:
		allowed = ids
	case g.Count > 0:
		allowed = ids[:min(g.Count, len(ids))]
	case len(g.Devices) > 0:
		for _, want := range g.Devices {
			for _, gpu := range inv.GPUs {
				// A device may be named by index or UUID; MIG UUIDs pass as they are.
				if want == strconv.Itoa(gpu.Index) || want == gpu.UUID {
					allowed = append(allowed, strconv.Itoa(gpu.Index))
				}
				for _, m := range gpu.MIG {
					if want == m.UUID {
						allowed = append(allowed, m.UUID)
					}
				}
			}
		}
	}
	return SchedulerOptions{MaxConcurrent: rc.MaxConcurrent, GPUs: allowed}
}

// ApplyRunnerDefaults fills a spec from its runner's entry: the default image,
// the runner's env (the spec's own env wins) and the PassEnv variables copied
// from getenv (normally os.Getenv), which is how secrets reach a run without
// being written in any file.
func ApplyRunnerDefaults(spec *Spec, rc config.Runner, getenv func(string) string) {
	if spec.Image == "" && (rc.Type == config.RunnerDocker || rc.Type == config.RunnerKubernetes) {
		spec.Image = rc.Image
	}
	if len(rc.Env) == 0 && len(rc.PassEnv) == 0 {
		return
	}
	env := map[string]string{}
	for _, k := range rc.PassEnv {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	for k, v := range rc.Env {
		env[k] = v
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	spec.Env = env
}

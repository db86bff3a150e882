package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
)

// A queued run whose lathe process exited (Ctrl-C on `lathe run`, a killed
// shell) is not lost work: the store holds everything its launch decided, so
// the next process that reconciles puts it back in its runner's queue, where
// it keeps its place (the store's claims order the queue by creation). It is
// marked stopped instead only when it cannot be launched as it was asked:
// a secret its environment held is not in the store, and the launching
// environment (pass_env) no longer provides it. A study's trial is left to
// its study's driver, which relaunches what it needs (tune resume, --join).

// requeue submits the queued run cur to its runner's scheduler in this
// process, under lock (its ingest lock, now held here). On an error the run
// was not queued here and the caller still owns lock; why is set when the run
// can never be requeued and should be marked stopped with that message.
func (e *Engine) requeue(ctx context.Context, cur experiments.Run, rc config.Runner, lock experiments.Lock) (why string, err error) {
	spec, why, err := e.specFromRecord(ctx, cur, rc)
	if err != nil || why != "" {
		return why, err
	}
	en, err := e.entry(ctx, rc)
	if err != nil {
		return "", err
	}
	if err := en.feasible(spec.GPUs); err != nil {
		return "the runner cannot give it the GPUs it asks for now: " + err.Error(), nil
	}
	if rc.Type != config.RunnerDocker {
		// It inherits from this process now, not from the one that queued it.
		if _, err := e.ws.Store.UpdateRun(ctx, cur.ID, func(r *experiments.Run) error {
			if r.Resources == nil {
				r.Resources = map[string]string{}
			}
			r.Resources["inherited_env"] = inheritedEnvNames()
			return nil
		}); err != nil {
			return "", err
		}
	}
	sink := e.newSink(cur.ID, rc.Name, lock)
	if err := en.sched.Submit(spec, sink); err != nil {
		sink.detach() // releases lock; the run stays queued for another process
		return "", err
	}
	return "", nil
}

// specFromRecord rebuilds the runner spec that Launch made for a run from its
// record: the same command, params, inputs, environment (secrets again from
// pass_env), GPUs, limits, working directory and priority.
func (e *Engine) specFromRecord(ctx context.Context, rec experiments.Run, rc config.Runner) (runners.Spec, string, error) {
	spec := runners.Spec{ID: rec.ID, Name: rec.Name, Command: slices.Clone(rec.Command), Image: rec.Image,
		Params: map[string]string{}, Inputs: map[string]string{}, Env: map[string]string{},
		Metrics: e.parseOptions(), Priority: rec.Priority}
	if len(spec.Command) == 0 {
		return spec, "its record has no command", nil
	}
	for k, v := range rec.Params {
		spec.Params[k] = rerunParam(v)
	}
	var redacted []string
	for k, v := range rec.Env {
		switch {
		case isPerRunEnv(k):
		case v == experiments.Redacted || strings.Contains(v, ":REDACTED@"):
			redacted = append(redacted, k)
		default:
			spec.Env[k] = v
		}
	}
	runners.ApplyRunnerDefaults(&spec, rc, e.opts.Getenv)
	var missing []string
	for _, k := range redacted {
		if _, ok := spec.Env[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return spec, fmt.Sprintf("it was queued in a lathe process that ended before it started, and its environment held %s, which the store does not keep; launch it again", strings.Join(missing, ", ")), nil
	}
	g, err := config.ParseGPUSpec(rec.GPUs)
	if err != nil {
		return spec, "its recorded GPU request " + strconv.Quote(rec.GPUs) + " is not valid", nil
	}
	spec.GPUs = runners.GPURequestFrom(g)
	if v := rec.Resources["cpus"]; v != "" {
		spec.CPUs, _ = strconv.ParseFloat(v, 64)
	}
	if v := rec.Resources["memory"]; v != "" {
		spec.Memory, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := rec.Resources["shm_size"]; v != "" {
		spec.ShmSize, _ = strconv.ParseInt(v, 10, 64)
	}
	ins, err := e.ws.Store.RunInputs(ctx, rec.ID)
	if err != nil {
		return spec, "", err
	}
	for _, in := range ins {
		spec.Inputs[in.Name] = e.ws.Abs(in.Dataset.Path)
	}
	if rc.Type == config.RunnerDocker || (rc.Type == config.RunnerSlurm && rc.Host == "") {
		spec.OutputDir = filepath.Join(e.ws.RunDir(rec.ID), "outputs")
		if err := os.MkdirAll(spec.OutputDir, 0o755); err != nil {
			return spec, "", err
		}
	}
	if rc.Type != config.RunnerDocker {
		spec.WorkDir = rec.Workdir
		if rc.Host == "" {
			thisLathe(spec.Command)
		}
	}
	return spec, "", nil
}

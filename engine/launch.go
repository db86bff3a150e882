package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// LaunchRequest is one run to launch. Only Command is required.
type LaunchRequest struct {
	Name    string
	Runner  string   // "" = default_runner
	Image   string   // docker runners; "" = the runner's image
	Command []string // argv; "{param}" placeholders are replaced per argument; docker, kubernetes: replaces the image's CMD
	// Entrypoint (docker and kubernetes runners) replaces the image's ENTRYPOINT, as docker
	// run --entrypoint; "" keeps it, and Command is appended to it.
	Entrypoint string
	Params     map[string]string
	Inputs     map[string]string // input name -> path (relative paths against WorkDir, else the working directory)
	GPUs       string            // "all", a count, or device ids, as --gpus
	CPUs       float64           // docker --cpus; 0 = unlimited
	Memory     int64             // bytes; 0 = unlimited
	ShmSize    int64             // bytes; 0 = daemon default
	Env        map[string]string // extra environment (stored redacted)
	// WorkDir is the working directory of a local run (default: this
	// process's); docker runs use the image's.
	WorkDir  string
	Priority int
	RerunOf  string
	// Pool, when set, lists runners to choose from (a study's runners:):
	// the run goes to the one with the most free capacity, as for a pool
	// runner named by Runner.
	Pool []string
	// Trial, when set, creates the run as that trial of a study.
	Trial *TrialRef
}

// TrialRef names a study's trial.
type TrialRef struct {
	StudyID int64
	Number  int
}

// Run is a run launched by this engine.
type Run struct {
	ID   string
	e    *Engine
	sink *storeSink
}

// Done is closed once the run's final status is stored, or when the engine
// closes first (the run goes on without it).
func (r *Run) Done() <-chan struct{} { return r.sink.done }

// Wait returns the run's record once it ended (or the engine closed).
func (r *Run) Wait(ctx context.Context) (experiments.Run, error) {
	select {
	case <-ctx.Done():
		return experiments.Run{}, ctx.Err()
	case <-r.sink.done:
	}
	return r.e.ws.Store.GetRun(context.Background(), r.ID)
}

// WaitStarted returns the run's record once it left the queue (it may have
// ended already) or a cluster's scheduler holds it (a pending Slurm job,
// which needs no lathe process to start).
func (r *Run) WaitStarted(ctx context.Context) (experiments.Run, error) {
	for {
		ch := r.e.changes()
		run, err := r.e.ws.Store.GetRun(ctx, r.ID)
		if err != nil || run.Status != runstatus.Queued || run.ContainerID != "" {
			return run, err
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-r.sink.done:
		case <-ch:
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Launch validates req, records the run (params, redacted env, code version,
// runner, host, inputs as dataset versions with `used` edges), and queues it
// on its runner's scheduler. It returns once the run is queued; the engine
// ingests its output until it ends or the engine closes.
func (e *Engine) Launch(ctx context.Context, req LaunchRequest) (*Run, error) {
	if err := permit(ctx, "launch", req.auditText()); err != nil {
		return nil, err
	}
	rc, err := e.runnerConfig(req.Runner, "--runner")
	if err != nil {
		return nil, err
	}
	if rc.Type == config.RunnerPool || len(req.Pool) > 0 {
		// Held until the run is recorded, so concurrent launches into one
		// pool count each other.
		e.poolMu.Lock()
		defer e.poolMu.Unlock()
		if rc, err = e.pickRunner(ctx, rc, req.Pool); err != nil {
			return nil, err
		}
	}
	if len(req.Command) == 0 {
		return nil, &config.InputError{Field: "command", Msg: "no command given; put it after --, e.g. lathe run -- ./train --lr {lr}"}
	}
	if _, err := runners.ExpandCommand(req.Command, req.Params); err != nil {
		return nil, err
	}
	gspec, err := config.ParseGPUSpec(req.GPUs)
	if err != nil {
		return nil, config.RenameField(config.RenameField(err, "", "--gpus"), "gpus", "--gpus")
	}
	workDir := req.WorkDir
	if workDir == "" {
		if workDir, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	inputs := map[string]string{}
	for _, name := range format.SortedKeys(req.Inputs) {
		p := req.Inputs[name]
		if !filepath.IsAbs(p) {
			p = filepath.Join(workDir, p)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, &config.InputError{Field: "--input " + name, Msg: fmt.Sprintf("%s does not exist or cannot be read", req.Inputs[name]), Err: err}
		}
		inputs[name] = p
	}
	spec := runners.Spec{Name: req.Name, Command: slices.Clone(req.Command), Image: req.Image, Params: req.Params,
		Inputs: inputs, Env: req.Env, GPUs: runners.GPURequestFrom(gspec), CPUs: req.CPUs, Memory: req.Memory,
		ShmSize: req.ShmSize, Metrics: e.parseOptions(), Priority: req.Priority}
	if req.Entrypoint != "" {
		spec.Entrypoint = []string{req.Entrypoint}
	}
	runners.ApplyRunnerDefaults(&spec, rc, e.opts.Getenv)
	host := e.host
	switch rc.Type {
	case config.RunnerDocker:
		if spec.Image == "" {
			return nil, &config.InputError{Field: "--image", Msg: fmt.Sprintf("runner %s runs containers: give --image or set image: on the runner", rc.Name)}
		}
		host = rc.Host
		if host == "" && rc.Context != "" {
			host = "context " + rc.Context
		}
	default:
		if req.Entrypoint != "" && rc.Type != config.RunnerKubernetes {
			return nil, &config.InputError{Field: "--entrypoint", Msg: fmt.Sprintf("--entrypoint applies to docker and kubernetes runners; runner %s is type %s: put the program first in the command", rc.Name, rc.Type)}
		}
		if rc.Type != config.RunnerKubernetes {
			// A pod's working directory is its image's WORKDIR: this
			// machine's directory means nothing there.
			spec.WorkDir = workDir
		}
		if rc.Host != "" { // a slurm login node
			host = rc.Host
			break
		}
		// Refused before anything is recorded: a limit that is not applied
		// must not look applied (Slurm applies --cpus and --memory).
		if rc.Type == config.RunnerLocal {
			if err := runners.CheckLocalSpec(spec); err != nil {
				return nil, err
			}
		}
		thisLathe(spec.Command)
	}
	en, err := e.entry(ctx, rc)
	if err != nil {
		return nil, err
	}
	if err := en.feasible(spec.GPUs); err != nil {
		return nil, err
	}
	if p, ok := en.r.(runners.Preflighter); ok {
		pctx, cancel := context.WithTimeout(ctx, e.opts.ConnectTimeout)
		err := p.Preflight(pctx, spec)
		cancel()
		if err != nil {
			return nil, err
		}
	}

	// The id comes first so the ingest lock is held before the record exists:
	// a Reconcile elsewhere never mistakes a run being launched for an orphan.
	id := experiments.NewRunID()
	lock, ok, err := e.lockRun(id)
	if err != nil || !ok {
		return nil, fmt.Errorf("lock run %s: %v", id, err)
	}
	spec.ID = id
	if rc.Type == config.RunnerDocker || (rc.Type == config.RunnerSlurm && rc.Host == "") {
		spec.OutputDir = filepath.Join(e.ws.RunDir(id), "outputs")
		if err := os.MkdirAll(spec.OutputDir, 0o755); err != nil {
			unlock(lock)
			return nil, err
		}
	}
	code, err := e.ws.CodeVersion(ctx)
	if err != nil {
		code = experiments.CodeVersion{}
	}
	params := map[string]any{}
	for k, v := range req.Params {
		params[k] = v
	}
	res := map[string]string{}
	if req.CPUs > 0 {
		res["cpus"] = strconv.FormatFloat(req.CPUs, 'g', -1, 64)
	}
	if req.Memory > 0 {
		res["memory"] = strconv.FormatInt(req.Memory, 10)
	}
	if req.ShmSize > 0 {
		res["shm_size"] = strconv.FormatInt(req.ShmSize, 10)
	}
	if req.Entrypoint != "" {
		res["entrypoint"] = req.Entrypoint // kept with the launch settings, so a rerun repeats it
	}
	if rc.Type != config.RunnerDocker {
		// Which of lathe's variables a local run inherits besides pass_env
		// (those are in Env, secret-looking values redacted): names only.
		res["inherited_env"] = inheritedEnvNames()
	}
	rec := experiments.Run{ID: id, Name: req.Name, Status: runstatus.Queued, Runner: rc.Name, Host: host,
		Image: spec.Image, Command: slices.Clone(req.Command), Params: params, Env: spec.Env, Resources: res,
		Code: code, GPUs: gspec.String(), Priority: req.Priority, RerunOf: req.RerunOf}
	if rc.Type != config.RunnerDocker {
		rec.Workdir = workDir
	}
	if req.Trial != nil {
		err = e.ws.Store.CreateRunForTrial(ctx, req.Trial.StudyID, req.Trial.Number, &rec)
	} else {
		err = e.ws.Store.CreateRun(ctx, &rec)
	}
	if err != nil {
		unlock(lock)
		return nil, err
	}
	sink := e.newSink(id, rc.Name, lock)
	fail := func(err error) (*Run, error) {
		sink.Status(runners.StatusUpdate{RunID: id, Status: runstatus.Failed, Message: err.Error(), Time: time.Now()})
		return nil, err
	}
	for _, name := range format.SortedKeys(inputs) {
		d, err := e.registerInput(ctx, inputs[name])
		if err != nil {
			return fail(fmt.Errorf("register input %s: %w", name, err))
		}
		if err := e.ws.Store.AddRunInput(ctx, id, name, d.ID); err != nil {
			return fail(err)
		}
	}
	if err := en.sched.Submit(spec, sink); err != nil {
		return fail(err)
	}
	return &Run{ID: id, e: e, sink: sink}, nil
}

// inheritedEnvNames lists the variables a local run started by this process
// inherits from it, for the run's resources (names only).
func inheritedEnvNames() string {
	return strings.Join(runners.InheritedNames(os.Environ()), ",")
}

// thisLathe makes "lathe" as the program of a local run this very binary,
// so the demo's `lathe trainer ...` works wherever lathe was started from.
func thisLathe(argv []string) {
	if argv[0] == "lathe" {
		if exe, err := os.Executable(); err == nil {
			argv[0] = exe
		}
	}
}

// registerInput records the file or directory at path as a dataset version
// (sha256 of the content; for a directory, of its sorted file list with each
// file's hash). The same content at the same path stays one version.
func (e *Engine) registerInput(ctx context.Context, path string) (experiments.Dataset, error) {
	st, err := os.Stat(path)
	if err != nil {
		return experiments.Dataset{}, err
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if st.IsDir() {
		format = "dir"
	}
	sum, size, err := ContentSHACached(ctx, e.ws.Store, path)
	if err != nil {
		return experiments.Dataset{}, err
	}
	d, _, err := e.ws.Store.AddDataset(ctx, experiments.Dataset{SHA256: sum, Path: e.ws.Rel(path), Format: format, Size: size, Rows: -1})
	return d, err
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

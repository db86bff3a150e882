package runners

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// Slurm runs each run as a Slurm batch job, submitted with sbatch on this
// machine or on a login node over ssh (the user's ssh, agent and
// ~/.ssh/config, as for ssh:// Docker hosts).
//
// Each run has a folder <work_dir>/<run id>/ on the cluster's shared
// filesystem. Lathe writes the command and environment there as
// NUL-separated files and submits a constant batch script (slurmScript)
// with the folder as its one argument; the job writes stdout.log,
// stderr.log and exit there. A follower tails those files (over ssh for a
// login node) and reads the job's state from scontrol (sacct once Slurm has
// forgotten the job, when accounting is on): PENDING is queued with Slurm's
// reason, TIMEOUT and OUT_OF_MEMORY end failed and oom_killed. The job id is
// kept in the folder's "job" file and reported as the run's container_id,
// so any later lathe can reattach by it.
type Slurm struct {
	name    string
	host    *slurmHost
	opts    config.SlurmOptions
	workDir string
	origin  func(key string) config.Origin
	poll    time.Duration

	mu         sync.Mutex
	partitions []string // cached by Preflight
}

// SlurmOptions are the runner-independent settings of NewSlurm.
type SlurmOptions struct {
	RunsDir        string        // default work_dir for a local cluster
	ConnectTimeout time.Duration // ssh ConnectTimeout for a login node
	// SSHFlags are extra ssh(1) arguments for a login node, such as
	// ["-i", "~/.ssh/hpc"]; ~/.ssh/config and the agent apply anyway.
	SSHFlags []string
	// Origin locates a config key (runners.NAME.partition) for errors.
	Origin func(key string) config.Origin
}

// NewSlurm returns the runner of one slurm config entry.
func NewSlurm(rc config.Runner, o SlurmOptions) (*Slurm, error) {
	var so config.SlurmOptions
	if rc.Slurm != nil {
		so = *rc.Slurm
	}
	h, err := newSlurmHost(rc.Name, rc.Host, o.ConnectTimeout, o.SSHFlags)
	if err != nil {
		return nil, err
	}
	s := &Slurm{name: rc.Name, host: h, opts: so, workDir: so.WorkDir, origin: o.Origin, poll: 100 * time.Millisecond}
	if s.origin == nil {
		s.origin = func(string) config.Origin { return config.Origin{} }
	}
	if h.remote() {
		s.poll = time.Second
		if !path.IsAbs(s.workDir) {
			return nil, s.configError("work_dir", fmt.Sprintf("runner %s submits through %s: set work_dir to an absolute folder on the cluster's shared filesystem (where run folders live)", rc.Name, rc.Host))
		}
	} else if s.workDir == "" {
		s.workDir = o.RunsDir
	}
	return s, nil
}

// Name implements Runner.
func (s *Slurm) Name() string { return s.name }

// Host is the login node ("" for this machine).
func (s *Slurm) Host() string { return s.host.url }

// RunDir is a run's folder on the cluster.
func (s *Slurm) RunDir(runID string) string { return path.Join(s.workDir, runID) }

// AllocatesGPUs tells the scheduler that Slurm, not Lathe, picks devices.
func (s *Slurm) AllocatesGPUs() bool { return true }

func (s *Slurm) configError(key, msg string) error {
	o := s.origin("runners." + s.name + "." + key)
	return &config.InputError{File: o.File, Line: o.Line, Column: o.Column, Field: "runners." + s.name + "." + key, Msg: msg}
}

// Preflighter is a runner that can refuse a run before it is recorded:
// the engine calls Preflight within the connect timeout.
type Preflighter interface {
	Preflight(ctx context.Context, spec Spec) error
}

// Preflight checks that the cluster answers, that the configured partition
// exists and that an image has a container runtime to run it.
func (s *Slurm) Preflight(ctx context.Context, spec Spec) error {
	parts, err := s.Partitions(ctx)
	if err != nil {
		return err
	}
	if p := s.opts.Partition; p != "" && !slices.Contains(parts, p) {
		return s.configError("partition", fmt.Sprintf("partition %q does not exist on the cluster; partitions: %s", p, strings.Join(parts, ", ")))
	}
	if spec.Image != "" {
		return s.checkContainerTool(ctx, spec.Image)
	}
	return nil
}

// Partitions lists the cluster's partition names (cached).
func (s *Slurm) Partitions(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.partitions != nil {
		return s.partitions, nil
	}
	out, err := s.host.run(ctx, nil, "sinfo", "-h", "-o", "%R")
	if err != nil {
		return nil, err
	}
	parts := []string{}
	for _, l := range strings.Fields(string(out)) {
		if !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	s.partitions = parts
	return parts, nil
}

// Start implements Runner: it submits the job and returns once Slurm has
// its id. The run is reported queued (with Slurm's reason) until the job
// starts, then running.
func (s *Slurm) Start(ctx context.Context, spec Spec, sink Sink) (Handle, error) {
	ls := &lockedSink{s: sink}
	h, err := s.start(ctx, spec, ls)
	if err != nil {
		ls.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Failed, Message: err.Error(), Time: time.Now()})
		return nil, err
	}
	return h, nil
}

func (s *Slurm) start(ctx context.Context, spec Spec, sink *lockedSink) (Handle, error) {
	check := spec
	if s.host.remote() {
		check.Inputs = nil // paths on the cluster, not here
	}
	if err := validateSpec(check); err != nil {
		return nil, err
	}
	if len(spec.GPUs.DeviceIDs) > 0 || spec.GPUs.Count < 0 {
		return nil, &config.InputError{Field: "gpus", Msg: fmt.Sprintf("runner %s is a Slurm cluster: ask for a number of GPUs (--gpus N); Slurm picks the devices", s.name)}
	}
	argv, err := ExpandCommand(spec.Command, spec.Params)
	if err != nil {
		return nil, err
	}
	if spec.Image != "" {
		if err := s.checkContainerTool(ctx, spec.Image); err != nil {
			return nil, err
		}
	}
	dir := s.RunDir(spec.ID)
	outDir := spec.OutputDir
	if outDir == "" {
		outDir = path.Join(dir, "outputs")
	}
	workDir := spec.WorkDir
	if workDir == "" || s.host.remote() {
		workDir = dir
	}
	inputs := map[string]string{}
	for k, p := range spec.Inputs {
		inputs[k] = p
		if !s.host.remote() {
			if inputs[k], err = filepath.Abs(p); err != nil {
				return nil, err
			}
		}
	}
	files := map[string][]byte{}
	if files["argv"], err = nulJoin("command", argv); err != nil {
		return nil, err
	}
	env := RunEnv(spec, func(n string) string { return inputs[n] }, path.Join(dir, "params.json"), outDir)
	if files["env"], err = nulJoin("env", env); err != nil {
		return nil, err
	}
	if files["workdir"], err = nulJoin("workdir", []string{workDir}); err != nil {
		return nil, err
	}
	if spec.Image != "" {
		files["image"], _ = nulJoin("image", []string{spec.Image})
	}
	if b := setupScript(s.opts); b != nil {
		files["setup.sh"] = b
	}
	files["params.json"] = ParamsJSON(spec.Params)
	files["metrics.json"], _ = json.Marshal(spec.Metrics)
	files["lathe.sbatch"] = []byte(slurmScript)
	if err := s.host.writeFiles(ctx, dir, files, outDir); err != nil {
		return nil, fmt.Errorf("slurm runner %s: write the run folder: %w", s.name, err)
	}
	gpus := spec.GPUs.Count
	if gpus == 0 {
		gpus = s.opts.GPUsPerRun
	}
	args := append(sbatchArgs(s.opts, spec, dir, gpus), path.Join(dir, "lathe.sbatch"), dir)
	out, err := s.host.run(ctx, nil, append([]string{"sbatch"}, args...)...)
	if err != nil {
		return nil, s.submitError(err)
	}
	job, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(job); err != nil {
		return nil, fmt.Errorf("slurm runner %s: sbatch printed %q, not a job id", s.name, out)
	}
	if err := s.host.writeFiles(ctx, dir, map[string][]byte{"job": []byte(job + "\n")}, ""); err != nil {
		_, _ = s.host.run(context.WithoutCancel(ctx), nil, "scancel", job)
		return nil, fmt.Errorf("slurm runner %s: record job %s: %w", s.name, job, err)
	}
	info := map[string]string{"container_id": job, "run_dir": dir, "output_dir": outDir}
	if s.host.remote() {
		info["host"] = s.host.url
	}
	sink.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Queued, Time: time.Now(), Message: "submitted as Slurm job " + job, Info: info})
	return s.follow(ctx, spec.ID, job, spec.Metrics, Cursor{}, sink), nil
}

// submitError turns sbatch's refusals into messages naming the config key.
func (s *Slurm) submitError(err error) error {
	msg := err.Error()
	low := strings.ToLower(msg)
	for _, k := range []struct{ word, key string }{{"partition", "partition"}, {"account", "account"}, {"qos", "qos"}, {"time limit", "time_limit"}, {"gres", "gpus_per_run"}} {
		if strings.Contains(low, "invalid "+k.word) || strings.Contains(low, k.word+" not") {
			return s.configError(k.key, fmt.Sprintf("sbatch refused the job: %s", msg))
		}
	}
	return fmt.Errorf("slurm runner %s: sbatch: %w", s.name, err)
}

// checkContainerTool refuses an image where the cluster has no container
// runtime for batch jobs.
func (s *Slurm) checkContainerTool(ctx context.Context, image string) error {
	out, err := s.host.run(ctx, nil, "sh", "-c", "command -v apptainer || command -v singularity || command -v enroot || true")
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(out)) == "" {
		return &config.InputError{Field: "--image", Msg: fmt.Sprintf("run has image %s, but runner %s (Slurm) has none of apptainer, singularity or enroot on PATH; run a plain command there, or install one", image, s.name)}
	}
	return nil
}

// Stop implements Runner: a pending job is cancelled; a running one gets
// SIGTERM (scancel --full reaches the script's children), then SIGKILL
// after grace.
func (s *Slurm) Stop(ctx context.Context, runID string, grace time.Duration) error {
	dir := s.RunDir(runID)
	job, err := s.jobID(ctx, runID)
	if err != nil {
		return fmt.Errorf("stop %s: %w", runID, err)
	}
	st, _ := s.state(ctx, job)
	if st.known && !st.active() {
		return nil
	}
	if err := s.host.writeFiles(ctx, dir, map[string][]byte{"stopped": nil}, ""); err != nil {
		return fmt.Errorf("stop %s: %w", runID, err)
	}
	if st.State == "PENDING" {
		_, err := s.host.run(ctx, nil, "scancel", job)
		return err
	}
	if _, err := s.host.run(ctx, nil, "scancel", "--signal=TERM", "--full", job); err != nil {
		return err
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if _, ended := s.readExit(ctx, dir); ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	_, _ = s.host.run(ctx, nil, "scancel", "--signal=KILL", "--full", job)
	_, err = s.host.run(ctx, nil, "scancel", job)
	return err
}

// Reconcile implements Runner: each run's job id comes from its folder.
func (s *Slurm) Reconcile(ctx context.Context, runs []Tracked, sinkFor func(string) Sink) ([]Handle, error) {
	var hs []Handle
	for _, tr := range runs {
		sink := &lockedSink{s: sinkFor(tr.RunID)}
		job, err := s.jobID(ctx, tr.RunID)
		if err != nil {
			var he *slurmHostError
			if errors.As(err, &he) {
				return hs, err // the cluster is unreachable: leave the runs as they are
			}
			sink.Status(StatusUpdate{RunID: tr.RunID, Status: runstatus.Lost, Time: time.Now(),
				Message: "no Slurm job recorded for the run on runner " + s.name})
			continue
		}
		var opts ParseOptions
		if b, err := s.host.readFile(ctx, path.Join(s.RunDir(tr.RunID), "metrics.json")); err == nil {
			_ = json.Unmarshal(b, &opts)
		}
		hs = append(hs, s.follow(ctx, tr.RunID, job, opts, tr.Cursor, sink))
	}
	return hs, nil
}

func (s *Slurm) jobID(ctx context.Context, runID string) (string, error) {
	b, err := s.host.readFile(ctx, path.Join(s.RunDir(runID), "job"))
	if err != nil {
		return "", err
	}
	job := strings.TrimSpace(string(b))
	if _, err := strconv.Atoi(job); err != nil {
		return "", fmt.Errorf("bad job file for run %s: %q", runID, job)
	}
	return job, nil
}

func (s *Slurm) readExit(ctx context.Context, dir string) (int, bool) {
	b, err := s.host.readFile(ctx, path.Join(dir, "exit"))
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return code, err == nil
}

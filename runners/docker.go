package runners

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/connhelper"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
)

// Container labels. Every container lathe creates carries them, so a later
// lathe finds its runs with a label filter (Determined's approach).
const (
	LabelRunID       = "lathe.run_id"
	LabelWorkspaceID = "lathe.workspace_id"
	LabelVersion     = "lathe.version"
	LabelRunner      = "lathe.runner"
	labelOutputDir   = "lathe.output_dir" // host dir that collects outputs
	labelMetrics     = "lathe.metrics"    // the spec's ParseOptions as JSON
)

// Paths inside the container.
const (
	containerParams  = "/lathe/params.json"
	containerOutputs = "/lathe/outputs"
	containerInputs  = "/lathe/inputs"
)

// Endpoint says which Docker daemon a runner drives. Host wins over Context;
// with neither, the docker CLI's rules apply: DOCKER_HOST, then DOCKER_CONTEXT,
// then the config's currentContext, then the default local socket.
type Endpoint struct {
	Host    string // unix:///path, tcp://host:port, ssh://user@host[:port]
	Context string // a docker context name
	TLS     *TLSFiles
}

// TLSFiles are the client certificate files for tcp:// with TLS.
type TLSFiles struct {
	CA, Cert, Key string
}

// DockerOptions tune a Docker runner; zero values are sensible.
type DockerOptions struct {
	WorkspaceID    string
	Version        string        // lathe version, for the label
	LogMaxSize     string        // json-file max-size per container, default "50m"
	LogMaxFiles    int           // json-file max-file, default 3
	ConnectTimeout time.Duration // for Ping/Probe, default 10s
	// KeepContainers leaves finished containers in place after harvesting;
	// by default they are removed once logs, status and outputs are stored.
	KeepContainers bool
	// SSHFlags are extra ssh(1) arguments for ssh:// hosts, e.g.
	// ["-i", "~/.ssh/lab_key"]; ~/.ssh/config and the agent apply anyway.
	SSHFlags []string
	// SharedFS says the daemon sees this machine's files, so inputs and
	// outputs are bind-mounted. Default: true for unix:// sockets, false for
	// ssh:// and tcp:// hosts, where inputs and outputs are copied instead.
	SharedFS *bool
	// ReconnectTimeout bounds how long a follower waits for a daemon that
	// stopped answering (a restart, a cut connection) before Wait gives up
	// with a *DaemonGoneError; default 2 minutes.
	ReconnectTimeout time.Duration
}

// Docker runs each run as a container on one Docker daemon.
type Docker struct {
	name     string
	cli      *client.Client
	host     string // resolved endpoint, for messages
	sharedFS bool
	opts     DockerOptions

	mu       sync.Mutex
	stopping map[string]bool // run ids this runner was asked to stop
}

// NewDocker connects a runner to the daemon of ep. It does not contact the
// daemon; Probe does.
func NewDocker(name string, ep Endpoint, opts DockerOptions) (*Docker, error) {
	host, tlsFiles, err := resolveEndpoint(ep)
	if err != nil {
		return nil, err
	}
	var copts []client.Opt // API-version negotiation is on by default in moby/client
	u, err := url.Parse(host)
	if err != nil || u.Scheme == "" {
		return nil, &config.InputError{Field: "host", Msg: fmt.Sprintf("runner %s: docker host %q is not a URL like unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host", name, host)}
	}
	shared := false
	switch u.Scheme {
	case "ssh":
		// BatchMode: never prompt for a password inside a TUI or a script.
		flags := append([]string{"-o", "BatchMode=yes", "-o", fmt.Sprintf("ConnectTimeout=%d", int(math.Ceil(connectTimeout(opts).Seconds())))}, opts.SSHFlags...)
		helper, err := connhelper.GetConnectionHelperWithSSHOpts(host, flags)
		if err != nil {
			return nil, &config.InputError{Field: "host", Msg: fmt.Sprintf("runner %s: %v", name, err), Err: err}
		}
		copts = append(copts, client.WithHost(helper.Host), client.WithDialContext(helper.Dialer))
	case "tcp", "http", "https":
		copts = append(copts, client.WithHost(host))
		if tlsFiles != nil {
			copts = append(copts, client.WithTLSClientConfig(expandHome(tlsFiles.CA), expandHome(tlsFiles.Cert), expandHome(tlsFiles.Key)))
		} else if ep.Host == "" && ep.Context == "" && os.Getenv("DOCKER_CERT_PATH") != "" {
			copts = append(copts, client.WithTLSClientConfigFromEnv())
		}
	case "unix", "npipe":
		copts = append(copts, client.WithHost(host))
		shared = true
	default:
		return nil, &config.InputError{Field: "host", Msg: fmt.Sprintf("runner %s: unsupported docker host scheme %q (use unix, tcp or ssh)", name, u.Scheme)}
	}
	if opts.SharedFS != nil {
		shared = *opts.SharedFS
	}
	cli, err := client.New(copts...)
	if err != nil {
		return nil, fmt.Errorf("runner %s: docker client for %s: %w", name, host, err)
	}
	if opts.LogMaxSize == "" {
		opts.LogMaxSize = "50m"
	}
	if opts.LogMaxFiles == 0 {
		opts.LogMaxFiles = 3
	}
	opts.ConnectTimeout = connectTimeout(opts)
	if opts.ReconnectTimeout <= 0 {
		opts.ReconnectTimeout = defaultReconnectTimeout
	}
	return &Docker{name: name, cli: cli, host: host, sharedFS: shared, opts: opts, stopping: map[string]bool{}}, nil
}

func connectTimeout(o DockerOptions) time.Duration {
	if o.ConnectTimeout > 0 {
		return o.ConnectTimeout
	}
	return 10 * time.Second
}

// Close releases the client's connections.
func (d *Docker) Close() error { return d.cli.Close() }

// Name implements Runner.
func (d *Docker) Name() string { return d.name }

// Host is the resolved daemon address.
func (d *Docker) Host() string { return d.host }

// Client exposes the underlying moby client (for image builds in tests and
// `make image`).
func (d *Docker) Client() *client.Client { return d.cli }

// DaemonInfo describes a reachable daemon.
type DaemonInfo struct {
	Version    string `json:"version"`
	APIVersion string `json:"api_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
}

// Probe checks that the daemon answers within the connect timeout.
func (d *Docker) Probe(ctx context.Context) (DaemonInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.ConnectTimeout)
	defer cancel()
	v, err := d.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return DaemonInfo{}, fmt.Errorf("runner %s: docker at %s did not answer within %v", d.name, d.host, d.opts.ConnectTimeout)
		}
		return DaemonInfo{}, fmt.Errorf("runner %s: docker at %s: %w", d.name, d.host, err)
	}
	return DaemonInfo{Version: v.Version, APIVersion: v.APIVersion, OS: v.Os, Arch: v.Arch}, nil
}

// resolveEndpoint follows the docker CLI's order (cli/command/cli.go
// resolveContextName): explicit host, named context, DOCKER_HOST,
// DOCKER_CONTEXT, config.json currentContext, default socket.
func resolveEndpoint(ep Endpoint) (string, *TLSFiles, error) {
	if ep.Host != "" {
		return ep.Host, ep.TLS, nil
	}
	ctxName := ep.Context
	if ctxName == "" {
		if h := os.Getenv("DOCKER_HOST"); h != "" {
			return h, ep.TLS, nil
		}
		ctxName = os.Getenv("DOCKER_CONTEXT")
	}
	cfgDir := os.Getenv("DOCKER_CONFIG")
	if cfgDir == "" {
		home, _ := os.UserHomeDir()
		cfgDir = filepath.Join(home, ".docker")
	}
	if ctxName == "" {
		var cfg struct{ CurrentContext string }
		if b, err := os.ReadFile(filepath.Join(cfgDir, "config.json")); err == nil {
			_ = json.Unmarshal(b, &cfg) // a broken CLI config means: default
		}
		ctxName = cfg.CurrentContext
	}
	if ctxName == "" || ctxName == "default" {
		return "unix:///var/run/docker.sock", ep.TLS, nil
	}
	// Context store layout: docker/cli cli/context/store/doc.go.
	sum := sha256.Sum256([]byte(ctxName))
	id := hex.EncodeToString(sum[:])
	b, err := os.ReadFile(filepath.Join(cfgDir, "contexts", "meta", id, "meta.json"))
	if err != nil {
		return "", nil, &config.InputError{Field: "context", Msg: fmt.Sprintf("docker context %q not found (looked in %s)", ctxName, filepath.Join(cfgDir, "contexts")), Err: err}
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", nil, fmt.Errorf("docker context %q: %w", ctxName, err)
	}
	host := meta.Endpoints["docker"].Host
	if host == "" {
		return "", nil, &config.InputError{Field: "context", Msg: fmt.Sprintf("docker context %q has no docker endpoint", ctxName)}
	}
	tlsFiles := ep.TLS
	tlsDir := filepath.Join(cfgDir, "contexts", "tls", id, "docker")
	if tlsFiles == nil {
		if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
			tlsFiles = &TLSFiles{CA: filepath.Join(tlsDir, "ca.pem"), Cert: filepath.Join(tlsDir, "cert.pem"), Key: filepath.Join(tlsDir, "key.pem")}
		}
	}
	return host, tlsFiles, nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

// ImageDigest returns the image's repo digest when it has one, else its id.
func (d *Docker) ImageDigest(ctx context.Context, image string) (string, error) {
	res, err := d.cli.ImageInspect(ctx, image)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("runner %s: image %q not found on %s; build or pull it there first", d.name, image, d.host)
		}
		return "", fmt.Errorf("runner %s: inspect image %q: %w", d.name, image, err)
	}
	if len(res.RepoDigests) > 0 {
		return res.RepoDigests[0], nil
	}
	return res.ID, nil
}

// ContainerName is the name lathe gives a run's container.
// Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]; anything else becomes '_'.
func ContainerName(runID string) string {
	b := []byte("lathe-" + runID)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Start implements Runner. When it returns an error the run did not start and
// sink has been told runstatus.Failed with the reason.
func (d *Docker) Start(ctx context.Context, spec Spec, sink Sink) (Handle, error) {
	ls := &lockedSink{s: sink}
	h, err := d.start(ctx, spec, ls)
	if err != nil {
		ls.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Failed, Message: err.Error(), Time: time.Now()})
		return nil, err
	}
	return h, nil
}

func (d *Docker) start(ctx context.Context, spec Spec, sink *lockedSink) (Handle, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	if spec.Image == "" {
		return nil, &config.InputError{Field: "image", Msg: fmt.Sprintf("runner %s is a docker runner: give an image", d.name)}
	}
	var argv []string
	if len(spec.Command) > 0 { // empty: the image's own entrypoint and command
		var err error
		if argv, err = ExpandCommand(spec.Command, spec.Params); err != nil {
			return nil, err
		}
	}
	digest, err := d.ImageDigest(ctx, spec.Image)
	if err != nil {
		return nil, err
	}
	cfg, hc, err := d.containerConfig(spec, argv)
	if err != nil {
		return nil, err
	}
	created, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: cfg, HostConfig: hc, Name: ContainerName(spec.ID)})
	if err != nil {
		return nil, fmt.Errorf("runner %s: create container: %w", d.name, err)
	}
	id := created.ID
	cleanup := func() {
		// The run never started: nothing to harvest, so leave no debris.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = d.cli.ContainerRemove(rctx, id, client.ContainerRemoveOptions{Force: true})
	}
	if err := d.copyIn(ctx, id, spec); err != nil {
		cleanup()
		return nil, err
	}
	// Subscribe to the exit before starting, so an instant exit is not missed.
	// The wait lives as long as the follower, not the caller's request.
	fctx, fcancel := context.WithCancel(context.WithoutCancel(ctx))
	stopFollow := context.AfterFunc(ctx, fcancel)
	wait := d.cli.ContainerWait(fctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		stopFollow()
		fcancel()
		cleanup()
		return nil, fmt.Errorf("runner %s: start container for %s: %s", d.name, spec.ID, startErrorMessage(err))
	}
	sink.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Running, Time: time.Now(),
		Info: map[string]string{"container_id": id, "image_digest": digest, "host": d.host}})
	h := &dockerHandle{id: spec.ID, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer fcancel()
		defer stopFollow()
		h.res, h.err = d.follow(fctx, spec.ID, id, spec.Metrics, Cursor{}, &wait, sink)
	}()
	return h, nil
}

// startErrorMessage shortens the OCI runtime's wording for the common case of
// a command missing from the image.
func startErrorMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "exec: "); i >= 0 && (strings.Contains(msg, "not found") || strings.Contains(msg, "no such file or directory")) {
		rest := msg[i+len("exec: "):]
		if j := strings.Index(rest, ": unknown"); j >= 0 {
			rest = rest[:j]
		}
		return "command not found in image: " + rest
	}
	return msg
}

func (d *Docker) containerConfig(spec Spec, argv []string) (*container.Config, *container.HostConfig, error) {
	inputPath := func(name string) string {
		return path.Join(containerInputs, EnvName(name), filepath.Base(spec.Inputs[name]))
	}
	labels := map[string]string{}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	outDir := ""
	if spec.OutputDir != "" {
		var err error
		if outDir, err = filepath.Abs(spec.OutputDir); err != nil {
			return nil, nil, err
		}
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("output dir: %w", err)
		}
	}
	mj, _ := json.Marshal(spec.Metrics)
	labels[LabelRunID] = spec.ID
	labels[LabelWorkspaceID] = d.opts.WorkspaceID
	labels[LabelVersion] = d.opts.Version
	labels[LabelRunner] = d.name
	labels[labelOutputDir] = outDir
	labels[labelMetrics] = string(mj)

	cfg := &container.Config{
		Image:      spec.Image,
		Env:        RunEnv(spec, inputPath, containerParams, containerOutputs),
		Labels:     labels,
		WorkingDir: spec.WorkDir,
	}
	if len(argv) > 0 {
		// The spec's command is the whole argv, so it replaces the image's
		// entrypoint rather than being appended to it.
		cfg.Entrypoint = argv[:1]
		cfg.Cmd = argv[1:]
		if len(argv) == 1 {
			cfg.Cmd = []string{}
		}
	}
	hc := &container.HostConfig{
		AutoRemove: false, // results are harvested first
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{
			"max-size": d.opts.LogMaxSize, "max-file": strconv.Itoa(d.opts.LogMaxFiles)}},
		ShmSize: spec.ShmSize,
	}
	hc.Resources.Memory = spec.Memory
	if spec.Memory > 0 {
		hc.Resources.MemorySwap = spec.Memory // no swap, so the limit is the limit
	}
	if spec.CPUs > 0 {
		hc.Resources.NanoCPUs = int64(math.Round(spec.CPUs * 1e9))
	}
	if !spec.GPUs.None() {
		// docker/cli opts/gpus.go: Count or DeviceIDs, never both; -1 = all.
		req := container.DeviceRequest{Driver: "nvidia", Capabilities: [][]string{{"gpu"}}}
		if len(spec.GPUs.DeviceIDs) > 0 {
			req.DeviceIDs = spec.GPUs.DeviceIDs
		} else {
			req.Count = spec.GPUs.Count
		}
		hc.Resources.DeviceRequests = []container.DeviceRequest{req}
	}
	if d.sharedFS {
		for _, name := range format.SortedKeys(spec.Inputs) {
			src, err := filepath.Abs(spec.Inputs[name])
			if err != nil {
				return nil, nil, err
			}
			hc.Binds = append(hc.Binds, src+":"+inputPath(name)+":ro")
		}
		if outDir != "" {
			hc.Binds = append(hc.Binds, outDir+":"+containerOutputs)
		}
	}
	return cfg, hc, nil
}

// copyIn puts the params file into the created container and, when the daemon
// does not share this machine's files, the inputs and an outputs directory.
func (d *Docker) copyIn(ctx context.Context, id string, spec Spec) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	p := ParamsJSON(spec.Params)
	hdrs := []*tar.Header{{Name: "lathe/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now}}
	if !d.sharedFS || spec.OutputDir == "" {
		hdrs = append(hdrs, &tar.Header{Name: "lathe/outputs/", Typeflag: tar.TypeDir, Mode: 0o777, ModTime: now})
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "lathe/params.json", Mode: 0o644, Size: int64(len(p)), ModTime: now}); err != nil {
		return err
	}
	if _, err := tw.Write(p); err != nil {
		return err
	}
	if !d.sharedFS {
		for _, name := range format.SortedKeys(spec.Inputs) {
			dst := path.Join("lathe/inputs", EnvName(name))
			if err := tarPath(tw, spec.Inputs[name], path.Join(dst, filepath.Base(spec.Inputs[name]))); err != nil {
				return fmt.Errorf("input %s: %w", name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if _, err := d.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
		return fmt.Errorf("runner %s: copy params and inputs into container: %w", d.name, err)
	}
	return nil
}

// tarPath adds a file or directory tree under the name dst.
func tarPath(tw *tar.Writer, src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := path.Join(dst, filepath.ToSlash(rel))
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = name
		if info.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}

type dockerHandle struct {
	id   string
	done chan struct{}
	res  Result
	err  error
}

func (h *dockerHandle) ID() string { return h.id }

func (h *dockerHandle) Wait(ctx context.Context) (Result, error) {
	select {
	case <-h.done:
		return h.res, h.err
	case <-ctx.Done():
		return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
	}
}

// follow streams a container's logs into sink until it exits, then harvests
// the exit status, OOM flag and outputs. wait, when non-nil, is a wait already
// subscribed before start.
func (d *Docker) follow(ctx context.Context, runID, id string, opts ParseOptions, cur Cursor,
	wait *client.ContainerWaitResult, sink *lockedSink) (Result, error) {
	parser := NewParser(opts)
	parser.Resume(cur.NextStep)
	out := &lineEmitter{sink: sink, parser: parser, stream: "stdout", skip: cur.Stdout}
	errE := &lineEmitter{sink: sink, stream: "stderr", skip: cur.Stderr}
	if !cur.Time.IsZero() {
		// Ask the daemon for the lines after the cursor's time only; the
		// numbering continues from the cursor's counts.
		out.seq, out.skip = cur.Stdout, 0
		errE.seq, errE.skip = cur.Stderr, 0
	}
	logsDone := make(chan error, 1)
	marks := &logMarks{out: cur.Time, err: cur.Time}
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	go func() {
		for {
			err := d.streamLogs(lctx, id, true, out, errE, marks)
			if err == nil || lctx.Err() != nil {
				logsDone <- err
				return
			}
			// The stream broke (daemon restart, connection cut): follow again
			// from after the last line read. Every line read, delivered or
			// skipped, advanced its stream's mark, so nothing is counted twice.
			select {
			case <-time.After(time.Second):
			case <-lctx.Done():
				logsDone <- lctx.Err()
				return
			}
		}
	}()

	var gone outage
	code, err := d.waitExit(ctx, id, wait, &gone)
	if err != nil {
		lcancel()
		<-logsDone
		return Result{Status: runstatus.Running, ExitCode: -1}, err
	}
	if code != 0 && !d.accepting(ctx) {
		// A dockerd shutting down stops its containers after closing its
		// listener: this exit is the daemon's doing.
		gone.down(time.Now())
		gone.endedRun = true
	}
	// The follow stream ends by itself once the container has stopped. It can
	// break earlier (daemon restart), and dockerd 20.10's json-file follower
	// can miss the last record written just before the exit, so always fetch
	// what came after the last line delivered.
	select {
	case <-logsDone:
	case <-time.After(15 * time.Second):
		lcancel()
		<-logsDone
	}
	if ctx.Err() != nil {
		return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
	}
	if err := d.retryDown(ctx, &gone, func() error {
		return d.streamLogs(ctx, id, false, out, errE, marks) // a retry reads on from the marks
	}); err != nil {
		if ctx.Err() != nil {
			return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
		}
		var dg *DaemonGoneError
		if errors.As(err, &dg) {
			return Result{Status: runstatus.Running, ExitCode: -1}, err
		}
		sink.Log(LogLine{Stream: "stderr", Seq: 0, Text: "lathe: could not read the rest of the logs: " + err.Error(), Time: time.Now()})
	}

	var ins client.ContainerInspectResult
	err = d.retryDown(ctx, &gone, func() error {
		var err error
		ins, err = d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		return err
	})
	if err != nil {
		var dg *DaemonGoneError
		if errors.As(err, &dg) {
			return Result{Status: runstatus.Running, ExitCode: -1}, err
		}
		if cerrdefs.IsNotFound(err) {
			res := Result{Status: runstatus.Lost, ExitCode: -1, Message: "container vanished before its status was read"}
			sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Lost, Message: res.Message, Time: time.Now()})
			return res, nil
		}
		return Result{Status: runstatus.Running, ExitCode: -1}, fmt.Errorf("inspect container: %w", err)
	}
	st := ins.Container.State
	// The daemon handles the OOM event and the exit event separately, so the
	// flag can lag the exit by a moment: look again before calling it a kill.
	for i := 0; i < 10 && st.ExitCode == 137 && !st.OOMKilled && ins.Container.HostConfig != nil && ins.Container.HostConfig.Memory > 0; i++ {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
		}
		again, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			break
		}
		st = again.Container.State
	}
	d.mu.Lock()
	stopped := d.stopping[runID]
	delete(d.stopping, runID)
	d.mu.Unlock()
	if !stopped && st.ExitCode != 0 {
		// Stop leaves a marker in the container, so a lathe that did not ask
		// for the stop itself still reports the run as stopped.
		_, err := d.cli.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: stopMarker})
		stopped = err == nil
	}
	res := Result{ExitCode: st.ExitCode}
	switch {
	case st.OOMKilled: // exit 137 alone means only SIGKILL (nomad PR #12735)
		res.Status, res.Message = runstatus.OOMKilled, "killed: over the container's memory limit"
	case st.ExitCode == 0:
		res.Status = runstatus.Completed
	case stopped:
		res.Status, res.Message = runstatus.Stopped, exitMessage(st.ExitCode)
	default:
		res.Status, res.Message = runstatus.Failed, exitMessage(st.ExitCode)
		if st.Error != "" {
			res.Message += ": " + st.Error
		}
		res.Message += gone.explain(d.host)
		if st.ExitCode == 137 && ins.Container.HostConfig != nil && ins.Container.HostConfig.Memory > 0 {
			// containerd watches the cgroup's OOM events only once the task
			// runs, so a kill in the first milliseconds can go unreported.
			res.Message += fmt.Sprintf("; possibly out of memory (limit %d MiB), though the daemon reported no OOM kill",
				ins.Container.HostConfig.Memory>>20)
		}
	}
	if ins.Container.Config != nil {
		if od := ins.Container.Config.Labels[labelOutputDir]; od != "" && !d.sharedFS {
			if err := d.copyOut(ctx, id, od); err != nil {
				res.Message = strings.TrimPrefix(res.Message+"; outputs not collected: "+err.Error(), "; ")
			}
		}
	}
	sink.Status(StatusUpdate{RunID: runID, Status: res.Status, ExitCode: intPtr(st.ExitCode), Message: res.Message, Time: time.Now(),
		Info: map[string]string{"container_id": id, "finished_at": st.FinishedAt}})
	if !d.opts.KeepContainers {
		_, _ = d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{})
	}
	return res, nil
}

// waitExit blocks until the container is not running and returns the exit
// code the wait reported (-1 when the container is gone). A broken wait
// (daemon restart, proxy cutting the stream) is subscribed again, once the
// daemon answers when it had gone away (at most ReconnectTimeout).
func (d *Docker) waitExit(ctx context.Context, id string, first *client.ContainerWaitResult, gone *outage) (int64, error) {
	w := first
	for {
		if w == nil {
			r := d.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
			w = &r
		}
		select {
		case res := <-w.Result:
			return res.StatusCode, nil
		case err := <-w.Error:
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			if cerrdefs.IsNotFound(err) {
				return -1, nil // inspect reports it lost
			}
		case <-ctx.Done():
			return -1, ctx.Err()
		}
		w = nil
		if !d.accepting(ctx) {
			now := time.Now()
			gone.down(now)
			if err := d.awaitDaemon(ctx, now); err != nil {
				return -1, err
			}
			// Back: a container that is still running (--live-restore) was
			// not touched by the outage; one that is not ended with it.
			gone.endedRun = !d.survived(ctx, id)
			continue
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
}

// logMarks holds, per stream, the daemon timestamp of the last line read
// (zero: none yet). One mark for both streams is not enough: dockerd stamps
// each stream in its own goroutine, so in its log a line of one stream can
// follow a later-stamped line of the other (by up to 2 ms in 4,000 lines of
// burst output on dockerd 20.10), and resuming after the later one would skip
// the earlier.
type logMarks struct {
	mu       sync.Mutex
	out, err time.Time
}

// logReorder bounds how far out of timestamp order dockerd's log can be
// across streams; the daemon is asked for lines from this long before the
// latest mark, and each stream is filtered by its own.
const logReorder = time.Second

// streamLogs reads the container's logs with daemon timestamps, skipping
// each stream's lines at or before its mark, and hands each line to its
// stream's emitter.
func (d *Docker) streamLogs(ctx context.Context, id string, follow bool, out, errE *lineEmitter, marks *logMarks) error {
	marks.mu.Lock()
	fromOut, fromErr := marks.out, marks.err
	marks.mu.Unlock()
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: follow}
	latest := fromOut
	if fromErr.After(latest) {
		latest = fromErr
	}
	if !latest.IsZero() {
		s := latest.Add(-logReorder)
		// Exact seconds.nanoseconds: a float64 of Unix seconds is ~240 ns coarse,
		// and rounded up it would drop a line.
		opts.Since = fmt.Sprintf("%d.%09d", s.Unix(), s.Nanosecond())
	}
	rc, err := d.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return err
	}
	defer rc.Close()
	prOut, pwOut := io.Pipe()
	prErr, pwErr := io.Pipe()
	var wg sync.WaitGroup
	scan := func(r io.Reader, em *lineEmitter, from time.Time, mark *time.Time) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		for sc.Scan() {
			ts, text := splitTimestamp(sc.Text())
			if !from.IsZero() && !ts.After(from) {
				continue
			}
			marks.mu.Lock()
			if ts.After(*mark) {
				*mark = ts
			}
			marks.mu.Unlock()
			em.line(strings.TrimSuffix(text, "\r"), ts)
		}
		_, _ = io.Copy(io.Discard, r) // an over-long line: keep the demuxer moving
	}
	wg.Add(2)
	go scan(prOut, out, fromOut, &marks.out)
	go scan(prErr, errE, fromErr, &marks.err)
	_, err = stdcopy.StdCopy(pwOut, pwErr, rc)
	pwOut.Close()
	pwErr.Close()
	wg.Wait()
	return err
}

// splitTimestamp splits "2026-01-02T03:04:05.123456789Z text".
func splitTimestamp(line string) (time.Time, string) {
	ts, text, ok := strings.Cut(line, " ")
	if !ok {
		ts, text = line, ""
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Now(), line
	}
	return t, text
}

// copyOut copies /lathe/outputs from the container into dir on this machine.
func (d *Docker) copyOut(ctx context.Context, id, dir string) error {
	res, err := d.cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: containerOutputs + "/."})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return untar(res.Content, dir)
}

// untar extracts regular files and directories, refusing paths that escape dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if name == "." || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		// The archive's top entry is the source directory itself ("outputs/" or ".").
		if i := strings.IndexRune(name, filepath.Separator); i >= 0 && (name[:i] == "outputs" || name[:i] == ".") {
			name = name[i+1:]
		} else if name == "outputs" {
			continue
		}
		dst := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// findContainers lists this runner's containers (any state) by run id.
func (d *Docker) findContainers(ctx context.Context, runID string) (map[string]container.Summary, error) {
	f := make(client.Filters).Add("label", LabelRunner+"="+d.name)
	if runID != "" {
		f.Add("label", LabelRunID+"="+runID)
	}
	if d.opts.WorkspaceID != "" {
		f.Add("label", LabelWorkspaceID+"="+d.opts.WorkspaceID)
	}
	res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("runner %s: list containers: %w", d.name, err)
	}
	out := map[string]container.Summary{}
	for _, c := range res.Items {
		out[c.Labels[LabelRunID]] = c
	}
	return out, nil
}

// Stop implements Runner: docker stop (SIGTERM, SIGKILL after grace).
func (d *Docker) Stop(ctx context.Context, runID string, grace time.Duration) error {
	cs, err := d.findContainers(ctx, runID)
	if err != nil {
		return err
	}
	c, ok := cs[runID]
	if !ok {
		return fmt.Errorf("runner %s: no container for run %s", d.name, runID)
	}
	d.mu.Lock()
	d.stopping[runID] = true
	d.mu.Unlock()
	if err := d.markStopped(ctx, c.ID); err != nil {
		return fmt.Errorf("runner %s: stop %s: %w", d.name, runID, err)
	}
	secs := int(math.Ceil(grace.Seconds()))
	if _, err := d.cli.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &secs}); err != nil {
		return fmt.Errorf("runner %s: stop %s: %w", d.name, runID, err)
	}
	return nil
}

// stopMarker is created in a container when lathe stops it.
const stopMarker = "/lathe/stopped"

func (d *Docker) markStopped(ctx context.Context, id string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "lathe/stopped", Mode: 0o644, ModTime: time.Now()}); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err := d.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf})
	return err
}

// Reconcile implements Runner: it finds each tracked run's container by
// label, follows running ones from the cursor, harvests finished ones, and
// reports runs without a container as lost.
func (d *Docker) Reconcile(ctx context.Context, runs []Tracked, sinkFor func(string) Sink) ([]Handle, error) {
	cs, err := d.findContainers(ctx, "")
	if err != nil {
		return nil, err
	}
	var hs []Handle
	for _, tr := range runs {
		sink := &lockedSink{s: sinkFor(tr.RunID)}
		c, ok := cs[tr.RunID]
		if !ok {
			sink.Status(StatusUpdate{RunID: tr.RunID, Status: runstatus.Lost, Time: time.Now(),
				Message: fmt.Sprintf("no container for the run on runner %s (%s)", d.name, d.host)})
			continue
		}
		var opts ParseOptions
		_ = json.Unmarshal([]byte(c.Labels[labelMetrics]), &opts) // absent: JSON lines still parse
		h := &dockerHandle{id: tr.RunID, done: make(chan struct{})}
		go func(id string, cur Cursor) {
			defer close(h.done)
			h.res, h.err = d.follow(ctx, tr.RunID, id, opts, cur, nil, sink)
		}(c.ID, tr.Cursor)
		hs = append(hs, h)
	}
	return hs, nil
}

package runners

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/connhelper"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/config"
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
	ConnectTimeout time.Duration // opening a connection, and Probe; default 10s
	CallTimeout    time.Duration // each request-response call to the daemon; default 1 minute
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
		copts = append(copts, client.WithHost(host), client.WithDialContext(timedDialer("tcp", u.Host, connectTimeout(opts))))
		if tlsFiles != nil {
			copts = append(copts, client.WithTLSClientConfig(expandHome(tlsFiles.CA), expandHome(tlsFiles.Cert), expandHome(tlsFiles.Key)))
		} else if ep.Host == "" && ep.Context == "" && os.Getenv("DOCKER_CERT_PATH") != "" {
			copts = append(copts, client.WithTLSClientConfigFromEnv())
		}
	case "unix":
		copts = append(copts, client.WithHost(host), client.WithDialContext(timedDialer("unix", u.Path, connectTimeout(opts))))
		shared = true
	case "npipe":
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
	opts.CallTimeout = callTimeout(opts)
	if opts.ReconnectTimeout <= 0 {
		opts.ReconnectTimeout = defaultReconnectTimeout
	}
	return &Docker{name: name, cli: cli, host: host, sharedFS: shared, opts: opts, stopping: map[string]bool{}}, nil
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

// Probe checks that the daemon answers within the connect timeout, or
// ctx's deadline where that is sooner; the error names the one it used.
func (d *Docker) Probe(ctx context.Context) (DaemonInfo, error) {
	limit := d.opts.ConnectTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < limit {
		limit = time.Until(dl).Round(100 * time.Millisecond)
	}
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	v, err := d.cli.ServerVersion(pctx, client.ServerVersionOptions{})
	if err != nil {
		if pctx.Err() != nil {
			return DaemonInfo{}, fmt.Errorf("runner %s: docker at %s did not answer within %v", d.name, d.host, limit)
		}
		return DaemonInfo{}, fmt.Errorf("runner %s: docker at %s: %w", d.name, d.host, err)
	}
	return DaemonInfo{Version: v.Version, APIVersion: v.APIVersion, OS: v.Os, Arch: v.Arch}, nil
}

// ImageDigest returns the image's repo digest when it has one, else its id.
func (d *Docker) ImageDigest(ctx context.Context, image string) (string, error) {
	cctx, cancel := d.callContext(ctx)
	defer cancel()
	res, err := d.cli.ImageInspect(cctx, image)
	if err = d.callError(ctx, "inspect image", err); err != nil {
		var de *DeadlineError
		if errors.As(err, &de) {
			return "", err
		}
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

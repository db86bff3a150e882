package runners

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/moby/moby/client"
)

// Every call to a daemon has a deadline, so a host that accepts connections
// and never answers fails a run instead of hanging it: ConnectTimeout bounds
// opening a connection (and the ssh handshake, through ssh's own
// ConnectTimeout) and Probe; CallTimeout bounds each request-response call
// (inspect, create, start, remove, ...). Streams that last as long as the
// run (the exit wait, following logs) and copies of inputs and outputs,
// whose length depends on their size, have no overall deadline; a daemon
// that goes away under them is handled by the outage logic.

const (
	defaultConnectTimeout = 10 * time.Second
	defaultCallTimeout    = time.Minute
)

func connectTimeout(o DockerOptions) time.Duration {
	if o.ConnectTimeout > 0 {
		return o.ConnectTimeout
	}
	return defaultConnectTimeout
}

func callTimeout(o DockerOptions) time.Duration {
	if o.CallTimeout > 0 {
		return o.CallTimeout
	}
	return defaultCallTimeout
}

// timedDialer opens TCP and unix connections within the connect timeout.
func timedDialer(proto, addr string, timeout time.Duration) func(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if proto == "unix" {
			return d.DialContext(ctx, "unix", addr)
		}
		return d.DialContext(ctx, network, address)
	}
}

// callContext bounds one request-response call to the daemon.
func (d *Docker) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.opts.CallTimeout)
}

// DeadlineError says a daemon did not answer a call in time.
type DeadlineError struct {
	Runner, Host, Call string
	After              time.Duration
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("runner %s: docker at %s did not answer %s within %v (timeout: in the runner's config)", e.Runner, e.Host, e.Call, e.After)
}

// callError turns a call's deadline into a DeadlineError naming the runner
// and host; other errors pass unchanged. parent is the caller's context:
// its own cancellation is not the daemon's fault.
func (d *Docker) callError(parent context.Context, call string, err error) error {
	if err != nil && parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &DeadlineError{Runner: d.name, Host: d.host, Call: call, After: d.opts.CallTimeout}
	}
	return err
}

// inspect is ContainerInspect within the call deadline.
func (d *Docker) inspect(ctx context.Context, id string) (client.ContainerInspectResult, error) {
	cctx, cancel := d.callContext(ctx)
	defer cancel()
	res, err := d.cli.ContainerInspect(cctx, id, client.ContainerInspectOptions{})
	return res, d.callError(ctx, "inspect container", err)
}

package runners

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"time"
)

// A follower outlives daemon restarts: when a request fails while the daemon
// is not accepting connections, it waits for the daemon (at most
// DockerOptions.ReconnectTimeout) and carries on. With --live-restore the
// container kept running and is followed from the last line read; without
// it, dockerd stopped the container on its way down, and the run's failure
// message says so.

const defaultReconnectTimeout = 2 * time.Minute

// DaemonGoneError is what a follower returns when its daemon stopped
// answering for longer than DockerOptions.ReconnectTimeout. The run's state
// is unknown (with --live-restore it may still be running), so no final
// status was reported: a later Reconcile settles it.
type DaemonGoneError struct {
	Runner, Host string
	For          time.Duration
}

func (e *DaemonGoneError) Error() string {
	return fmt.Sprintf("runner %s: the docker daemon at %s has not answered for %v; stopped following the run, "+
		"whose state is unknown until the daemon is back (lathe reconciles it then)", e.Runner, e.Host, e.For.Round(time.Second))
}

// outage is what one follower saw of its daemon going away.
type outage struct {
	downAt time.Time // when the daemon was first found not answering; zero: never
	// endedRun: the run ended while the daemon was going away or away: its
	// exit was reported just as the daemon stopped taking connections, or
	// the container was no longer running when the daemon came back.
	endedRun bool
}

func (o *outage) down(t time.Time) {
	if o.downAt.IsZero() {
		o.downAt = t
	}
}

// explain is the clause added to a failed run's message when the daemon
// going away is what ended it.
func (o *outage) explain(host string) string {
	if !o.endedRun {
		return ""
	}
	return fmt.Sprintf("; the docker daemon at %s went away as the run ended (%s): "+
		"without --live-restore, dockerd stops its containers when it shuts down", host, o.downAt.Format(time.RFC3339))
}

// accepting reports whether the daemon answers a ping on a new connection.
// A dockerd that is shutting down closes its listener first, then stops its
// containers, and keeps serving the keep-alive connections it has meanwhile,
// so only a fresh connection tells that it is going away.
func (d *Docker) accepting(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, d.opts.ConnectTimeout)
	defer cancel()
	conn, err := d.cli.Dialer()(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	// Not every conn honours deadlines (ssh's command conn), so the
	// context closes it.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	if err != nil {
		return false
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return false
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// awaitDaemon blocks until the daemon accepts connections again, or returns
// a *DaemonGoneError once it has been away ReconnectTimeout since since.
func (d *Docker) awaitDaemon(ctx context.Context, since time.Time) error {
	for {
		if d.accepting(ctx) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(since) >= d.opts.ReconnectTimeout {
			return &DaemonGoneError{Runner: d.name, Host: d.host, For: time.Since(since)}
		}
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// retryDown runs op, and when it fails while the daemon is not accepting
// connections, waits for the daemon and runs op again. Errors from a daemon
// that answers (not found, bad request) are op's own and returned as they are.
func (d *Docker) retryDown(ctx context.Context, o *outage, op func() error) error {
	for {
		err := op()
		if err == nil || ctx.Err() != nil || d.accepting(ctx) {
			return err
		}
		now := time.Now()
		o.down(now)
		if err := d.awaitDaemon(ctx, now); err != nil {
			return err
		}
	}
}

// survived reports whether the container is still running once the daemon
// is back: with --live-restore it is, and the outage did not touch the run.
func (d *Docker) survived(ctx context.Context, id string) bool {
	ins, err := d.inspect(ctx, id)
	return err == nil && ins.Container.State != nil && ins.Container.State.Running
}

package runners

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/runstatus"
)

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
	lf := d.newLogFollower(id, opts, cur, sink)
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	logsDone := lf.followLogs(lctx)

	var gone outage
	code, err := d.waitExit(ctx, id, wait, &gone)
	if err != nil {
		lcancel()
		<-logsDone
		return unfinished(), err
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
	if err := lf.readRest(ctx, &gone); err != nil {
		return unfinished(), err
	}
	return d.harvest(ctx, runID, id, &gone, sink)
}

// logFollower delivers one container's log lines to its run's sink, once
// each, across broken and resumed streams.
type logFollower struct {
	d         *Docker
	id        string // container id
	out, errE *lineEmitter
	marks     *logMarks
	sink      *lockedSink
}

func (d *Docker) newLogFollower(id string, opts ParseOptions, cur Cursor, sink *lockedSink) *logFollower {
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
	return &logFollower{d: d, id: id, out: out, errE: errE, marks: &logMarks{out: cur.Time, err: cur.Time}, sink: sink}
}

// followLogs streams the logs until the container stops or ctx ends; the
// channel gets the outcome.
func (lf *logFollower) followLogs(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() {
		for {
			err := lf.d.streamLogs(ctx, lf.id, true, lf.out, lf.errE, lf.marks)
			if err == nil || ctx.Err() != nil {
				done <- err
				return
			}
			// The stream broke (daemon restart, connection cut): follow again
			// from after the last line read. Every line read, delivered or
			// skipped, advanced its stream's mark, so nothing is counted twice.
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				done <- ctx.Err()
				return
			}
		}
	}()
	return done
}

// readRest fetches the lines after the last one delivered, once the
// container has stopped. A failure other than the caller's end or the
// daemon's is recorded on the run's stderr, and harvesting goes on.
func (lf *logFollower) readRest(ctx context.Context, gone *outage) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err := lf.d.retryDown(ctx, gone, func() error {
		return lf.d.streamLogs(ctx, lf.id, false, lf.out, lf.errE, lf.marks) // a retry reads on from the marks
	})
	var dg *DaemonGoneError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &dg):
		return err
	}
	lf.sink.Log(LogLine{Stream: "stderr", Seq: 0, Text: "lathe: could not read the rest of the logs: " + err.Error(), Time: time.Now()})
	return nil
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

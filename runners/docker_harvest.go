package runners

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/runstatus"
)

// harvest reads how a stopped container ended, collects its outputs,
// removes it, and only then reports the final status, with the times the
// daemon recorded (not when lathe looked). A removal that fails is named in
// the status message; the engine's sweep of finished runs' containers
// (Engine.Containers) retries it.
func (d *Docker) harvest(ctx context.Context, runID, id string, gone *outage, sink *lockedSink) (Result, error) {
	ins, err := d.inspectExited(ctx, id, gone)
	if err != nil {
		var dg *DaemonGoneError
		switch {
		case errors.As(err, &dg), ctx.Err() != nil:
			return unfinished(), err
		case cerrdefs.IsNotFound(err):
			res := Result{Status: runstatus.Lost, ExitCode: -1, Message: "container vanished before its status was read"}
			sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Lost, Message: res.Message, Time: time.Now()})
			return res, nil
		}
		return unfinished(), fmt.Errorf("runner %s: inspect container on %s: %w", d.name, d.host, err)
	}
	st := ins.State
	res := d.exitResult(ctx, runID, id, ins, gone)
	if ins.Config != nil {
		if od := ins.Config.Labels[labelOutputDir]; od != "" && !d.sharedFS {
			if err := d.copyOut(ctx, id, od); err != nil {
				res.Message = joinMessage(res.Message, "outputs not collected: "+err.Error())
			}
		}
	}
	if !d.opts.KeepContainers {
		if err := d.removeContainer(ctx, runID, id); err != nil {
			res.Message = joinMessage(res.Message, fmt.Sprintf("container %s not removed (%v); lathe gc --containers removes it", ContainerName(runID), err))
		}
	}
	up := StatusUpdate{RunID: runID, Status: res.Status, ExitCode: intPtr(st.ExitCode), Message: res.Message,
		Time: daemonTime(st.FinishedAt), Started: daemonTime(st.StartedAt),
		Info: map[string]string{"container_id": id, "finished_at": st.FinishedAt}}
	if up.Time.IsZero() {
		up.Time = time.Now()
	}
	sink.Status(up)
	return res, nil
}

func joinMessage(msg, more string) string { return strings.TrimPrefix(msg+"; "+more, "; ") }

// daemonTime parses an inspect timestamp; zero when absent or the daemon's
// zero value ("0001-01-01T00:00:00Z").
func daemonTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// inspectExited inspects a stopped container. The daemon handles the OOM
// event and the exit event separately, so the flag can lag the exit by a
// moment: it looks again before a SIGKILL under a memory limit counts as
// a plain kill.
func (d *Docker) inspectExited(ctx context.Context, id string, gone *outage) (container.InspectResponse, error) {
	var ins client.ContainerInspectResult
	err := d.retryDown(ctx, gone, func() error {
		var err error
		ins, err = d.inspect(ctx, id)
		return err
	})
	if err != nil {
		return container.InspectResponse{}, err
	}
	c := ins.Container
	for i := 0; i < 10 && c.State.ExitCode == 137 && !c.State.OOMKilled && memoryLimit(c) > 0; i++ {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return container.InspectResponse{}, ctx.Err()
		}
		again, err := d.inspect(ctx, id)
		if err != nil {
			break
		}
		c.State = again.Container.State
	}
	if c.State == nil {
		c.State = &container.State{}
	}
	return c, nil
}

func memoryLimit(c container.InspectResponse) int64 {
	if c.HostConfig == nil {
		return 0
	}
	return c.HostConfig.Memory
}

// exitResult says how the run ended from the container's state.
func (d *Docker) exitResult(ctx context.Context, runID, id string, c container.InspectResponse, gone *outage) Result {
	st := c.State
	d.mu.Lock()
	stopped := d.stopping[runID]
	delete(d.stopping, runID)
	d.mu.Unlock()
	if !stopped && st.ExitCode != 0 {
		// Stop leaves a marker in the container, so a lathe that did not ask
		// for the stop itself still reports the run as stopped.
		cctx, cancel := d.callContext(ctx)
		_, err := d.cli.ContainerStatPath(cctx, id, client.ContainerStatPathOptions{Path: stopMarker})
		cancel()
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
		if limit := memoryLimit(c); st.ExitCode == 137 && limit > 0 {
			// containerd watches the cgroup's OOM events only once the task
			// runs, so a kill in the first milliseconds can go unreported.
			res.Message += fmt.Sprintf("; possibly out of memory (limit %d MiB), though the daemon reported no OOM kill", limit>>20)
		}
	}
	return res
}

// removeContainer removes a finished run's container, trying three times
// (a daemon busy with other removals can time out one), and any read-only
// input volume made for it.
func (d *Docker) removeContainer(ctx context.Context, runID, id string) error {
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			select {
			case <-time.After(time.Duration(try) * 200 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		cctx, cancel := d.callContext(ctx)
		_, err = d.cli.ContainerRemove(cctx, id, client.ContainerRemoveOptions{})
		cancel()
		if err == nil || cerrdefs.IsNotFound(err) {
			return d.removeVolume(ctx, runID)
		}
	}
	return err
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

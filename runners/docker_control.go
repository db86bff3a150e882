package runners

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/runstatus"
)

// findContainers lists this runner's containers (any state) by run id.
func (d *Docker) findContainers(ctx context.Context, runID string) (map[string]container.Summary, error) {
	f := make(client.Filters).Add("label", LabelRunner+"="+d.name)
	if runID != "" {
		f.Add("label", LabelRunID+"="+runID)
	}
	if d.opts.WorkspaceID != "" {
		f.Add("label", LabelWorkspaceID+"="+d.opts.WorkspaceID)
	}
	cctx, cancel := d.callContext(ctx)
	defer cancel()
	res, err := d.cli.ContainerList(cctx, client.ContainerListOptions{All: true, Filters: f})
	if err = d.callError(ctx, "list containers", err); err != nil {
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
	// The daemon answers once the container is down: grace, then the call's own time.
	cctx, cancel := context.WithTimeout(ctx, grace+d.opts.CallTimeout)
	defer cancel()
	if _, err := d.cli.ContainerStop(cctx, c.ID, client.ContainerStopOptions{Timeout: &secs}); err != nil {
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
	cctx, cancel := d.callContext(ctx)
	defer cancel()
	_, err := d.cli.CopyToContainer(cctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf})
	return d.callError(ctx, "mark the container stopped", err)
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

// Leftover is a lathe container still on a daemon.
type Leftover struct {
	RunID       string `json:"run_id"`
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
	State       string `json:"state"` // created, running, exited, dead, ...
	Runner      string `json:"runner"`
	Host        string `json:"host"`
}

// Leftovers lists every lathe-labelled container of this workspace on the
// runner's daemon, whichever runner entry made it.
func (d *Docker) Leftovers(ctx context.Context) ([]Leftover, error) {
	f := make(client.Filters).Add("label", LabelRunID)
	if d.opts.WorkspaceID != "" {
		f.Add("label", LabelWorkspaceID+"="+d.opts.WorkspaceID)
	}
	cctx, cancel := d.callContext(ctx)
	defer cancel()
	res, err := d.cli.ContainerList(cctx, client.ContainerListOptions{All: true, Filters: f})
	if err = d.callError(ctx, "list containers", err); err != nil {
		return nil, fmt.Errorf("runner %s: list containers on %s: %w", d.name, d.host, err)
	}
	var out []Leftover
	for _, c := range res.Items {
		name := ""
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, Leftover{RunID: c.Labels[LabelRunID], ContainerID: c.ID, Name: name, State: string(c.State),
			Runner: c.Labels[LabelRunner], Host: d.host})
	}
	return out, nil
}

// RemoveLeftover removes a finished run's container and its inputs volume.
// A running container is refused by the daemon, never killed.
func (d *Docker) RemoveLeftover(ctx context.Context, l Leftover) error {
	if err := d.removeContainer(ctx, l.RunID, l.ContainerID); err != nil {
		return fmt.Errorf("runner %s: remove %s on %s: %w", d.name, l.Name, d.host, err)
	}
	return nil
}

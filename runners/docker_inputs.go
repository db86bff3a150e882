package runners

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"path"
	"path/filepath"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/format"
)

// Inputs on a daemon that does not share this machine's files (ssh://,
// tcp://) are copied into a volume of their own, which the run's container
// mounts read-only, as a bind mount is on a local daemon. The volume is
// filled through a container that is created with it mounted writable and
// never started (docker cp writes into a created container's volumes), and
// removed with the run's container.

// inputVolume names the volume that holds a run's inputs.
func inputVolume(runID string) string { return ContainerName(runID) + "-inputs" }

// stageInputs copies spec's inputs into a new volume and returns its
// read-only mount; no inputs, or a shared filesystem: nil.
func (d *Docker) stageInputs(ctx context.Context, spec Spec, labels map[string]string) ([]mount.Mount, error) {
	if d.sharedFS || len(spec.Inputs) == 0 {
		return nil, nil
	}
	vol := inputVolume(spec.ID)
	cctx, cancel := d.callContext(ctx)
	_, err := d.cli.VolumeCreate(cctx, client.VolumeCreateOptions{Name: vol, Labels: labels})
	cancel()
	if err = d.callError(ctx, "create the inputs volume", err); err != nil {
		return nil, fmt.Errorf("runner %s: inputs volume: %w", d.name, err)
	}
	if err := d.fillVolume(ctx, vol, spec); err != nil {
		d.removeVolume(context.WithoutCancel(ctx), spec.ID)
		return nil, err
	}
	return []mount.Mount{{Type: mount.TypeVolume, Source: vol, Target: containerInputs, ReadOnly: true}}, nil
}

// fillVolume copies the inputs into vol through a created, never started,
// container of the run's image.
func (d *Docker) fillVolume(ctx context.Context, vol string, spec Spec) error {
	cctx, cancel := d.callContext(ctx)
	created, err := d.cli.ContainerCreate(cctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: spec.Image, Entrypoint: []string{"/lathe-stage-inputs"}, Labels: map[string]string{LabelRunID: spec.ID}},
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: vol, Target: containerInputs}}}})
	cancel()
	if err = d.callError(ctx, "create the inputs container", err); err != nil {
		return fmt.Errorf("runner %s: inputs: %w", d.name, err)
	}
	defer func() {
		rctx, cancel := d.callContext(context.WithoutCancel(ctx))
		defer cancel()
		_, _ = d.cli.ContainerRemove(rctx, created.ID, client.ContainerRemoveOptions{Force: true})
	}()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range format.SortedKeys(spec.Inputs) {
		if err := tarPath(tw, spec.Inputs[name], path.Join(EnvName(name), filepath.Base(spec.Inputs[name]))); err != nil {
			return fmt.Errorf("input %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if _, err := d.cli.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: containerInputs, Content: &buf}); err != nil {
		return fmt.Errorf("runner %s: copy inputs to %s: %w", d.name, d.host, err)
	}
	return nil
}

// removeVolume removes a run's inputs volume, if it has one.
func (d *Docker) removeVolume(ctx context.Context, runID string) error {
	if d.sharedFS {
		return nil
	}
	cctx, cancel := d.callContext(ctx)
	defer cancel()
	_, err := d.cli.VolumeRemove(cctx, inputVolume(runID), client.VolumeRemoveOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return d.callError(ctx, "remove the inputs volume", err)
}

package runners

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
)

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
	id, err := d.create(ctx, spec, argv)
	if err != nil {
		return nil, err
	}
	// Subscribe to the exit before starting, so an instant exit is not missed.
	// The wait lives as long as the follower, not the caller's request.
	fctx, fcancel := context.WithCancel(context.WithoutCancel(ctx))
	stopFollow := context.AfterFunc(ctx, fcancel)
	wait := d.cli.ContainerWait(fctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	cctx, cancel := d.callContext(ctx)
	_, err = d.cli.ContainerStart(cctx, id, client.ContainerStartOptions{})
	cancel()
	if err = d.callError(ctx, "start container", err); err != nil {
		stopFollow()
		fcancel()
		d.discard(ctx, spec.ID, id)
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

// create makes the run's container, with its inputs (a volume on a remote
// daemon) and params file in place, and returns its id.
func (d *Docker) create(ctx context.Context, spec Spec, argv []string) (string, error) {
	cfg, hc, err := d.containerConfig(spec, argv)
	if err != nil {
		return "", err
	}
	inputs, err := d.stageInputs(ctx, spec, cfg.Labels)
	if err != nil {
		return "", err
	}
	hc.Mounts = append(hc.Mounts, inputs...)
	cctx, cancel := d.callContext(ctx)
	created, err := d.cli.ContainerCreate(cctx, client.ContainerCreateOptions{
		Config: cfg, HostConfig: hc, Name: ContainerName(spec.ID)})
	cancel()
	if err = d.callError(ctx, "create container", err); err != nil {
		_ = d.removeVolume(context.WithoutCancel(ctx), spec.ID)
		return "", fmt.Errorf("runner %s: create container: %w", d.name, err)
	}
	if err := d.copyIn(ctx, created.ID, spec); err != nil {
		d.discard(ctx, spec.ID, created.ID)
		return "", err
	}
	return created.ID, nil
}

// discard removes a container that never started: there is nothing to
// harvest, so it leaves no debris.
func (d *Docker) discard(ctx context.Context, runID, id string) {
	rctx, cancel := d.callContext(context.WithoutCancel(ctx))
	defer cancel()
	_, _ = d.cli.ContainerRemove(rctx, id, client.ContainerRemoveOptions{Force: true})
	_ = d.removeVolume(rctx, runID)
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

// containerConfig is the run's container and host configuration.
func (d *Docker) containerConfig(spec Spec, argv []string) (*container.Config, *container.HostConfig, error) {
	inputPath := func(name string) string {
		return path.Join(containerInputs, EnvName(name), filepath.Base(spec.Inputs[name]))
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
	cfg := &container.Config{
		Image:      spec.Image,
		Env:        RunEnv(spec, inputPath, containerParams, containerOutputs),
		Labels:     d.runLabels(spec, outDir),
		WorkingDir: spec.WorkDir,
	}
	// docker run's semantics: the command replaces the image's CMD and is
	// appended to its ENTRYPOINT; an entrypoint given replaces the image's
	// (and then the daemon does not use the image's CMD either).
	if len(spec.Entrypoint) > 0 {
		cfg.Entrypoint = spec.Entrypoint
	}
	if len(argv) > 0 {
		cfg.Cmd = argv
	}
	hc := d.hostConfig(spec)
	if d.sharedFS {
		for _, name := range format.SortedKeys(spec.Inputs) {
			src, err := filepath.Abs(spec.Inputs[name])
			if err != nil {
				return nil, nil, err
			}
			// The mount API, not a "src:dst:ro" bind string, so a path with a
			// colon stays one path.
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: inputPath(name), ReadOnly: true})
		}
		if outDir != "" {
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: outDir, Target: containerOutputs})
		}
	}
	return cfg, hc, nil
}

// runLabels are the spec's labels plus lathe's own, by which a later lathe
// finds and follows the run.
func (d *Docker) runLabels(spec Spec, outDir string) map[string]string {
	labels := map[string]string{}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	mj, _ := json.Marshal(spec.Metrics)
	labels[LabelRunID] = spec.ID
	labels[LabelWorkspaceID] = d.opts.WorkspaceID
	labels[LabelVersion] = d.opts.Version
	labels[LabelRunner] = d.name
	labels[labelOutputDir] = outDir
	labels[labelMetrics] = string(mj)
	return labels
}

// hostConfig holds the run's limits, GPUs and log settings (mounts are
// added by the caller).
func (d *Docker) hostConfig(spec Spec) *container.HostConfig {
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
	return hc
}

// copyIn puts the params file into the created container and, when the daemon
// does not share this machine's files, an outputs directory (the inputs are
// in their own volume: stageInputs).
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

package runners

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// GPUQueryArgs is the nvidia-smi invocation the inventory parses.
var GPUQueryArgs = []string{"--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu", "--format=csv,noheader,nounits"}

// GPU is one physical GPU. Fields nvidia-smi reports as [N/A] or
// [Not Supported] are nil.
type GPU struct {
	Index          int         `json:"index"`
	Name           string      `json:"name"`
	UUID           string      `json:"uuid"`
	MemoryTotalMiB *int64      `json:"memory_total_mib"`
	MemoryUsedMiB  *int64      `json:"memory_used_mib"`
	UtilizationPct *int64      `json:"utilization_pct"`
	MIG            []MIGDevice `json:"mig,omitempty"`
}

// MIGDevice is one MIG instance of a GPU, from `nvidia-smi -L`.
type MIGDevice struct {
	Profile string `json:"profile"` // e.g. "3g.20gb"
	Device  int    `json:"device"`
	UUID    string `json:"uuid"`
}

// Inventory is what a host has. With no GPU, GPUs is empty and NoGPU says why
// ("nvidia-smi not found", "the daemon has no NVIDIA runtime", ...).
type Inventory struct {
	GPUs  []GPU  `json:"gpus"`
	NoGPU string `json:"no_gpu,omitempty"`
}

// DeviceIDs are the schedulable units: each GPU's index, or the UUIDs of its
// MIG devices when MIG is enabled (a MIG-enabled GPU cannot run CUDA work as a
// whole).
func (inv Inventory) DeviceIDs() []string {
	var ids []string
	for _, g := range inv.GPUs {
		if len(g.MIG) > 0 {
			for _, m := range g.MIG {
				ids = append(ids, m.UUID)
			}
			continue
		}
		ids = append(ids, strconv.Itoa(g.Index))
	}
	return ids
}

// ParseGPUQuery parses the output of nvidia-smi with GPUQueryArgs. The fields
// are separated by ", " (nvidia-smi(1)); names never contain commas.
func ParseGPUQuery(out []byte) ([]GPU, error) {
	r := csv.NewReader(bytes.NewReader(out))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = 6
	r.LazyQuotes = true
	var gpus []GPU
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return gpus, nil
		}
		if err != nil {
			return nil, fmt.Errorf("nvidia-smi output: %w", err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		idx, err := strconv.Atoi(rec[0])
		if err != nil {
			return nil, fmt.Errorf("nvidia-smi output: GPU index %q is not a number", rec[0])
		}
		g := GPU{Index: idx, Name: rec[1], UUID: rec[2]}
		for i, dst := range []**int64{&g.MemoryTotalMiB, &g.MemoryUsedMiB, &g.UtilizationPct} {
			v, ok, err := smiNumber(rec[3+i])
			if err != nil {
				return nil, fmt.Errorf("nvidia-smi output, GPU %d: %w", idx, err)
			}
			if ok {
				*dst = &v
			}
		}
		gpus = append(gpus, g)
	}
}

// smiNumber reads an integer field; [N/A], [Not Supported] and the like are
// "unknown", not errors.
func smiNumber(s string) (int64, bool, error) {
	if strings.HasPrefix(s, "[") || s == "" || strings.EqualFold(s, "N/A") {
		return 0, false, nil
	}
	// Units are off (nounits), but accept them if a caller forgot.
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, " MiB"), " %"))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, false, fmt.Errorf("%q is not a number", s)
		}
		v = int64(f)
	}
	return v, true, nil
}

var (
	listGPU = regexp.MustCompile(`^GPU (\d+): .*\(UUID: (GPU-[^)]+)\)`)
	listMIG = regexp.MustCompile(`^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)]+)\)`)
)

// ParseGPUList reads `nvidia-smi -L` and returns the MIG devices per GPU index.
func ParseGPUList(out []byte) map[int][]MIGDevice {
	mig := map[int][]MIGDevice{}
	cur := -1
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if m := listGPU.FindStringSubmatch(line); m != nil {
			cur, _ = strconv.Atoi(m[1])
			continue
		}
		if m := listMIG.FindStringSubmatch(line); m != nil && cur >= 0 {
			dev, _ := strconv.Atoi(m[2])
			mig[cur] = append(mig[cur], MIGDevice{Profile: m[1], Device: dev, UUID: m[3]})
		}
	}
	return mig
}

// parseInventory combines the query and (optional) -L outputs.
func parseInventory(query, list []byte) (Inventory, error) {
	gpus, err := ParseGPUQuery(query)
	if err != nil {
		return Inventory{}, err
	}
	mig := ParseGPUList(list)
	for i := range gpus {
		gpus[i].MIG = mig[gpus[i].Index]
	}
	inv := Inventory{GPUs: gpus}
	if len(gpus) == 0 {
		inv.NoGPU = "nvidia-smi lists no GPU"
	}
	return inv, nil
}

// LocalInventory runs nvidia-smi on this machine. No nvidia-smi means no GPU,
// which is a normal answer, not an error.
func LocalInventory(ctx context.Context) (Inventory, error) {
	bin, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return Inventory{NoGPU: "no GPU: nvidia-smi is not installed on this host"}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, GPUQueryArgs...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// nvidia-smi without a working driver exits non-zero with a message
		// ("NVIDIA-SMI has failed because it couldn't communicate ...").
		return Inventory{NoGPU: "no GPU: nvidia-smi failed: " + firstLine(stderr.String()+string(out), err)}, nil
	}
	list, _ := exec.CommandContext(ctx, bin, "-L").Output() // MIG details are optional
	return parseInventory(out, list)
}

func firstLine(s string, err error) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return err.Error()
	}
	return s
}

// Inventory runs nvidia-smi in a throwaway container on the runner's daemon
// with every GPU attached (the NVIDIA runtime mounts nvidia-smi into it), so
// it works the same over ssh:// and tcp://. image must have a libc (the
// injected nvidia-smi is dynamically linked), e.g. "ubuntu:24.04". A daemon
// without the NVIDIA runtime means no GPU.
func (d *Docker) Inventory(ctx context.Context, image string) (Inventory, error) {
	query, err := d.runOnce(ctx, image, append([]string{"nvidia-smi"}, GPUQueryArgs...))
	if err != nil {
		var ng noGPUError
		if errors.As(err, &ng) {
			return Inventory{NoGPU: string(ng)}, nil
		}
		return Inventory{}, err
	}
	list, _ := d.runOnce(ctx, image, []string{"nvidia-smi", "-L"})
	return parseInventory(query, list)
}

type noGPUError string

func (e noGPUError) Error() string { return string(e) }

// runOnce runs argv in a new GPU container, returns its stdout, removes it.
func (d *Docker) runOnce(ctx context.Context, image string, argv []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	created, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: image, Entrypoint: argv[:1], Cmd: argv[1:],
			Labels: map[string]string{LabelRunner: d.name, LabelVersion: d.opts.Version}},
		HostConfig: &container.HostConfig{Resources: container.Resources{DeviceRequests: []container.DeviceRequest{
			{Driver: "nvidia", Count: -1, Capabilities: [][]string{{"gpu"}}}}}},
	})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, fmt.Errorf("runner %s: GPU inventory image %q not found on %s", d.name, image, d.host)
		}
		return nil, fmt.Errorf("runner %s: GPU inventory: %w", d.name, err)
	}
	defer func() {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer rcancel()
		_, _ = d.cli.ContainerRemove(rctx, created.ID, client.ContainerRemoveOptions{Force: true})
	}()
	wait := d.cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := d.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "could not select device driver") || strings.Contains(msg, "nvidia-container-cli") {
			return nil, noGPUError("no GPU: the docker daemon on " + d.host + " has no NVIDIA runtime")
		}
		return nil, fmt.Errorf("runner %s: GPU inventory: %s", d.name, startErrorMessage(err))
	}
	var code int64
	select {
	case r := <-wait.Result:
		code = r.StatusCode
	case err := <-wait.Error:
		return nil, fmt.Errorf("runner %s: GPU inventory: %w", d.name, err)
	}
	logs, err := d.cli.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, noGPUError("no GPU: nvidia-smi failed: " + firstLine(stderr.String()+stdout.String(), fmt.Errorf("exit %d", code)))
	}
	return stdout.Bytes(), nil
}

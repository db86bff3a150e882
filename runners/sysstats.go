package runners

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// System metrics. While a run goes, whoever ingests it (the engine) asks
// the run's runner, every few seconds, for the resources the run uses and
// stores the answers as metrics under SysPrefix: "sys/cpu" (percent of one
// core), "sys/mem_rss" (bytes), "sys/gpu<index>_util" (percent) and
// "sys/gpu<index>_mem" (bytes) for each GPU allocated to the run. A runner
// opts in by implementing SystemSampler; the Slurm and Kubernetes runners
// can add theirs (sstat, the metrics API) without touching the engine.

// SysPrefix starts the key of every system metric.
const SysPrefix = "sys/"

// System metric keys.
const (
	SysCPU    = SysPrefix + "cpu"     // percent of one core, averaged since the previous sample
	SysMemRSS = SysPrefix + "mem_rss" // bytes resident (containers: usage less page cache, as docker stats)
)

// SysGPUUtil and SysGPUMem are the keys of GPU index i.
func SysGPUUtil(i int) string { return SysPrefix + "gpu" + strconv.Itoa(i) + "_util" }
func SysGPUMem(i int) string  { return SysPrefix + "gpu" + strconv.Itoa(i) + "_mem" }

// IsSysMetric reports whether key is a system metric.
func IsSysMetric(key string) bool { return strings.HasPrefix(key, SysPrefix) }

// SysTarget names the run a probe measures, as the run's record has it.
type SysTarget struct {
	RunID       string
	PID         int      // local runs: the wrapper, leader of the run's process group
	ContainerID string   // Docker runs
	GPUs        []string // device ids allocated to the run (indices); none: no GPU sampled
}

// SystemSampler is implemented by a runner that can measure its runs.
type SystemSampler interface {
	// SystemProbe returns a probe of one run. An error means this run cannot
	// be measured (no pid recorded, a remote host); the engine then stops
	// asking.
	SystemProbe(t SysTarget) (Probe, error)
}

// Probe measures one run. Sample returns the current values keyed by the
// Sys* names; a value it cannot know this time (the CPU rate at the first
// call) is left out. Calls are sequential.
type Probe interface {
	Sample(ctx context.Context, now time.Time) (map[string]float64, error)
}

// cpuRate turns a cumulative CPU time into percent of one core between
// successive readings.
type cpuRate struct {
	last float64 // CPU seconds at the previous reading
	at   time.Time
}

// rate returns the percent since the previous reading; ok is false at the
// first. A counter going back (a process of the group exited unreaped) is
// taken as a new start, never a negative rate.
func (c *cpuRate) rate(cpuSeconds float64, now time.Time) (pct float64, ok bool) {
	prev, at := c.last, c.at
	c.last, c.at = cpuSeconds, now
	dt := now.Sub(at).Seconds()
	if at.IsZero() || dt <= 0 || cpuSeconds < prev {
		return 0, false
	}
	return 100 * (cpuSeconds - prev) / dt, true
}

// GPUUsageArgs is the nvidia-smi invocation a GPU probe parses.
var GPUUsageArgs = []string{"--query-gpu=index,utilization.gpu,memory.used", "--format=csv,noheader,nounits"}

// GPUSampleEvery is the shortest time between two nvidia-smi reads of one
// run: each is a new process that opens the driver (tens of milliseconds of
// CPU on a real host), so at every 2 s sample it alone could pass the 1 %
// of a core that sampling may cost. CPU and memory keep the full rate.
const GPUSampleEvery = 10 * time.Second

// gpuProbe reads the allocated GPUs' use from nvidia-smi on this machine.
type gpuProbe struct {
	bin     string
	indices []int
	last    time.Time // of the last read
}

// newGPUProbe returns nil when there is nothing to sample: no GPU allocated,
// allocations that are not indices (MIG UUIDs: nvidia-smi reports the whole
// GPU), or no nvidia-smi on PATH.
func newGPUProbe(ids []string) *gpuProbe {
	var idx []int
	for _, id := range ids {
		if i, err := strconv.Atoi(strings.TrimSpace(id)); err == nil && i >= 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	bin, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil
	}
	return &gpuProbe{bin: bin, indices: idx}
}

// sample adds the GPUs' use to into, unless the last read is less than
// GPUSampleEvery before now.
func (g *gpuProbe) sample(ctx context.Context, now time.Time, into map[string]float64) error {
	if !g.last.IsZero() && now.Sub(g.last) < GPUSampleEvery {
		return nil
	}
	g.last = now
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, g.bin, GPUUsageArgs...).Output()
	if err != nil {
		return fmt.Errorf("nvidia-smi: %w", err)
	}
	return ParseGPUUsage(out, g.indices, into)
}

// ParseGPUUsage reads nvidia-smi output of GPUUsageArgs ("index, util %,
// memory MiB" per line) into into, for the GPUs in indices only. [N/A]
// fields are left out.
func ParseGPUUsage(out []byte, indices []int, into map[string]float64) error {
	r := csv.NewReader(bytes.NewReader(out))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = 3
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("nvidia-smi output: %w", err)
		}
		idx, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil {
			return fmt.Errorf("nvidia-smi output: GPU index %q is not a number", rec[0])
		}
		if !slices.Contains(indices, idx) {
			continue
		}
		if v, ok, err := smiNumber(strings.TrimSpace(rec[1])); err != nil {
			return fmt.Errorf("nvidia-smi output, GPU %d: %w", idx, err)
		} else if ok {
			into[SysGPUUtil(idx)] = float64(v)
		}
		if v, ok, err := smiNumber(strings.TrimSpace(rec[2])); err != nil {
			return fmt.Errorf("nvidia-smi output, GPU %d: %w", idx, err)
		} else if ok {
			into[SysGPUMem(idx)] = float64(v) * (1 << 20)
		}
	}
}

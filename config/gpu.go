package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// GPUSpec says which GPUs a runner (or a run) may use, in the forms docker
// run --gpus understands: all of them, a count, or a list of device indices
// and/or UUIDs. The zero value means no GPUs.
type GPUSpec struct {
	All     bool     // every GPU on the host
	Count   int      // this many GPUs, picked by the scheduler; > 0 when set
	Devices []string // device indices ("0", "2") or UUIDs ("GPU-…", "MIG-…")
}

// IsZero reports whether the spec asks for no GPUs.
func (g GPUSpec) IsZero() bool { return !g.All && g.Count == 0 && len(g.Devices) == 0 }

// String renders the spec as ParseGPUSpec reads it back: "all", "2", "0,2",
// "[3]" (one device, so as not to read as a count), or "".
func (g GPUSpec) String() string {
	switch {
	case g.All:
		return "all"
	case g.Count > 0:
		return strconv.Itoa(g.Count)
	case len(g.Devices) == 1 && g.Devices[0] != "" && strings.Trim(g.Devices[0], "0123456789") == "":
		return "[" + g.Devices[0] + "]" // "3" would read back as a count
	default:
		return strings.Join(g.Devices, ",")
	}
}

// value is the spec as a plain JSON/YAML value: "all", N, a list, or nil.
func (g GPUSpec) value() any {
	switch {
	case g.All:
		return "all"
	case g.Count > 0:
		return g.Count
	case len(g.Devices) > 0:
		return append([]string(nil), g.Devices...)
	default:
		return nil
	}
}

// MarshalJSON writes the same forms the YAML file accepts: "all", N, [..] or null.
func (g GPUSpec) MarshalJSON() ([]byte, error) { return json.Marshal(g.value()) }

// ParseGPUSpec parses the text form used by flags and environment variables:
// "all", a count "2", or a comma-separated list of indices and UUIDs
// ("0,2", "[0, 2]", "GPU-8f3c…,GPU-1a2b…"). "" and "none" mean no GPUs.
// Errors are *InputError without a location; callers add it.
func ParseGPUSpec(s string) (GPUSpec, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.EqualFold(t, "none") {
		return GPUSpec{}, nil
	}
	if strings.EqualFold(t, "all") {
		return GPUSpec{All: true}, nil
	}
	list := strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")
	if list {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	if !list && !strings.Contains(t, ",") {
		if n, err := strconv.Atoi(t); err == nil {
			return gpuCount(n)
		}
	}
	var items []string
	for _, p := range strings.Split(t, ",") {
		items = append(items, strings.TrimSpace(p))
	}
	return gpuDevices(items)
}

func gpuCount(n int) (GPUSpec, error) {
	if n < 1 {
		return GPUSpec{}, &InputError{Field: "gpus", Msg: fmt.Sprintf("gpu count %d must be at least 1; omit gpus for none (valid: all, a count N, or a list of indices/UUIDs like [0, 2])", n)}
	}
	return GPUSpec{Count: n}, nil
}

// gpuDevices validates a device list: non-negative indices or GPU-/MIG- UUIDs,
// no duplicates. Indices are normalised ("01" -> "1").
func gpuDevices(items []string) (GPUSpec, error) {
	if len(items) == 0 {
		return GPUSpec{}, &InputError{Field: "gpus", Msg: "empty gpu list; omit gpus for none, or list indices/UUIDs like [0, 2]"}
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(items))
	for _, it := range items {
		id, err := gpuDevice(it)
		if err != nil {
			return GPUSpec{}, err
		}
		if seen[id] {
			return GPUSpec{}, &InputError{Field: "gpus", Msg: fmt.Sprintf("gpu %q listed twice", id)}
		}
		seen[id] = true
		out = append(out, id)
	}
	return GPUSpec{Devices: out}, nil
}

func gpuDevice(s string) (string, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return "", &InputError{Field: "gpus", Msg: fmt.Sprintf("gpu index %d is negative; indices start at 0 (nvidia-smi -L)", n)}
		}
		return strconv.Itoa(n), nil
	}
	// NVIDIA UUIDs as nvidia-smi -L prints them: GPU-<uuid>, and MIG-<uuid>
	// (or the older MIG-GPU-<uuid>/gi/ci) for MIG instances.
	if (strings.HasPrefix(s, "GPU-") || strings.HasPrefix(s, "MIG-")) && len(s) > 4 {
		ok := true
		for _, r := range s[4:] {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '-' || r == '/' || r == 'G' || r == 'P' || r == 'U') {
				ok = false
				break
			}
		}
		if ok {
			return s, nil
		}
	}
	return "", &InputError{Field: "gpus", Msg: fmt.Sprintf("%q is not a gpu index or UUID; valid: all, a count N, or a list of indices (0, 2) or UUIDs (GPU-…, MIG-…) as nvidia-smi -L prints them", s)}
}

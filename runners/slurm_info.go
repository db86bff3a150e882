package runners

import (
	"context"
	"strconv"
	"strings"
)

// ClusterInfo is what `lathe runners check` and the Runners screen show of
// a Slurm cluster.
type ClusterInfo struct {
	Version    string          `json:"version"` // "slurm-wlm 22.05.8"
	Partitions []PartitionInfo `json:"partitions"`
	Jobs       []ClusterJob    `json:"jobs"` // Lathe's jobs in the cluster queue
}

// PartitionInfo is one partition from sinfo.
type PartitionInfo struct {
	Name      string `json:"name"`
	Default   bool   `json:"default,omitempty"`
	Nodes     int    `json:"nodes"`
	IdleNodes int    `json:"idle_nodes"`
	GPUs      int    `json:"gpus"`
	GPUsAlloc int    `json:"gpus_alloc"`
}

// ClusterJob is one of Lathe's jobs in squeue.
type ClusterJob struct {
	JobID  string `json:"job_id"`
	RunID  string `json:"run_id"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Probe asks the cluster for its version, partitions (nodes, GPUs idle and
// allocated) and the queue of Lathe's jobs.
func (s *Slurm) Probe(ctx context.Context) (ClusterInfo, error) {
	var ci ClusterInfo
	out, err := s.host.run(ctx, nil, "sinfo", "--version")
	if err != nil {
		return ci, err
	}
	ci.Version = strings.TrimSpace(string(out))
	if out, err = s.host.run(ctx, nil, "sinfo", "-h", "-N", "-O", "Partition:|,NodeHost:|,StateCompact:|,Gres:|,GresUsed:"); err != nil {
		return ci, err
	}
	ci.Partitions = parseSinfoNodes(string(out))
	if out, err = s.host.run(ctx, nil, "squeue", "-h", "-o", "%i|%j|%T|%r"); err != nil {
		return ci, err
	}
	ci.Jobs = []ClusterJob{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) < 4 || !strings.HasPrefix(f[1], "lathe-") {
			continue
		}
		j := ClusterJob{JobID: f[0], RunID: strings.TrimPrefix(f[1], "lathe-"), State: f[2]}
		if f[3] != "None" {
			j.Reason = f[3]
		}
		ci.Jobs = append(ci.Jobs, j)
	}
	return ci, nil
}

// parseSinfoNodes sums `sinfo -N -O Partition:|,NodeHost:|,StateCompact:|,Gres:|,GresUsed:`
// (one line per node and partition) into partitions, in sinfo's order.
func parseSinfoNodes(out string) []PartitionInfo {
	parts := []PartitionInfo{}
	index := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(l, "|")
		if len(f) < 5 {
			continue
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		name := strings.TrimSuffix(f[0], "*")
		i, ok := index[name]
		if !ok {
			i = len(parts)
			index[name] = i
			parts = append(parts, PartitionInfo{Name: name, Default: strings.HasSuffix(f[0], "*")})
		}
		p := &parts[i]
		p.Nodes++
		if strings.TrimRight(f[2], "*~#!%$@^-") == "idle" {
			p.IdleNodes++
		}
		p.GPUs += gresGPUs(f[3])
		p.GPUsAlloc += gresGPUs(f[4])
	}
	return parts
}

// gresGPUs counts the GPUs in a gres string such as "gpu:2",
// "gpu:a100:4(S:0-1)" or "gpu:a100:2(IDX:0-1),shard:8".
func gresGPUs(g string) int {
	n := 0
	depth := 0
	var items []string
	start := 0
	for i, c := range g { // split on commas outside parentheses
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, g[start:i])
				start = i + 1
			}
		}
	}
	items = append(items, g[start:])
	for _, it := range items {
		if !strings.HasPrefix(it, "gpu") {
			continue
		}
		if i := strings.IndexByte(it, '('); i >= 0 {
			it = it[:i]
		}
		f := strings.Split(it, ":")
		if c, err := strconv.Atoi(f[len(f)-1]); err == nil {
			n += c
		}
	}
	return n
}

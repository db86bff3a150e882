package runners

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

func newScreen(t *testing.T, w, h int) *Screen {
	t.Helper()
	// A docker runner nobody listens for: unreachable, quickly.
	yaml := "name: test\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n  - name: gone\n    type: docker\n    host: tcp://127.0.0.1:1\n"
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), yaml, engine.Options{ConnectTimeout: 2 * time.Second})
	s := New(tuitest.Context(t, e))
	s.every = 10 * time.Millisecond // ticks come back at once and are dropped
	s.SetSize(w, h)
	t.Cleanup(s.Deactivate)
	return s
}

// drive runs cmd and feeds results back, dropping ticks (tests send their
// own).
func drive(t *testing.T, s *Screen, cmd tea.Cmd) {
	t.Helper()
	tuitest.SettleResults(t, s, cmd, func(r common.ResultMsg) bool { _, tick := r.Payload.(tickMsg); return tick })
}

func TestProbesEveryRunner(t *testing.T) {
	s := newScreen(t, 80, 24)
	drive(t, s, s.Activate())
	sts := s.Statuses()
	if len(sts) != 2 || sts[0].Name != "local" || !sts[0].Reachable || sts[1].Name != "gone" || sts[1].Reachable {
		t.Fatalf("statuses %+v", sts)
	}
	v := ansi.Strip(s.View())
	for _, want := range []string{"Runners  2 configured", "local", "gone", "UNREACHABLE", "runs 0/1 running"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	checkBox(t, s, 80, 24)
	// A stale tick neither probes nor re-arms.
	old := s.gen
	s.Deactivate()
	if _, cmd := s.Update(common.ResultMsg{Screen: common.Runners, Payload: tickMsg{old}}); cmd != nil {
		t.Error("stale tick re-armed")
	}
}

func checkBox(t *testing.T, s *Screen, w, h int) {
	t.Helper()
	tuitest.Bounds(t, "runners", s.View(), w, h)
}

// GPUs here are fake (recorded nvidia-smi values), since this machine has none.
func TestGPUBarsAndSmallSizes(t *testing.T) {
	s := newScreen(t, 80, 24)
	i := func(v int64) *int64 { return &v }
	s.sts = []engine.RunnerStatus{{Name: "gpu1", Type: "docker", Host: "ssh://ml@gpu1", Reachable: true, MaxConcurrent: 2,
		Daemon:  &runners.DaemonInfo{Version: "27.3.1"},
		Running: []string{"r1"}, Queued: []string{"r2", "r3"},
		GPUs: []runners.GPU{
			{Index: 0, Name: "NVIDIA A100-SXM4-40GB", MemoryTotalMiB: i(40960), MemoryUsedMiB: i(20480), UtilizationPct: i(50)},
			{Index: 1, Name: "NVIDIA A100-SXM4-40GB", MemoryTotalMiB: nil, MemoryUsedMiB: nil, UtilizationPct: nil},
		}}}
	v := ansi.Strip(s.View())
	for _, want := range []string{"GPU 0 NVIDIA A100-SXM4-40GB", "20.0/40G", " 50%", "GPU 1", "mem n/a", "util n/a", "runs 1/2 running: r1", "2 queued: r2 r3", "docker 27.3.1"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	for _, sz := range [][2]int{{80, 24}, {40, 6}, {20, 3}, {120, 40}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
	}
}

func TestBar(t *testing.T) {
	cases := []struct {
		f    float64
		w    int
		want string
	}{
		{0, 4, "░░░░"}, {1, 4, "████"}, {0.5, 4, "██░░"}, {0.25, 2, "▌░"}, {0.0625, 2, "▏░"}, {2, 3, "███"}, {-1, 2, "░░"},
	}
	for _, c := range cases {
		if got := Bar(c.f, c.w); got != c.want {
			t.Errorf("Bar(%v, %d) = %q, want %q", c.f, c.w, got, c.want)
		}
	}
}

// A Kubernetes runner: its nodes' GPUs (FAKE counts) and pending pods.
func TestKubernetesNodesAndPending(t *testing.T) {
	s := newScreen(t, 80, 24)
	s.sts = []engine.RunnerStatus{{Name: "cluster", Type: "kubernetes", Host: "https://k8s.lab:6443", Reachable: true, MaxConcurrent: 4,
		Queued: []string{"r9"},
		Kube: &runners.KubeInfo{Version: "v1.37.2", Namespace: "ml",
			Nodes:   []runners.KubeNode{{Name: "gpu-node-1", GPUAllocatable: 8, GPUUsed: 6, Ready: true}, {Name: "gpu-node-2", GPUAllocatable: 8}},
			Pending: []runners.KubePending{{RunID: "r9", Reason: "Unschedulable: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu."}}}}}
	v := ansi.Strip(s.View())
	for _, want := range []string{"kubernetes v1.37.2", "gpu-node-1", " 6/8", "gpu-node-2", "0/8  not ready", "pending r9: Unschedulable: 0/2 nodes"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	for _, sz := range [][2]int{{80, 24}, {40, 6}, {20, 3}} {
		s.SetSize(sz[0], sz[1])
		checkBox(t, s, sz[0], sz[1])
	}
}

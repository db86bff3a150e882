package runners

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// The Slurm runner's block probes the real one-node cluster of
// .ci/slurm.sh (its two GPUs are fake) and shows its partitions and GPUs.
func TestSlurmPartitionsAndQueue(t *testing.T) {
	if _, err := exec.LookPath("sinfo"); err != nil {
		t.Fatalf("sinfo is not on PATH: this test needs the Slurm cluster of .ci/slurm.sh: %v", err)
	}
	yaml := "name: test\ndefault_runner: local\nrunners:\n  - name: local\n    type: local\n  - name: cluster\n    type: slurm\n    partition: debug\n"
	e := tuitest.Engine(t, filepath.Join(t.TempDir(), "ws"), yaml, engine.Options{ConnectTimeout: 5 * time.Second})
	s := New(tuitest.Context(t, e))
	s.every = 10 * time.Millisecond
	s.SetSize(100, 30)
	t.Cleanup(s.Deactivate)
	drive(t, s, s.Activate())
	v := ansi.Strip(s.View())
	for _, want := range []string{"cluster", "slurm", "slurm-wlm", "partition debug", "1 nodes", "GPUs", "no jobs of this workspace"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// A pending job of this workspace shows with Slurm's reason.
	sts := s.Statuses()
	sts[1].Cluster.Jobs = []runners.ClusterJob{{JobID: "42", RunID: "rabc", State: "PENDING", Reason: "Resources"}}
	s.sts = sts
	v = ansi.Strip(s.View())
	if !strings.Contains(v, "job 42") || !strings.Contains(v, "PENDING") || !strings.Contains(v, "(Resources)") {
		t.Errorf("view lacks the pending job:\n%s", v)
	}
	checkBox(t, s, 100, 30)
}

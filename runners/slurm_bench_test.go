package runners

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
)

// BenchmarkSlurmFirstLine compares submit-to-first-line latency on the real
// cluster of .ci/slurm.sh: the Slurm runner (run folder, sbatch, tailing the
// folder) against plain `sbatch --wait` of a script printing the same line,
// its output file polled every 10 ms.
func BenchmarkSlurmFirstLine(b *testing.B) {
	if _, err := exec.LookPath("sbatch"); err != nil {
		b.Fatalf("sbatch is not on PATH: this benchmark needs the Slurm cluster of .ci/slurm.sh: %v", err)
	}
	dir := b.TempDir()
	s, err := NewSlurm(config.Runner{Name: "bench", Type: config.RunnerSlurm, Slurm: &config.SlurmOptions{}}, SlurmOptions{RunsDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lathe", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			sink := &firstLineSink{first: make(chan struct{})}
			start := time.Now()
			h, err := s.Start(context.Background(), Spec{ID: fmt.Sprintf("rbench%d%d", time.Now().UnixNano(), i),
				Command: []string{"sh", "-c", "echo first"}}, sink)
			if err != nil {
				b.Fatal(err)
			}
			<-sink.first
			total += time.Since(start)
			if _, err := h.Wait(context.Background()); err != nil {
				b.Fatal(err)
			}
			// As sbatch --wait does, let the job leave the node before the next.
			job, _ := s.jobID(context.Background(), h.ID())
			for {
				st, err := s.state(context.Background(), job)
				if err != nil || !st.active() {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		b.ReportMetric(total.Seconds()*1000/float64(b.N), "ms-to-first-line")
	})
	b.Run("sbatch-wait", func(b *testing.B) {
		script := filepath.Join(dir, "plain.sh")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho first\n"), 0o755); err != nil {
			b.Fatal(err)
		}
		var total time.Duration
		for i := 0; i < b.N; i++ {
			out := filepath.Join(dir, fmt.Sprintf("plain-%d.out", i))
			start := time.Now()
			cmd := exec.Command("sbatch", "--wait", "--output="+out, script)
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			for {
				if data, _ := os.ReadFile(out); strings.Contains(string(data), "\n") {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			total += time.Since(start)
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(total.Seconds()*1000/float64(b.N), "ms-to-first-line")
	})
}

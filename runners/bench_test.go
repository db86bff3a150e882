package runners

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkParser measures metrics-line throughput (the target is
// 50,000 lines/s into the store; the parser is the first stage of it).
func BenchmarkParser(b *testing.B) {
	lines := []string{
		`{"step": 12, "train_loss": 0.4123, "val_loss": 0.5012, "val_accuracy": 0.91, "phase": "train"}`,
		`epoch 12: loading batch 400/500`,
		`{"loss": 0.25}`,
	}
	p := NewParser(ParseOptions{KeyValue: true, StepSuffix: true})
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Parse(lines[i%len(lines)], now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkFirstOutput compares the time from launch to the container's first
// output line: the Docker runner (create, copy params in, wait, start, logs)
// against `docker run` of the same image through the CLI. Target: the runner
// within 300 ms of the CLI.
func BenchmarkFirstOutput(b *testing.B) {
	d, err := NewDocker("bench", Endpoint{}, DockerOptions{WorkspaceID: "bench", Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Probe(context.Background()); err != nil {
		b.Skipf("no docker daemon: %v", err)
	}
	if _, err := d.BuildScratchImage(context.Background(), ScratchImage{Tag: testImage,
		Files: map[string]string{"/prog": progPath}, Cmd: []string{"/prog"}}); err != nil {
		b.Fatal(err)
	}
	b.Run("runner", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			sink := &firstLineSink{first: make(chan struct{})}
			start := time.Now()
			h, err := d.Start(context.Background(), Spec{ID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i),
				Image: testImage, Command: []string{"/prog", "metrics", "1"}}, sink)
			if err != nil {
				b.Fatal(err)
			}
			<-sink.first
			total += time.Since(start)
			if _, err := h.Wait(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(total.Seconds()*1000/float64(b.N), "ms-to-first-line")
	})
	b.Run("docker-cli", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			start := time.Now()
			cmd := exec.Command("docker", "run", "--rm", testImage, "/prog", "metrics", "1")
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			bufio.NewReader(out).ReadString('\n')
			total += time.Since(start)
			cmd.Wait()
		}
		b.ReportMetric(total.Seconds()*1000/float64(b.N), "ms-to-first-line")
	})
}

type firstLineSink struct {
	recordSink
	first chan struct{}
	seen  bool
}

func (f *firstLineSink) Log(l LogLine) {
	if !f.seen {
		f.seen = true
		close(f.first)
	}
}

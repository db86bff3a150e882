package runners

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// TestDockerTimesFromTheSource: a run that nobody follows (its lathe went
// away, as with --detach) and that is harvested 10 s after it ended reports
// the container's own start and end, not when lathe looked.
func TestDockerTimesFromTheSource(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	id := runID(t)
	ctx, detach := context.WithCancel(context.Background())
	first := &recordSink{}
	if _, err := d.Start(ctx, Spec{ID: id, Image: testImage, Command: []string{"/prog", "sleep", "1000"}}, first); err != nil {
		t.Fatal(err)
	}
	detach()
	time.Sleep(11 * time.Second)
	later := &recordSink{}
	hs, err := d.Reconcile(context.Background(), []Tracked{{RunID: id}}, func(string) Sink { return later })
	if err != nil || len(hs) != 1 {
		t.Fatalf("reconcile: %v %v", hs, err)
	}
	if res := waitResult(t, hs[0], 60*time.Second); res.Status != runstatus.Completed {
		t.Fatalf("result %+v", res)
	}
	end := later.last()
	if end.Started.IsZero() {
		t.Fatalf("final status without the container's start: %+v", end)
	}
	if dur := end.Time.Sub(end.Started); dur < 900*time.Millisecond || dur > 2*time.Second {
		t.Fatalf("duration %v (started %v, ended %v); the program ran 1 s", dur, end.Started, end.Time)
	}
	if since := time.Since(end.Time); since < 9*time.Second {
		t.Fatalf("end time %v is when lathe looked, not when the container exited", end.Time)
	}
}

// TestMetricTimesArePrintTimes: each metric sample is stamped when its line
// was printed (Docker's log timestamp; the read time for a local run, which
// a follower polls every 50 ms), not when lathe stored it.
func TestMetricTimesArePrintTimes(t *testing.T) {
	for _, kind := range []string{"docker", "local"} {
		t.Run(kind, func(t *testing.T) {
			var r Runner
			spec := Spec{ID: runID(t), Command: []string{progPath, "stamped", "5", "300"}}
			if kind == "docker" {
				r = dockerRunner(t, DockerOptions{})
				spec.Image, spec.Command = testImage, []string{"/prog", "stamped", "5", "300"}
			} else {
				r = NewLocal("local", t.TempDir())
			}
			sink := &recordSink{}
			h, err := r.Start(context.Background(), spec, sink)
			if err != nil {
				t.Fatal(err)
			}
			if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
				t.Fatalf("result %+v", res)
			}
			printed := map[int64]float64{}
			for _, s := range sink.samples {
				if s.Key == "printed" {
					printed[s.Step] = s.Value
				}
			}
			n := 0
			for _, s := range sink.samples {
				if s.Key != "loss" {
					continue
				}
				n++
				at := float64(s.Time.UnixMicro()) / 1e6
				if off := math.Abs(at - printed[s.Step]); off > 0.5 {
					t.Errorf("step %d: sample time %v is %.3f s from its print time", s.Step, s.Time, off)
				}
			}
			if n != 5 {
				t.Fatalf("%d loss samples, want 5: %+v", n, sink.samples)
			}
		})
	}
}

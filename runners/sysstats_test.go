package runners

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeGPUs puts a fake nvidia-smi on PATH (these machines have no GPU): it
// answers the usage query with two GPUs and fails on anything else.
func fakeGPUs(t testing.TB) {
	t.Helper()
	bin := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = \"" + GPUUsageArgs[0] + "\" ] || exit 9\nprintf '0, 97, 60211\\n1, 37, 1234\\n2, [N/A], [N/A]\\n'\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestParseGPUUsage(t *testing.T) {
	got := map[string]float64{}
	if err := ParseGPUUsage([]byte("0, 97, 60211\n1, 37, 1234\n2, [N/A], [Not Supported]\n"), []int{1, 2}, got); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"sys/gpu1_util": 37, "sys/gpu1_mem": 1234 << 20}
	if len(got) != len(want) || got["sys/gpu1_util"] != 37 || got["sys/gpu1_mem"] != 1234<<20 {
		t.Fatalf("got %v, want %v (GPU 0 is not the run's, GPU 2 reports N/A)", got, want)
	}
	if err := ParseGPUUsage([]byte("x, 1, 2\n"), []int{0}, got); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("bad index: %v", err)
	}
}

// sampleTwice samples p, waits d, samples again, and returns both.
func sampleTwice(t *testing.T, p Probe, d time.Duration) (first, second map[string]float64) {
	t.Helper()
	ctx := context.Background()
	first, err := p.Sample(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := first[SysCPU]; ok {
		t.Errorf("first sample has a CPU rate %v with nothing to compare to", first[SysCPU])
	}
	time.Sleep(d)
	got, err := p.Sample(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return first, got
}

// A local run that holds 48 MiB and spins one core: its process group's
// CPU and RSS come from /proc, and its allocated GPU (1, of the fake's
// three) from the fake nvidia-smi.
func TestLocalSystemProbe(t *testing.T) {
	fakeGPUs(t)
	l := NewLocal("local", t.TempDir())
	sink := &recordSink{}
	h, err := l.Start(context.Background(), Spec{ID: "burn", Command: []string{progPath, "burn", "48", "4000"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to allocate", func() bool { return len(sink.lines("stdout")) > 0 })
	p, err := l.SystemProbe(SysTarget{RunID: "burn", GPUs: []string{"1"}})
	if err != nil {
		t.Fatal(err)
	}
	first, got := sampleTwice(t, p, 700*time.Millisecond)
	// One busy core; a loaded 2-core machine may give it far less than all
	// (14 % was seen with twenty runnable threads), but never nothing.
	if c, ok := got[SysCPU]; !ok || c < 2 || c > 150 {
		t.Errorf("sys/cpu = %v (present %v), want one busy core's share, 2..150 %%", c, ok)
	}
	if m := got[SysMemRSS]; m < 48<<20 || m > 1<<30 {
		t.Errorf("sys/mem_rss = %v, want at least the 48 MiB held", m)
	}
	if first[SysGPUUtil(1)] != 37 || first[SysGPUMem(1)] != 1234<<20 {
		t.Errorf("GPU 1 from the fake nvidia-smi: %v", first)
	}
	if _, ok := first[SysGPUUtil(0)]; ok {
		t.Errorf("GPU 0 is not the run's but was sampled: %v", first)
	}
	if _, ok := got[SysGPUUtil(1)]; ok {
		t.Errorf("nvidia-smi read again 700 ms later (at most every %v): %v", GPUSampleEvery, got)
	}
	if later, _ := p.Sample(context.Background(), time.Now().Add(GPUSampleEvery)); later[SysGPUUtil(1)] != 37 {
		t.Errorf("no GPU sample %v later: %v", GPUSampleEvery, later)
	}
	if err := l.Stop(context.Background(), "burn", time.Second); err != nil {
		t.Fatal(err)
	}
	waitResult(t, h, 10*time.Second)
	if _, err := l.SystemProbe(SysTarget{RunID: "burn"}); err == nil {
		t.Error("a probe of an ended run was made")
	}
	if vals, _ := p.Sample(context.Background(), time.Now()); vals[SysMemRSS] != 0 || vals[SysCPU] != 0 {
		t.Errorf("the ended run's group still measures %v", vals)
	}
}

// The sum is over the whole process group: the wrapper shell, the program
// and the program's children all count.
func TestLocalSystemProbeSumsTheGroup(t *testing.T) {
	l := NewLocal("local", t.TempDir())
	sink := &recordSink{}
	h, err := l.Start(context.Background(), Spec{ID: "pair", Command: []string{"/bin/sh", "-c",
		`"$0" burn 40 4000 & "$0" burn 40 4000 & wait`, progPath}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "both to allocate", func() bool { return len(sink.lines("stdout")) >= 2 })
	p, err := l.SystemProbe(SysTarget{RunID: "pair"})
	if err != nil {
		t.Fatal(err)
	}
	_, got := sampleTwice(t, p, 500*time.Millisecond)
	if m := got[SysMemRSS]; m < 80<<20 {
		t.Errorf("sys/mem_rss = %v, want both children's 2 x 40 MiB", m)
	}
	if c := got[SysCPU]; c < 15 {
		t.Errorf("sys/cpu = %v", c)
	}
	_ = l.Stop(context.Background(), "pair", time.Second)
	waitResult(t, h, 10*time.Second)
}

// A container run (real dockerd, FROM-scratch image): CPU and memory from
// the stats API, the container found by the run's label.
func TestDockerSystemProbe(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	sink := &recordSink{}
	id := runID(t)
	h, err := d.Start(context.Background(), Spec{ID: id, Image: testImage, Command: []string{"/prog", "burn", "48", "5000"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the container to allocate", func() bool { return len(sink.lines("stdout")) > 0 })
	p, err := d.SystemProbe(SysTarget{RunID: id})
	if err != nil {
		t.Fatal(err)
	}
	_, got := sampleTwice(t, p, 1200*time.Millisecond)
	if c, ok := got[SysCPU]; !ok || c < 15 || c > 150 {
		t.Errorf("sys/cpu = %v (present %v), want one busy core's share", c, ok)
	}
	if m := got[SysMemRSS]; m < 48<<20 || m > 1<<30 {
		t.Errorf("sys/mem_rss = %v, want at least the 48 MiB held", m)
	}
	if err := d.Stop(context.Background(), id, time.Second); err != nil {
		t.Fatal(err)
	}
	waitResult(t, h, 30*time.Second)
}

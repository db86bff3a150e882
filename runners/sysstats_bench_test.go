package runners

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// BenchmarkSystemSampler measures what sampling one run costs: the CPU time
// of one Sample (this process and the children it waits for, e.g.
// nvidia-smi, read at most every GPUSampleEvery of the samples' clock,
// which advances 2 s a sample) as a share of one core at the default 2 s
// interval. Target:
// at most 1 % of a core per run. The docker case samples at that interval
// (dockerd answers back-to-back one-shot reads only once a second), and also
// reports the CPU that dockerd and containerd spend answering: their /proc
// times while sampling, less their times over as long without sampling
// (other work on a shared daemon), so run it with -benchtime=10x or so.
func BenchmarkSystemSampler(b *testing.B) {
	const interval = 2 * time.Second
	run := func(b *testing.B, p Probe, daemons []int) {
		ctx := context.Background()
		now := time.Now()
		if _, err := p.Sample(ctx, now); err != nil {
			b.Fatal(err)
		}
		paced := len(daemons) > 0
		var idle int64
		if paced {
			d := daemonTicks(daemons)
			time.Sleep(time.Duration(b.N) * interval)
			idle = daemonTicks(daemons) - d
		}
		d0 := daemonTicks(daemons)
		c0 := cpuTime()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if paced {
				b.StopTimer()
				time.Sleep(interval)
				b.StartTimer()
			}
			now = now.Add(interval)
			if paced {
				now = time.Now() // the daemon dates its answers
			}
			if _, err := p.Sample(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		per := (cpuTime() - c0) / time.Duration(b.N)
		b.ReportMetric(float64(per.Microseconds()), "cpu-µs/sample")
		b.ReportMetric(100*per.Seconds()/interval.Seconds(), "%core@2s")
		if paced {
			perD := float64(daemonTicks(daemons)-d0-idle) / clockTicks / float64(b.N)
			b.ReportMetric(100*max(perD, 0)/interval.Seconds(), "daemon-%core@2s")
		}
	}
	b.Run("local", func(b *testing.B) {
		run(b, benchGroup(b, ""), nil)
	})
	b.Run("local+gpu", func(b *testing.B) { // the GPUs are a fake nvidia-smi script
		fakeGPUs(b)
		run(b, benchGroup(b, "0"), nil)
	})
	b.Run("docker", func(b *testing.B) {
		d, err := NewDocker("bench", Endpoint{}, DockerOptions{WorkspaceID: "bench", Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Probe(context.Background()); err != nil {
			b.Fatalf("no docker daemon: %v", err)
		}
		ctx := context.Background()
		if _, err := d.BuildScratchImage(ctx, ScratchImage{Tag: testImage,
			Files: map[string]string{"/prog": progPath}, Entrypoint: []string{"/prog"}}); err != nil {
			b.Fatal(err)
		}
		c, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{Image: testImage, Cmd: []string{"stubborn"}}})
		if err != nil {
			b.Fatal(err)
		}
		id := c.ID
		defer d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
			b.Fatal(err)
		}
		p, _ := d.SystemProbe(SysTarget{ContainerID: id})
		run(b, p, pidsNamed("dockerd", "containerd"))
	})
}

// benchGroup starts a process group of a shell and three sleeping children,
// the shape of a training run with data-loader workers.
func benchGroup(b *testing.B, gpus string) Probe {
	cmd := exec.Command("/bin/sh", "-c", "sleep 600 & sleep 600 & sleep 600 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	time.Sleep(100 * time.Millisecond)
	var ids []string
	if gpus != "" {
		ids = []string{gpus}
	}
	return &groupProbe{pgid: cmd.Process.Pid, gpu: newGPUProbe(ids), pageSize: int64(os.Getpagesize())}
}

// cpuTime is the user+system time of this process and its reaped children.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

// pidsNamed lists the processes whose command name is one of names.
func pidsNamed(names ...string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		for _, n := range names {
			if string(bytes.TrimSpace(comm)) == n {
				out = append(out, pid)
			}
		}
	}
	return out
}

// daemonTicks sums utime+stime of pids.
func daemonTicks(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		if f := procStat(pid); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			sum += u + s
		}
	}
	return sum
}

package runners

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat. Linux
// fixes it at 100 for user space on every architecture (proc(5), times(2)).
const clockTicks = 100

// SystemProbe implements SystemSampler: the run's process group, read from
// /proc, and its GPUs from nvidia-smi. The pid comes from the run's
// directory (checked against its start time, so a reused pid is not
// measured), which any lathe that takes the run over can read.
func (l *Local) SystemProbe(t SysTarget) (Probe, error) {
	pid, alive, err := readPid(l.RunDir(t.RunID))
	if err != nil {
		return nil, err
	}
	if !alive {
		return nil, fmt.Errorf("run %s: process %d is gone", t.RunID, pid)
	}
	return &groupProbe{pgid: pid, gpu: newGPUProbe(t.GPUs), pageSize: int64(os.Getpagesize())}, nil
}

// groupProbe sums the CPU time and resident memory of one process group.
type groupProbe struct {
	pgid     int
	gpu      *gpuProbe
	cpu      cpuRate
	pageSize int64
	buf      []byte // reused between reads of /proc/PID/stat
}

// Sample implements Probe.
func (p *groupProbe) Sample(ctx context.Context, now time.Time) (map[string]float64, error) {
	ticks, pages, n, err := p.scan()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	if n > 0 {
		if pct, ok := p.cpu.rate(float64(ticks)/clockTicks, now); ok {
			out[SysCPU] = pct
		}
		out[SysMemRSS] = float64(pages * p.pageSize)
	}
	if p.gpu != nil {
		if err := p.gpu.sample(ctx, now, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// scan reads every /proc/PID/stat and sums, over the processes of the
// group, utime+stime+cutime+cstime (children that a member reaped stay
// counted, so the sum does not drop when a worker exits) and rss.
func (p *groupProbe) scan() (ticks, pages int64, n int, err error) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0, 0, 0, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pgrp, t, rss, ok := p.readStat(name)
		if !ok || pgrp != p.pgid {
			continue
		}
		ticks += t
		pages += rss
		n++
	}
	return ticks, pages, n, nil
}

// readStat parses the fields of /proc/PID/stat it needs (proc(5)): after
// the ")" that ends the command name come state (3), ppid, pgrp (5), ...,
// utime (14), stime, cutime, cstime (17), ..., rss (24).
func (p *groupProbe) readStat(pid string) (pgrp int, ticks, rss int64, ok bool) {
	f, err := os.Open("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	if p.buf == nil {
		p.buf = make([]byte, 1024)
	}
	n, err := f.Read(p.buf)
	f.Close()
	if err != nil || n == 0 {
		return 0, 0, 0, false
	}
	b := p.buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	field := 2 // the command name was field 2
	for rest := b[i+1:]; len(rest) > 0 && field < 24; {
		rest = bytes.TrimLeft(rest, " ")
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		rest = rest[end:]
		field++
		switch field {
		case 5:
			pgrp = atoi(tok)
			if pgrp != p.pgid {
				return pgrp, 0, 0, true // not ours: stop parsing early
			}
		case 14, 15, 16, 17:
			ticks += int64(atoi(tok))
		case 24:
			rss = int64(atoi(tok))
		}
	}
	return pgrp, ticks, rss, field >= 24
}

// atoi parses a non-negative decimal; anything else reads as 0.
func atoi(b []byte) int {
	v, err := strconv.Atoi(string(b))
	if err != nil || v < 0 {
		return 0
	}
	return v
}

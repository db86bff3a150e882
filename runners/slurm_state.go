package runners

import (
	"context"
	"errors"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// jobState is what Slurm says about one job.
type jobState struct {
	known     bool   // Slurm (scontrol, or sacct with accounting) still knows the job
	State     string // PENDING, RUNNING, COMPLETED, TIMEOUT, OUT_OF_MEMORY, ...
	Reason    string // why it pends (Priority, Resources, QOSMaxJobsPerUser, ...)
	ExitCode  string // "code:signal"
	TimeLimit string
}

// active reports whether the job has not finished yet.
func (j jobState) active() bool {
	switch j.State {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
		"RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "STOPPED":
		return true
	}
	return false
}

// state asks scontrol, then sacct (which works only where accounting is
// on) once scontrol has forgotten the job (MinJobAge after its end).
func (s *Slurm) state(ctx context.Context, job string) (jobState, error) {
	out, err := s.host.run(ctx, nil, "scontrol", "show", "job", "-o", job)
	if err == nil {
		return parseScontrol(string(out)), nil
	}
	var he *slurmHostError
	if errors.As(err, &he) {
		return jobState{}, err
	}
	out, aerr := s.host.run(ctx, nil, "sacct", "-n", "-P", "-X", "-j", job, "-o", "State,ExitCode,Reason,Timelimit")
	if aerr != nil || strings.TrimSpace(string(out)) == "" {
		return jobState{}, nil // forgotten: the run folder decides
	}
	f := strings.Split(strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), "|")
	for len(f) < 4 {
		f = append(f, "")
	}
	st, _, _ := strings.Cut(f[0], " ") // "CANCELLED by 1000"
	return jobState{known: true, State: st, ExitCode: f[1], Reason: f[2], TimeLimit: f[3]}, nil
}

// parseScontrol reads the Key=Value words of `scontrol show job -o`.
func parseScontrol(out string) jobState {
	st := jobState{known: true}
	for _, w := range strings.Fields(out) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		switch k {
		case "JobState":
			st.State = v
		case "Reason":
			st.Reason = v
		case "ExitCode":
			st.ExitCode = v
		case "TimeLimit":
			st.TimeLimit = v
		}
	}
	return st
}

// follow starts the goroutine that tails a run's folder and watches its
// job until the run ends or ctx is cancelled.
func (s *Slurm) follow(ctx context.Context, runID, job string, opts ParseOptions, cur Cursor, sink *lockedSink) *localHandle {
	h := &localHandle{id: runID, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.res, h.err = s.tail(ctx, runID, job, opts, cur, sink)
	}()
	return h
}

// offsetTail feeds the bytes appended to one file of a run folder into a
// fileTail's line splitter.
type offsetTail struct {
	path string
	off  int64
	t    fileTail
}

func (o *offsetTail) drain(ctx context.Context, h *slurmHost) error {
	b, err := h.readFrom(ctx, o.path, o.off)
	if err != nil {
		return err
	}
	o.off += int64(len(b))
	o.t.feed(b, time.Now())
	return nil
}

func (s *Slurm) tail(ctx context.Context, runID, job string, opts ParseOptions, cur Cursor, sink *lockedSink) (Result, error) {
	dir := s.RunDir(runID)
	parser := NewParser(opts)
	parser.Resume(cur.NextStep)
	out := &offsetTail{path: path.Join(dir, "stdout.log"), t: fileTail{em: lineEmitter{sink: sink, parser: parser, stream: "stdout", skip: cur.Stdout}}}
	errT := &offsetTail{path: path.Join(dir, "stderr.log"), t: fileTail{em: lineEmitter{sink: sink, stream: "stderr", skip: cur.Stderr}}}
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	var st jobState
	var asked time.Time
	reported, failures, settle := "", 0, 0
	for {
		code, ended := s.readExit(ctx, dir)
		var err error
		if ended || time.Since(asked) >= time.Second {
			st, err = s.state(ctx, job)
			asked = time.Now()
		}
		if err == nil {
			err = out.drain(ctx, s.host)
		}
		if err == nil {
			err = errT.drain(ctx, s.host)
		}
		if err != nil {
			if ctx.Err() != nil {
				return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
			}
			if failures++; failures > 60 {
				return Result{Status: runstatus.Running, ExitCode: -1}, err // a later Reconcile settles it
			}
		} else {
			failures = 0
		}
		switch {
		case err != nil:
		case ended && code > 128 && st.active() && settle*int(s.poll/time.Millisecond) < 5000:
			// The job died of a signal (SIGTERM at its time limit, or
			// scancel) while Slurm still shows it active: its final state
			// (TIMEOUT, OUT_OF_MEMORY, CANCELLED) says why, so wait for it
			// a few seconds before deciding. Seen under load: the exit
			// file came before Slurm's TIMEOUT.
			settle++
			asked = time.Time{}
		case ended:
			return s.end(ctx, runID, dir, code, true, st, out, errT, sink)
		case st.State == "PENDING":
			if r := "queued:" + st.Reason; r != reported {
				reported = r
				sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Queued, Time: time.Now(),
					Message: pendingMessage(st.Reason, job), Info: map[string]string{"container_id": job}})
			}
		case st.active():
			if reported != "running" {
				reported = "running"
				info := map[string]string{"container_id": job}
				if b, err := s.host.readFile(ctx, path.Join(dir, "gpus")); err == nil && strings.TrimSpace(string(b)) != "" {
					info["gpu_ids"] = strings.TrimSpace(string(b))
				}
				sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Running, Time: time.Now(), Info: info})
			}
		default:
			// Finished (or forgotten) without an exit file: the job was
			// killed, or the shared filesystem has not shown the file yet.
			if settle++; settle*int(s.poll/time.Millisecond) > 3000 {
				return s.end(ctx, runID, dir, 0, false, st, out, errT, sink)
			}
		}
		select {
		case <-ctx.Done():
			return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
		case <-tick.C:
		}
	}
}

// pendingMessage is a pending job's line in runs ls and the Runs screen.
func pendingMessage(reason, job string) string {
	if reason == "" || reason == "None" {
		return "PENDING as Slurm job " + job
	}
	return "PENDING (" + reason + ") as Slurm job " + job
}

// end delivers the last output and the final status.
func (s *Slurm) end(ctx context.Context, runID, dir string, code int, ended bool, st jobState, out, errT *offsetTail, sink *lockedSink) (Result, error) {
	_ = out.drain(ctx, s.host)
	_ = errT.drain(ctx, s.host)
	out.t.flush()
	errT.t.flush()
	_, serr := s.host.readFile(ctx, path.Join(dir, "stopped"))
	res := slurmResult(code, ended, serr == nil, st)
	up := StatusUpdate{RunID: runID, Status: res.Status, Message: res.Message, Time: time.Now()}
	if b, err := s.host.readFile(ctx, path.Join(dir, "gpus")); err == nil && strings.TrimSpace(string(b)) != "" {
		up.Info = map[string]string{"gpu_ids": strings.TrimSpace(string(b))}
	}
	if res.ExitCode >= 0 {
		up.ExitCode = intPtr(res.ExitCode)
	}
	sink.Status(up)
	return res, nil
}

// slurmResult decides how a run ended from its exit file, the stop marker
// and Slurm's final state.
func slurmResult(code int, ended, stopped bool, st jobState) Result {
	if !ended {
		code = -1
		if c, sig, ok := strings.Cut(st.ExitCode, ":"); ok {
			n, _ := strconv.Atoi(c)
			g, _ := strconv.Atoi(sig)
			code = n
			if g > 0 {
				code = 128 + g
			}
		}
	}
	switch {
	case stopped:
		return Result{Status: runstatus.Stopped, ExitCode: code, Message: "stopped (scancel)"}
	case st.State == "TIMEOUT":
		return Result{Status: runstatus.Failed, ExitCode: code, Message: "Slurm TIMEOUT: the job reached its time limit (" + st.TimeLimit + ")"}
	case st.State == "OUT_OF_MEMORY":
		return Result{Status: runstatus.OOMKilled, ExitCode: code, Message: "Slurm OUT_OF_MEMORY: the job used more memory than it asked for (memory: / --mem)"}
	case ended && code == 0:
		return Result{Status: runstatus.Completed, ExitCode: 0}
	case ended:
		return Result{Status: runstatus.Failed, ExitCode: code, Message: exitMessage(code)}
	case st.State == "CANCELLED":
		return Result{Status: runstatus.Stopped, ExitCode: code, Message: "cancelled in Slurm (scancel outside Lathe)"}
	case st.known:
		msg := "Slurm " + st.State
		if st.Reason != "" && st.Reason != "None" {
			msg += " (" + st.Reason + ")"
		}
		return Result{Status: runstatus.Failed, ExitCode: code, Message: msg}
	}
	return Result{Status: runstatus.Lost, ExitCode: -1, Message: "Slurm no longer knows the job and it left no exit status"}
}

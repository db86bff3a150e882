package runners

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// Local runs commands as plain subprocesses on this machine, with no isolation.
//
// Detach design. Each run gets a directory <RunsDir>/<run id>/ holding
//
//	stdout.log, stderr.log  the program's output, written by the program itself
//	pid                     "<pid> <start time in clock ticks>" of the wrapper
//	exit                    the exit status, "<code>\n", once known
//	stopped                 present when Stop was asked, so a signal exit reads as stopped
//	params.json             $LATHE_PARAMS_FILE
//	metrics.json            the spec's ParseOptions, so a reattach parses alike
//	outputs/                $LATHE_OUTPUT_DIR when the spec names none
//
// The program is started through /bin/sh as a wrapper in a new session (setsid,
// so a closing terminal or SSH session does not SIGHUP it and the session id is
// the process group to signal). The wrapper's script is fixed; the command's
// arguments reach it as "$@" and are never parsed by the shell. It traps TERM
// and INT (a caught signal is reset to the default in the child, so the program
// still sees them) and writes the exit status to the exit file when the program
// ends. Output goes straight to files, so nothing depends on lathe staying
// alive: a follower tails the files by polling and any later lathe can
// reattach. If lathe is alive it also reaps the wrapper and writes the exit file
// when the wrapper itself was killed (SIGKILL after the grace period). Only if
// both die is the status unknown: such a run reads as stopped (if Stop was
// asked) or lost.
type Local struct {
	name    string
	runsDir string
	poll    time.Duration
}

// wrapperScript runs "$@" and records its status in the file named by $0.
const wrapperScript = `trap : TERM INT HUP; "$@"; s=$?; printf '%d\n' "$s" > "$0.tmp" && mv -f "$0.tmp" "$0"`

// NewLocal returns a local runner keeping its run directories under runsDir
// (typically <workspace>/.lathe/runs).
func NewLocal(name, runsDir string) *Local {
	return &Local{name: name, runsDir: runsDir, poll: 50 * time.Millisecond}
}

// Name implements Runner.
func (l *Local) Name() string { return l.name }

// RunDir is the directory of one run's files.
func (l *Local) RunDir(runID string) string { return filepath.Join(l.runsDir, runID) }

// Start implements Runner. When it returns an error the run did not start and
// sink has been told runstatus.Failed with the reason.
func (l *Local) Start(ctx context.Context, spec Spec, sink Sink) (Handle, error) {
	ls := &lockedSink{s: sink}
	h, err := l.start(ctx, spec, ls)
	if err != nil {
		ls.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Failed, Message: err.Error(), Time: time.Now()})
		return nil, err
	}
	return h, nil
}

func (l *Local) start(ctx context.Context, spec Spec, sink *lockedSink) (Handle, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	if err := CheckLocalSpec(spec); err != nil {
		return nil, err
	}
	argv, err := ExpandCommand(spec.Command, spec.Params)
	if err != nil {
		return nil, err
	}
	if err := findProgram(argv[0], spec.WorkDir, spec.Env); err != nil {
		return nil, err
	}
	dir := l.RunDir(spec.ID)
	if err := os.MkdirAll(l.runsDir, 0o755); err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("local runner: run directory for %s: %w", spec.ID, err)
	}
	outDir := spec.OutputDir
	if outDir == "" {
		outDir = filepath.Join(dir, "outputs")
	}
	if outDir, err = filepath.Abs(outDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("local runner: output dir: %w", err)
	}
	// The metric line formats are kept so that a reattach parses the same way.
	mj, _ := json.Marshal(spec.Metrics)
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), mj, 0o644); err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	paramsFile := filepath.Join(dir, "params.json")
	if err := os.WriteFile(paramsFile, ParamsJSON(spec.Params), 0o644); err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	stdout, err := os.OpenFile(filepath.Join(dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.OpenFile(filepath.Join(dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("local runner: %w", err)
	}
	defer stderr.Close()

	inputs := map[string]string{}
	for k, p := range spec.Inputs {
		if inputs[k], err = filepath.Abs(p); err != nil {
			return nil, err
		}
	}
	exitPath := filepath.Join(dir, "exit")
	cmd := exec.Command("/bin/sh", append([]string{"-c", wrapperScript, exitPath}, argv...)...)
	// Not lathe's whole environment: the rule of localenv.go, as for containers.
	cmd.Env = append(InheritedEnv(os.Environ()), RunEnv(spec, func(n string) string { return inputs[n] }, paramsFile, outDir)...)
	if len(spec.GPUs.DeviceIDs) > 0 {
		// The scheduler's allocation; CUDA enumerates only these devices.
		cmd.Env = append(cmd.Env, "CUDA_VISIBLE_DEVICES="+strings.Join(spec.GPUs.DeviceIDs, ","))
	}
	cmd.Dir = spec.WorkDir
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("local runner: start %s: %w", argv[0], err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(fmt.Sprintf("%d %s\n", pid, procStartTime(pid))), 0o644); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
		return nil, fmt.Errorf("local runner: %w", err)
	}
	// Reap the wrapper so it does not linger as a zombie (which would look
	// alive), and record its status when it died without writing one. This
	// goroutine ends when the process does; it needs no context.
	go func() {
		err := cmd.Wait()
		if _, statErr := os.Stat(exitPath); statErr == nil {
			return
		}
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		_ = os.WriteFile(exitPath, []byte(strconv.Itoa(code)+"\n"), 0o644)
	}()
	sink.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Running, Time: time.Now(),
		Info: map[string]string{"pid": strconv.Itoa(pid), "run_dir": dir, "output_dir": outDir}})
	return l.follow(ctx, spec.ID, spec.Metrics, Cursor{}, sink), nil
}

// findProgram reports a clear error when argv[0] cannot be executed, before
// the wrapper would only print "not found".
func findProgram(prog, workDir string, env map[string]string) error {
	if strings.Contains(prog, "/") {
		p := prog
		if !filepath.IsAbs(p) && workDir != "" {
			p = filepath.Join(workDir, p)
		}
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("command %q not found: %w", prog, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("command %q is not executable", prog)
		}
		return nil
	}
	path := os.Getenv("PATH")
	if p, ok := env["PATH"]; ok {
		path = p
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if st, err := os.Stat(filepath.Join(d, prog)); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return nil
		}
	}
	return fmt.Errorf("command %q not found in PATH", prog)
}

// Stop implements Runner: SIGTERM to the run's process group, SIGKILL after grace.
func (l *Local) Stop(ctx context.Context, runID string, grace time.Duration) error {
	dir := l.RunDir(runID)
	pid, alive, err := readPid(dir)
	if err != nil {
		return fmt.Errorf("stop %s: %w", runID, err)
	}
	if !alive {
		return nil // already ended
	}
	if err := os.WriteFile(filepath.Join(dir, "stopped"), nil, 0o644); err != nil {
		return fmt.Errorf("stop %s: %w", runID, err)
	}
	// One SIGTERM per process: a process the group forks after the first
	// signal (the program itself, when the stop lands while the wrapper,
	// which ignores TERM, is still starting it) gets its own, once.
	termed := map[int]bool{}
	term := func() {
		members, ok := groupMembers(pid)
		if !ok {
			if len(termed) == 0 {
				_ = syscall.Kill(-pid, syscall.SIGTERM)
				termed[pid] = true
			}
			return
		}
		for _, p := range members {
			if !termed[p] {
				termed[p] = true
				_ = syscall.Kill(p, syscall.SIGTERM)
			}
		}
	}
	// Snapshot before the group signal: a process forked in between gets a
	// second TERM rather than none.
	if members, ok := groupMembers(pid); ok {
		for _, p := range members {
			termed[p] = true
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	killed := false
	for {
		if !groupAlive(pid) {
			return nil
		}
		if !killed {
			term()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			if !killed {
				killed = true
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		case <-tick.C:
		}
	}
}

// Reconcile implements Runner. A run with no directory here is lost.
func (l *Local) Reconcile(ctx context.Context, runs []Tracked, sinkFor func(string) Sink) ([]Handle, error) {
	var hs []Handle
	for _, tr := range runs {
		sink := &lockedSink{s: sinkFor(tr.RunID)}
		if _, err := os.Stat(filepath.Join(l.RunDir(tr.RunID), "pid")); err != nil {
			sink.Status(StatusUpdate{RunID: tr.RunID, Status: runstatus.Lost, ExitCode: nil, Time: time.Now(),
				Message: "no trace of the run on runner " + l.name})
			continue
		}
		var opts ParseOptions
		if b, err := os.ReadFile(filepath.Join(l.RunDir(tr.RunID), "metrics.json")); err == nil {
			_ = json.Unmarshal(b, &opts) // absent or bad: JSON lines still parse
		}
		hs = append(hs, l.follow(ctx, tr.RunID, opts, tr.Cursor, sink))
	}
	return hs, nil
}

// readPid returns the wrapper's pid and whether that very process (same start
// time, so not a reused pid) is still alive and not a zombie.
func readPid(dir string) (pid int, alive bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		return 0, false, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false, fmt.Errorf("empty pid file in %s", dir)
	}
	if pid, err = strconv.Atoi(f[0]); err != nil || pid <= 1 {
		return 0, false, fmt.Errorf("bad pid file in %s", dir)
	}
	if syscall.Kill(pid, 0) != nil {
		return pid, false, nil
	}
	st := procStartTime(pid)
	if len(f) > 1 && st != "" && st != f[1] {
		return pid, false, nil
	}
	if procState(pid) == "Z" {
		return pid, false, nil
	}
	return pid, true, nil
}

// groupAlive reports whether a process group has a member that is not a
// zombie. Killed programs whose wrapper died are reparented to PID 1, which
// may reap them late; kill(-pgid, 0) alone would count those zombies.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil { // ESRCH: nobody left
		return false
	}
	members, ok := groupMembers(pgid)
	return !ok || len(members) > 0 // no /proc: trust kill
}

// groupMembers lists the live (non-zombie) processes of a process group; ok
// is false where /proc cannot be read.
func groupMembers(pgid int) (pids []int, ok bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	want := strconv.Itoa(pgid)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Fields after the command name: state is [0], pgrp is [2] (proc(5)).
		if f := procStat(pid); len(f) > 2 && f[2] == want && f[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids, true
}

// procStat returns the fields of /proc/PID/stat after the command name
// (proc(5)); nil where /proc is unavailable.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procStartTime is field 22 of /proc/PID/stat (starttime), "" if unknown.
func procStartTime(pid int) string {
	if f := procStat(pid); len(f) > 19 {
		return f[19]
	}
	return ""
}

func procState(pid int) string {
	if f := procStat(pid); len(f) > 0 {
		return f[0]
	}
	return ""
}

// localHandle follows one run's files until it ends.
type localHandle struct {
	id   string
	done chan struct{}
	res  Result
	err  error
}

func (h *localHandle) ID() string { return h.id }

func (h *localHandle) Wait(ctx context.Context) (Result, error) {
	select {
	case <-h.done:
		return h.res, h.err
	case <-ctx.Done():
		return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
	}
}

// follow starts the goroutine that tails a run's output files; it stops at
// the run's end or when ctx is cancelled.
func (l *Local) follow(ctx context.Context, runID string, opts ParseOptions, cur Cursor, sink *lockedSink) *localHandle {
	h := &localHandle{id: runID, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.res, h.err = l.tail(ctx, runID, opts, cur, sink)
	}()
	return h
}

func (l *Local) tail(ctx context.Context, runID string, opts ParseOptions, cur Cursor, sink *lockedSink) (Result, error) {
	dir := l.RunDir(runID)
	parser := NewParser(opts)
	parser.Resume(cur.NextStep)
	out := &fileTail{path: filepath.Join(dir, "stdout.log"),
		em: lineEmitter{sink: sink, parser: parser, stream: "stdout", skip: cur.Stdout}}
	errT := &fileTail{path: filepath.Join(dir, "stderr.log"),
		em: lineEmitter{sink: sink, stream: "stderr", skip: cur.Stderr}}
	defer out.close()
	defer errT.close()
	tick := time.NewTicker(l.poll)
	defer tick.Stop()
	deadPolls := 0
	for {
		// Check for the end before reading, so the last read after it sees
		// everything the program wrote.
		code, ended := readExit(dir)
		_, alive, perr := readPid(dir)
		if err := out.drain(); err != nil {
			return Result{}, err
		}
		if err := errT.drain(); err != nil {
			return Result{}, err
		}
		if !ended && perr == nil && !alive {
			// The wrapper is gone without an exit file. Give a lathe that is
			// reaping it a moment to write one before calling the run lost.
			deadPolls++
		}
		if ended || deadPolls > 10 {
			out.flush()
			errT.flush()
			res := localResult(dir, code, ended)
			up := StatusUpdate{RunID: runID, Status: res.Status, Message: res.Message, Time: time.Now()}
			if ended {
				up.ExitCode = intPtr(code)
				up.Time = exitTime(dir, up.Time)
			}
			sink.Status(up)
			return res, nil
		}
		select {
		case <-ctx.Done():
			return Result{Status: runstatus.Running, ExitCode: -1}, ctx.Err()
		case <-tick.C:
		}
	}
}

func readExit(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "exit"))
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return code, err == nil
}

// exitTime is when the process ended: the exit file is written as it
// does, so its modification time stands even when nobody was watching.
func exitTime(dir string, fallback time.Time) time.Time {
	if st, err := os.Stat(filepath.Join(dir, "exit")); err == nil {
		return st.ModTime()
	}
	return fallback
}

func localResult(dir string, code int, ended bool) Result {
	_, serr := os.Stat(filepath.Join(dir, "stopped"))
	stopped := serr == nil
	switch {
	case !ended && stopped:
		return Result{Status: runstatus.Stopped, ExitCode: -1, Message: "stopped; exit status unknown"}
	case !ended:
		return Result{Status: runstatus.Lost, ExitCode: -1, Message: "process ended while no lathe was watching it; exit status unknown"}
	case code == 0:
		return Result{Status: runstatus.Completed, ExitCode: 0}
	case stopped:
		return Result{Status: runstatus.Stopped, ExitCode: code, Message: exitMessage(code)}
	default:
		return Result{Status: runstatus.Failed, ExitCode: code, Message: exitMessage(code)}
	}
}

func exitMessage(code int) string {
	if code > 128 && code < 160 {
		return fmt.Sprintf("exit status %d (signal %s)", code, syscall.Signal(code-128))
	}
	return fmt.Sprintf("exit status %d", code)
}

// fileTail reads whole lines appended to a file.
type fileTail struct {
	path    string
	f       *os.File
	partial []byte
	em      lineEmitter
	buf     [64 << 10]byte
}

// maxLine caps one log line; longer output is split, so a program printing
// without newlines cannot exhaust memory.
const maxLine = 1 << 20

func (t *fileTail) drain() error {
	if t.f == nil {
		f, err := os.Open(t.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		t.f = f
	}
	for {
		n, err := t.f.Read(t.buf[:])
		if n > 0 {
			t.feed(t.buf[:n], time.Now())
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// feed splits data into lines, keeping an unfinished last line for later.
func (t *fileTail) feed(data []byte, now time.Time) {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.partial = append(t.partial, data...)
			if len(t.partial) >= maxLine {
				t.em.line(string(t.partial), now)
				t.partial = t.partial[:0]
			}
			return
		}
		t.partial = append(t.partial, data[:i]...)
		t.em.line(strings.TrimSuffix(string(t.partial), "\r"), now)
		t.partial = t.partial[:0]
		data = data[i+1:]
	}
}

// flush delivers a last line that had no newline.
func (t *fileTail) flush() {
	if len(t.partial) > 0 {
		t.em.line(string(t.partial), time.Now())
		t.partial = nil
	}
}

func (t *fileTail) close() {
	if t.f != nil {
		t.f.Close()
	}
}

package runners

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
)

// slurmHost runs Slurm's commands and reaches the run folders: directly on
// this machine, or through ssh(1) on a login node. Over ssh every argument
// is quoted with shellQuote, since ssh hands the login shell one string;
// connections are shared (ControlMaster) so that polling stays cheap.
type slurmHost struct {
	name    string // runner name, for messages
	url     string // ssh://... or ""
	ssh     []string
	timeout time.Duration
}

// slurmHostError is a login node that could not be reached.
type slurmHostError struct {
	host string
	err  error
}

func (e *slurmHostError) Error() string {
	return fmt.Sprintf("slurm login node %s unreachable: %v", e.host, e.err)
}
func (e *slurmHostError) Unwrap() error { return e.err }

func newSlurmHost(name, host string, timeout time.Duration, flags []string) (*slurmHost, error) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	h := &slurmHost{name: name, url: host, timeout: timeout}
	if host == "" {
		return h, nil
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" {
		return nil, &config.InputError{Field: "runners." + name + ".host", Msg: fmt.Sprintf("host %q is not ssh://[user@]host[:port]", host)}
	}
	secs := max(1, int(timeout.Seconds()))
	h.ssh = []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=" + strconv.Itoa(secs),
		"-o", "ControlMaster=auto", "-o", "ControlPersist=60",
		"-o", "ControlPath=" + path.Join(os.TempDir(), "lathe-ssh-%C"), "-o", "ServerAliveInterval=15"}
	if p := u.Port(); p != "" {
		h.ssh = append(h.ssh, "-p", p)
	}
	if u.User != nil && u.User.Username() != "" {
		h.ssh = append(h.ssh, "-l", u.User.Username())
	}
	h.ssh = append(append(h.ssh, flags...), "--", u.Hostname())
	return h, nil
}

func (h *slurmHost) remote() bool { return h.url != "" }

// run executes argv and returns its stdout; a failure carries stderr.
func (h *slurmHost) run(ctx context.Context, stdin []byte, argv ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if h.remote() {
		cmd = exec.CommandContext(ctx, "ssh", append(append([]string(nil), h.ssh...), shellJoin(argv))...)
	} else {
		if _, err := exec.LookPath(argv[0]); err != nil {
			return nil, fmt.Errorf("slurm runner %s: %s is not on PATH: this machine is not a Slurm submit host (install slurm-client, or set host: ssh://login-node)", h.name, argv[0])
		}
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err == nil {
		return out.Bytes(), nil
	}
	msg := strings.TrimSpace(errb.String())
	var ee *exec.ExitError
	if h.remote() && errors.As(err, &ee) && ee.ExitCode() == 255 {
		// ssh's own failure (connection, authentication), not the command's.
		return nil, &slurmHostError{host: h.url, err: errors.New(msg)}
	}
	if msg == "" {
		msg = err.Error()
	}
	return out.Bytes(), fmt.Errorf("%s: %s", argv[0], msg)
}

// readFile reads a whole file of a run folder.
func (h *slurmHost) readFile(ctx context.Context, p string) ([]byte, error) {
	if !h.remote() {
		return os.ReadFile(p)
	}
	out, err := h.run(ctx, nil, "cat", p)
	if err != nil {
		var he *slurmHostError
		if errors.As(err, &he) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", os.ErrNotExist, err)
	}
	return out, nil
}

// readFrom returns the bytes of file p after offset off (nothing when the
// file does not exist yet).
func (h *slurmHost) readFrom(ctx context.Context, p string, off int64) ([]byte, error) {
	if h.remote() {
		out, err := h.run(ctx, nil, "sh", "-c", `[ ! -f "$1" ] || tail -c +"$2" "$1"`, "sh", p, strconv.FormatInt(off+1, 10))
		return out, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, 8<<20))
}

// writeFiles creates dir (and mkdir, when set) and writes files into it.
// Over ssh they travel as one tar stream into one command.
func (h *slurmHost) writeFiles(ctx context.Context, dir string, files map[string][]byte, mkdir string) error {
	if !h.remote() {
		for _, d := range []string{dir, mkdir} {
			if d != "" {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
		}
		for name, b := range files {
			mode := os.FileMode(0o644)
			if strings.HasSuffix(name, ".sbatch") {
				mode = 0o755
			}
			if err := os.WriteFile(path.Join(dir, name), b, mode); err != nil {
				return err
			}
		}
		return nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, b := range files {
		mode := int64(0o644)
		if strings.HasSuffix(name, ".sbatch") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(b)), ModTime: time.Now()}); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if mkdir == "" {
		mkdir = dir
	}
	_, err := h.run(ctx, buf.Bytes(), "sh", "-c", `mkdir -p "$1" "$2" && tar -x -m -C "$1"`, "sh", dir, mkdir)
	return err
}

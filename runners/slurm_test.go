package runners

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// The Slurm tests use the real one-node cluster of .ci/slurm.sh; only its
// two GPUs are fake (device files with /dev/null's numbers).

func needSlurmCluster(t *testing.T) {
	t.Helper()
	for _, c := range []string{"sbatch", "scontrol", "scancel", "sinfo"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is not on PATH: this test needs the Slurm cluster of .ci/slurm.sh: %v", c, err)
		}
	}
}

// TestShellQuoteThroughShell hands awkward arguments through sh -c the
// way ssh hands a remote command to the login shell, and checks that each
// arrives as exactly one unchanged argument.
func TestShellQuoteThroughShell(t *testing.T) {
	args := []string{"plain", "", "two words", "it's", `"dq"`, "$HOME", "`id`", "$(id)", "a;b|c&d", "*", "~", "new\nline", "back\\slash", "-n", "'", "''", "%j"}
	out, err := exec.Command("sh", "-c", `printf '%s\0' `+shellJoin(args)).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(args) {
		t.Fatalf("%d arguments arrived, want %d: %q", len(got), len(args), got)
	}
	for i := range args {
		if got[i] != args[i] {
			t.Errorf("argument %d: sent %q, got %q", i, args[i], got[i])
		}
	}
}

func TestParseScontrolAndResult(t *testing.T) {
	st := parseScontrol("JobId=7 JobName=lathe-r1 JobState=PENDING Reason=Resources Dependency=(null) ExitCode=0:0 TimeLimit=00:10:00 Comment=lathe run r1")
	if st.State != "PENDING" || st.Reason != "Resources" || st.TimeLimit != "00:10:00" || !st.active() {
		t.Fatalf("%+v", st)
	}
	cases := []struct {
		code           int
		ended, stopped bool
		st             jobState
		want           runstatus.Status
		exit           int
		msg            string
	}{
		{0, true, false, jobState{known: true, State: "COMPLETED"}, runstatus.Completed, 0, ""},
		{3, true, false, jobState{known: true, State: "FAILED"}, runstatus.Failed, 3, "exit status 3"},
		{143, true, true, jobState{known: true, State: "CANCELLED"}, runstatus.Stopped, 143, "stopped"},
		{143, true, false, jobState{known: true, State: "TIMEOUT", TimeLimit: "00:01:00"}, runstatus.Failed, 143, "TIMEOUT"},
		{0, false, false, jobState{known: true, State: "OUT_OF_MEMORY", ExitCode: "0:9"}, runstatus.OOMKilled, 137, "OUT_OF_MEMORY"},
		{0, false, false, jobState{known: true, State: "NODE_FAIL", ExitCode: "1:0"}, runstatus.Failed, 1, "NODE_FAIL"},
		{0, false, false, jobState{known: true, State: "CANCELLED", ExitCode: "0:15"}, runstatus.Stopped, 143, "cancelled"},
		{0, false, false, jobState{}, runstatus.Lost, -1, "no longer knows"},
	}
	for _, c := range cases {
		r := slurmResult(c.code, c.ended, c.stopped, c.st)
		if r.Status != c.want || r.ExitCode != c.exit || !strings.Contains(r.Message, c.msg) {
			t.Errorf("%+v: got %+v", c, r)
		}
	}
}

// slurmRun starts spec on s and waits for its end.
func slurmRun(t *testing.T, s *Slurm, spec Spec) (*recordSink, Result) {
	t.Helper()
	sink := &recordSink{}
	h, err := s.Start(context.Background(), spec, sink)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return sink, waitResult(t, h, 60*time.Second)
}

// TestSlurmRunEnvironment checks the run protocol inside a real job: the
// argv arrives unparsed, params and LATHE_* are set, stderr is kept apart.
func TestSlurmRunEnvironment(t *testing.T) {
	needSlurmCluster(t)
	dir := t.TempDir()
	s, err := NewSlurm(config.Runner{Name: "cluster", Type: config.RunnerSlurm, Slurm: &config.SlurmOptions{
		Partition: "debug", Setup: []string{"export FROM_SETUP=yes"}}}, SlurmOptions{RunsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	script := `printf '%s|' "$@"; echo; echo "id=$LATHE_RUN_ID lr=$LATHE_PARAM_LR setup=$FROM_SETUP out=$LATHE_OUTPUT_DIR"; cat "$LATHE_PARAMS_FILE" | tr -d ' \n'; echo; echo oops >&2; exit 4`
	sink, res := slurmRun(t, s, Spec{ID: "rslurmenv1", Command: []string{"sh", "-c", script, "x", "{lr}", "a b", "$(id)", "it's"},
		Params: map[string]string{"lr": "0.5; rm -rf /"}, WorkDir: dir})
	if res.Status != runstatus.Failed || res.ExitCode != 4 {
		t.Fatalf("result %+v", res)
	}
	out := sink.lines("stdout")
	want := []string{"0.5; rm -rf /|a b|$(id)|it's|",
		"id=rslurmenv1 lr=0.5; rm -rf / setup=yes out=" + filepath.Join(dir, "rslurmenv1", "outputs"),
		`{"lr":"0.5;rm-rf/"}`}
	wantLines(t, out, want...)
	wantLines(t, sink.lines("stderr"), "oops")
	if st := sink.statusList(); st[0] != runstatus.Queued || st[len(st)-1] != runstatus.Failed {
		t.Errorf("statuses %v", st)
	}
}

// TestSlurmOverSSH submits through a real sshd on 127.0.0.1 as a login
// node: submission, the tail of the run folder and the exit all travel
// over ssh.
func TestSlurmOverSSH(t *testing.T) {
	needSlurmCluster(t)
	port, flags := startSSHD(t, "sbatch")
	work := t.TempDir()
	s, err := NewSlurm(config.Runner{Name: "hpc", Type: config.RunnerSlurm, Host: fmt.Sprintf("ssh://root@127.0.0.1:%d", port),
		Slurm: &config.SlurmOptions{WorkDir: work}}, SlurmOptions{SSHFlags: flags, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Preflight(context.Background(), Spec{}); err != nil {
		t.Fatalf("preflight over ssh: %v", err)
	}
	sink, res := slurmRun(t, s, Spec{ID: "rslurmssh1", Command: []string{"sh", "-c", `for i in 1 2 3; do echo "{\"step\":$i,\"loss\":$i}"; sleep 0.2; done; echo "it's done"`}})
	if res.Status != runstatus.Completed {
		t.Fatalf("result %+v", res)
	}
	wantLines(t, sink.lines("stdout"), `{"step":1,"loss":1}`, `{"step":2,"loss":2}`, `{"step":3,"loss":3}`, "it's done")
	if len(sink.samples) != 3 {
		t.Errorf("%d samples, want 3", len(sink.samples))
	}

	// Nothing listens on port 1: the login node is named and the error is quick.
	bad, err := NewSlurm(config.Runner{Name: "gone", Type: config.RunnerSlurm, Host: "ssh://root@127.0.0.1:1",
		Slurm: &config.SlurmOptions{WorkDir: work}}, SlurmOptions{SSHFlags: flags, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := bad.Preflight(context.Background(), Spec{}); err == nil || !strings.Contains(err.Error(), "ssh://root@127.0.0.1:1") || time.Since(start) > 5*time.Second {
		t.Fatalf("unreachable login node: %v after %v", err, time.Since(start))
	}
}

// A job that outlives its time limit (Slurm's smallest, one minute) ends
// failed with Slurm's TIMEOUT as the reason.
func TestSlurmTimeLimit(t *testing.T) {
	needSlurmCluster(t)
	t.Parallel()
	s, err := NewSlurm(config.Runner{Name: "cluster", Type: config.RunnerSlurm, Slurm: &config.SlurmOptions{TimeLimit: "1"}},
		SlurmOptions{RunsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordSink{}
	h, err := s.Start(context.Background(), Spec{ID: "rslurmtime1", Command: []string{"sleep", "600"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, h, 3*time.Minute)
	if res.Status != runstatus.Failed || !strings.Contains(res.Message, "TIMEOUT") {
		t.Fatalf("result %+v", res)
	}
}

// A program that ignores SIGTERM is killed once the grace period is over.
func TestSlurmStopKillsAfterGrace(t *testing.T) {
	needSlurmCluster(t)
	t.Parallel()
	s, err := NewSlurm(config.Runner{Name: "cluster", Type: config.RunnerSlurm, Slurm: &config.SlurmOptions{}}, SlurmOptions{RunsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordSink{}
	h, err := s.Start(context.Background(), Spec{ID: "rslurmkill1", Command: []string{"bash", "-c", `trap 'echo ignoring TERM' TERM; echo up; while :; do sleep 0.1; done`}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the job to print", func() bool { return len(sink.lines("stdout")) > 0 })
	start := time.Now()
	if err := s.Stop(context.Background(), "rslurmkill1", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, h, 60*time.Second)
	if d := time.Since(start); res.Status != runstatus.Stopped || d < 2*time.Second || d > 20*time.Second {
		t.Fatalf("result %+v after %v", res, d)
	}
	if out := strings.Join(sink.lines("stdout"), "\n"); !strings.Contains(out, "ignoring TERM") {
		t.Errorf("the program never saw SIGTERM: %q", out)
	}
}

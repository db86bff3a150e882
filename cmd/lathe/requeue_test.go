package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// A run still queued when its `lathe run` is interrupted stays queued, and
// the next lathe process picks it up (issue 10 item 9: it was marked
// stopped). Real processes: one holds runner q1's only slot, a second queues
// behind it and gets Ctrl-C, a third (`runs logs -f`) takes the run over.
func TestQueuedRunIsPickedUpByTheNextProcess(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	ws, env := queueWorkspace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	holder := exec.CommandContext(ctx, bin, "run", "--runner", "q1", "--name", "holder", "--", "sh", "-c", "sleep 3")
	holder.Env = env
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	waitRun(t, ws, "holder", runstatus.Running)

	waiter := exec.CommandContext(ctx, bin, "run", "--runner", "q1", "--name", "waiter", "--", "sh", "-c", "echo waiter-ran")
	waiter.Env = env
	var said strings.Builder
	waiter.Stderr = &said
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	id := waitRun(t, ws, "waiter", runstatus.Queued)
	_ = waiter.Process.Signal(syscall.SIGINT)
	if err := waiter.Wait(); err == nil || waiter.ProcessState.ExitCode() != 130 {
		t.Fatalf("interrupted lathe run: %v, want exit 130 (detached)", err)
	}
	if !strings.Contains(said.String(), "stays queued") {
		t.Errorf("interrupted lathe run said %q; want it to say the run stays queued", said.String())
	}
	if st := runStatus(t, ws, id); st.Status != runstatus.Queued {
		t.Fatalf("after its lathe exited the run is %s (%s), want queued", st.Status, st.Error)
	}

	follow := exec.CommandContext(ctx, bin, "runs", "logs", "-f", id)
	follow.Env = env
	out, err := follow.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "waiter-ran") {
		t.Fatalf("runs logs -f: %v\n%s", err, out)
	}
	got, first := runStatus(t, ws, id), runStatus(t, ws, waitRun(t, ws, "holder", runstatus.Completed))
	if got.Status != runstatus.Completed {
		t.Fatalf("the picked-up run ended %s (%s)", got.Status, got.Error)
	}
	if got.Started.Before(first.Ended) {
		t.Errorf("it started %v before the slot's holder ended", first.Ended.Sub(got.Started))
	}
}

// waitRun waits until the run named name has status st and returns its id.
func waitRun(t *testing.T, ws, name string, st runstatus.Status) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
		if err == nil {
			runs, _ := s.ListRuns(context.Background(), experiments.RunFilter{})
			s.Close()
			for _, r := range runs {
				if r.Name == name && r.Status == st {
					return r.ID
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %s never became %s", name, st)
	return ""
}

func runStatus(t *testing.T, ws, id string) experiments.Run {
	t.Helper()
	s, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.GetRun(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

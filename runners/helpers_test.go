package runners

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/internal/kubetest"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/runstatus"
)

// progPath is testdata/prog built statically once per test binary: the program
// every runner test launches, locally and inside FROM-scratch images.
var progPath string

func TestMain(m *testing.M) {
	if os.Getenv("LATHE_TEST_STARTER") != "" {
		starterMain() // the "lathe process" that a test kills with SIGKILL
		return
	}
	dir, err := os.MkdirTemp("", "runners-prog-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	progPath = filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-trimpath", "-o", progPath, "./testdata/prog")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testdata/prog: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	kubetest.Stop()
	removeTestImage()
	os.RemoveAll(dir)
	os.Exit(code)
}

// starterMain starts a local run described by env and then blocks, so the
// test can SIGKILL this process mid-run.
func starterMain() {
	var spec Spec
	if err := json.Unmarshal([]byte(os.Getenv("LATHE_TEST_SPEC")), &spec); err != nil {
		panic(err)
	}
	l := NewLocal("local", os.Getenv("LATHE_TEST_RUNS"))
	if _, err := l.Start(context.Background(), spec, &recordSink{}); err != nil {
		fmt.Println("start failed:", err)
		os.Exit(1)
	}
	fmt.Println("started")
	time.Sleep(time.Hour)
}

// recordSink keeps every event, for assertions.
type recordSink struct {
	mu       sync.Mutex
	logs     []LogLine
	samples  []Sample
	props    map[string]string
	statuses []StatusUpdate
}

func (r *recordSink) Log(l LogLine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, l)
}

func (r *recordSink) Metrics(s []Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s...)
}

func (r *recordSink) Property(k, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.props == nil {
		r.props = map[string]string{}
	}
	r.props[k] = v
}

func (r *recordSink) Status(s StatusUpdate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, s)
}

// lines returns the text of one stream's lines, in order.
func (r *recordSink) lines(stream string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.logs {
		if l.Stream == stream {
			out = append(out, l.Text)
		}
	}
	return out
}

func (r *recordSink) last() StatusUpdate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) == 0 {
		return StatusUpdate{}
	}
	return r.statuses[len(r.statuses)-1]
}

func (r *recordSink) statusList() []runstatus.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []runstatus.Status
	for _, u := range r.statuses {
		s = append(s, u.Status)
	}
	return s
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func waitResult(t *testing.T, h Handle, d time.Duration) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res, err := h.Wait(ctx)
	if err != nil {
		t.Fatalf("wait %s: %v", h.ID(), err)
	}
	return res
}

// removeTestImage deletes this process's test image, if it built one.
func removeTestImage() {
	d, err := NewDocker("cleanup", Endpoint{}, DockerOptions{})
	if err != nil {
		return
	}
	defer d.Close()
	_, _ = d.cli.ImageRemove(context.Background(), testImage, client.ImageRemoveOptions{Force: true})
}

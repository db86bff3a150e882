package runners

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
	"github.com/moby/moby/client"
)

// testImage is tagged per test process: test binaries of other checkouts
// on the same daemon build their own prog under their own tag.
var testImage = fmt.Sprintf("lathe-runners-test:prog-%d", os.Getpid())

var (
	imageOnce sync.Once
	imageErr  error
)

// dockerRunner connects to the local daemon and builds the test image once.
// It skips when no daemon answers, unless CI is set: there the daemon is
// required and its absence fails the test.
func dockerRunner(t *testing.T, opts DockerOptions) *Docker {
	t.Helper()
	if opts.WorkspaceID == "" {
		opts.WorkspaceID = fmt.Sprintf("test-%d", time.Now().UnixNano())
	}
	opts.Version = "test"
	name := fmt.Sprintf("dk%d", time.Now().UnixNano())
	d, err := NewDocker(name, Endpoint{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Probe(context.Background()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and no docker daemon answers: %v", err)
		}
		t.Skipf("no docker daemon: %v", err)
	}
	imageOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, imageErr = d.BuildScratchImage(ctx, ScratchImage{Tag: testImage,
			Files: map[string]string{"/prog": progPath}, Cmd: []string{"/prog"}})
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	t.Cleanup(func() {
		// Remove whatever this runner left behind.
		ctx := context.Background()
		cs, err := d.findContainers(ctx, "")
		if err == nil {
			for runID, c := range cs {
				_, _ = d.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
				_ = d.removeVolume(ctx, runID)
			}
		}
		d.Close()
	})
	return d
}

func runID(t *testing.T) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().UnixNano()%1e9)
}

func TestDockerRunMetricsLogsOutputs(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	sink := &recordSink{}
	id := runID(t)
	h, err := d.Start(context.Background(), Spec{ID: id, Image: testImage,
		Command: []string{"/prog", "metrics", "{n}"}, Params: map[string]string{"n": "3"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, h, 60*time.Second)
	if res != (Result{Status: runstatus.Completed, ExitCode: 0}) {
		t.Fatalf("result %+v", res)
	}
	wantLines(t, sink.lines("stdout"),
		`{"step": 1, "loss": 1, "phase": "train"}`,
		`{"step": 2, "loss": 0.5, "phase": "train"}`,
		`{"step": 3, "loss": 0.3333333333333333, "phase": "train"}`,
		"done without newline")
	wantLines(t, sink.lines("stderr"), "progress 1/3", "progress 2/3", "progress 3/3")
	if len(sink.samples) != 3 || sink.samples[2].Step != 3 || sink.samples[2].Value != 1.0/3 {
		t.Fatalf("samples %+v", sink.samples)
	}
	if sink.props["phase"] != "train" {
		t.Fatalf("props %v", sink.props)
	}
	first := sink.statuses[0]
	if first.Status != runstatus.Running || !strings.HasPrefix(first.Info["image_digest"], "sha256:") || first.Info["container_id"] == "" {
		t.Fatalf("running update %+v", first)
	}
	// Harvested containers are removed.
	if cs, _ := d.findContainers(context.Background(), id); len(cs) != 0 {
		t.Fatalf("container left behind: %v", cs)
	}
}

// TestDockerInputsOutputs runs the same spec with bind mounts (local daemon)
// and with copy-in/copy-out (the path ssh:// and tcp:// hosts take).
func TestDockerInputsOutputs(t *testing.T) {
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("sharedFS=%v", shared), func(t *testing.T) {
			d := dockerRunner(t, DockerOptions{SharedFS: &shared, KeepContainers: true})
			dir := t.TempDir()
			in := filepath.Join(dir, "train.csv")
			if err := os.WriteFile(in, []byte("a,b\n1,2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			sink := &recordSink{}
			id := runID(t)
			h, err := d.Start(context.Background(), Spec{ID: id, Image: testImage,
				Command: []string{"/prog", "env", "{lr}"}, Params: map[string]string{"lr": "0.5"},
				Inputs: map[string]string{"train": in}, OutputDir: out,
				CPUs: 0.5, Memory: 64 << 20, ShmSize: 16 << 20}, sink)
			if err != nil {
				t.Fatal(err)
			}
			if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
				t.Fatalf("result %+v stderr %v", res, sink.lines("stderr"))
			}
			wantLines(t, sink.lines("stdout"),
				"LATHE_INPUT_TRAIN=/lathe/inputs/TRAIN/train.csv",
				"LATHE_OUTPUT_DIR=/lathe/outputs",
				"LATHE_PARAMS_FILE=/lathe/params.json",
				"LATHE_PARAM_LR=0.5",
				"LATHE_RUN_ID="+id,
				`params-file { "lr": "0.5" }`,
				`arg "0.5"`,
				`input LATHE_INPUT_TRAIN "a,b\n1,2\n" <nil>`)
			if b, err := os.ReadFile(filepath.Join(out, "result.txt")); err != nil || string(b) != "ok\n" {
				t.Fatalf("output not collected: %q %v", b, err)
			}
			cs, err := d.findContainers(context.Background(), id)
			if err != nil || len(cs) != 1 {
				t.Fatalf("kept container: %v %v", cs, err)
			}
			ins, err := d.cli.ContainerInspect(context.Background(), cs[id].ID, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			hc := ins.Container.HostConfig
			if hc.NanoCPUs != 5e8 || hc.Memory != 64<<20 || hc.ShmSize != 16<<20 || hc.AutoRemove ||
				hc.LogConfig.Config["max-size"] != "50m" || hc.LogConfig.Config["max-file"] != "3" {
				t.Fatalf("host config: cpus %d mem %d shm %d log %v", hc.NanoCPUs, hc.Memory, hc.ShmSize, hc.LogConfig)
			}
			l := ins.Container.Config.Labels
			if l[LabelRunID] != id || l[LabelVersion] != "test" || l[LabelWorkspaceID] == "" {
				t.Fatalf("labels %v", l)
			}
		})
	}
}

func TestDockerFailures(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	ctx := context.Background()
	t.Run("exit code", func(t *testing.T) {
		sink := &recordSink{}
		h, err := d.Start(ctx, Spec{ID: runID(t), Image: testImage, Command: []string{"/prog", "exit", "3"}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, h, 60*time.Second)
		if res.Status != runstatus.Failed || res.ExitCode != 3 {
			t.Fatalf("result %+v", res)
		}
		if c := sink.last().ExitCode; c == nil || *c != 3 {
			t.Fatalf("exit code %v", c)
		}
	})
	t.Run("image missing", func(t *testing.T) {
		sink := &recordSink{}
		_, err := d.Start(ctx, Spec{ID: runID(t), Image: "lathe-no-such-image:v0", Command: []string{"/x"}}, sink)
		if err == nil || !strings.Contains(err.Error(), `image "lathe-no-such-image:v0" not found`) {
			t.Fatalf("err %v", err)
		}
		if sink.last().Status != runstatus.Failed {
			t.Fatalf("status %+v", sink.last())
		}
	})
	t.Run("command not found in image", func(t *testing.T) {
		sink := &recordSink{}
		id := runID(t)
		_, err := d.Start(ctx, Spec{ID: id, Image: testImage, Command: []string{"/no/such/program"}}, sink)
		if err == nil || !strings.Contains(err.Error(), "command not found in image") || !strings.Contains(err.Error(), "/no/such/program") {
			t.Fatalf("err %v", err)
		}
		if s := sink.last(); s.Status != runstatus.Failed || !strings.Contains(s.Message, "/no/such/program") {
			t.Fatalf("status %+v", s)
		}
		if cs, _ := d.findContainers(ctx, id); len(cs) != 0 {
			t.Fatalf("container left behind")
		}
	})
	t.Run("killed from outside", func(t *testing.T) {
		sink := &recordSink{}
		id := runID(t)
		h, err := d.Start(ctx, Spec{ID: id, Image: testImage, Command: []string{"/prog", "stubborn"}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "output", func() bool { return len(sink.lines("stdout")) > 0 })
		if _, err := d.cli.ContainerKill(ctx, ContainerName(id), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, h, 30*time.Second)
		if res.Status != runstatus.Failed || res.ExitCode != 137 || !strings.Contains(res.Message, "killed") {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("stop", func(t *testing.T) {
		sink := &recordSink{}
		id := runID(t)
		h, err := d.Start(ctx, Spec{ID: id, Image: testImage, Command: []string{"/prog", "sleep", "60000"}}, sink)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "output", func() bool { return len(sink.lines("stdout")) > 0 })
		if err := d.Stop(ctx, id, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, h, 30*time.Second)
		if res.Status != runstatus.Stopped || res.ExitCode != 143 {
			t.Fatalf("result %+v", res)
		}
		if out := sink.lines("stdout"); out[len(out)-1] != "got SIGTERM" {
			t.Fatalf("no SIGTERM seen: %v", out)
		}
	})
	// The program allocates after 1.5 s (300 ms was not enough on a loaded machine): dockerd 20.10 (containerd) misses an
	// OOM kill in the first milliseconds of a task, before it watches the
	// cgroup's OOM events; training jobs run out of memory later than that.
	t.Run("oom", func(t *testing.T) {
		sink := &recordSink{}
		h, err := d.Start(ctx, Spec{ID: runID(t), Image: testImage, Command: []string{"/prog", "alloc", "256", "1500"},
			Memory: 8 << 20}, sink)
		if err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, h, 60*time.Second)
		if res.Status != runstatus.OOMKilled || res.ExitCode != 137 {
			t.Fatalf("result %+v, stdout %v", res, sink.lines("stdout"))
		}
	})
}

// TestDockerReattach drops the Go side of a running run (its context is
// cancelled, as when lathe exits) and reattaches from a new runner with the
// cursor of what was stored: every line arrives exactly once and the steps
// continue. A run that finished unwatched is harvested; one with no container
// is lost.
func TestDockerReattach(t *testing.T) {
	for _, byTime := range []bool{false, true} {
		t.Run(fmt.Sprintf("byTime=%v", byTime), func(t *testing.T) { testDockerReattach(t, byTime) })
	}
}

func testDockerReattach(t *testing.T, byTime bool) {
	d := dockerRunner(t, DockerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	first := &recordSink{}
	id := runID(t)
	h, err := d.Start(ctx, Spec{ID: id, Image: testImage, Command: []string{"/prog", "metrics", "30", "50"}}, first)
	if err != nil {
		t.Fatal(err)
	}
	finished := &recordSink{}
	id2 := id + "-b"
	h2, err := d.Start(ctx, Spec{ID: id2, Image: testImage, Command: []string{"/prog", "exit", "4"}}, finished)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a few lines", func() bool { return len(first.lines("stdout")) >= 5 })
	cancel()
	if _, err := h.Wait(context.Background()); err == nil {
		t.Fatal("follower did not stop with its context")
	}
	_, _ = h2.Wait(context.Background())
	time.Sleep(300 * time.Millisecond) // let id2 exit unwatched
	cur := Cursor{Stdout: int64(len(first.lines("stdout"))), Stderr: int64(len(first.lines("stderr")))}
	if byTime {
		// What a store knows: the time of its last line and each metric's last step.
		cur.NextStep = map[string]int64{}
		for _, l := range first.logs {
			if l.Time.After(cur.Time) {
				cur.Time = l.Time
			}
		}
		for _, s := range first.samples {
			cur.NextStep[s.Key] = max(cur.NextStep[s.Key], s.Step+1)
		}
	}

	// A new runner object, as a new lathe process would have.
	d2, err := NewDocker(d.name, Endpoint{}, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	second, harvested, lost := &recordSink{}, &recordSink{}, &recordSink{}
	sinks := map[string]*recordSink{id: second, id2: harvested, id + "-gone": lost}
	hs, err := d2.Reconcile(context.Background(), []Tracked{{RunID: id, Cursor: cur}, {RunID: id2}, {RunID: id + "-gone"}},
		func(rid string) Sink { return sinks[rid] })
	if err != nil || len(hs) != 2 {
		t.Fatalf("reconcile: %v, %d handles", err, len(hs))
	}
	for _, h := range hs {
		waitResult(t, h, 60*time.Second)
	}
	if s := second.last(); s.Status != runstatus.Completed || *s.ExitCode != 0 {
		t.Fatalf("reattached run: %+v", s)
	}
	for _, l := range second.logs {
		if l.Stream == "stdout" {
			if l.Seq != cur.Stdout+1 {
				t.Fatalf("numbering does not continue: first new stdout line has Seq %d after cursor %d", l.Seq, cur.Stdout)
			}
			break
		}
	}
	all := append(first.lines("stdout"), second.lines("stdout")...)
	if len(all) != 31 || all[30] != "done without newline" {
		t.Fatalf("%d stdout lines (%d then %d): %v", len(all), len(first.lines("stdout")), len(second.lines("stdout")), all)
	}
	var steps []int64
	for _, s := range append(first.samples, second.samples...) {
		steps = append(steps, s.Step)
	}
	want := make([]int64, 30)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !reflect.DeepEqual(steps, want) {
		t.Fatalf("steps %v", steps)
	}
	if got := len(first.lines("stderr")) + len(second.lines("stderr")); got != 30 {
		t.Fatalf("%d stderr lines", got)
	}
	if s := harvested.last(); s.Status != runstatus.Failed || s.ExitCode == nil || *s.ExitCode != 4 {
		t.Fatalf("harvested run: %+v", s)
	}
	if len(harvested.lines("stdout")) != 1 {
		t.Fatalf("harvested logs %v", harvested.lines("stdout"))
	}
	if lost.last().Status != runstatus.Lost {
		t.Fatalf("vanished run: %+v", lost.last())
	}
}

// TestDockerTrainer builds examples/trainer into a FROM-scratch image and runs
// it: per-epoch metrics arrive through the sink and the model file lands in
// the output directory.
func TestDockerTrainer(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	ctx := context.Background()
	if _, err := d.BuildTrainerImage(ctx, "..", "lathe-trainer:test"); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sink := &recordSink{}
	h, err := d.Start(ctx, Spec{ID: runID(t), Image: "lathe-trainer:test",
		Command: []string{"/trainer", "--lr={lr}", "--hidden={hidden}", "--epochs=20"},
		Params:  map[string]string{"lr": "0.3", "hidden": "8"}, OutputDir: out}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
		t.Fatalf("result %+v %v", res, sink.lines("stderr"))
	}
	series := map[string][]Sample{}
	for _, s := range sink.samples {
		series[s.Key] = append(series[s.Key], s)
	}
	for _, k := range []string{"train_loss", "val_loss", "val_accuracy", "inference_ms", "model_params"} {
		if len(series[k]) != 20 || series[k][19].Step != 20 {
			t.Fatalf("%s: %d samples", k, len(series[k]))
		}
	}
	if series["model_params"][0].Value != 9*8+8+8*3+3 {
		t.Fatalf("model_params %v", series["model_params"][0].Value)
	}
	if _, err := os.Stat(filepath.Join(out, "model.json")); err != nil {
		t.Fatal(err)
	}
}

// TestDockerStopSeenByAnotherLathe: one lathe stops a run whose follower
// belonged to another, and a third harvests it as stopped (not failed),
// thanks to the marker Stop leaves in the container.
func TestDockerStopSeenByAnotherLathe(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	sink := &recordSink{}
	id := runID(t)
	h, err := d.Start(ctx, Spec{ID: id, Image: testImage, Command: []string{"/prog", "sleep", "60000"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "output", func() bool { return len(sink.lines("stdout")) > 0 })
	cancel()
	_, _ = h.Wait(context.Background())
	other, err := NewDocker(d.name, Endpoint{}, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Stop(context.Background(), id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	third, err := NewDocker(d.name, Endpoint{}, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	later := &recordSink{}
	hs, err := third.Reconcile(context.Background(), []Tracked{{RunID: id}}, func(string) Sink { return later })
	if err != nil || len(hs) != 1 {
		t.Fatalf("%v %d", err, len(hs))
	}
	if res := waitResult(t, hs[0], 30*time.Second); res.Status != runstatus.Stopped || res.ExitCode != 143 {
		t.Fatalf("result %+v", res)
	}
}

// TestContainerConfigGPUs checks the DeviceRequest Docker gets for each
// request form: a count or device ids, never both (docker/cli opts/gpus.go).
func TestContainerConfigGPUs(t *testing.T) {
	d, err := NewDocker("cfg", Endpoint{Host: "unix:///nonexistent.sock"}, DockerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		req   GPURequest
		count int
		ids   []string
	}{
		{GPURequest{Count: 2}, 2, nil},
		{GPURequest{Count: -1}, -1, nil},
		{GPURequest{DeviceIDs: []string{"1", "GPU-abc"}}, 0, []string{"1", "GPU-abc"}},
	} {
		_, hc, err := d.containerConfig(Spec{ID: "x", Image: "i", GPUs: tc.req}, []string{"/p"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hc.DeviceRequests) != 1 {
			t.Fatalf("%+v: %d requests", tc.req, len(hc.DeviceRequests))
		}
		dr := hc.DeviceRequests[0]
		if dr.Driver != "nvidia" || !reflect.DeepEqual(dr.Capabilities, [][]string{{"gpu"}}) ||
			dr.Count != tc.count || !reflect.DeepEqual(dr.DeviceIDs, tc.ids) {
			t.Fatalf("%+v: %+v", tc.req, dr)
		}
	}
	cfg, hc, err := d.containerConfig(Spec{ID: "x", Image: "i", Command: []string{"/p"}}, []string{"/p"})
	// docker run's semantics: the command is the CMD; the image's entrypoint stays.
	if err != nil || len(hc.DeviceRequests) != 0 || len(cfg.Entrypoint) != 0 || !reflect.DeepEqual([]string(cfg.Cmd), []string{"/p"}) {
		t.Fatalf("no GPUs: %+v %+v %v", cfg, hc.DeviceRequests, err)
	}
	if err := validateSpec(Spec{ID: "x", GPUs: GPURequest{Count: 1, DeviceIDs: []string{"0"}}}); err == nil {
		t.Fatal("count and ids together accepted")
	}
}

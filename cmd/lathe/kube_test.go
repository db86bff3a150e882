package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/internal/kubetest"
	"github.com/lathe-ml/lathe/runstatus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// `lathe run` on a Kubernetes runner is killed with SIGKILL mid-run; the
// run ends meanwhile, and the next command finds it by its Job's labels and
// harvests the rest of its log and its end. A real kube-apiserver; the test
// plays the Job controller, the scheduler and a FAKE kubelet.
func TestKubeRunSurvivesKill9(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	c := kubetest.Start(t)
	ns := c.Namespace(t, "cli-kill9")
	kl := c.NewKubelet(t, "node-cli", 1)
	ws := kubeWorkspace(t, c, ns, "    memory: 1g\n")
	cmd := exec.Command(bin, "--workspace", ws, "run", "--runner", "k8s", "--entrypoint", "/trainer", "--", "--epochs", "3")
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	job := c.WaitJob(t, ns)
	// --entrypoint replaces the image's (command); the run's command is args.
	if ct := job.Spec.Template.Spec.Containers[0]; strings.Join(ct.Command, "|") != "/trainer" || strings.Join(ct.Args, "|") != "--epochs|3" {
		t.Fatalf("container command %q args %q, want [/trainer] [--epochs 3]", ct.Command, ct.Args)
	}
	if wd := job.Spec.Template.Spec.Containers[0].WorkingDir; wd != "" {
		t.Errorf("container workingDir %q: this machine's directory, not the image's WORKDIR", wd)
	}
	pod := c.PodFor(t, job)
	c.Unschedulable(t, pod, "0/1 nodes are available: 1 Insufficient memory.")
	store, err := experiments.OpenStore(filepath.Join(ws, ".lathe", "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	var id string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if runs, _ := store.ListRuns(ctx, experiments.RunFilter{}); len(runs) == 1 {
			id = runs[0].ID
			if runs[0].Status == runstatus.Queued && strings.Contains(runs[0].Error, "Insufficient memory") {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var rec experiments.RunRecord
	runJSON(t, &rec, "--workspace", ws, "--json", "runs", "show", id)
	if rec.Status != runstatus.Queued || rec.Error != "Unschedulable: 0/1 nodes are available: 1 Insufficient memory." ||
		rec.ContainerID != job.Name {
		t.Fatalf("while unschedulable: status %s, error %q, container %q", rec.Status, rec.Error, rec.ContainerID)
	}
	kl.Bind(t, pod)
	kl.Append(ns, pod.Name, `{"step": 1, "acc": 0.5}`, `{"step": 2, "acc": 0.6}`)
	kl.SetRunning(t, pod)
	for time.Now().Before(deadline) {
		if s, _ := store.MetricSeriesKey(ctx, id, "acc", -1); len(s) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if s, _ := store.MetricSeriesKey(ctx, id, "acc", -1); len(s) != 2 {
		t.Fatalf("%d samples stored before the kill, want 2", len(s))
	}
	kl.Append(ns, pod.Name, `{"step": 3, "acc": 0.7}`, "done")
	kl.SetTerminated(t, pod, 0, "")
	kl.End(ns, pod.Name)

	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		rec = experiments.RunRecord{} // omitted fields must not keep earlier values
		runJSON(t, &rec, "--workspace", ws, "--json", "runs", "show", id)
		if rec.Status.Terminal() {
			break
		}
	}
	if rec.Status != runstatus.Completed || rec.ExitCode == nil || *rec.ExitCode != 0 || rec.ContainerID != job.Name || rec.Error != "" {
		t.Fatalf("after reconcile: %+v", rec.Run)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, "--workspace", ws, "--json", "runs", "metrics", id)
	if acc := series["acc"]; len(acc) != 3 || acc[2].Step != 3 || acc[2].Value != 0.7 {
		t.Fatalf("acc samples %+v, want steps 1-3 once each", acc)
	}
	code, out, errs := run(t, "--workspace", ws, "runs", "logs", id)
	want := "{\"step\": 1, \"acc\": 0.5}\n{\"step\": 2, \"acc\": 0.6}\n{\"step\": 3, \"acc\": 0.7}\ndone\n"
	if code != 0 || out != want {
		t.Fatalf("logs: exit %d, %q (%s), want %q", code, out, errs, want)
	}
}

// A study's pool holds the local runner and a Kubernetes runner: its trials
// spread over both, each once. A real kube-apiserver; the test plays the Job
// controller, the scheduler and a FAKE kubelet, which prints one metric line
// for each trial's pod and ends it.
func TestKubeInStudyPool(t *testing.T) {
	bin := lathePath(t)
	isolate(t)
	c := kubetest.Start(t)
	ns := c.Namespace(t, "cli-pool")
	kl := c.NewKubelet(t, "node-pool", 0)
	ws := kubeWorkspace(t, c, ns, "    max_concurrent: 2\n")
	spec := writeFile(t, filepath.Join(t.TempDir(), "s.yaml"), fmt.Sprintf(`name: kpool
runner: [local, k8s]
command: [%q, "trainer", "--lr={lr}", "--epochs=3", "--epoch-pause=30ms"]
parameters:
  - {name: lr, type: double, bounds: {min: 1.0e-3, max: 1.0}, transformation: log}
metrics:
  - {name: val_accuracy, objective: maximize}
observation_budget: 8
parallel_bandwidth: 3
seed: 3
`, bin))
	cmd := exec.Command(bin, "--workspace", ws, "tune", "run", spec)
	cmd.Env = os.Environ()
	var errs strings.Builder
	cmd.Stderr = &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Play the cluster for every Job the study makes until it ends.
	played := map[string]bool{}
	ctx := context.Background()
	deadline := time.After(3 * time.Minute)
loop:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("tune run: %v\n%s", err, errs.String())
			}
			break loop
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("the study did not end within 3 minutes\n%s", errs.String())
		case <-time.After(50 * time.Millisecond):
		}
		jobs, err := c.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range jobs.Items {
			job := &jobs.Items[i]
			if played[job.Name] {
				continue
			}
			played[job.Name] = true
			pod := c.PodFor(t, job)
			kl.Bind(t, pod)
			kl.Append(ns, pod.Name, fmt.Sprintf(`{"step": 1, "val_accuracy": 0.%d}`, len(played)))
			kl.SetRunning(t, pod)
			kl.SetTerminated(t, pod, 0, "")
			kl.End(ns, pod.Name)
		}
	}
	on := pooledTrials(t, ws, "kpool", 8)
	t.Logf("trials per runner: %v", on)
	if on["local"] == 0 || on["k8s"] == 0 || on["local"]+on["k8s"] != 8 || on["k8s"] != len(played) {
		t.Errorf("trials per runner: %v (%d Jobs), want some on each and one Job per Kubernetes trial", on, len(played))
	}
}

// kubeWorkspace is a new workspace whose config adds runner k8s (type
// kubernetes, image train:1, extra lines) on the test cluster's namespace.
func kubeWorkspace(t *testing.T, c *kubetest.Cluster, ns, extra string) string {
	t.Helper()
	ws := newWorkspace(t)
	cfgPath := filepath.Join(ws, "lathe.yaml")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	runner := "runners:\n  - name: k8s\n    type: kubernetes\n    kubeconfig: " + c.Kubeconfig(t, "lab", ns) +
		"\n    image: train:1\n" + extra
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "runners:\n", runner, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

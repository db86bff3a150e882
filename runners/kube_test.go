package runners

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/internal/kubetest"
	"github.com/lathe-ml/lathe/runstatus"
)

// These tests run against a real kube-apiserver and etcd (internal/kubetest).
// No kubelet or controllers run: the test plays the Job controller (PodFor),
// the scheduler (Bind) and a FAKE kubelet (pod status, container logs).

func kubeRunner(t *testing.T, c *kubetest.Cluster, ns string, st config.Kube) *Kube {
	t.Helper()
	st.Namespace = ns
	st.Kubeconfig = c.Kubeconfig(t, "test", ns)
	k, err := NewKube("k8s", KubeOptions{WorkspaceID: "ws1", Version: "test", Settings: st,
		Resync: 200 * time.Millisecond, Reconnect: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func kubeNS(t *testing.T, c *kubetest.Cluster) string {
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	return c.Namespace(t, fmt.Sprintf("%s-%d", name, time.Now().UnixNano()%100000))
}

// The Job spec, field by field, as the API server stored it.
func TestKubeJobSpec(t *testing.T) {
	c := kubetest.Start(t)
	ns := kubeNS(t, c)
	data := t.TempDir()
	in := filepath.Join(data, "sets", "train.csv")
	_ = os.MkdirAll(filepath.Dir(in), 0o755)
	_ = os.WriteFile(in, []byte("a\n"), 0o644)
	out := t.TempDir()
	k := kubeRunner(t, c, ns, config.Kube{ServiceAccount: "trainer", NodeSelector: map[string]string{"pool": "a100"},
		Tolerations:   []config.Toleration{{Key: "gpu", Operator: "Exists", Effect: "NoSchedule"}},
		PriorityClass: "", ImagePullSecrets: []string{"regcred"}, CPUs: 1.5, Memory: 2 << 30, GPUsPerRun: 2,
		Volumes: []config.KubeVolume{{Claim: "datasets", Mount: "/data", Local: data, ReadOnly: true},
			{Claim: "results", Mount: "/results", Local: out, Outputs: true}}})
	spec := Spec{ID: "r0abc", Image: "ghcr.io/lab/train:1", Command: []string{"python", "train.py", "--lr={lr}"},
		Params: map[string]string{"lr": "0.1"}, Inputs: map[string]string{"train": in}, OutputDir: t.TempDir(),
		Env: map[string]string{"WANDB_MODE": "offline"}, Labels: map[string]string{"team": "vision"}}
	job, err := k.Job(spec, []string{"python", "train.py", "--lr=0.1"})
	if err != nil {
		t.Fatal(err)
	}
	job, err = c.Client.BatchV1().Jobs(ns).Create(context.Background(), job, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("the API server refused the job: %v", err)
	}
	if job.Name != "lathe-r0abc" || *job.Spec.BackoffLimit != 0 || *job.Spec.TTLSecondsAfterFinished != 7*24*3600 {
		t.Errorf("job %s backoff %d ttl %d", job.Name, *job.Spec.BackoffLimit, *job.Spec.TTLSecondsAfterFinished)
	}
	for _, l := range []map[string]string{job.Labels, job.Spec.Template.Labels} {
		for key, want := range map[string]string{LabelRunID: "r0abc", LabelWorkspaceID: "ws1", LabelRunner: "k8s", "team": "vision"} {
			if l[key] != want {
				t.Errorf("label %s = %q, want %q", key, l[key], want)
			}
		}
	}
	ps := job.Spec.Template.Spec
	if ps.RestartPolicy != corev1.RestartPolicyNever || ps.ServiceAccountName != "trainer" || ps.NodeSelector["pool"] != "a100" ||
		len(ps.ImagePullSecrets) != 1 || ps.ImagePullSecrets[0].Name != "regcred" || !*ps.AutomountServiceAccountToken {
		t.Errorf("pod spec: %+v", ps)
	}
	if len(ps.Tolerations) != 1 || ps.Tolerations[0] != (corev1.Toleration{Key: "gpu", Operator: "Exists", Effect: "NoSchedule"}) {
		t.Errorf("tolerations %+v", ps.Tolerations)
	}
	ct := ps.Containers[0]
	// docker run's semantics: the run's command is the container's args (it
	// replaces the image's CMD and follows its ENTRYPOINT); no command.
	if ct.Image != spec.Image || ct.Command != nil || strings.Join(ct.Args, "|") != "python|train.py|--lr=0.1" {
		t.Errorf("image %q command %q args %q", ct.Image, ct.Command, ct.Args)
	}
	lim := ct.Resources.Limits
	if q := lim[corev1.ResourceCPU]; q.Cmp(resource.MustParse("1500m")) != 0 {
		t.Errorf("cpu limit %s", q.String())
	}
	if q := lim[corev1.ResourceMemory]; q.Cmp(resource.MustParse("2Gi")) != 0 {
		t.Errorf("memory limit %s", q.String())
	}
	if q := lim[GPUResource]; q.Value() != 2 {
		t.Errorf("gpu limit %s", q.String())
	}
	if q := ct.Resources.Requests[corev1.ResourceMemory]; q.Cmp(resource.MustParse("2Gi")) != 0 {
		t.Errorf("memory request %s", q.String())
	}
	env := map[string]string{}
	for _, e := range ct.Env {
		env[e.Name] = e.Value
	}
	for key, want := range map[string]string{"LATHE_RUN_ID": "r0abc", "LATHE_PARAM_LR": "0.1", "LATHE_PARAMS_FILE": "/lathe/meta/params.json",
		"LATHE_INPUT_TRAIN": "/data/sets/train.csv", "LATHE_OUTPUT_DIR": "/results/lathe-runs/lathe-r0abc", "WANDB_MODE": "offline"} {
		if env[key] != want {
			t.Errorf("env %s = %q, want %q", key, env[key], want)
		}
	}
	sc := ct.SecurityContext
	if sc == nil || *sc.AllowPrivilegeEscalation || !*sc.RunAsNonRoot || *sc.RunAsUser != 1000 ||
		len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("security context %+v", sc)
	}
	if job.Spec.Template.Annotations[annoParams] != "{\n  \"lr\": \"0.1\"\n}\n" {
		t.Errorf("params annotation %q", job.Spec.Template.Annotations[annoParams])
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range ct.VolumeMounts {
		mounts[m.MountPath] = m
	}
	if !mounts["/data"].ReadOnly || mounts["/results"].ReadOnly || !mounts[kubeMeta].ReadOnly {
		t.Errorf("mounts %+v", ct.VolumeMounts)
	}
	claims := map[string]bool{}
	for _, v := range ps.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims[v.PersistentVolumeClaim.ClaimName] = v.PersistentVolumeClaim.ReadOnly
		}
	}
	if len(claims) != 2 || !claims["datasets"] || claims["results"] {
		t.Errorf("claims %v", claims)
	}

	// An entrypoint given replaces the image's: the container's command.
	ep := spec
	ep.ID, ep.Entrypoint = "r0ep", []string{"/trainer", "--fast"}
	if job, err = k.Job(ep, []string{"--epochs", "2"}); err != nil {
		t.Fatal(err)
	}
	if job, err = c.Client.BatchV1().Jobs(ns).Create(context.Background(), job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refused the job: %v", err)
	}
	if ct := job.Spec.Template.Spec.Containers[0]; strings.Join(ct.Command, "|") != "/trainer|--fast" || strings.Join(ct.Args, "|") != "--epochs|2" {
		t.Errorf("with an entrypoint: command %q args %q", ct.Command, ct.Args)
	}
	ep.ID = "r0eponly"
	if job, err = k.Job(ep, nil); err != nil {
		t.Fatal(err)
	}
	if ct := job.Spec.Template.Spec.Containers[0]; strings.Join(ct.Command, "|") != "/trainer|--fast" || ct.Args != nil {
		t.Errorf("an entrypoint and no command: command %q args %q", ct.Command, ct.Args)
	}

	// Root only when asked; an input off every volume is refused.
	zero := int64(0)
	root := kubeRunner(t, c, ns, config.Kube{RunAsUser: &zero})
	j2, err := root.Job(Spec{ID: "r1", Image: "x"}, nil)
	if err != nil || *j2.Spec.Template.Spec.Containers[0].SecurityContext.RunAsNonRoot || *j2.Spec.Template.Spec.AutomountServiceAccountToken {
		t.Errorf("run_as_user 0: %v %+v", err, j2.Spec.Template.Spec.Containers[0].SecurityContext)
	}
	if _, err := root.Job(Spec{ID: "r2", Image: "x", Inputs: map[string]string{"train": in}}, nil); err == nil ||
		!strings.Contains(err.Error(), "a pod cannot read this machine's files") {
		t.Errorf("input off the volumes: %v", err)
	}
}

// queued (unschedulable, with the scheduler's reason) → running → completed,
// with every line and metric once although the log stream breaks midway.
func TestKubeRunThroughLogReconnect(t *testing.T) {
	c := kubetest.Start(t)
	ns := kubeNS(t, c)
	kl := c.NewKubelet(t, "node-a", 2)
	k := kubeRunner(t, c, ns, config.Kube{})
	sink := &recordSink{}
	h, err := k.Start(context.Background(), Spec{ID: "r1run", Image: "train:1", Command: []string{"train"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	job := c.WaitJob(t, ns)
	pod := c.PodFor(t, job)
	reason := "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
	c.Unschedulable(t, pod, reason)
	waitFor(t, 10*time.Second, "the unschedulable reason", func() bool {
		u := sink.last()
		return u.Status == runstatus.Queued && u.Message == "Unschedulable: "+reason
	})
	kl.Bind(t, pod)
	kl.Append(ns, pod.Name, `{"step": 1, "loss": 0.9}`, "epoch 1 done")
	kl.SetRunning(t, pod)
	waitFor(t, 10*time.Second, "running and the first lines", func() bool {
		return sink.last().Status == runstatus.Running && len(sink.lines("stdout")) == 2
	})
	kl.Cut(ns, pod.Name) // the stream breaks; lathe follows again from the last timestamp
	waitFor(t, 10*time.Second, "the log opened again", func() bool { return kl.LogRequests(ns, pod.Name) >= 2 })
	kl.Append(ns, pod.Name, `{"step": 2, "loss": 0.5}`, "epoch 2 done")
	waitFor(t, 10*time.Second, "lines after the reconnect", func() bool { return len(sink.lines("stdout")) == 4 })
	kl.Append(ns, pod.Name, `{"step": 3, "loss": 0.2}`)
	kl.SetTerminated(t, pod, 0, "")
	kl.End(ns, pod.Name)
	res := waitResult(t, h, 20*time.Second)
	if res.Status != runstatus.Completed || res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	wantLines(t, sink.lines("stdout"), `{"step": 1, "loss": 0.9}`, "epoch 1 done", `{"step": 2, "loss": 0.5}`, "epoch 2 done", `{"step": 3, "loss": 0.2}`)
	var losses []string
	for _, s := range sink.samples {
		if s.Key == "loss" {
			losses = append(losses, fmt.Sprintf("%d:%g", s.Step, s.Value))
		}
	}
	if strings.Join(losses, " ") != "1:0.9 2:0.5 3:0.2" {
		t.Errorf("loss samples %v", losses)
	}
	var seen []string
	for _, s := range sink.statusList() {
		if len(seen) == 0 || seen[len(seen)-1] != string(s) {
			seen = append(seen, string(s))
		}
	}
	if strings.Join(seen, ",") != "queued,running,completed" {
		t.Errorf("statuses %v", seen)
	}
	if sink.last().Info["container_id"] != job.Name {
		t.Errorf("final info %v", sink.last().Info)
	}
	// Harvested: the Job is deleted.
	waitFor(t, 10*time.Second, "the job deleted", func() bool {
		l, _ := c.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
		return len(l.Items) == 0 || l.Items[0].DeletionTimestamp != nil
	})
}

// OOMKilled ends oom_killed; a bad image fails with the kubelet's reason.
func TestKubeOOMKilledAndImagePull(t *testing.T) {
	c := kubetest.Start(t)
	ns := kubeNS(t, c)
	kl := c.NewKubelet(t, "node-b", 0)
	k := kubeRunner(t, c, ns, config.Kube{Memory: 64 << 20})
	sink := &recordSink{}
	h, err := k.Start(context.Background(), Spec{ID: "r2oom", Image: "train:1", Command: []string{"train"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	pod := c.PodFor(t, c.WaitJob(t, ns))
	kl.Bind(t, pod)
	kl.Append(ns, pod.Name, "allocating")
	kl.SetRunning(t, pod)
	kl.SetTerminated(t, pod, 137, "OOMKilled")
	kl.End(ns, pod.Name)
	res := waitResult(t, h, 20*time.Second)
	if res.Status != runstatus.OOMKilled || res.ExitCode != 137 || !strings.Contains(res.Message, "OOMKilled") {
		t.Fatalf("result %+v", res)
	}
	wantLines(t, sink.lines("stdout"), "allocating")

	sink2 := &recordSink{}
	h2, err := k.Start(context.Background(), Spec{ID: "r3pull", Image: "nope:1", Command: []string{"train"}}, sink2)
	if err != nil {
		t.Fatal(err)
	}
	var pod2 *corev1.Pod
	waitFor(t, 10*time.Second, "the second job", func() bool {
		_, err := c.Client.BatchV1().Jobs(ns).Get(context.Background(), JobName("r3pull"), metav1.GetOptions{})
		return err == nil
	})
	j2, _ := c.Client.BatchV1().Jobs(ns).Get(context.Background(), JobName("r3pull"), metav1.GetOptions{})
	pod2 = c.PodFor(t, j2)
	kl.Bind(t, pod2)
	kl.SetWaiting(t, pod2, "ImagePullBackOff", `Back-off pulling image "nope:1"`)
	res = waitResult(t, h2, 20*time.Second)
	if res.Status != runstatus.Failed || res.Message != `ImagePullBackOff: Back-off pulling image "nope:1"` {
		t.Fatalf("image pull: %+v", res)
	}
}

// A lathe that stops following mid-run (its process died): another finds
// the run by label and harvests the rest of its log and its end.
func TestKubeReconcileByLabel(t *testing.T) {
	c := kubetest.Start(t)
	ns := kubeNS(t, c)
	kl := c.NewKubelet(t, "node-c", 0)
	first := kubeRunner(t, c, ns, config.Kube{})
	ctx, die := context.WithCancel(context.Background())
	sink := &recordSink{}
	if _, err := first.Start(ctx, Spec{ID: "r4rec", Image: "train:1", Command: []string{"train"}}, sink); err != nil {
		t.Fatal(err)
	}
	pod := c.PodFor(t, c.WaitJob(t, ns))
	kl.Bind(t, pod)
	kl.Append(ns, pod.Name, `{"step": 1, "acc": 0.1}`, `{"step": 2, "acc": 0.2}`)
	kl.SetRunning(t, pod)
	waitFor(t, 10*time.Second, "two lines", func() bool { return len(sink.lines("stdout")) == 2 })
	die()
	time.Sleep(100 * time.Millisecond)
	kl.Append(ns, pod.Name, `{"step": 3, "acc": 0.3}`)
	kl.SetTerminated(t, pod, 0, "")
	kl.End(ns, pod.Name)

	sink.mu.Lock()
	last := sink.logs[len(sink.logs)-1]
	sink.mu.Unlock()
	second := kubeRunner(t, c, ns, config.Kube{})
	later := &recordSink{}
	gone := &recordSink{}
	hs, err := second.Reconcile(context.Background(), []Tracked{
		{RunID: "r4rec", Cursor: Cursor{Stdout: last.Seq, Time: last.Time, NextStep: map[string]int64{"acc": 3}}},
		{RunID: "r5gone"}}, func(id string) Sink {
		if id == "r5gone" {
			return gone
		}
		return later
	})
	if err != nil || len(hs) != 1 {
		t.Fatalf("reconcile: %d handles, %v", len(hs), err)
	}
	res := waitResult(t, hs[0], 20*time.Second)
	if res.Status != runstatus.Completed {
		t.Fatalf("harvest: %+v", res)
	}
	wantLines(t, later.lines("stdout"), `{"step": 3, "acc": 0.3}`)
	if later.logs[0].Seq != 3 || len(later.samples) != 1 || later.samples[0].Step != 3 {
		t.Errorf("continued as line %d, samples %+v", later.logs[0].Seq, later.samples)
	}
	if gone.last().Status != runstatus.Lost {
		t.Errorf("a run without a job: %+v", gone.last())
	}
}

// runners check's data: the server's version, this user's permissions, the
// nodes' GPUs and the workspace's pending pods with their reasons.
func TestKubeProbeAndCluster(t *testing.T) {
	c := kubetest.Start(t)
	ns := kubeNS(t, c)
	kl := c.NewKubelet(t, "node-gpu", 4)
	k := kubeRunner(t, c, ns, config.Kube{GPUsPerRun: 1})
	info, err := k.Probe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "v1.37.2" || info.Namespace != ns || len(info.Permissions) != 4 || info.MissingPermission() != "" {
		t.Fatalf("probe %+v", info)
	}
	if _, err := k.Start(context.Background(), Spec{ID: "r6gpu", Image: "train:1", Command: []string{"train"}}, &recordSink{}); err != nil {
		t.Fatal(err)
	}
	pod := c.PodFor(t, c.WaitJob(t, ns))
	c.Unschedulable(t, pod, "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
	if err := k.Cluster(context.Background(), &info); err != nil {
		t.Fatal(err)
	}
	var node *KubeNode
	for i := range info.Nodes {
		if info.Nodes[i].Name == kl.Node {
			node = &info.Nodes[i]
		}
	}
	if node == nil || node.GPUAllocatable != 4 || !node.Ready {
		t.Errorf("nodes %+v", info.Nodes)
	}
	if len(info.Pending) != 1 || info.Pending[0].RunID != "r6gpu" ||
		info.Pending[0].Reason != "Unschedulable: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu." {
		t.Errorf("pending %+v", info.Pending)
	}
}

// Stop marks the Job and deletes it with foreground propagation; the pod
// is deleted with the grace period, and its SIGTERM exit ends the run
// stopped (the FAKE kubelet reports the exit the runtime would).
func TestKubeStop(t *testing.T) {
	c := kubetest.Start(t)
	ns := kubeNS(t, c)
	kl := c.NewKubelet(t, "node-stop", 0)
	k := kubeRunner(t, c, ns, config.Kube{})
	sink := &recordSink{}
	h, err := k.Start(context.Background(), Spec{ID: "r7stop", Image: "train:1", Command: []string{"train"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	pod := c.PodFor(t, c.WaitJob(t, ns))
	kl.Bind(t, pod)
	kl.SetRunning(t, pod)
	waitFor(t, 10*time.Second, "running", func() bool { return sink.last().Status == runstatus.Running })
	if err := k.Stop(context.Background(), "r7stop", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	job, err := c.Client.BatchV1().Jobs(ns).Get(context.Background(), JobName("r7stop"), metav1.GetOptions{})
	if err != nil || job.DeletionTimestamp == nil || job.Annotations[annoStopped] != "true" {
		t.Fatalf("job after stop: %v %+v", err, job)
	}
	p, err := c.Client.CoreV1().Pods(ns).Get(context.Background(), pod.Name, metav1.GetOptions{})
	if err != nil || p.DeletionTimestamp == nil || *p.DeletionGracePeriodSeconds != 5 {
		t.Fatalf("pod after stop: %v %+v", err, p)
	}
	kl.SetTerminated(t, pod, 143, "")
	kl.End(ns, pod.Name)
	if res := waitResult(t, h, 20*time.Second); res.Status != runstatus.Stopped || res.ExitCode != 143 {
		t.Fatalf("result %+v", res)
	}
	if err := k.Stop(context.Background(), "r9none", time.Second); err == nil || !strings.Contains(err.Error(), "no job for run r9none") {
		t.Errorf("stop of an unknown run: %v", err)
	}
}

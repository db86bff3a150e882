package kubetest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubelet is a FAKE kubelet: a Node whose kubelet endpoint is a test HTTPS
// server serving /containerLogs, with log lines the test appends. It runs
// no containers; the test sets pod status itself (SetRunning, SetTerminated).
type Kubelet struct {
	Node string
	c    *Cluster
	srv  *httptest.Server

	mu   sync.Mutex
	logs map[string]*podLog // "ns/pod"
	// Requests counts log requests per pod (follow or not).
	Requests map[string]int
}

type logLine struct {
	t    time.Time
	text string
}

type podLog struct {
	lines []logLine
	ended bool // follow streams end once everything is sent
	gen   int  // Cut bumps it: open follow streams end early
}

// NewKubelet registers a Ready node named node with GPUs allocatable.
func (c *Cluster) NewKubelet(t testing.TB, node string, gpus int) *Kubelet {
	t.Helper()
	k := &Kubelet{Node: node, c: c, logs: map[string]*podLog{}, Requests: map[string]int{}}
	k.srv = httptest.NewTLSServer(http.HandlerFunc(k.serve))
	t.Cleanup(k.srv.Close)
	_, portStr, _ := net.SplitHostPort(k.srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	ctx := context.Background()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node, Labels: map[string]string{"kubernetes.io/hostname": node}}}
	created, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	res := corev1.ResourceList{"nvidia.com/gpu": *resourceQty(gpus), corev1.ResourceCPU: *resourceQty(8)}
	created.Status = corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(port)}},
		Capacity:        res, Allocatable: res,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}},
	}
	if _, err := c.Client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *Kubelet) log(ns, pod string) *podLog {
	key := ns + "/" + pod
	l := k.logs[key]
	if l == nil {
		l = &podLog{}
		k.logs[key] = l
	}
	return l
}

// Append adds lines to the pod's log, stamped now.
func (k *Kubelet) Append(ns, pod string, lines ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.log(ns, pod)
	for _, s := range lines {
		l.lines = append(l.lines, logLine{time.Now(), s})
		time.Sleep(time.Microsecond) // distinct stamps, as a real runtime's
	}
}

// Cut ends the pod's open follow streams, as a broken connection would.
func (k *Kubelet) Cut(ns, pod string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log(ns, pod).gen++
}

// End closes the pod's log: follow streams end after the last line.
func (k *Kubelet) End(ns, pod string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log(ns, pod).ended = true
}

// LogRequests is how many times the pod's log was asked for.
func (k *Kubelet) LogRequests(ns, pod string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.Requests[ns+"/"+pod]
}

// serve answers GET /containerLogs/{ns}/{pod}/{container} with
// timestamps, sinceTime and follow, as the kubelet does.
func (k *Kubelet) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	ns, pod := parts[0], parts[1]
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("sinceTime"); s != "" {
		since, _ = time.Parse(time.RFC3339, s)
	}
	follow := q.Get("follow") == "true"
	k.mu.Lock()
	k.Requests[ns+"/"+pod]++
	gen := k.log(ns, pod).gen
	k.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	i := 0
	for {
		k.mu.Lock()
		l := k.log(ns, pod)
		var b strings.Builder
		for ; i < len(l.lines); i++ {
			if ln := l.lines[i]; !ln.t.Before(since) {
				fmt.Fprintf(&b, "%s %s\n", ln.t.UTC().Format(time.RFC3339Nano), ln.text)
			}
		}
		done := !follow || l.ended || l.gen != gen
		k.mu.Unlock()
		if b.Len() > 0 {
			_, _ = w.Write([]byte(b.String()))
			if fl != nil {
				fl.Flush()
			}
		}
		if done {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// PodFor plays the Job controller: it creates the Job's pod from its
// template, named <job>-pod, not yet bound to a node.
func (c *Cluster) PodFor(t testing.TB, job *batchv1.Job) *corev1.Pod {
	t.Helper()
	tmpl := job.Spec.Template
	labels := map[string]string{"batch.kubernetes.io/job-name": job.Name}
	for k, v := range tmpl.Labels {
		labels[k] = v
	}
	yes := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-pod", Namespace: job.Namespace, Labels: labels,
		Annotations:     tmpl.Annotations,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID, Controller: &yes}}},
		Spec: tmpl.Spec}
	p, err := c.Client.CoreV1().Pods(job.Namespace).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Unschedulable sets the pod's PodScheduled condition as the scheduler
// does when no node fits.
func (c *Cluster) Unschedulable(t testing.TB, pod *corev1.Pod, msg string) *corev1.Pod {
	t.Helper()
	return c.setStatus(t, pod, func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: msg, LastTransitionTime: metav1.Now()}}
	})
}

// Bind plays the scheduler: it binds the pod to the kubelet's node.
func (k *Kubelet) Bind(t testing.TB, pod *corev1.Pod) {
	t.Helper()
	b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
		Target: corev1.ObjectReference{Kind: "Node", Name: k.Node}}
	if err := k.c.Client.CoreV1().Pods(pod.Namespace).Bind(context.Background(), b, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// SetRunning reports the pod's container running.
func (k *Kubelet) SetRunning(t testing.TB, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	return k.c.setStatus(t, pod, func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}
	})
}

// SetWaiting reports the container waiting with reason (e.g. ImagePullBackOff).
func (k *Kubelet) SetWaiting(t testing.TB, pod *corev1.Pod, reason, msg string) *corev1.Pod {
	t.Helper()
	return k.c.setStatus(t, pod, func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}
	})
}

// SetTerminated reports the container ended with code and reason ("" for
// a plain exit, "OOMKilled" for the memory cgroup's kill).
func (k *Kubelet) SetTerminated(t testing.TB, pod *corev1.Pod, code int32, reason string) *corev1.Pod {
	t.Helper()
	return k.c.setStatus(t, pod, func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodSucceeded
		if code != 0 {
			p.Status.Phase = corev1.PodFailed
			if reason == "" {
				reason = "Error"
			}
		} else if reason == "" {
			reason = "Completed"
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason,
				StartedAt: metav1.NewTime(time.Now().Add(-time.Second)), FinishedAt: metav1.Now()}}}}
	})
}

func (c *Cluster) setStatus(t testing.TB, pod *corev1.Pod, edit func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	for range 10 {
		cur, err := c.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		edit(cur)
		out, err := c.Client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatal("pod status: too many conflicts")
	return nil
}

// Namespace creates a fresh namespace for one test.
func (c *Cluster) Namespace(t testing.TB, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.Client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

// WaitJob waits for the namespace's first Job (the runner's) to exist.
func (c *Cluster) WaitJob(t testing.TB, ns string) *batchv1.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l, err := c.Client.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
		if err == nil && len(l.Items) > 0 {
			return &l.Items[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no job appeared in namespace %s", ns)
	return nil
}

func resourceQty(n int) *resource.Quantity { return resource.NewQuantity(int64(n), resource.DecimalSI) }

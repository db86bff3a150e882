package runners

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/lathe-ml/lathe/runstatus"
)

// kubePhase is where a run's Job stands.
type kubePhase int

const (
	kubeQueued  kubePhase = iota // no pod, or a pod whose container has not started
	kubeRunning                  // the container runs
	kubeEnded                    // the container (or the Job) has ended
	kubeGone                     // the Job was deleted
)

type kubeState struct {
	phase   kubePhase
	msg     string // why it waits, or how it ended
	pod     *corev1.Pod
	started bool // the container started at some point, so it has logs
	res     Result
}

// waitingFatal are container waiting reasons that end a run: the pod would
// retry them forever.
var waitingFatal = map[string]bool{"ImagePullBackOff": true, "ErrImagePull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true, "ErrImageNeverPull": true}

// classify maps a Job and its pod to a run state.
func classify(job *batchv1.Job, pod *corev1.Pod, stopped bool) kubeState {
	st := kubeState{pod: pod, res: Result{ExitCode: -1}}
	end := func(s runstatus.Status, msg string) kubeState {
		st.phase, st.msg, st.res.Status, st.res.Message = kubeEnded, msg, s, msg
		return st
	}
	var conds []batchv1.JobCondition
	if job != nil {
		conds = job.Status.Conditions
	}
	for _, c := range conds {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && c.Reason == batchv1.JobReasonDeadlineExceeded {
			return end(runstatus.Failed, "DeadlineExceeded: "+c.Message)
		}
	}
	if pod == nil {
		for _, c := range conds {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				return end(runstatus.Failed, c.Reason+": "+c.Message)
			}
		}
		st.msg = "waiting for the job controller to create the pod"
		return st
	}
	if pod.Status.Reason == "Evicted" {
		st.started = true
		return end(runstatus.Failed, "evicted: "+pod.Status.Message)
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name != kubeContainer {
			continue
		}
		switch {
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			st.started = !t.StartedAt.IsZero() || t.ExitCode != 0 || t.Reason != ""
			st.res.ExitCode = int(t.ExitCode)
			switch {
			case t.Reason == "OOMKilled":
				return end(runstatus.OOMKilled, "killed: over the pod's memory limit (OOMKilled)")
			case t.ExitCode == 0:
				return end(runstatus.Completed, "")
			case stopped:
				return end(runstatus.Stopped, exitMessage(int(t.ExitCode)))
			}
			msg := exitMessage(int(t.ExitCode))
			if t.Reason != "" && t.Reason != "Error" {
				msg += ": " + t.Reason
			}
			if t.Message != "" {
				msg += ": " + t.Message
			}
			return end(runstatus.Failed, msg)
		case cs.State.Running != nil:
			st.phase, st.started = kubeRunning, true
			return st
		case cs.State.Waiting != nil:
			w := cs.State.Waiting
			if waitingFatal[w.Reason] {
				return end(runstatus.Failed, strings.TrimSuffix(w.Reason+": "+w.Message, ": "))
			}
			st.msg = strings.TrimSuffix(w.Reason+": "+w.Message, ": ")
			return st
		}
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return end(runstatus.Failed, strings.TrimSuffix("pod "+strings.ToLower(string(pod.Status.Phase))+": "+pod.Status.Reason+" "+pod.Status.Message, " "))
	}
	st.msg = "pending"
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			st.msg = c.Reason + ": " + c.Message
		}
	}
	return st
}

// observe reads the run's Job and newest pod.
func (k *Kube) observe(ctx context.Context, runID, jobName string) (kubeState, error) {
	job, err := k.cs.BatchV1().Jobs(k.ns).Get(ctx, jobName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return kubeState{phase: kubeGone, res: Result{ExitCode: -1}}, nil
	}
	if err != nil {
		return kubeState{}, err
	}
	pods, err := k.cs.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{LabelSelector: k.selector(runID)})
	if err != nil {
		return kubeState{}, err
	}
	var pod *corev1.Pod
	for i := range pods.Items {
		if p := &pods.Items[i]; pod == nil || p.CreationTimestamp.After(pod.CreationTimestamp.Time) {
			pod = p
		}
	}
	k.mu.Lock()
	stopped := k.stopping[runID] || job.Annotations[annoStopped] == "true"
	k.mu.Unlock()
	return classify(job, pod, stopped), nil
}

// watchRun pokes changed whenever the run's Job or pods change. A watch
// that ends is resumed from the last resource version it delivered, or
// started afresh when the server has compacted past it.
func (k *Kube) watchRun(ctx context.Context, runID, jobName string, changed chan<- struct{}) {
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	one := func(open func(rv string) (watch.Interface, error)) {
		rv := ""
		for ctx.Err() == nil {
			w, err := open(rv)
			if err == nil {
				for ev := range w.ResultChan() {
					if ev.Type == watch.Error {
						rv = "" // e.g. 410 Gone: too old, start over
						break
					}
					if m, err := metaOf(ev.Object); err == nil {
						rv = m.GetResourceVersion()
					}
					poke()
				}
				w.Stop()
			}
			select {
			case <-ctx.Done():
			case <-time.After(k.opts.Reconnect):
				poke() // something may have changed while nobody watched
			}
		}
	}
	go one(func(rv string) (watch.Interface, error) {
		return k.cs.CoreV1().Pods(k.ns).Watch(ctx, metav1.ListOptions{LabelSelector: k.selector(runID), ResourceVersion: rv})
	})
	go one(func(rv string) (watch.Interface, error) {
		return k.cs.BatchV1().Jobs(k.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + jobName, ResourceVersion: rv})
	})
}

func metaOf(o any) (metav1.Object, error) {
	if m, ok := o.(metav1.Object); ok {
		return m, nil
	}
	return nil, errors.New("no metadata")
}

// kubeLogs reads one pod's log, resuming after the last line read: the API
// takes sinceTime in whole seconds, so lines up to the mark (and the ones
// already read at the mark's exact time) are skipped here.
type kubeLogs struct {
	mu     sync.Mutex
	em     *lineEmitter
	mark   time.Time
	atMark int
}

func (k *Kube) streamLogs(ctx context.Context, pod string, follow bool, lg *kubeLogs) error {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	opts := &corev1.PodLogOptions{Container: kubeContainer, Follow: follow, Timestamps: true}
	if !lg.mark.IsZero() {
		t := metav1.NewTime(lg.mark.Truncate(time.Second))
		opts.SinceTime = &t
	}
	rc, err := k.cs.CoreV1().Pods(k.ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	seen := 0
	for sc.Scan() {
		ts, text := splitTimestamp(sc.Text())
		switch {
		case ts.Before(lg.mark):
			continue
		case ts.Equal(lg.mark):
			if seen < lg.atMark {
				seen++
				continue
			}
			lg.atMark++
			seen++
		default:
			lg.mark, lg.atMark, seen = ts, 1, 1
		}
		lg.em.line(strings.TrimSuffix(text, "\r"), ts)
	}
	return sc.Err()
}

// follow tracks a run's Job until it ends, streaming its log, then harvests
// the result and outputs and deletes the Job.
func (k *Kube) follow(ctx context.Context, runID string, job *batchv1.Job, cur Cursor, sink *lockedSink) (Result, error) {
	var opts ParseOptions
	_ = json.Unmarshal([]byte(job.Annotations[annoMetrics]), &opts) // absent: JSON lines still parse
	parser := NewParser(opts)
	parser.Resume(cur.NextStep)
	lg := &kubeLogs{em: &lineEmitter{sink: sink, parser: parser, stream: "stdout", seq: cur.Stdout}, mark: cur.Time}
	if !cur.Time.IsZero() {
		lg.atMark = 1
	}
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	changed := make(chan struct{}, 1)
	k.watchRun(wctx, runID, job.Name, changed)

	var logsDone chan struct{}
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	reported, lastMsg := runstatus.Status(""), ""
	running := func() Result { return Result{Status: runstatus.Running, ExitCode: -1} }
	for {
		st, err := k.observe(ctx, runID, job.Name)
		if err != nil && ctx.Err() != nil {
			return running(), ctx.Err()
		}
		switch {
		case err != nil:
			// The API server did not answer: look again on the next change or resync.
		case st.phase == kubeQueued:
			if st.msg != lastMsg || reported != runstatus.Queued {
				sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Queued, Message: st.msg, Time: time.Now(),
					Info: map[string]string{"container_id": job.Name}})
				reported, lastMsg = runstatus.Queued, st.msg
			}
		case st.phase == kubeRunning:
			if reported != runstatus.Running {
				sink.Status(StatusUpdate{RunID: runID, Status: runstatus.Running, Time: time.Now(),
					Info: map[string]string{"container_id": job.Name, "host": st.pod.Spec.NodeName}})
				reported = runstatus.Running
			}
			if logsDone == nil {
				logsDone = make(chan struct{})
				go k.followLogs(lctx, runID, job.Name, st.pod.Name, lg, logsDone)
			}
		case st.phase == kubeEnded:
			return k.harvest(ctx, runID, job.Name, st, lg, logsDone, lcancel, sink), nil
		case st.phase == kubeGone:
			res := Result{Status: runstatus.Lost, ExitCode: -1, Message: fmt.Sprintf("job %s was deleted before the run ended", job.Name)}
			k.mu.Lock()
			if k.stopping[runID] {
				res.Status, res.Message = runstatus.Stopped, "stopped; its job is deleted"
			}
			delete(k.stopping, runID)
			k.mu.Unlock()
			lcancel()
			if logsDone != nil {
				<-logsDone
			}
			sink.Status(StatusUpdate{RunID: runID, Status: res.Status, Message: res.Message, Time: time.Now()})
			return res, nil
		}
		select {
		case <-changed:
		case <-time.After(k.opts.Resync):
		case <-ctx.Done():
			return running(), ctx.Err()
		}
	}
}

// followLogs streams the log with follow=true, opening it again after a
// break, until the container has ended (or ctx ends).
func (k *Kube) followLogs(ctx context.Context, runID, jobName, pod string, lg *kubeLogs, done chan struct{}) {
	defer close(done)
	for ctx.Err() == nil {
		_ = k.streamLogs(ctx, pod, true, lg)
		if st, err := k.observe(ctx, runID, jobName); err == nil && (st.phase == kubeEnded || st.phase == kubeGone) {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(k.opts.Reconnect):
		}
	}
}

// harvest reads the rest of the log, copies outputs, reports the end and
// deletes the Job.
func (k *Kube) harvest(ctx context.Context, runID, jobName string, st kubeState, lg *kubeLogs, logsDone chan struct{},
	stopLogs context.CancelFunc, sink *lockedSink) Result {
	if logsDone != nil {
		select {
		case <-logsDone:
		case <-time.After(15 * time.Second):
		}
	}
	stopLogs()
	if logsDone != nil {
		<-logsDone
	}
	res := st.res
	if st.started && st.pod != nil {
		// Whatever the follower missed (or all of it, for a run that ended unwatched).
		if err := k.streamLogs(ctx, st.pod.Name, false, lg); err != nil {
			sink.Log(LogLine{Stream: "stderr", Text: "lathe: could not read the rest of the log: " + err.Error(), Time: time.Now()})
		}
	}
	job, err := k.cs.BatchV1().Jobs(k.ns).Get(ctx, jobName, metav1.GetOptions{})
	if err == nil {
		if src, dst := job.Annotations[annoOutputSrc], job.Annotations[annoOutputDir]; src != "" && dst != "" {
			if err := copyTree(src, dst); err != nil {
				res.Message = strings.TrimPrefix(res.Message+"; outputs not collected: "+err.Error(), "; ")
			}
		}
	}
	k.mu.Lock()
	delete(k.stopping, runID)
	k.mu.Unlock()
	var code *int
	if res.ExitCode >= 0 {
		code = intPtr(res.ExitCode)
	}
	sink.Status(StatusUpdate{RunID: runID, Status: res.Status, ExitCode: code, Message: res.Message, Time: time.Now(),
		Info: map[string]string{"container_id": jobName}})
	if !k.opts.KeepJobs {
		bg := metav1.DeletePropagationBackground
		_ = k.cs.BatchV1().Jobs(k.ns).Delete(ctx, jobName, metav1.DeleteOptions{PropagationPolicy: &bg})
	}
	return res
}

// copyTree copies the run's directory on the outputs volume (as this
// machine sees it) into dst, then removes it from the volume.
func copyTree(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return err
	}
	return os.RemoveAll(src)
}

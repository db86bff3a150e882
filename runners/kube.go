package runners

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// Annotations on a run's Job (labels hold only what is looked up by).
const (
	annoOutputDir = "lathe.dev/output-dir" // this machine's directory that collects outputs
	annoOutputSrc = "lathe.dev/output-src" // this machine's view of the run's directory on the outputs volume
	annoMetrics   = "lathe.dev/metrics"    // the spec's ParseOptions as JSON
	annoParams    = "lathe.dev/params"     // params JSON, mounted as $LATHE_PARAMS_FILE through the downward API
	annoStopped   = "lathe.dev/stopped"    // set by Stop before the Job is deleted
)

// Paths in a run's pod.
const (
	kubeMeta       = "/lathe/meta"
	kubeParamsFile = kubeMeta + "/params.json"
	kubeOutputs    = "/lathe/outputs"
	kubeContainer  = "run"
	// GPUResource is the extended resource a run's GPUs are asked for by.
	GPUResource = "nvidia.com/gpu"
)

// KubeOptions tune a Kubernetes runner.
type KubeOptions struct {
	WorkspaceID string
	Version     string
	Context     string // kubeconfig context; "" is the current one
	Settings    config.Kube
	// Client and Config replace the ones built from kubeconfig (tests).
	Client KubeClient
	Config *rest.Config
	// KeepJobs leaves harvested Jobs for ttlSecondsAfterFinished to remove.
	KeepJobs bool
	// Resync bounds how long a follower waits between looks at the Job and
	// pod when no watch event comes (default 30s).
	Resync time.Duration
	// Reconnect is the wait before a broken log stream is opened again
	// (default 1s).
	Reconnect time.Duration
	// DefaultUser is the uid runs get when run_as_user is not set (1000).
	DefaultUser int64
}

// Kube runs each run as a batch/v1 Job with one pod.
type Kube struct {
	name   string
	ns     string
	cs     KubeClient
	server string
	opts   KubeOptions

	mu       sync.Mutex
	stopping map[string]bool
}

// NewKube builds a runner from kubeconfig as kubectl resolves it: the
// runner's kubeconfig file, else KUBECONFIG, else ~/.kube/config, and the
// named or current context. It does not contact the cluster.
func NewKube(name string, o KubeOptions) (*Kube, error) {
	k := &Kube{name: name, cs: o.Client, opts: o, ns: o.Settings.Namespace, stopping: map[string]bool{}}
	if k.opts.Resync <= 0 {
		k.opts.Resync = 30 * time.Second
	}
	if k.opts.Reconnect <= 0 {
		k.opts.Reconnect = time.Second
	}
	if k.opts.DefaultUser == 0 {
		k.opts.DefaultUser = 1000
	}
	cfg := o.Config
	if k.cs == nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = o.Settings.Kubeconfig
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.Context})
		var err error
		if cfg, err = cc.ClientConfig(); err != nil {
			return nil, &config.InputError{Field: "kubeconfig", Msg: fmt.Sprintf("runner %s: %v", name, err), Err: err}
		}
		if k.ns == "" {
			if ns, _, err := cc.Namespace(); err == nil {
				k.ns = ns
			}
		}
		if k.cs, err = NewKubeClient(cfg); err != nil {
			return nil, fmt.Errorf("runner %s: %w", name, err)
		}
	}
	if cfg != nil {
		k.server = cfg.Host
	}
	if k.ns == "" {
		k.ns = "default"
	}
	return k, nil
}

// Name implements Runner.
func (k *Kube) Name() string { return k.name }

// Namespace is where the runner's Jobs live.
func (k *Kube) Namespace() string { return k.ns }

// Server is the API server's address, for messages.
func (k *Kube) Server() string { return k.server }

// JobName is the name of a run's Job (run ids are lower-case base 32).
func JobName(runID string) string {
	n := "lathe-" + strings.ToLower(runID)
	b := []byte(n)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	n = strings.TrimRight(string(b), "-")
	if len(n) > 52 { // the Job controller appends a pod suffix; labels allow 63
		sum := sha256.Sum256([]byte(runID))
		n = n[:43] + "-" + hex.EncodeToString(sum[:4])
	}
	return n
}

// labelValue makes s a valid label value, hashing what is not.
func labelValue(s string) string {
	ok := len(s) <= 63
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	if ok && (s == "" || strings.Trim(s[:1]+s[len(s)-1:], "-_.") == s[:1]+s[len(s)-1:]) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "h" + hex.EncodeToString(sum[:15])
}

// selector finds this runner's Jobs and pods; runID "" means all runs.
func (k *Kube) selector(runID string) string {
	s := LabelRunner + "=" + labelValue(k.name)
	if k.opts.WorkspaceID != "" {
		s += "," + LabelWorkspaceID + "=" + labelValue(k.opts.WorkspaceID)
	}
	if runID != "" {
		s += "," + LabelRunID + "=" + labelValue(runID)
	}
	return s
}

// Job builds the Job of a run. argv is the expanded command.
func (k *Kube) Job(spec Spec, argv []string) (*batchv1.Job, error) {
	st := k.opts.Settings
	labels := map[string]string{}
	for key, v := range spec.Labels {
		labels[key] = labelValue(v)
	}
	labels[LabelRunID] = labelValue(spec.ID)
	labels[LabelWorkspaceID] = labelValue(k.opts.WorkspaceID)
	labels[LabelRunner] = labelValue(k.name)
	labels[LabelVersion] = labelValue(k.opts.Version)
	mj, _ := json.Marshal(spec.Metrics)
	anno := map[string]string{annoMetrics: string(mj), annoParams: string(ParamsJSON(spec.Params))}

	mounts := []corev1.VolumeMount{{Name: "lathe-meta", MountPath: kubeMeta, ReadOnly: true}}
	volumes := []corev1.Volume{{Name: "lathe-meta", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
		Items: []corev1.DownwardAPIVolumeFile{{Path: "params.json", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + annoParams + "']"}}}}}}}
	outDir := kubeOutputs
	outVol := -1
	for i, v := range st.Volumes {
		name := fmt.Sprintf("vol-%d", i)
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Claim, ReadOnly: v.ReadOnly}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: v.Mount, ReadOnly: v.ReadOnly})
		if v.Outputs {
			outVol = i
		}
	}
	if spec.OutputDir != "" {
		abs, err := filepath.Abs(spec.OutputDir)
		if err != nil {
			return nil, err
		}
		anno[annoOutputDir] = abs
	}
	if outVol >= 0 {
		v := st.Volumes[outVol]
		rel := path.Join("lathe-runs", JobName(spec.ID))
		outDir = path.Join(v.Mount, rel)
		anno[annoOutputSrc] = filepath.Join(v.Local, filepath.FromSlash(rel))
	} else {
		volumes = append(volumes, corev1.Volume{Name: "lathe-outputs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "lathe-outputs", MountPath: kubeOutputs})
	}
	inputs := map[string]string{}
	for name, p := range spec.Inputs {
		in, err := k.inputPath(p)
		if err != nil {
			return nil, &config.InputError{Field: "input " + name, Msg: err.Error()}
		}
		inputs[name] = in
	}
	var env []corev1.EnvVar
	for _, kv := range RunEnv(spec, func(n string) string { return inputs[n] }, kubeParamsFile, outDir) {
		n, v, _ := strings.Cut(kv, "=")
		env = append(env, corev1.EnvVar{Name: n, Value: v})
	}

	res := corev1.ResourceList{}
	cpus, mem, gpus := spec.CPUs, spec.Memory, spec.GPUs.Count
	if cpus == 0 {
		cpus = st.CPUs
	}
	if mem == 0 {
		mem = st.Memory
	}
	if gpus <= 0 {
		gpus = st.GPUsPerRun
	}
	if cpus > 0 {
		res[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(math.Ceil(cpus*1000)), resource.DecimalSI)
	}
	if mem > 0 {
		res[corev1.ResourceMemory] = *resource.NewQuantity(mem, resource.BinarySI)
	}
	if gpus > 0 {
		res[GPUResource] = *resource.NewQuantity(int64(gpus), resource.DecimalSI)
	}
	user := k.opts.DefaultUser
	if st.RunAsUser != nil {
		user = *st.RunAsUser
	}
	no, nonRoot := false, user != 0
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		RunAsNonRoot:             &nonRoot,
		RunAsUser:                &user,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	c := corev1.Container{Name: kubeContainer, Image: spec.Image, Env: env, WorkingDir: spec.WorkDir, VolumeMounts: mounts,
		Resources: corev1.ResourceRequirements{Limits: res, Requests: res}, SecurityContext: sc}
	// As the Docker runner (docker run): the command replaces the image's
	// CMD (args) and follows its ENTRYPOINT; a spec's entrypoint replaces
	// that (command). No shell ever sees either.
	if len(spec.Entrypoint) > 0 {
		c.Command = spec.Entrypoint
	}
	if len(argv) > 0 {
		c.Args = argv
	}
	var tolerations []corev1.Toleration
	for _, t := range st.Tolerations {
		tolerations = append(tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOperator(t.Operator),
			Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
	}
	var pull []corev1.LocalObjectReference
	for _, s := range st.ImagePullSecrets {
		pull = append(pull, corev1.LocalObjectReference{Name: s})
	}
	automount := st.ServiceAccount != ""
	backoff := int32(0)
	ttl := int32(7 * 24 * 3600)
	if st.TTLAfterFinished > 0 {
		ttl = int32(st.TTLAfterFinished)
	}
	meta := metav1.ObjectMeta{Name: JobName(spec.ID), Namespace: k.ns, Labels: labels, Annotations: anno}
	return &batchv1.Job{
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			BackoffLimit:            &backoff,
			TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: anno},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					Containers:                   []corev1.Container{c},
					Volumes:                      volumes,
					NodeSelector:                 st.NodeSelector,
					Tolerations:                  tolerations,
					PriorityClassName:            st.PriorityClass,
					ImagePullSecrets:             pull,
					ServiceAccountName:           st.ServiceAccount,
					AutomountServiceAccountToken: &automount,
				},
			},
		},
	}, nil
}

// inputPath maps an input on this machine to its path in the pod: it must
// lie under a volume's local directory.
func (k *Kube) inputPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	for _, v := range k.opts.Settings.Volumes {
		if v.Local == "" {
			continue
		}
		if rel, err := filepath.Rel(v.Local, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return path.Join(v.Mount, filepath.ToSlash(rel)), nil
		}
	}
	return "", fmt.Errorf("%s is not under the local directory of any of runner %s's volumes; a pod cannot read this machine's files, so put the input on a volume (volumes: [{claim, mount, local}])", p, k.name)
}

// Start implements Runner: it creates the run's Job and reports the run
// queued until its pod runs.
func (k *Kube) Start(ctx context.Context, spec Spec, sink Sink) (Handle, error) {
	ls := &lockedSink{s: sink}
	h, err := k.start(ctx, spec, ls)
	if err != nil {
		ls.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Failed, Message: err.Error(), Time: time.Now()})
		return nil, err
	}
	return h, nil
}

func (k *Kube) start(ctx context.Context, spec Spec, sink *lockedSink) (Handle, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	if spec.Image == "" {
		return nil, &config.InputError{Field: "image", Msg: fmt.Sprintf("runner %s is a kubernetes runner: give an image", k.name)}
	}
	if len(spec.GPUs.DeviceIDs) > 0 {
		return nil, &config.InputError{Field: "gpus", Msg: fmt.Sprintf("runner %s is a kubernetes runner: the cluster picks devices; ask for a count", k.name)}
	}
	var argv []string
	if len(spec.Command) > 0 {
		var err error
		if argv, err = ExpandCommand(spec.Command, spec.Params); err != nil {
			return nil, err
		}
	}
	job, err := k.Job(spec, argv)
	if err != nil {
		return nil, err
	}
	if src := job.Annotations[annoOutputSrc]; src != "" {
		if err := os.MkdirAll(src, 0o777); err != nil {
			return nil, fmt.Errorf("runner %s: outputs volume: %w", k.name, err)
		}
		_ = os.Chmod(src, 0o777) // the pod's user is not this one
	}
	created, err := k.cs.BatchV1().Jobs(k.ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("runner %s: create job in namespace %s: %w", k.name, k.ns, err)
	}
	sink.Status(StatusUpdate{RunID: spec.ID, Status: runstatus.Queued, Time: time.Now(),
		Message: "job created; waiting for its pod",
		Info:    map[string]string{"container_id": created.Name, "host": k.server}})
	// Delivery ends with ctx (the caller's process going away); the run
	// itself goes on, and a later Reconcile picks it up.
	fctx, fcancel := context.WithCancel(context.WithoutCancel(ctx))
	stopFollow := context.AfterFunc(ctx, fcancel)
	h := &dockerHandle{id: spec.ID, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer fcancel()
		defer stopFollow()
		h.res, h.err = k.follow(fctx, spec.ID, created, Cursor{}, sink)
	}()
	return h, nil
}

// Stop implements Runner: it marks the Job stopped and deletes it with
// foreground propagation, so its pod gets SIGTERM and, after grace, SIGKILL.
func (k *Kube) Stop(ctx context.Context, runID string, grace time.Duration) error {
	jobs := k.cs.BatchV1().Jobs(k.ns)
	name := JobName(runID)
	k.mu.Lock()
	k.stopping[runID] = true
	k.mu.Unlock()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"true"}}}`, annoStopped)
	if _, err := jobs.Patch(ctx, name, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("runner %s: no job for run %s in namespace %s", k.name, runID, k.ns)
		}
		return fmt.Errorf("runner %s: stop %s: %w", k.name, runID, err)
	}
	secs := int64(math.Ceil(grace.Seconds()))
	fg := metav1.DeletePropagationForeground
	pods, err := k.cs.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{LabelSelector: k.selector(runID)})
	if err == nil {
		for _, p := range pods.Items {
			_ = k.cs.CoreV1().Pods(k.ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &secs})
		}
	}
	if err := jobs.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &secs, PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("runner %s: delete job %s: %w", k.name, name, err)
	}
	return nil
}

// Reconcile implements Runner: runs are found by label; each is followed
// from its cursor, or harvested, or reported lost when it has no Job.
func (k *Kube) Reconcile(ctx context.Context, runs []Tracked, sinkFor func(string) Sink) ([]Handle, error) {
	list, err := k.cs.BatchV1().Jobs(k.ns).List(ctx, metav1.ListOptions{LabelSelector: k.selector("")})
	if err != nil {
		return nil, fmt.Errorf("runner %s: list jobs in namespace %s: %w", k.name, k.ns, err)
	}
	byRun := map[string]*batchv1.Job{}
	for i := range list.Items {
		byRun[list.Items[i].Labels[LabelRunID]] = &list.Items[i]
	}
	var hs []Handle
	for _, tr := range runs {
		sink := &lockedSink{s: sinkFor(tr.RunID)}
		job, ok := byRun[labelValue(tr.RunID)]
		if !ok {
			sink.Status(StatusUpdate{RunID: tr.RunID, Status: runstatus.Lost, Time: time.Now(),
				Message: fmt.Sprintf("no job for the run on runner %s (namespace %s)", k.name, k.ns)})
			continue
		}
		h := &dockerHandle{id: tr.RunID, done: make(chan struct{})}
		go func(cur Cursor) {
			defer close(h.done)
			h.res, h.err = k.follow(ctx, tr.RunID, job, cur, sink)
		}(tr.Cursor)
		hs = append(hs, h)
	}
	return hs, nil
}

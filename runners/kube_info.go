package runners

import (
	"context"
	"fmt"
	"sort"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KubeInfo is what `runners check` and the Runners screen show of a
// Kubernetes runner.
type KubeInfo struct {
	Server      string           `json:"server"`
	Version     string           `json:"version"`
	Namespace   string           `json:"namespace"`
	Permissions []KubePermission `json:"permissions"`
	Nodes       []KubeNode       `json:"nodes"`
	Pending     []KubePending    `json:"pending"`
}

// KubePermission is one SelfSubjectAccessReview's answer.
type KubePermission struct {
	Verb     string `json:"verb"`
	Resource string `json:"resource"` // "jobs", "pods/log"
	Allowed  bool   `json:"allowed"`
	Reason   string `json:"reason,omitempty"`
}

// KubeNode is a node's GPUs: allocatable, and asked for by its pods.
type KubeNode struct {
	Name           string `json:"name"`
	GPUAllocatable int64  `json:"gpu_allocatable"`
	GPUUsed        int64  `json:"gpu_used"`
	Ready          bool   `json:"ready"`
}

// KubePending is a pod of this workspace that waits, with why.
type KubePending struct {
	RunID  string    `json:"run_id"`
	Pod    string    `json:"pod"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// Probe asks the API server for its version and this user's permissions
// (create jobs, get pods/log in the namespace), within ctx.
func (k *Kube) Probe(ctx context.Context) (KubeInfo, error) {
	info := KubeInfo{Server: k.server, Namespace: k.ns, Permissions: []KubePermission{}, Nodes: []KubeNode{}, Pending: []KubePending{}}
	v, err := k.cs.Discovery().ServerVersion()
	if err != nil {
		return info, fmt.Errorf("runner %s: kubernetes API at %s: %w", k.name, k.server, err)
	}
	info.Version = v.GitVersion
	for _, p := range []struct{ verb, group, res, sub string }{
		{"create", "batch", "jobs", ""}, {"delete", "batch", "jobs", ""}, {"get", "", "pods", "log"}, {"list", "", "pods", ""},
	} {
		r := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
			Namespace: k.ns, Verb: p.verb, Group: p.group, Resource: p.res, Subresource: p.sub}}}
		out, err := k.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, r, metav1.CreateOptions{})
		if err != nil {
			return info, fmt.Errorf("runner %s: access review: %w", k.name, err)
		}
		name := p.res
		if p.sub != "" {
			name += "/" + p.sub
		}
		info.Permissions = append(info.Permissions, KubePermission{Verb: p.verb, Resource: name, Allowed: out.Status.Allowed, Reason: out.Status.Reason})
	}
	return info, nil
}

// MissingPermission names the first permission the runner needs and lacks.
func (i KubeInfo) MissingPermission() string {
	for _, p := range i.Permissions {
		if !p.Allowed {
			return fmt.Sprintf("not allowed to %s %s in namespace %s", p.Verb, p.Resource, i.Namespace)
		}
	}
	return ""
}

// Cluster fills info's nodes (GPUs allocatable and used) and this
// workspace's pending pods with their reasons. Listing nodes needs a
// cluster-wide permission; without it the nodes stay empty.
func (k *Kube) Cluster(ctx context.Context, info *KubeInfo) error {
	pods, err := k.cs.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{LabelSelector: k.selector("")})
	if err != nil {
		return fmt.Errorf("runner %s: list pods: %w", k.name, err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodPending {
			continue
		}
		st := classify(nil, &p, false)
		info.Pending = append(info.Pending, KubePending{RunID: p.Labels[LabelRunID], Pod: p.Name, Reason: st.msg, Since: p.CreationTimestamp.Time})
	}
	nodes, err := k.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil // namespace-scoped users cannot see nodes
	}
	used := map[string]int64{}
	all, err := k.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Running"})
	if err == nil {
		for _, p := range all.Items {
			for _, c := range p.Spec.Containers {
				if q, ok := c.Resources.Limits[GPUResource]; ok {
					used[p.Spec.NodeName] += q.Value()
				}
			}
		}
	}
	for _, n := range nodes.Items {
		q := n.Status.Allocatable[GPUResource]
		kn := KubeNode{Name: n.Name, GPUAllocatable: q.Value(), GPUUsed: used[n.Name]}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				kn.Ready = c.Status == corev1.ConditionTrue
			}
		}
		info.Nodes = append(info.Nodes, kn)
	}
	sort.Slice(info.Nodes, func(i, j int) bool { return info.Nodes[i].Name < info.Nodes[j].Name })
	return nil
}

package config

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RunnerKubernetes runs each run as a batch/v1 Job on a Kubernetes cluster.
const RunnerKubernetes = "kubernetes"

// Kube holds the settings of a kubernetes runner. The cluster comes from
// kubeconfig and context as kubectl resolves them (KUBECONFIG, then
// ~/.kube/config, then the current context).
type Kube struct {
	Kubeconfig       string            `json:"kubeconfig,omitempty"`
	Namespace        string            `json:"namespace,omitempty"`
	ServiceAccount   string            `json:"service_account,omitempty"`
	NodeSelector     map[string]string `json:"node_selector,omitempty"`
	Tolerations      []Toleration      `json:"tolerations,omitempty"`
	PriorityClass    string            `json:"priority_class,omitempty"`
	ImagePullSecrets []string          `json:"image_pull_secrets,omitempty"`
	CPUs             float64           `json:"cpus,omitempty"`
	Memory           int64             `json:"memory,omitempty"`
	GPUsPerRun       int               `json:"gpus_per_run,omitempty"` // nvidia.com/gpu limit
	Volumes          []KubeVolume      `json:"volumes,omitempty"`
	RunAsUser        *int64            `json:"run_as_user,omitempty"` // 0 runs as root, only when asked
	TTLAfterFinished int               `json:"ttl_after_finished,omitempty"`
}

// Toleration is a pod toleration.
type Toleration struct {
	Key      string `json:"key,omitempty"`
	Operator string `json:"operator,omitempty"` // Equal or Exists
	Value    string `json:"value,omitempty"`
	Effect   string `json:"effect,omitempty"` // NoSchedule, PreferNoSchedule, NoExecute or ""
}

// KubeVolume is a PersistentVolumeClaim mounted into every run's pod. Local
// is where this machine sees the same files (an NFS or similar mount), which
// is how inputs under it reach the pod and how outputs come back.
type KubeVolume struct {
	Claim    string `json:"claim"`
	Mount    string `json:"mount"`
	Local    string `json:"local,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
	Outputs  bool   `json:"outputs,omitempty"` // runs write $LATHE_OUTPUT_DIR here, under <mount>/<run id>
}

// kubeKeys are the keys only kubernetes runners take.
var kubeKeys = []string{"kubeconfig", "namespace", "service_account", "node_selector", "tolerations", "priority_class",
	"image_pull_secrets", "cpus", "memory", "gpus_per_run", "volumes", "run_as_user", "ttl_after_finished"}

// kubeOnlyKeys are kubeKeys that slurm runners do not share.
func kubeOnlyKeys() []string {
	var out []string
	for _, k := range kubeKeys {
		if !slices.Contains(slurmKeys, k) {
			out = append(out, k)
		}
	}
	return out
}

// dnsLabelRE is a Kubernetes object name (RFC 1123 subdomain, simplified).
var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// kube parses one kubernetes-only key into r.Kube. It reports false for a
// key it does not know.
func (p *parser) kube(r *Runner, k, v *yaml.Node, full string) (bool, error) {
	if !slices.Contains(kubeKeys, k.Value) {
		return false, nil
	}
	if r.Kube == nil {
		r.Kube = &Kube{}
	}
	kc := r.Kube
	name := func(what string) (string, error) {
		s, err := p.str(v, full)
		if err != nil {
			return "", err
		}
		if len(s) > 253 || !dnsLabelRE.MatchString(s) {
			return "", p.errAt(v, full, "%s %q is not a Kubernetes name; valid: lower-case letters, digits, - and ., starting and ending with a letter or digit", what, s)
		}
		return s, nil
	}
	var err error
	switch k.Value {
	case "kubeconfig":
		var s string
		if s, err = p.str(v, full); err == nil {
			kc.Kubeconfig = expandPath(s, p.dir, p.home)
		}
	case "namespace":
		kc.Namespace, err = name("namespace")
	case "service_account":
		kc.ServiceAccount, err = name("service_account")
	case "priority_class":
		kc.PriorityClass, err = name("priority_class")
	case "node_selector":
		kc.NodeSelector, err = p.stringMap(v, full)
	case "image_pull_secrets":
		if v.Kind != yaml.SequenceNode {
			return true, p.errAt(v, full, "image_pull_secrets must be a list of secret names such as [regcred], got %s", describeNode(v))
		}
		for _, it := range v.Content {
			s, err := p.str(deref(it), full)
			if err != nil {
				return true, err
			}
			if !dnsLabelRE.MatchString(s) {
				return true, p.errAt(it, full, "%q is not a secret name; give the names of docker-registry secrets in the namespace, never their contents", s)
			}
			kc.ImagePullSecrets = append(kc.ImagePullSecrets, s)
		}
	case "cpus":
		f, ferr := strconv.ParseFloat(v.Value, 64)
		if v.Kind != yaml.ScalarNode || ferr != nil || f <= 0 || math.IsInf(f, 0) {
			return true, p.errAt(v, full, "cpus %q is not valid; valid: a number of CPUs above 0, such as 2 or 0.5", v.Value)
		}
		kc.CPUs = f
	case "memory":
		if kc.Memory, err = ParseSize(full, v.Value); err != nil || kc.Memory == 0 {
			return true, p.errAt(v, full, "memory %q is not a size; valid: a size such as 8g or 512m (the pod's memory limit)", v.Value)
		}
	case "gpus_per_run":
		if kc.GPUsPerRun, err = p.integer(v, full, "valid: an integer of at least 0 (nvidia.com/gpu per pod)"); err == nil && kc.GPUsPerRun < 0 {
			err = p.errAt(v, full, "gpus_per_run is %d; valid: an integer of at least 0", kc.GPUsPerRun)
		}
	case "run_as_user":
		var n int
		if n, err = p.integer(v, full, "valid: a user id of at least 0 (0 runs as root)"); err == nil {
			if n < 0 {
				return true, p.errAt(v, full, "run_as_user is %d; valid: a user id of at least 0", n)
			}
			u := int64(n)
			kc.RunAsUser = &u
		}
	case "ttl_after_finished":
		if kc.TTLAfterFinished, err = p.integer(v, full, "valid: seconds, at least 60"); err == nil && kc.TTLAfterFinished < 60 {
			err = p.errAt(v, full, "ttl_after_finished is %d; valid: seconds, at least 60 (lathe harvests a run before its Job is deleted)", kc.TTLAfterFinished)
		}
	case "tolerations":
		kc.Tolerations, err = p.tolerations(v, full)
	case "volumes":
		kc.Volumes, err = p.kubeVolumes(v, full)
	}
	return true, err
}

func (p *parser) stringMap(v *yaml.Node, field string) (map[string]string, error) {
	if v.Kind != yaml.MappingNode {
		return nil, p.errAt(v, field, "expected a mapping of key: value, got %s", describeNode(v))
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := deref(v.Content[i]), deref(v.Content[i+1])
		if val.Kind != yaml.ScalarNode {
			return nil, p.errAt(val, field+"."+k.Value, "values are plain text, got %s", describeNode(val))
		}
		out[k.Value] = val.Value
	}
	return out, nil
}

func (p *parser) tolerations(v *yaml.Node, field string) ([]Toleration, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, p.errAt(v, field, "tolerations must be a list of {key, operator, value, effect}, got %s", describeNode(v))
	}
	var out []Toleration
	for i, it := range v.Content {
		it = deref(it)
		f := fmt.Sprintf("%s[%d]", field, i)
		if it.Kind != yaml.MappingNode {
			return nil, p.errAt(it, f, "a toleration is a mapping {key, operator, value, effect}, got %s", describeNode(it))
		}
		var t Toleration
		err := p.pairs(it, f+".", func(k, val *yaml.Node, full string) error {
			s, err := p.str(val, full)
			if err != nil {
				return err
			}
			switch k.Value {
			case "key":
				t.Key = s
			case "value":
				t.Value = s
			case "operator":
				if s != "Equal" && s != "Exists" {
					return p.errAt(val, full, "operator %q is not valid; valid: Equal, Exists", s)
				}
				t.Operator = s
			case "effect":
				if !slices.Contains([]string{"NoSchedule", "PreferNoSchedule", "NoExecute"}, s) {
					return p.errAt(val, full, "effect %q is not valid; valid: NoSchedule, PreferNoSchedule, NoExecute", s)
				}
				t.Effect = s
			default:
				return p.errAt(k, full, "unknown toleration key %q; valid keys: key, operator, value, effect", k.Value)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (p *parser) kubeVolumes(v *yaml.Node, field string) ([]KubeVolume, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, p.errAt(v, field, "volumes must be a list of {claim, mount, local, read_only, outputs}, got %s", describeNode(v))
	}
	var out []KubeVolume
	outputs := false
	for i, it := range v.Content {
		it = deref(it)
		f := fmt.Sprintf("%s[%d]", field, i)
		if it.Kind != yaml.MappingNode {
			return nil, p.errAt(it, f, "a volume is a mapping {claim, mount, local, read_only, outputs}, got %s", describeNode(it))
		}
		var vol KubeVolume
		err := p.pairs(it, f+".", func(k, val *yaml.Node, full string) error {
			switch k.Value {
			case "read_only", "outputs":
				if val.Kind != yaml.ScalarNode || val.ShortTag() != "!!bool" {
					return p.errAt(val, full, "%s is true or false, got %s", k.Value, describeNode(val))
				}
				b := val.Value == "true"
				if k.Value == "read_only" {
					vol.ReadOnly = b
				} else {
					vol.Outputs = b
				}
				return nil
			}
			s, err := p.str(val, full)
			if err != nil {
				return err
			}
			switch k.Value {
			case "claim":
				if !dnsLabelRE.MatchString(s) {
					return p.errAt(val, full, "claim %q is not a PersistentVolumeClaim name", s)
				}
				vol.Claim = s
			case "mount":
				if !path.IsAbs(s) || path.Clean(s) == "/" || strings.HasPrefix(path.Clean(s), "/lathe") {
					return p.errAt(val, full, "mount %q is not valid; valid: an absolute path in the pod, not / and not under /lathe", s)
				}
				vol.Mount = path.Clean(s)
			case "local":
				vol.Local = expandPath(s, p.dir, p.home)
			default:
				return p.errAt(k, full, "unknown volume key %q; valid keys: claim, mount, local, read_only, outputs", k.Value)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if vol.Claim == "" || vol.Mount == "" {
			return nil, p.errAt(it, f, "a volume needs claim (a PersistentVolumeClaim) and mount (a path in the pod)")
		}
		if vol.Outputs {
			if outputs {
				return nil, p.errAt(it, f, "only one volume may hold outputs")
			}
			if vol.ReadOnly || vol.Local == "" {
				return nil, p.errAt(it, f, "the outputs volume must be writable and name local: the directory where this machine reads the claim's files")
			}
			outputs = true
		}
		out = append(out, vol)
	}
	return out, nil
}

// checkKubeKeys refuses kubernetes keys on other runners and docker-only
// keys on kubernetes runners.
func (p *parser) checkKubeKeys(rd runnerDef, keyNodes map[string]*yaml.Node, label string) error {
	r := rd.r
	set := func(key string) (*yaml.Node, bool) {
		k, ok := keyNodes[key]
		return k, ok && rd.fields[key].Line != 0
	}
	if r.Type == RunnerKubernetes {
		for _, key := range []string{"host", "tls", "gpus", "min_free_memory"} {
			if k, ok := set(key); ok {
				hint := ""
				if key == "gpus" {
					hint = "; give each run's nvidia.com/gpu with gpus_per_run"
				}
				return p.errAt(k, label+"."+key, "%s does not apply to kubernetes runners (the cluster picks nodes and devices)%s", key, hint)
			}
		}
		return nil
	}
	for _, key := range kubeOnlyKeys() {
		if k, ok := set(key); ok {
			return p.errAt(k, label+"."+key, "%s applies to kubernetes runners only; runner %q is type %s", key, r.Name, r.Type)
		}
	}
	return nil
}

package runners

import (
	"fmt"

	"k8s.io/client-go/discovery"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	batchv1client "k8s.io/client-go/kubernetes/typed/batch/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// KubeClient is the part of the Kubernetes API the runner uses. A full
// clientset (kubernetes.Interface) satisfies it; NewKubeClient builds only
// these groups, so the binary does not link every API group's client.
type KubeClient interface {
	CoreV1() corev1client.CoreV1Interface
	BatchV1() batchv1client.BatchV1Interface
	AuthorizationV1() authorizationv1.AuthorizationV1Interface
	Discovery() discovery.DiscoveryInterface
}

type kubeClients struct {
	core  *corev1client.CoreV1Client
	batch *batchv1client.BatchV1Client
	authz *authorizationv1.AuthorizationV1Client
	disc  *discovery.DiscoveryClient
}

func (c *kubeClients) CoreV1() corev1client.CoreV1Interface    { return c.core }
func (c *kubeClients) BatchV1() batchv1client.BatchV1Interface { return c.batch }
func (c *kubeClients) AuthorizationV1() authorizationv1.AuthorizationV1Interface {
	return c.authz
}
func (c *kubeClients) Discovery() discovery.DiscoveryInterface { return c.disc }

// NewKubeClient builds the runner's clients from one config as
// kubernetes.NewForConfig does: the default user agent, one shared
// transport and, when QPS is set, one shared rate limiter.
func NewKubeClient(c *rest.Config) (KubeClient, error) {
	cfg := *c
	if cfg.UserAgent == "" {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	hc, err := rest.HTTPClientFor(&cfg)
	if err != nil {
		return nil, err
	}
	if cfg.RateLimiter == nil && cfg.QPS > 0 {
		if cfg.Burst <= 0 {
			return nil, fmt.Errorf("burst is required to be greater than 0 when RateLimiter is not set and QPS is set to greater than 0")
		}
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
	}
	var k kubeClients
	if k.core, err = corev1client.NewForConfigAndClient(&cfg, hc); err != nil {
		return nil, err
	}
	if k.batch, err = batchv1client.NewForConfigAndClient(&cfg, hc); err != nil {
		return nil, err
	}
	if k.authz, err = authorizationv1.NewForConfigAndClient(&cfg, hc); err != nil {
		return nil, err
	}
	if k.disc, err = discovery.NewDiscoveryClientForConfigAndClient(&cfg, hc); err != nil {
		return nil, err
	}
	return &k, nil
}

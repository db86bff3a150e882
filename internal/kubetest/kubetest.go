// Package kubetest starts a real etcd and kube-apiserver on 127.0.0.1 for
// tests (the binary named by TEST_KUBE_APISERVER, which .ci/services.sh
// builds; etcd from Debian's etcd-server), once per test binary. No kubelet,
// scheduler or controller manager runs: tests play them (Kubelet is a FAKE
// kubelet that serves container logs; PodFor plays the Job controller).
package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// EnvAPIServer names the kube-apiserver binary.
const EnvAPIServer = "TEST_KUBE_APISERVER"

const token = "lathe-test-admin-token"

// Cluster is a running API server.
type Cluster struct {
	URL    string
	Config *rest.Config
	Client kubernetes.Interface
	dir    string
	procs  []*exec.Cmd
}

var (
	once    sync.Once
	shared  *Cluster
	initErr error
)

// Start returns the test binary's API server, starting it on first use. A
// missing binary fails the test: the tests need a real API server.
func Start(t testing.TB) *Cluster {
	t.Helper()
	once.Do(func() { shared, initErr = start() })
	if initErr != nil {
		t.Fatalf("kube-apiserver: %v", initErr)
	}
	return shared
}

// Stop ends the API server and etcd, if started; call it from TestMain.
func Stop() {
	if shared == nil {
		return
	}
	for i := len(shared.procs) - 1; i >= 0; i-- {
		p := shared.procs[i]
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	_ = os.RemoveAll(shared.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start() (*Cluster, error) {
	bin := os.Getenv(EnvAPIServer)
	if bin == "" {
		return nil, fmt.Errorf("%s is not set; source .ci/services.sh, which builds kube-apiserver", EnvAPIServer)
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return nil, fmt.Errorf("etcd not found; apt-get install etcd-server (.ci/services.sh does)")
	}
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	fail := func(err error) (*Cluster, error) {
		shared = c
		Stop()
		shared = nil
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fail(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	files := map[string][]byte{
		"sa.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		"tokens.csv": []byte(token + ",admin,admin,system:masters\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fail(err)
		}
	}
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return fail(err)
		}
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	run := func(log string, name string, args ...string) error {
		f, err := os.Create(filepath.Join(dir, log))
		if err != nil {
			return err
		}
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			return err
		}
		c.procs = append(c.procs, cmd)
		return nil
	}
	if err := run("etcd.log", etcd, "--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", etcdURL,
		"--advertise-client-urls", etcdURL, "--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(ports[1])); err != nil {
		return fail(err)
	}
	if err := run("apiserver.log", bin, "--etcd-servers="+etcdURL, "--secure-port="+strconv.Itoa(ports[2]),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(dir, "certs"), "--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"), "--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"), "--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		// No controller manager creates the default service account.
		"--disable-admission-plugins=ServiceAccount"); err != nil {
		return fail(err)
	}
	c.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	c.Config = &rest.Config{Host: c.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return fail(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		cancel()
		if err == nil && string(body) == "ok" {
			return c, nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "apiserver.log"))
			if len(log) > 4000 {
				log = log[len(log)-4000:]
			}
			return fail(fmt.Errorf("not ready after 90s: %v\n%s", err, log))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Kubeconfig writes a kubeconfig file for the cluster with one context,
// named name, whose namespace is ns.
func (c *Cluster) Kubeconfig(t testing.TB, name, ns string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	body := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: %q}
contexts:
- name: %s
  context: {cluster: test, user: admin, namespace: %s}
current-context: %s
`, c.URL, token, name, ns, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

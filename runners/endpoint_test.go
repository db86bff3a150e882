package runners

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

func TestResolveEndpoint(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfg)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	writeContext := func(name, host string, withTLS bool) {
		sum := sha256.Sum256([]byte(name))
		id := hex.EncodeToString(sum[:])
		dir := filepath.Join(cfg, "contexts", "meta", id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		meta := fmt.Sprintf(`{"Name":%q,"Metadata":{},"Endpoints":{"docker":{"Host":%q,"SkipTLSVerify":false}}}`, name, host)
		if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
		if withTLS {
			tdir := filepath.Join(cfg, "contexts", "tls", id, "docker")
			os.MkdirAll(tdir, 0o755)
			for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
				os.WriteFile(filepath.Join(tdir, f), []byte("x"), 0o600)
			}
		}
	}
	writeContext("lab-box", "ssh://ml@lab.example", false)
	writeContext("secure", "tcp://10.0.0.5:2376", true)

	check := func(ep Endpoint, wantHost string, wantTLS bool) {
		t.Helper()
		host, tlsf, err := resolveEndpoint(ep)
		if err != nil {
			t.Fatalf("%+v: %v", ep, err)
		}
		if host != wantHost || (tlsf != nil) != wantTLS {
			t.Fatalf("%+v: host %q tls %+v, want %q %v", ep, host, tlsf, wantHost, wantTLS)
		}
	}
	check(Endpoint{}, "unix:///var/run/docker.sock", false)
	check(Endpoint{Context: "lab-box"}, "ssh://ml@lab.example", false)
	check(Endpoint{Context: "secure"}, "tcp://10.0.0.5:2376", true)
	check(Endpoint{Context: "default"}, "unix:///var/run/docker.sock", false)
	// config.json currentContext, then DOCKER_CONTEXT over it, then DOCKER_HOST over both.
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"lab-box"}`), 0o644)
	check(Endpoint{}, "ssh://ml@lab.example", false)
	t.Setenv("DOCKER_CONTEXT", "secure")
	check(Endpoint{}, "tcp://10.0.0.5:2376", true)
	t.Setenv("DOCKER_HOST", "unix:///tmp/other.sock")
	check(Endpoint{}, "unix:///tmp/other.sock", false)
	// An explicit host or context wins over the environment.
	check(Endpoint{Host: "tcp://h:2375"}, "tcp://h:2375", false)
	check(Endpoint{Context: "lab-box"}, "ssh://ml@lab.example", false)

	var ie *config.InputError
	if _, _, err := resolveEndpoint(Endpoint{Context: "nope"}); !errors.As(err, &ie) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("missing context: %v", err)
	}
	if _, err := NewDocker("x", Endpoint{Host: "ftp://h"}, DockerOptions{}); !errors.As(err, &ie) {
		t.Fatalf("bad scheme: %v", err)
	}
	if _, err := NewDocker("x", Endpoint{Host: "no-scheme"}, DockerOptions{}); !errors.As(err, &ie) {
		t.Fatalf("no scheme: %v", err)
	}
}

// TestUnreachableHost: a daemon that does not answer gives a clear error
// within the connect timeout.
func TestUnreachableHost(t *testing.T) {
	// A listener that accepts and never answers: the worst case, a black hole.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	d, err := NewDocker("blackhole", Endpoint{Host: "tcp://" + ln.Addr().String()}, DockerOptions{ConnectTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	_, err = d.Probe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not answer within 500ms") || !strings.Contains(err.Error(), "blackhole") {
		t.Fatalf("err %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
}

// writePEM writes a certificate or key.
func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsFixture makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, as `dockerd --tlsverify` expects them.
func tlsFixture(t *testing.T) (dir string, serverCfg *tls.Config) {
	t.Helper()
	dir = t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lathe test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(cn string, usage x509.ExtKeyUsage, serial int64) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	srvDER, srvKey := issue("127.0.0.1", x509.ExtKeyUsageServerAuth, 2)
	cliDER, cliKey := issue("lathe client", x509.ExtKeyUsageClientAuth, 3)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	writePEM(t, filepath.Join(dir, "cert.pem"), "CERTIFICATE", cliDER)
	kb, _ := x509.MarshalECPrivateKey(cliKey)
	writePEM(t, filepath.Join(dir, "key.pem"), "EC PRIVATE KEY", kb)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	skb, _ := x509.MarshalECPrivateKey(srvKey)
	srvCert, err := tls.X509KeyPair(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: skb}))
	if err != nil {
		t.Fatal(err)
	}
	return dir, &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
}

// TestDockerTLS drives the real daemon through a TLS endpoint that demands a
// client certificate. The daemon here only listens on its unix socket (and
// this test may not reconfigure it), so the TLS side is a terminating proxy
// in front of that socket, which is what `dockerd --tlsverify -H tcp://`
// does in-process. Runs over tcp:// take the copy-in/copy-out path.
func TestDockerTLS(t *testing.T) {
	local := dockerRunner(t, DockerOptions{}) // skips without a daemon; builds the image
	dir, srvCfg := tlsFixture(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				u, err := net.Dial("unix", "/var/run/docker.sock")
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(u, c); done <- struct{}{} }()
				go func() { io.Copy(c, u); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	host := "tcp://" + ln.Addr().String()
	files := &TLSFiles{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}

	// Without a client certificate the handshake is refused.
	noCert, err := NewDocker("tls-nocert", Endpoint{Host: host, TLS: &TLSFiles{CA: files.CA}}, DockerOptions{ConnectTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noCert.Probe(context.Background()); err == nil {
		t.Fatal("probe without a client certificate succeeded")
	}
	noCert.Close()

	d, err := NewDocker(local.name, Endpoint{Host: host, TLS: files}, local.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	info, err := d.Probe(context.Background())
	if err != nil || info.Version == "" {
		t.Fatalf("probe over TLS: %+v %v", info, err)
	}
	remoteRun(t, d)
}

// remoteRun runs prog's env mode with an input and an output dir on a runner
// that does not share this machine's files.
func remoteRun(t *testing.T, d *Docker) {
	t.Helper()
	if d.sharedFS {
		t.Fatal("a tcp:// or ssh:// runner must not assume a shared filesystem")
	}
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in.txt")
	os.WriteFile(in, []byte("remote input"), 0o644)
	out := filepath.Join(tmp, "out")
	sink := &recordSink{}
	h, err := d.Start(context.Background(), Spec{ID: runID(t), Image: testImage, Command: []string{"/prog", "env"},
		Inputs: map[string]string{"data": in}, OutputDir: out}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
		t.Fatalf("result %+v %v", res, sink.lines("stderr"))
	}
	lines := sink.lines("stdout")
	if lines[len(lines)-1] != `input LATHE_INPUT_DATA "remote input" <nil>` {
		t.Fatalf("stdout %v", lines)
	}
	if b, err := os.ReadFile(filepath.Join(out, "result.txt")); err != nil || string(b) != "ok\n" {
		t.Fatalf("outputs: %q %v", b, err)
	}
}

// TestDockerSSH starts a real sshd on 127.0.0.1 with a generated key and
// drives the same daemon as a "remote" ssh://root@127.0.0.1:PORT host, the way
// the docker CLI does (ssh ... docker system dial-stdio). It skips where sshd
// or the docker CLI is missing, unless CI is set.
func TestDockerSSH(t *testing.T) {
	local := dockerRunner(t, DockerOptions{})
	port, flags := startSSHD(t, "docker")
	opts := local.opts
	opts.SSHFlags = flags
	d, err := NewDocker(local.name, Endpoint{Host: fmt.Sprintf("ssh://root@127.0.0.1:%d", port)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Probe(context.Background()); err != nil {
		t.Fatalf("probe over ssh: %v", err)
	}
	remoteRun(t, d)

	// A host where nothing listens fails within the connect timeout.
	bad, err := NewDocker("gone", Endpoint{Host: "ssh://root@127.0.0.1:1"}, DockerOptions{ConnectTimeout: 2 * time.Second, SSHFlags: opts.SSHFlags})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	start := time.Now()
	if _, err := bad.Probe(context.Background()); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("unreachable ssh host: %v after %v", err, time.Since(start))
	}
}

// startSSHD starts a real sshd on 127.0.0.1 with generated keys, for
// root@127.0.0.1:PORT, and returns the port and the ssh flags that reach it.
// It skips where sshd, ssh-keygen or tool are missing, unless CI is set.
func startSSHD(t testing.TB, tool string) (int, []string) {
	t.Helper()
	sshd, err1 := exec.LookPath("sshd")
	if err1 != nil {
		sshd = "/usr/sbin/sshd"
	}
	_, err2 := os.Stat(sshd)
	_, err3 := exec.LookPath(tool)
	_, err4 := exec.LookPath("ssh-keygen")
	if err := errors.Join(err2, err3, err4); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and sshd, ssh-keygen or "+tool+" is missing: %v", err)
		}
		t.Skipf("sshd, ssh-keygen or "+tool+" missing: %v", err)
	}
	dir := t.TempDir()
	keygen := func(path string) {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	keygen(filepath.Join(dir, "host_key"))
	keygen(filepath.Join(dir, "client_key"))
	pub, _ := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600)
	os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, 10*time.Second, "sshd to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return port, []string{"-i", filepath.Join(dir, "client_key"), "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}
}

// cutProxy forwards TCP connections to the daemon's unix socket and can cut
// every live connection at once, which is what a client sees when dockerd
// restarts or the network drops.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newCutProxy(t *testing.T) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut(); p.wg.Wait() })
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("unix", "/var/run/docker.sock")
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(u, c); u.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDockerConnectionCut cuts the connection to the daemon twice while a run
// streams its output: the runner re-subscribes to the exit and resumes the
// logs after the last line read, so every line arrives exactly once.
func TestDockerConnectionCut(t *testing.T) {
	local := dockerRunner(t, DockerOptions{})
	p := newCutProxy(t)
	d, err := NewDocker(local.name, Endpoint{Host: "tcp://" + p.ln.Addr().String()}, local.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sink := &recordSink{}
	h, err := d.Start(context.Background(), Spec{ID: runID(t), Image: testImage,
		Command: []string{"/prog", "metrics", "40", "100"}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "5 lines", func() bool { return len(sink.lines("stdout")) >= 5 })
	p.cut()
	waitFor(t, 20*time.Second, "more lines after the cut", func() bool { return len(sink.lines("stdout")) >= 20 })
	// They came live, not only in the harvest after the exit.
	ins, err := local.cli.ContainerInspect(context.Background(), sink.statuses[0].Info["container_id"], client.ContainerInspectOptions{})
	if err != nil || !ins.Container.State.Running {
		t.Fatalf("lines after the cut arrived only after the run ended (%v)", err)
	}
	p.cut()
	if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
		t.Fatalf("result %+v", res)
	}
	out := sink.lines("stdout")
	if len(out) != 41 || out[40] != "done without newline" {
		t.Fatalf("%d stdout lines: %v", len(out), out)
	}
	for i, s := range sink.samples {
		if s.Step != int64(i+1) {
			t.Fatalf("samples out of order or doubled at %d: %+v", i, s)
		}
	}
	if n := len(sink.lines("stderr")); n != 40 {
		t.Fatalf("%d stderr lines", n)
	}
}

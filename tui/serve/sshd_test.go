package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// TestOptionsAgreeWithOpenSSH is a differential test: the same
// authorized_keys line is given to a real sshd(8) and to Serve, and the same
// OpenSSH client connects to both from several source addresses (127.0.0.1,
// 127.0.0.2 and ::1 are all loopback); both must let it in or both refuse
// it. Options lathe serve refuses on purpose (command= and the like) are
// tested apart, in TestSSHUnsupportedOptionsRefused.
func TestOptionsAgreeWithOpenSSH(t *testing.T) {
	needSSH(t)
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and sshd is missing (.ci/run installs openssh-server)")
		}
		t.Skip("needs sshd")
	}
	if os.Getuid() != 0 {
		// sshd lets in only its own user when not root; the client logs in
		// as whoever runs the test, so this still works, but privilege
		// separation needs root.
		t.Skip("sshd needs root for privilege separation")
	}
	dir := t.TempDir()
	e := servedEngine(t, dir)
	k := newTestKey(t, dir, "id")
	keys := filepath.Join(dir, "viewer_keys")
	writeFile(t, keys, k.line(""))
	v4 := &server{dir: dir, log: &tuitest.Buffer{}, done: make(chan error, 1), hostKey: filepath.Join(dir, ".lathe", "ssh_host_ed25519_key")}
	v4.serve(t, Config{AuthorizedKeysPath: keys}, e)
	sources := map[*server][]string{v4: {"127.0.0.1", "127.0.0.2"}}
	var v6 *server
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		v6 = &server{host: "::1", dir: dir, log: v4.log, done: make(chan error, 1), hostKey: v4.hostKey}
		v6.serve(t, Config{AuthorizedKeysPath: keys}, e)
		sources[v6] = []string{"::1"}
	} else {
		t.Logf("no IPv6 loopback (%v): IPv6 cases not compared", err)
	}
	d := startSSHD(t, sshd, dir, keys, v6 != nil)

	now := time.Now()
	cases := []string{
		``,
		`from="127.0.0.1"`,
		`from="127.0.0.2"`,
		`from="10.9.9.9"`,
		`from="127.0.0.0/8"`,
		`from="127.0.0.0/08"`,
		`from="127.0.0.2/32"`,
		`from="127.0.0.1/33"`,
		`from="127.0.0.1/8"`,
		`from="127.0.0.*"`,
		`from="127.0.0.?"`,
		`from="127.0.0.1?"`,
		`from="127.*.1"`,
		`from="*"`,
		`from="!127.0.0.1,*"`,
		`from="*,!127.0.0.2"`,
		`from="!127.0.0.0/8"`,
		`from="!10.0.0.0/8,127.0.0.1"`,
		`from="10.0.0.1,127.0.0.2"`,
		`from=""`,
		`from="127.0.0.1,"`,
		`from="!"`,
		`from="localhost"`,
		`from="::1"`,
		`from="::1/128"`,
		`from="::/0"`,
		`from="!::1,*"`,
		`from="0:0:0:0:0:0:0:1"`,
		`from="::ffff:127.0.0.1"`,
		`from="0.0.0.0/0"`,
		`FROM="127.0.0.1"`,
		`from=127.0.0.1`,
		`from="127.0.0.1",from="127.0.0.2"`,
		`from="127.0.0.1"x`,
		`from`,
		`expiry-time="20200101"`,
		`expiry-time="20991231"`,
		`expiry-time="209912312359"`,
		`expiry-time="20991231235959"`,
		`expiry-time="20991231Z"`,
		`expiry-time="` + now.Add(-2*time.Minute).Format("200601021504") + `"`,
		`expiry-time="` + now.Add(-2*time.Minute).UTC().Format("20060102150405") + `Z"`,
		`expiry-time="` + now.Add(time.Hour).UTC().Format("20060102150405") + `UTC"`,
		`expiry-time="2099-12-31"`,
		`expiry-time="20991231",expiry-time="20200101"`,
		`restrict`,
		`no-pty`,
		`pty`,
		`restrict,pty`,
		`no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc`,
		`NO-PTY`,
		`no-pty,,restrict`,
		`no-pty,`,
		`no-pty=yes`,
		`frobnicate`,
		`ptyx`,
		`no-restrict`,
		`restrict,from="127.0.0.1",expiry-time="20991231"`,
	}
	// One key per case, all on one file, so the cases run at once: both
	// servers pick the line by the key offered.
	type probe struct {
		opts string
		key  testKey
		srv  *server
		src  string
	}
	var probes []probe
	var file strings.Builder
	for i, opts := range cases {
		key := newTestKey(t, dir, fmt.Sprintf("id_case%d", i))
		file.WriteString(key.line(opts))
		for srv, srcs := range sources {
			for _, src := range srcs {
				// Only from= depends on where the client is.
				if strings.Contains(strings.ToLower(opts), "from") || src == "127.0.0.1" {
					probes = append(probes, probe{opts, key, srv, src})
				}
			}
		}
	}
	writeFile(t, keys, file.String())
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			want, err1 := d.tryAdmit(p.key, p.srv.host, p.src)
			got, err2 := p.srv.tryAdmit(t, p.key, "-b", p.src)
			switch {
			case err1 != nil || err2 != nil:
				t.Error(errors.Join(err1, err2))
			case got != want:
				t.Errorf("%s from %s: lathe serve admitted=%v, sshd admitted=%v", p.opts, p.src, got, want)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d cases, %d probes of each server", len(cases), len(probes))
	if t.Failed() {
		t.Logf("sshd's log:\n%s", d.log)
	}
}

type sshd struct {
	port       int
	dir, known string
	log        *tuitest.Buffer
}

// startSSHD runs sshd on a free port of 127.0.0.1 (and ::1) reading keys.
func startSSHD(t *testing.T, bin, dir, keys string, v6 bool) *sshd {
	t.Helper()
	hostKey := filepath.Join(dir, "sshd_host_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	listen := "ListenAddress 127.0.0.1\n"
	if v6 {
		listen += "ListenAddress ::1\n"
	}
	conf := fmt.Sprintf(`Port %d
%sHostKey %s
AuthorizedKeysFile %s
PidFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
UseDNS no
LogLevel VERBOSE
`, port, listen, hostKey, keys)
	confPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation directory
		t.Fatal(err)
	}
	d := &sshd{port: port, dir: dir, log: &tuitest.Buffer{}}
	// -r: no re-exec per connection, which costs more than the rest here.
	cmd := exec.Command(bin, "-D", "-e", "-r", "-f", confPath)
	cmd.Stderr = d.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "sshd to listen", 10*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	pub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	d.known = filepath.Join(dir, "sshd_known_hosts")
	line := fmt.Sprintf("[127.0.0.1]:%d,[::1]:%d %s", port, port, pub)
	if err := os.WriteFile(d.known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// tryAdmit reports whether sshd lets key in from src (running true).
func (d *sshd) tryAdmit(key testKey, host, src string) (bool, error) {
	if host == "" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/ssh", "-F", "/dev/null", "-i", key.path,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+d.known,
		"-o", "ConnectTimeout=10", "-p", fmt.Sprint(d.port), "-b", src, "-T",
		"root@"+host, "true")
	cmd.Env = []string{"HOME=" + d.dir, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 255 && strings.Contains(string(out), "Permission denied"):
		return false, nil
	}
	return false, fmt.Errorf("ssh to sshd from %s: %v\n%s", src, err, out)
}

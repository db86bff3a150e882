package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Issue 11 item 5: a bad --ssh address exits 2 naming the flag (or the
// config key it came from) and what would be valid; a missing keys file
// names its flag.
func TestServeBadInputExits2(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("# none yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		env  string
		want []string
	}{
		{[]string{"--ssh", "notanaddr"}, "", []string{"--ssh", `"notanaddr" is not an address`, "want HOST:PORT, e.g. 127.0.0.1:2222"}},
		{[]string{"--ssh", "127.0.0.1:99999"}, "", []string{"--ssh", "port 99999 is out of range: use 1-65535"}},
		{nil, "LATHE_SERVE_SSH_ADDR=127.0.0.1:99999", []string{"serve.ssh_addr", "must be a number from 1 to 65535"}},
		{[]string{"--operator-keys", "/nonexistent/keys"}, "", []string{"--operator-keys", "/nonexistent/keys does not exist"}},
		{[]string{"--ssh", "127.0.0.1:0"}, "", []string{keys, "no usable public keys"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " ")+c.env, func(t *testing.T) {
			if c.env != "" {
				k, v, _ := strings.Cut(c.env, "=")
				t.Setenv(k, v)
			}
			args := append([]string{"--workspace", ws, "serve", "--authorized-keys", keys}, c.args...)
			code, _, errs := run(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errs)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q does not contain %q", errs, w)
				}
			}
		})
	}
}

// TestServeRolesEndToEnd runs the real binary, lathe serve with a viewers
// file and an operators file, and the real ssh client: each key's session
// starts with its role, and an unlisted key is refused.
func TestServeRolesEndToEnd(t *testing.T) {
	needTool(t, "ssh")
	bin := lathePath(t)
	isolate(t)
	ws := newWorkspace(t)
	dir := t.TempDir()
	key := func(name string) (path string, line string) {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		block, err := gossh.MarshalPrivateKey(priv, name)
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		sp, _ := gossh.NewPublicKey(pub)
		return path, string(gossh.MarshalAuthorizedKey(sp))
	}
	viewer, vline := key("viewer")
	operator, oline := key("operator")
	stranger, _ := key("stranger")
	vfile, ofile := filepath.Join(dir, "viewer_keys"), filepath.Join(dir, "operator_keys")
	os.WriteFile(vfile, []byte(vline), 0o600)
	os.WriteFile(ofile, []byte(oline), 0o600)

	cmd := exec.Command(bin, "--workspace", ws, "serve", "--ssh", "127.0.0.1:0", "--authorized-keys", vfile, "--operator-keys", ofile)
	cmd.Env = os.Environ()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	// waitLine returns the first line (from now on) matching re.
	waitLine := func(re string) []string {
		t.Helper()
		rx := regexp.MustCompile(re)
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("lathe serve exited; its log:\n%s", log.String())
				}
				log.WriteString(l + "\n")
				if m := rx.FindStringSubmatch(l); m != nil {
					return m
				}
			case <-deadline:
				t.Fatalf("no line matching %q; log:\n%s", re, log.String())
			}
		}
	}
	port := waitLine(`listening on 127\.0\.0\.1:(\d+)`)[1]
	ssh := func(key string) (string, error) {
		c := exec.Command("/usr/bin/ssh", "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
			"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
			"-p", port, "-T", "ada@127.0.0.1")
		c.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
		out, err := c.CombinedOutput()
		return string(out), err
	}
	for _, c := range []struct{ key, role string }{{viewer, "viewer"}, {operator, "operator"}} {
		out, err := ssh(c.key)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "connect with a terminal") {
			t.Errorf("%s: %v %q, want let in and told to use a terminal", c.role, err, out)
		}
		waitLine(fmt.Sprintf(`session start user="ada" .* role=%s line=%s:1`, c.role, regexp.QuoteMeta(map[string]string{"viewer": vfile, "operator": ofile}[c.role])))
	}
	out, err := ssh(stranger)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 255 || !strings.Contains(out, "Permission denied") {
		t.Errorf("stranger: %v %q, want refused", err, out)
	}
	waitLine(`refused key SHA256:\S+ for "ada" from 127\.0\.0\.1:\d+: not in any authorized keys file`)
}

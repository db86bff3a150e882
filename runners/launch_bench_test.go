package runners

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkLaunchOverhead times a whole `lathe run` of a FROM-scratch image
// (process start, store, create, start, follow, harvest, removal) against
// `docker run --rm` of the same image and command, on the local daemon and
// over ssh:// against `docker -H ssh://` (a real sshd on 127.0.0.1). The two
// alternate, so a change of load touches both; the figures are medians.
// Targets: local overhead at most +60 ms; over ssh:// a ratio under 1.
func BenchmarkLaunchOverhead(b *testing.B) {
	ctx := context.Background()
	d, err := NewDocker("bench", Endpoint{}, DockerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Probe(ctx); err != nil {
		b.Fatalf("dockerd is required: %v", err)
	}
	if _, err := d.BuildScratchImage(ctx, ScratchImage{Tag: testImage, Files: map[string]string{"/prog": progPath}, Cmd: []string{"/prog"}}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	lathe := filepath.Join(dir, "lathe")
	if err := BuildGoBinary(ctx, "..", "./cmd/lathe", lathe); err != nil {
		b.Fatal(err)
	}
	port, flags := startSSHD(b, "docker")
	env := benchEnv(b, dir, flags)
	ws := filepath.Join(dir, "ws")
	if out, err := benchCmd(env, lathe, "init", ws).CombinedOutput(); err != nil {
		b.Fatalf("lathe init: %v %s", err, out)
	}
	cfg := fmt.Sprintf("name: bench\ndefault_runner: docker\nrunners:\n  - name: docker\n    type: docker\n    host: unix:///var/run/docker.sock\n"+
		"  - name: remote\n    type: docker\n    host: ssh://root@127.0.0.1:%d\n", port)
	if err := os.WriteFile(filepath.Join(ws, "lathe.yaml"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name          string
		lathe, docker []string
	}{
		{"local", []string{"--workspace", ws, "run", "--runner", "docker", "--image", testImage, "--", "/prog", "exit", "0"},
			[]string{"run", "--rm", testImage, "/prog", "exit", "0"}},
		{"ssh", []string{"--workspace", ws, "run", "--runner", "remote", "--image", testImage, "--", "/prog", "exit", "0"},
			[]string{"-H", fmt.Sprintf("ssh://root@127.0.0.1:%d", port), "run", "--rm", testImage, "/prog", "exit", "0"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var ours, theirs []time.Duration
			for i := 0; i < b.N; i++ {
				ours = append(ours, timeCmd(b, benchCmd(env, lathe, c.lathe...)))
				theirs = append(theirs, timeCmd(b, benchCmd(env, "docker", c.docker...)))
			}
			mo, mt := median(ours), median(theirs)
			b.ReportMetric(float64(mo.Microseconds())/1000, "lathe-ms")
			b.ReportMetric(float64(mt.Microseconds())/1000, "docker-ms")
			b.ReportMetric(float64((mo-mt).Microseconds())/1000, "overhead-ms")
			b.ReportMetric(float64(mo)/float64(mt), "ratio")
		})
	}
}

// benchEnv is the environment of the benchmark's commands: an isolated
// home, and first in PATH an ssh that adds the test key's flags, since both
// lathe and the docker CLI run ssh from PATH.
func benchEnv(b *testing.B, dir string, flags []string) []string {
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		b.Fatal(err)
	}
	script := "#!/bin/sh\nexec " + ssh + " '" + strings.Join(flags, "' '") + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "PATH" && k != "HOME" && !strings.HasPrefix(k, "LATHE_") && !strings.HasPrefix(k, "XDG_") && k != "DOCKER_HOST" {
			env = append(env, kv)
		}
	}
	return append(env, "PATH="+bin+":"+os.Getenv("PATH"), "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
}

func benchCmd(env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	return cmd
}

func timeCmd(b *testing.B, cmd *exec.Cmd) time.Duration {
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

package runners

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/runstatus"
)

// TestDockerInputsReadOnly: an input is mounted read-only on a local daemon
// (bind mount) and on one that does not share this machine's files (the
// copy an ssh:// or tcp:// host gets, in a volume of its own); a file name
// with a colon is one path (the mount API, not a bind string). Nothing of
// the run is left on the daemon afterwards.
func TestDockerInputsReadOnly(t *testing.T) {
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("sharedFS=%v", shared), func(t *testing.T) {
			d := dockerRunner(t, DockerOptions{SharedFS: &shared})
			in := filepath.Join(t.TempDir(), "a:b.csv")
			if err := os.WriteFile(in, []byte("x,y\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			sink := &recordSink{}
			id := runID(t)
			h, err := d.Start(context.Background(), Spec{ID: id, Image: testImage,
				Command: []string{"/prog", "write", "/lathe/inputs/DATA/a:b.csv"}, Inputs: map[string]string{"data": in}}, sink)
			if err != nil {
				t.Fatal(err)
			}
			if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
				t.Fatalf("result %+v stderr %v", res, sink.lines("stderr"))
			}
			out := sink.lines("stdout")
			if len(out) != 1 || out[0] != "write refused: open /lathe/inputs/DATA/a:b.csv: read-only file system" {
				t.Fatalf("the container could write its input: %v", out)
			}
			if b, _ := os.ReadFile(in); string(b) != "x,y\n" {
				t.Fatalf("input changed: %q", b)
			}
			if _, err := d.cli.VolumeInspect(context.Background(), inputVolume(id), client.VolumeInspectOptions{}); err == nil {
				t.Fatalf("inputs volume %s left behind", inputVolume(id))
			}
		})
	}
}

// TestDockerEntrypoint: docker run's semantics. A command is appended to the
// image's ENTRYPOINT (replacing its CMD), and an entrypoint given replaces
// the image's.
func TestDockerEntrypoint(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	tag := testImage + "-entrypoint"
	if _, err := d.BuildScratchImage(context.Background(), ScratchImage{Tag: tag, Files: map[string]string{"/prog": progPath},
		Entrypoint: []string{"/prog", "env"}, Cmd: []string{"from-cmd"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = d.cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true}) })
	args := func(spec Spec) []string {
		t.Helper()
		sink := &recordSink{}
		spec.ID, spec.Image = runID(t), tag
		h, err := d.Start(context.Background(), spec, sink)
		if err != nil {
			t.Fatal(err)
		}
		if res := waitResult(t, h, 60*time.Second); res.Status != runstatus.Completed {
			t.Fatalf("result %+v %v", res, sink.lines("stderr"))
		}
		var out []string
		for _, l := range sink.lines("stdout") {
			if strings.HasPrefix(l, "arg ") {
				out = append(out, l)
			}
		}
		return out
	}
	wantLines(t, args(Spec{}), `arg "from-cmd"`)
	wantLines(t, args(Spec{Command: []string{"--epochs", "{n}"}, Params: map[string]string{"n": "2"}}), `arg "--epochs"`, `arg "2"`)
	wantLines(t, args(Spec{Entrypoint: []string{"/prog"}, Command: []string{"env", "x"}}), `arg "x"`)
}

package runners

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

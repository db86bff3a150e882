package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/runstatus"
)

// GCContainers lists the lathe containers of finished runs left on the
// daemon (dry run), removes them when asked, and never touches the
// container of a run that is still running. Needs the local dockerd.
func TestGCContainers(t *testing.T) {
	e := engineWith(t, "name: test\ndefault_runner: dk\nrunners:\n  - name: dk\n    type: docker\n")
	ctx := context.Background()
	d, err := runners.NewDocker("dk", runners.Endpoint{}, runners.DockerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Probe(ctx); err != nil {
		t.Fatalf("dockerd is required: %v", err)
	}
	file := filepath.Join(t.TempDir(), "x")
	os.WriteFile(file, []byte("x"), 0o755)
	tag := fmt.Sprintf("lathe-engine-gc-test:%d", os.Getpid())
	if _, err := d.BuildScratchImage(ctx, runners.ScratchImage{Tag: tag, Files: map[string]string{"/x": file}, Entrypoint: []string{"/x"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = d.Client().ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true}) })
	leftover := func(status runstatus.Status) (runID, containerID string) {
		r := experiments.Run{Status: status, Runner: "dk", Command: []string{"/x"}}
		if err := e.ws.Store.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		c, err := d.Client().ContainerCreate(ctx, client.ContainerCreateOptions{Name: runners.ContainerName(r.ID),
			Config: &container.Config{Image: tag, Labels: map[string]string{runners.LabelRunID: r.ID,
				runners.LabelWorkspaceID: e.ws.ID, runners.LabelRunner: "dk"}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = d.Client().ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		})
		return r.ID, c.ID
	}
	done, doneC := leftover(runstatus.Completed)
	_, liveC := leftover(runstatus.Running)
	exists := func(id string) bool {
		_, err := d.Client().ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		return err == nil
	}

	rep, err := e.GCContainers(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Leftovers) != 1 || rep.Leftovers[0].RunID != done || rep.Leftovers[0].RunStatus != "completed" || rep.Leftovers[0].Removed {
		t.Fatalf("dry run: %+v", rep)
	}
	if !exists(doneC) {
		t.Fatal("the dry run removed a container")
	}
	start := time.Now()
	if rep, err = e.GCContainers(ctx, false); err != nil || len(rep.Leftovers) != 1 || !rep.Leftovers[0].Removed {
		t.Fatalf("gc: %+v %v", rep, err)
	}
	if exists(doneC) {
		t.Fatalf("the finished run's container is still there after %v", time.Since(start))
	}
	if !exists(liveC) {
		t.Fatal("gc removed the container of a running run")
	}
}

package engine

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/optimizer"
	"github.com/lathe-ml/lathe/runstatus"
)

type auditLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *auditLog) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *auditLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestViewerChangesNothing calls every mutating operation as a viewer: each
// is refused with a *PermissionError naming the operation, the caller and
// how to become an operator, is audited, and leaves the store and the file
// system as they were. The same calls from an operator and from a context
// without Access (the local user) go through.
func TestViewerChangesNothing(t *testing.T) {
	e := newEngine(t)
	local := context.Background()
	dir := t.TempDir()
	csv := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csv, []byte("a,b\n1,x\n2,y\n3,x\n4,y\n5,x\n6,y\n7,x\n8,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := StudySpec{LaunchTemplate: LaunchTemplate{Runner: "local", Command: sh("echo '{\"loss\": 1}'")}, Spec: optimizer.Spec{
		Name:              "s",
		Parameters:        []optimizer.Parameter{{Name: "x", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0, Max: 1}}},
		Metrics:           []optimizer.Metric{{Name: "loss", Objective: optimizer.Minimize}},
		ObservationBudget: 1,
		ParallelBandwidth: 1,
	}}
	// What the viewer will try to change: a finished run (rerun), a running
	// one (stop), a study with a pending trial (ask, tell).
	done, err := e.Launch(local, LaunchRequest{Runner: "local", Command: sh("echo done")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := done.Wait(local); err != nil {
		t.Fatal(err)
	}
	running, err := e.Launch(local, LaunchRequest{Runner: "local", Command: sh("exec sleep 30")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := running.WaitStarted(local); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(local, running.ID)
	if _, err := e.CreateStudy(local, spec); err != nil {
		t.Fatal(err)
	}
	trials, err := e.AskTrials(local, "s", 1)
	if err != nil || len(trials) != 1 {
		t.Fatalf("ask: %v %v", trials, err)
	}

	ro := explore.ReadOptions{}
	split := explore.SplitOptions{Ratios: []float64{0.5, 0.5}, OutDir: filepath.Join(dir, "splits"), Read: ro}
	other := spec
	other.Name = "t"
	ops := []struct {
		op string
		fn func(ctx context.Context) error
	}{
		{"launch", func(ctx context.Context) error {
			_, err := e.Launch(ctx, LaunchRequest{Runner: "local", Command: sh("echo hi")})
			return err
		}},
		{"stop", func(ctx context.Context) error { return e.Stop(ctx, running.ID) }},
		{"rerun", func(ctx context.Context) error { _, _, err := e.Rerun(ctx, done.ID, RerunOptions{}); return err }},
		{"tune", func(ctx context.Context) error { _, err := e.RunStudy(ctx, other, TuneOptions{}); return err }},
		{"resume study", func(ctx context.Context) error { _, err := e.ResumeStudy(ctx, "s", TuneOptions{}); return err }},
		{"create study", func(ctx context.Context) error { _, err := e.CreateStudy(ctx, other); return err }},
		{"ask trials", func(ctx context.Context) error { _, err := e.AskTrials(ctx, "s", 1); return err }},
		{"tell trial", func(ctx context.Context) error {
			_, err := e.TellTrial(ctx, "s", trials[0].Number, map[string]float64{"loss": 1}, false)
			return err
		}},
		{"add dataset", func(ctx context.Context) error { _, err := e.AddDataset(ctx, csv, ro); return err }},
		{"split", func(ctx context.Context) error {
			_, err := e.Split(ctx, SplitRequest{Path: csv, Options: split})
			return err
		}},
		{"export artifacts", func(ctx context.Context) error {
			_, err := e.ExportArtifacts(ctx, done.ID, ".", filepath.Join(dir, "out"), io.Discard)
			return err
		}},
		{"gc", func(ctx context.Context) error { _, err := e.GC(ctx, false, time.Hour); return err }},
		{"tag run", func(ctx context.Context) error { _, err := e.TagRun(ctx, done.ID, []string{"best"}, false); return err }},
		{"untag run", func(ctx context.Context) error { _, err := e.TagRun(ctx, done.ID, []string{"kept"}, true); return err }},
		{"note run", func(ctx context.Context) error { _, err := e.SetRunNote(ctx, done.ID, "viewer was here"); return err }},
		{"rename run", func(ctx context.Context) error { _, err := e.RenameRun(ctx, done.ID, "renamed"); return err }},
	}
	if _, err := e.TagRun(local, done.ID, []string{"kept"}, false); err != nil {
		t.Fatal(err)
	}

	var audit auditLog
	viewer := WithAccess(local, Access{Role: Viewer, Who: "SSH key SHA256:abc", Grant: "ask the owner", Audit: audit.add})
	before := snapshot(t, e, dir)
	for _, c := range ops {
		err := c.fn(viewer)
		var pe *PermissionError
		if !errors.As(err, &pe) || pe.Op != c.op {
			t.Errorf("%s as a viewer: %v, want a PermissionError for %q", c.op, err, c.op)
			continue
		}
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s: errors.Is(err, fs.ErrPermission) is false", c.op)
		}
		want := c.op + " refused: SSH key SHA256:abc is a viewer; ask the owner"
		if err.Error() != want {
			t.Errorf("%s: message %q, want %q", c.op, err, want)
		}
		if !strings.Contains(audit.all(), "SSH key SHA256:abc (viewer): refused "+c.op) {
			t.Errorf("%s: refusal not audited:\n%s", c.op, audit.all())
		}
	}
	if after := snapshot(t, e, dir); after != before {
		t.Errorf("a viewer changed something:\nbefore %s\nafter  %s", before, after)
	}
	if r, _ := e.GetRun(local, running.ID); r.Status != runstatus.Running {
		t.Errorf("the running run is %s after a viewer's stop", r.Status)
	}

	// No role at all fails closed.
	if err := e.Stop(WithAccess(local, Access{Who: "nobody"}), running.ID); !errors.As(err, new(*PermissionError)) || !strings.Contains(err.Error(), "has no role") {
		t.Errorf("stop with a zero Access: %v, want refused", err)
	}

	// An operator launches and stops, and both are audited with the command.
	var opAudit auditLog
	op := WithAccess(local, Access{Role: Operator, Who: "SSH key SHA256:op", Audit: opAudit.add})
	// (Stop first: the local runner runs one run at a time.)
	if err := e.Stop(op, running.ID); err != nil {
		t.Fatal(err)
	}
	r, err := e.Launch(op, LaunchRequest{Runner: "local", Command: sh("echo hi\nforged line")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(local); err != nil {
		t.Fatal(err)
	}
	got := opAudit.all()
	for _, want := range []string{
		`SSH key SHA256:op (operator): launch ["/bin/sh" "-c" "echo hi\nforged line"] on runner "local"`,
		`SSH key SHA256:op (operator): stop "` + running.ID + `"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("audit %q does not contain %q", got, want)
		}
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("audit lines %q: a newline in the command reached the log", got)
	}
	if !MayChange(local) || !MayChange(op) || MayChange(viewer) {
		t.Error("MayChange: want true for the local user and an operator, false for a viewer")
	}
	// The local user (no Access) may do everything the viewer could not.
	if _, err := e.AddDataset(local, csv, ro); err != nil {
		t.Errorf("add dataset as the local user: %v", err)
	}
}

// snapshot describes what a mutating operation would change: the runs,
// datasets, studies with their trials, stored objects and the files in dir.
func snapshot(t *testing.T, e *Engine, dir string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	runs, err := e.ws.Store.ListRuns(ctx, experiments.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		b.WriteString(r.ID + ":" + string(r.Status) + ":" + r.Name + ":" + r.Note + ":" + strings.Join(r.Tags, ",") + " ")
	}
	ds, _ := e.ListDatasets(ctx)
	studies, _ := e.ListStudies(ctx)
	b.WriteString("datasets:" + itoa(len(ds)) + " studies:" + itoa(len(studies)))
	for _, s := range studies {
		rep, err := e.StudyStatus(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range rep.Trials {
			b.WriteString(" " + s.Name + "#" + itoa(tr.Number) + ":" + string(tr.Status))
		}
	}
	objs, _ := e.ws.Objects.List()
	b.WriteString(" objects:" + itoa(len(objs)))
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		b.WriteString(" " + strings.TrimPrefix(p, dir))
		return nil
	})
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

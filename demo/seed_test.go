package demo

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/examples/trainer/train"
	"github.com/lathe-ml/lathe/experiments"
)

// TestMain makes this test binary the lathe binary's `trainer` command
// when a local run launches it as "lathe trainer ..." (the engine runs
// os.Executable for "lathe"), so the demo study trains for real.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "trainer" {
		os.Exit(train.Main(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// A new demo workspace gets the quick study, finished: every trial
// completed with the trainer's metrics, a best trial; seeding again runs
// nothing more.
func TestSeedFinishesTheQuickStudy(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := filepath.Join(t.TempDir(), "demo")
	if err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{WorkspaceDir: dir, Environ: []string{"HOME=" + home}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(dir, cfg, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if err := Seed(ctx, e, dir); err != nil {
		t.Fatal(err)
	}
	rep, err := e.StudyStatus(ctx, QuickStudy)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != experiments.StudyCompleted || len(rep.Trials) != 8 || rep.Best == nil {
		t.Fatalf("quick study %s, %d trials, best %v; want completed with 8 and a best", rep.Status, len(rep.Trials), rep.Best)
	}
	for _, tr := range rep.Trials {
		acc, ok := tr.Metrics["val_accuracy"]
		if tr.Status != experiments.TrialCompleted || !ok || acc <= 0 || acc > 1 || tr.Metrics["model_params"] < 15 {
			t.Errorf("trial %d: %s %v %q; want completed with the trainer's metrics", tr.Number, tr.Status, tr.Metrics, tr.Error)
		}
	}
	if err := Seed(ctx, e, dir); err != nil {
		t.Fatal(err)
	}
	if studies, _ := e.ListStudies(ctx); len(studies) != 1 {
		t.Errorf("a second Seed made %d studies, want the one", len(studies))
	}
}

package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/optimizer"
)

// BenchmarkStudyStatus measures what the Tuner screen pays on every refresh
// tick: StudyStatus of a 200-trial study with two objectives and a
// constraint (BoTorch's ConstrainedBraninCurrin), hypervolume history included.
func BenchmarkStudyStatus(b *testing.B) {
	ctx := context.Background()
	ws, err := experiments.Init(filepath.Join(b.TempDir(), "ws"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	p, _ := optimizer.ProblemByName("ConstrainedBraninCurrin")
	spec := p.Spec(1, 200)
	spec.Name = "cbc"
	if _, err := createStudy(ctx, ws, StudySpec{Spec: spec}); err != nil {
		b.Fatal(err)
	}
	// Tell Sobol-like points directly (a fresh rebuild from trials each
	// time would fit models; the store path is what matters here).
	st, _ := ws.Store.GetStudy(ctx, "cbc")
	for i := 0; i < 200; i++ {
		x := map[string]any{"x0": float64(i%20) / 19, "x1": float64(i/20) / 9}
		m := p.Metrics(x)
		f := true
		tr := experiments.Trial{Status: experiments.TrialCompleted, Params: x, Metrics: m, Feasible: &f}
		if err := ws.Store.CreateTrial(ctx, st.ID, &tr); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := studyStatus(ctx, ws, "cbc")
		if err != nil || len(rep.Trials) != 200 {
			b.Fatal(err, len(rep.Trials))
		}
	}
}

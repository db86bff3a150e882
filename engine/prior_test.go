package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/optimizer"
)

// prior_studies warm-starts a study from a finished one's trials (issue 13
// item 7): its first ask is no longer the seed's first design point, and a
// prior that is no study, or the study itself, is refused naming the key.
func TestPriorStudiesWarmStart(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	spec := func(name string, priors ...string) StudySpec {
		return StudySpec{Spec: optimizer.Spec{
			Name:              name,
			Parameters:        []optimizer.Parameter{{Name: "x", Type: optimizer.TypeDouble, Bounds: &optimizer.Bounds{Min: 0, Max: 1}}},
			Metrics:           []optimizer.Metric{{Name: "y", Objective: optimizer.Minimize}},
			ObservationBudget: 20, Seed: 3, PriorStudies: priors,
		}}
	}
	if _, err := e.CreateStudy(ctx, spec("old")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		ts, err := e.AskTrials(ctx, "old", 1)
		if err != nil {
			t.Fatal(err)
		}
		x := ts[0].Params["x"].(float64)
		if _, err := e.TellTrial(ctx, "old", ts[0].Number, map[string]float64{"y": (x - 0.3) * (x - 0.3)}, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.CreateStudy(ctx, spec("fresh")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateStudy(ctx, spec("warm", "old")); err != nil {
		t.Fatal(err)
	}
	fresh, err := e.AskTrials(ctx, "fresh", 1)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := e.AskTrials(ctx, "warm", 1)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(fresh[0].Params, warm[0].Params) {
		t.Errorf("the warm study's first trial %v is the fresh one's design point: the prior trials were not used", warm[0].Params)
	}
	if x := warm[0].Params["x"].(float64); x < 0.1 || x > 0.5 {
		t.Errorf("warm start suggests x=%v, far from the prior study's optimum 0.3", x)
	}
	for _, c := range []struct {
		s    StudySpec
		want string
	}{{spec("bad", "nope"), `no study named "nope"`}, {spec("self", "self"), "is this study"}} {
		_, err := e.CreateStudy(ctx, c.s)
		if !config.IsInput(err) || !strings.Contains(err.Error(), "prior_studies[0]") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an input error naming prior_studies[0]: %s", c.s.PriorStudies, err, c.want)
		}
	}
}

// An argument naming an inactive conditional parameter is left out of the
// trial's command, as the parameter is left out of its params.
func TestTrialCommandDropsInactiveParameters(t *testing.T) {
	spec := StudySpec{LaunchTemplate: LaunchTemplate{Command: []string{"train", "--opt={optimizer}", "--momentum={momentum}", "--lr={lr}"}},
		Spec: optimizer.Spec{Parameters: []optimizer.Parameter{{Name: "optimizer"}, {Name: "momentum"}, {Name: "lr"}}}}
	got := trialCommand(spec, map[string]string{"optimizer": "adam", "lr": "0.1"})
	if want := []string{"train", "--opt={optimizer}", "--lr={lr}"}; !reflect.DeepEqual(got, want) {
		t.Errorf("adam: %v, want %v", got, want)
	}
	got = trialCommand(spec, map[string]string{"optimizer": "sgd", "momentum": "0.9", "lr": "0.1"})
	if len(got) != 4 {
		t.Errorf("sgd: %v, want every argument", got)
	}
}

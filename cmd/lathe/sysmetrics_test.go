package main

import (
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/experiments"
)

// A run's system metrics (sampled every 200 ms here) are in `runs show`
// (text: "system cpu", JSON: "system"), in `runs metrics` after the run's
// own series, and not among the results that `runs ls` lists.
func TestRunsShowSystemMetrics(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	t.Setenv("LATHE_RUNS_SYSTEM_INTERVAL", "200ms")
	w := []string{"--workspace", ws}
	var rec experiments.RunRecord
	runJSON(t, &rec, append(w, "--json", "run", "--", "sh", "-c", `yes > /dev/null & sleep 1.2; kill $!; echo '{"loss": 1}'`)...)
	if rec.System["sys/cpu"] == nil || rec.System["sys/mem_rss"] == nil || rec.Metrics["loss"] == nil {
		t.Fatalf("record metrics %v system %v", rec.Metrics, rec.System)
	}
	if _, ok := rec.Metrics["sys/cpu"]; ok {
		t.Errorf("sys/cpu among the run's results: %v", rec.Metrics)
	}
	_, show, _ := run(t, append(w, "runs", "show", rec.ID)...)
	if !strings.Contains(show, "system cpu") || !strings.Contains(show, " %") || !strings.Contains(show, "system mem_rss") {
		t.Errorf("runs show:\n%s", show)
	}
	_, text, _ := run(t, append(w, "runs", "metrics", rec.ID)...)
	if l, c := strings.Index(text, "\nloss"), strings.Index(text, "\nsys/cpu"); l < 0 || c < l {
		t.Errorf("runs metrics, the run's own series first:\n%s", text)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, append(w, "--json", "runs", "metrics", rec.ID)...)
	if len(series["sys/cpu"]) < 2 || len(series["sys/mem_rss"]) < 3 {
		t.Errorf("runs metrics --json: %d cpu, %d memory samples", len(series["sys/cpu"]), len(series["sys/mem_rss"]))
	}
	if _, ls := listRuns(t, ws); strings.Contains(ls, "sys/") {
		t.Errorf("runs ls lists system metrics:\n%s", ls)
	}
}

// A container run (real dockerd, the trainer in a FROM-scratch image) gets
// the container's CPU and memory from the Docker stats API.
func TestDockerRunSystemMetrics(t *testing.T) {
	tag := trainerImage(t)
	isolate(t)
	ws := newWorkspace(t)
	t.Setenv("LATHE_RUNS_SYSTEM_INTERVAL", "300ms")
	w := []string{"--workspace", ws}
	var rec experiments.RunRecord
	runJSON(t, &rec, append(w, "--json", "run", "--runner", "docker", "--image", tag,
		"--", "/trainer", "--epochs", "40", "--hidden", "64", "--epoch-pause", "100ms")...)
	if rec.Status != "completed" || rec.ContainerID == "" {
		t.Fatalf("docker run: %+v", rec.Run)
	}
	if rec.System["sys/cpu"] == nil || rec.System["sys/mem_rss"] == nil || *rec.System["sys/mem_rss"] < 1e6 {
		t.Fatalf("container system metrics %v", rec.System)
	}
	var series map[string][]experiments.Sample
	runJSON(t, &series, append(w, "--json", "runs", "metrics", rec.ID)...)
	if len(series["sys/cpu"]) < 3 || len(series["sys/mem_rss"]) < 3 {
		t.Errorf("%d cpu, %d memory samples of a 4 s container run at 300 ms", len(series["sys/cpu"]), len(series["sys/mem_rss"]))
	}
}

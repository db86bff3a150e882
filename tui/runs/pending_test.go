package runs

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/styles"
)

// A queued run's message (a Slurm job's pending reason) stands in the row
// where its metrics will be.
func TestQueuedRowShowsPendingReason(t *testing.T) {
	l := &list{}
	now := time.Now()
	l.loaded(listPayload{version: 1, rows: []Row{
		{Run: experiments.Run{ID: "rpending0001", Status: runstatus.Queued, Runner: "cluster", Created: now, Error: "PENDING (Resources) as Slurm job 42"}},
		{Run: experiments.Run{ID: "rdone0000001", Status: runstatus.Completed, Runner: "cluster", Created: now.Add(-time.Minute)},
			Last: map[string]experiments.Sample{"acc": {Value: 0.9}}},
	}}, now)
	v := ansi.Strip(l.view(styles.New(true), 140, 10, now))
	var row string
	for _, line := range strings.Split(v, "\n") {
		if strings.Contains(line, "rpending0001") {
			row = line
		}
	}
	if !strings.Contains(row, "queued") || !strings.Contains(row, "PENDING (Resources) as Slurm job 42") {
		t.Errorf("queued row %q lacks the pending reason:\n%s", row, v)
	}
	if !strings.Contains(v, "acc=0.9") {
		t.Errorf("the completed row lost its metrics:\n%s", v)
	}
}

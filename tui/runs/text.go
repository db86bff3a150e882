package runs

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
)

// How the list and the detail print a run's fields.

func params(p map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return strings.Join(parts, " ")
}

// listParams is the list's params cell: the run's name and #tags first,
// when it has them.
func listParams(r experiments.Run) string {
	var parts []string
	if r.Name != "" {
		parts = append(parts, format.OneLine(r.Name))
	}
	for _, t := range r.Tags {
		parts = append(parts, "#"+t)
	}
	if p := params(r.Params); p != "" {
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// lastMetrics lists the last values, the validation metrics first.
func lastMetrics(m map[string]experiments.Sample) string {
	keys := slices.Sorted(maps.Keys(m))
	sort.SliceStable(keys, func(i, j int) bool {
		return strings.HasPrefix(keys[i], "val") && !strings.HasPrefix(keys[j], "val")
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+format.Metric(m[k].Value))
	}
	return strings.Join(parts, " ")
}

// duration is how long r ran, or has run by now; 0 before it started.
func duration(r experiments.Run, now time.Time) time.Duration {
	switch {
	case r.Started.IsZero():
		return 0
	case r.Ended.IsZero():
		return now.Sub(r.Started)
	}
	return r.Ended.Sub(r.Started)
}

// rowText is what the list's / search looks in: the columns shown, and the
// name, tags, note and command.
func rowText(r Row) string {
	return strings.Join([]string{r.Run.ID, r.Run.Name, string(r.Run.Status), r.Run.Runner, params(r.Run.Params), lastMetrics(r.Last),
		strings.Join(r.Run.Tags, " "), r.Run.Note, strings.Join(r.Run.Command, " ")}, "\x00")
}

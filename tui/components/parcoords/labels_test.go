package parcoords

import (
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/tui/components/scatter"
)

// Long axis names are clipped with a space between neighbours, so two
// names never run together ("val_accuracymodel…").
func TestAxisNamesKeepAGap(t *testing.T) {
	p := Plot{Axes: []Axis{{Name: "learning_rate"}, {Name: "val_accuracy"}, {Name: "model_params"}, {Name: "train_seconds"}}}
	p.Lines = []Line{{Values: []float64{0, 1, 2, 3}, Class: scatter.Dim}, {Values: []float64{1, 2, 3, 4}, Class: scatter.Dim}}
	names := strings.Split(Render(p, 36, 10, nil), "\n")[0]
	fields := strings.Fields(names)
	if len(fields) != 4 {
		t.Fatalf("axis names run together: %q (%d words)", names, len(fields))
	}
}

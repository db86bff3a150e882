package demo

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/lathe-ml/lathe/engine"
)

// QuickStudy is the study the demo workspace runs once, so the Tuner never
// opens empty: studies/penguins-quick.yaml, eight short trials of the
// example trainer on the local runner (about a second).
const QuickStudy = "penguins-quick"

// Seed runs the quick study to its end in the demo workspace at dir (e is
// its engine) unless a study of that name is already in the store: a new
// demo workspace gets it, and so does one made before it shipped; a study
// the user interrupted is left to resume.
func Seed(ctx context.Context, e *engine.Engine, dir string) error {
	studies, err := e.ListStudies(ctx)
	if err != nil {
		return err
	}
	for _, st := range studies {
		if st.Name == QuickStudy {
			return nil
		}
	}
	spec, err := engine.ParseStudySpec(filepath.Join(dir, "studies", QuickStudy+".yaml"))
	if err != nil {
		return err
	}
	if _, err := e.RunStudy(ctx, spec, engine.TuneOptions{WorkDir: dir}); err != nil {
		return fmt.Errorf("demo study %s: %w", QuickStudy, err)
	}
	return nil
}

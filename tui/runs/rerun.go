package runs

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// A rerun goes through the engine's checks, as `lathe runs rerun` does:
// PlanRerun hashes the inputs again and compares the code version; a change
// asks the user (y/n) before Rerun is called with the matching Allow option,
// and a missing input refuses. Once the rerun ends, its detail shows how far
// its final metrics landed from the original's (engine.Reproduce).

type (
	plannedPayload struct{ plan *engine.RerunPlan }
	reproPayload   struct {
		run string
		rep engine.Reproducibility
	}
)

// confirmState is the question on the bottom line before a rerun on
// changed inputs or code.
type confirmState struct {
	id       string
	opts     engine.RerunOptions
	question string
}

// planRerun checks run id before rerunning it; the answer comes back as a
// plannedPayload.
func (s *Screen) planRerun(id string) tea.Cmd {
	e := s.c.Engine()
	s.setNote("checking inputs and code of " + id + "…")
	s.err = nil
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		p, err := e.PlanRerun(ctx, id)
		if err != nil {
			return nil, err
		}
		return plannedPayload{p}, nil
	})
	return cmd
}

// planned acts on a rerun plan: refuse a missing input, ask about changes,
// or launch at once.
func (s *Screen) planned(p *engine.RerunPlan) tea.Cmd {
	// What no option allows (an input file that is gone) is refused with
	// the engine's own message.
	if err := p.Refusal(engine.RerunOptions{AllowChangedData: true, AllowCodeChange: true}); err != nil {
		s.setErr(err)
		return nil
	}
	var parts []string
	var opts engine.RerunOptions
	for _, in := range p.Inputs {
		if in.Changed {
			opts.AllowChangedData = true
			parts = append(parts, fmt.Sprintf("input %s: sha %s → %s", in.Name, shortSHA(in.Recorded), shortSHA(in.Current)))
		}
	}
	if p.Code.Changed {
		opts.AllowCodeChange = true
		parts = append(parts, fmt.Sprintf("code: %s → %s", codeText(p.Code.Recorded), codeText(p.Code.Current)))
	}
	if len(parts) == 0 {
		return s.rerun(p.Of, engine.RerunOptions{})
	}
	what := "data"
	switch {
	case opts.AllowChangedData && opts.AllowCodeChange:
		what = "data and code"
	case opts.AllowCodeChange:
		what = "code"
	}
	s.note, s.err = "", nil
	s.confirm = &confirmState{id: p.Of, opts: opts,
		question: strings.Join(parts, "; ") + "; rerun anyway with changed " + what + "? y/n"}
	return nil
}

func (s *Screen) updateConfirm(msg tea.KeyPressMsg) tea.Cmd {
	c := s.confirm
	switch msg.String() {
	case "y", "Y":
		s.confirm = nil
		return s.rerun(c.id, c.opts)
	case "n", "N", "esc":
		s.confirm = nil
		s.setNote("rerun of " + c.id + " cancelled: nothing launched")
	}
	return nil
}

// rerun launches the rerun through the engine, which checks again (the data
// may have changed since the question) and refuses what opts do not allow.
func (s *Screen) rerun(id string, opts engine.RerunOptions) tea.Cmd {
	e := s.c.Engine()
	s.setNote("relaunching " + id + "…")
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		// The run outlives this job: the engine, not ctx, owns it.
		r, _, err := e.Rerun(context.WithoutCancel(ctx), id, opts)
		if err != nil {
			return nil, err
		}
		return launchedPayload{id: r.ID, rerunOf: id, allowed: opts}, nil
	})
	return cmd
}

// reproduce compares a finished rerun's final metrics with its original's.
func (s *Screen) reproduce(run experiments.Run) tea.Cmd {
	e := s.c.Engine()
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		rep, err := e.Reproduce(ctx, run.RerunOf, run.ID)
		if err != nil {
			return nil, fmt.Errorf("reproducibility of %s: %w", run.ID, err)
		}
		return reproPayload{run: run.ID, rep: rep}, nil
	})
	return cmd
}

// Verdict is the one-line reproducibility verdict of a rerun that ended.
func Verdict(run experiments.Run, rep engine.Reproducibility) string {
	s := "rerun of " + rep.Original
	if run.Status != runstatus.Completed {
		s += " " + string(run.Status)
	}
	switch {
	case rep.Total == 0:
		return s + ": no final metrics to compare"
	case rep.Identical == rep.Total:
		return s + fmt.Sprintf(": final metrics identical (%d of %d)", rep.Identical, rep.Total)
	}
	s += fmt.Sprintf(": %d of %d final metrics identical", rep.Identical, rep.Total)
	worst, one := "", 0
	for _, m := range rep.Metrics {
		switch {
		case m.RelDiff != nil && *m.RelDiff == rep.MaxRelDiff && worst == "" && !m.Identical:
			worst = m.Key
		case m.RelDiff == nil && !m.Identical:
			one++
		}
	}
	if worst != "" {
		s += fmt.Sprintf("; max relative difference %.3g (%s)", rep.MaxRelDiff, worst)
	}
	if one > 0 {
		s += fmt.Sprintf("; %d only in one run", one)
	}
	return s
}

// changedNote qualifies a verdict of a rerun the user let run on changed
// data or code: identical metrics then mean less.
func changedNote(o engine.RerunOptions) string {
	switch {
	case o.AllowChangedData && o.AllowCodeChange:
		return " (on changed data and code)"
	case o.AllowChangedData:
		return " (on changed data)"
	case o.AllowCodeChange:
		return " (on changed code)"
	}
	return ""
}

func shortSHA(sha string) string {
	if sha == "" {
		return "(gone)"
	}
	if len(sha) > 4 {
		return sha[:4] + "…"
	}
	return sha
}

func codeText(c experiments.CodeVersion) string {
	s := "no commit"
	if c.Commit != "" {
		s = "commit " + c.Commit[:min(7, len(c.Commit))]
	}
	if c.Dirty {
		s += " + uncommitted changes"
	}
	return s
}

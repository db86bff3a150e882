package runs

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
	"github.com/lathe-ml/lathe/tui/styles"
)

// Organising a run from the screen: t tags (words add, -word removes), N
// sets the note, E the name, each on a line at the bottom, through the
// engine's TagRun, SetRunNote and RenameRun (a viewer is refused there).

type orgKind int

const (
	orgTag orgKind = iota
	orgNote
	orgName
)

// organizer is the open tag, note or name line.
type organizer struct {
	kind  orgKind
	run   experiments.Run
	input lineinput.Model
}

type organizedPayload struct {
	run  experiments.Run
	what string
}

// openOrganizer opens the line for the run under the cursor (the list) or
// the one shown (the detail).
func (s *Screen) openOrganizer(kind orgKind) tea.Cmd {
	var r experiments.Run
	switch {
	case s.detail != nil && len(s.detail.runs) == 1:
		r = s.detail.runs[0]
	case s.detail == nil:
		row, ok := s.selected()
		if !ok {
			return nil
		}
		r = row.Run
	default:
		s.setErr(fmt.Errorf("tag, note and name act on one run: leave the compare view (esc)"))
		return nil
	}
	o := &organizer{kind: kind, run: r}
	switch kind {
	case orgTag:
		o.input.Prompt = "tags of " + r.ID
		if len(r.Tags) > 0 {
			o.input.Prompt += " [" + format.Clip(strings.Join(r.Tags, " "), 32) + "]"
		}
		o.input.Prompt += " (word adds, -word removes): "
	case orgNote:
		o.input.Prompt = "note on " + r.ID + ": "
		o.input.SetValue(r.Note)
	case orgName:
		o.input.Prompt = "name of " + r.ID + ": "
		o.input.SetValue(r.Name)
	}
	s.org = o
	return o.input.Focus()
}

// updateOrganizer edits the line: enter applies it, esc closes it.
func (s *Screen) updateOrganizer(msg tea.KeyPressMsg) tea.Cmd {
	o := s.org
	switch msg.String() {
	case "esc":
		s.org = nil
		return nil
	case "enter":
		s.org = nil
		return s.organize(o.kind, o.run.ID, o.input.Value())
	}
	return o.input.Update(msg)
}

// organize applies a tag, note or name line through the engine.
func (s *Screen) organize(kind orgKind, id, text string) tea.Cmd {
	e := s.c.Engine()
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		switch kind {
		case orgNote:
			r, err := e.SetRunNote(ctx, id, strings.TrimSpace(text))
			return organizedPayload{r, "note on " + id + " saved"}, err
		case orgName:
			r, err := e.RenameRun(ctx, id, strings.TrimSpace(text))
			return organizedPayload{r, "renamed " + id}, err
		}
		var add, remove []string
		for _, w := range strings.Fields(text) {
			if t, ok := strings.CutPrefix(w, "-"); ok && t != "" {
				remove = append(remove, t)
			} else {
				add = append(add, strings.TrimPrefix(w, "+"))
			}
		}
		if len(add)+len(remove) == 0 {
			return nil, nil
		}
		var r experiments.Run
		var err error
		if len(add) > 0 {
			if r, err = e.TagRun(ctx, id, add, false); err != nil {
				return nil, err
			}
		}
		if len(remove) > 0 {
			if r, err = e.TagRun(ctx, id, remove, true); err != nil {
				return nil, err
			}
		}
		return organizedPayload{r, "tags of " + id + ": " + strings.Join(r.Tags, " ")}, nil
	})
	return cmd
}

// organized takes the changed run into the detail and the list.
func (s *Screen) organized(p organizedPayload) tea.Cmd {
	s.setNote(p.what)
	if d := s.detail; d != nil {
		for i := range d.runs {
			if d.runs[i].ID == p.run.ID {
				d.runs[i] = p.run
			}
		}
	}
	return s.load(true)
}

// organizerLine is the bottom line while a tag, note or name is typed.
func (o *organizer) line(st *styles.Styles, w int) string {
	return " " + o.input.View(max(w-1, 10), st.Text, st.Muted)
}

// orgLine is the detail's line under its header: the run's name, tags and
// note, when it has any.
func orgLine(r experiments.Run) string {
	var parts []string
	if r.Name != "" {
		parts = append(parts, format.OneLine(r.Name))
	}
	for _, t := range r.Tags {
		parts = append(parts, "#"+t)
	}
	if r.Note != "" {
		parts = append(parts, "note: "+format.OneLine(r.Note))
	}
	return strings.Join(parts, "  ")
}

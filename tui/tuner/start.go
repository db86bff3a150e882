package tuner

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
)

// Starting studies from the Tuner: n opens the spec picker (the
// workspace's study spec files, engine.StudySpecFiles); enter starts the
// selected spec's study in the background (`tune run`, or `resume` when its
// study exists and is not completed), which the engine drives while the
// screen watches it through its usual refresh; X stops it cleanly.

// specPicker is the state of the spec picker.
type specPicker struct {
	open    bool
	files   []engine.SpecFile // nil until the first list arrives
	running map[string]bool   // studies this engine drives, by name
	idx     int
	err     error  // listing or starting failed
	listSeq uint64 // the listing in flight
	seq     uint64 // the start or resume in flight
}

// specsMsg is the payload of a spec listing.
type specsMsg struct {
	files   []engine.SpecFile
	running map[string]bool
}

// startedMsg is the payload of a start: the study now driven.
type startedMsg struct{ run *engine.StudyRun }

// SpecFiles returns the spec picker's files, for tests.
func (s *Screen) SpecFiles() []engine.SpecFile { return s.specs.files }

// Driving returns the background driver of the shown study, if this
// engine runs one.
func (s *Screen) Driving() *engine.StudyRun { return s.bg }

func (s *Screen) listSpecs() tea.Cmd {
	e := s.c.Engine()
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		files, err := e.StudySpecFiles(ctx)
		if err != nil {
			return nil, err
		}
		run := map[string]bool{}
		for _, f := range files {
			if r := e.StudyRun(f.Name); f.Name != "" && r != nil && r.Running() {
				run[f.Name] = true
			}
		}
		return specsMsg{files: files, running: run}, nil
	})
	s.specs.listSeq = seq
	return cmd
}

func (s *Screen) startSpec(path string) tea.Cmd {
	e := s.c.Engine()
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		run, err := e.StartSpecFile(ctx, path, engine.TuneOptions{})
		if err != nil {
			return nil, err
		}
		return startedMsg{run: run}, nil
	})
	s.specs.seq = seq
	return cmd
}

// resumeStudy resumes a study of the study picker in the background.
func (s *Screen) resumeStudy(name string) tea.Cmd {
	e := s.c.Engine()
	s.picking = false
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		run, err := e.StartResume(ctx, name, engine.TuneOptions{})
		if err != nil {
			return nil, err
		}
		return startedMsg{run: run}, nil
	})
	s.specs.seq = seq
	return cmd
}

// specResult takes the results of the picker's jobs; ok is false for
// results that are not the picker's.
func (s *Screen) specResult(msg common.ResultMsg) (tea.Cmd, bool) {
	switch {
	case msg.Seq == 0:
		return nil, false
	case msg.Seq == s.specs.listSeq:
		s.specs.listSeq = 0
	case msg.Seq == s.specs.seq:
		s.specs.seq = 0
	default:
		return nil, false
	}
	s.specs.err = msg.Err
	if msg.Err != nil && !s.specs.open {
		s.err = msg.Err // a resume from the study picker: shown on the screen
	}
	switch p := msg.Payload.(type) {
	case specsMsg:
		s.specs.files, s.specs.running = p.files, p.running
		if s.specs.files == nil {
			s.specs.files = []engine.SpecFile{}
		}
		s.specs.idx = max(0, min(s.specs.idx, len(s.specs.files)-1))
	case startedMsg:
		s.specs.open = false
		return s.show(p.run.Study), true
	}
	return nil, true
}

// show switches the screen to the named study and reads it.
func (s *Screen) show(name string) tea.Cmd {
	if name != s.name {
		s.rep, s.sel, s.top, s.xAxis, s.yAxis = nil, 0, 0, -1, -1
	}
	s.name = name
	s.jobs.CancelAll()
	s.pending, s.specs.seq, s.specs.listSeq = 0, 0, 0
	return s.fetch()
}

// openSpecs opens the picker and lists the spec files again.
func (s *Screen) openSpecs() tea.Cmd {
	s.specs.open, s.specs.err = true, nil
	return s.listSpecs()
}

// specKey handles a key while the picker is open.
func (s *Screen) specKey(msg tea.KeyPressMsg) tea.Cmd {
	k, p := s.Keys, &s.specs
	switch {
	case key.Matches(msg, k.Up):
		p.idx = max(0, p.idx-1)
	case key.Matches(msg, k.Down):
		p.idx = max(0, min(len(p.files)-1, p.idx+1))
	case key.Matches(msg, k.Back), key.Matches(msg, k.Start):
		p.open = false
	case key.Matches(msg, k.Refresh):
		if p.listSeq != 0 {
			return nil // the one in flight will do
		}
		return s.listSpecs()
	case key.Matches(msg, k.Open):
		if p.idx >= len(p.files) || p.seq != 0 {
			return nil
		}
		f := p.files[p.idx]
		switch action(f, p.running[f.Name]) {
		case "run", "resume":
			p.err = nil
			return s.startSpec(f.Path)
		case "open":
			p.open = false
			return s.show(f.Name)
		}
	}
	return nil
}

// stopKey stops the shown study's background driver.
func (s *Screen) stopKey() tea.Cmd {
	if s.bg == nil || !s.bg.Running() {
		return nil
	}
	s.bg.Stop()
	return s.fetch()
}

// action is what enter does with a spec file: run a new study, resume
// the stored one, open one that is completed or already driven here, or
// nothing for a spec that does not parse.
func action(f engine.SpecFile, runningHere bool) string {
	switch {
	case f.Err != nil:
		return ""
	case runningHere:
		return "open"
	case f.Study == nil:
		return "run"
	case f.Study.Status == experiments.StudyCompleted:
		return "open"
	}
	return "resume"
}

// specState is the picker's state column.
func specState(f engine.SpecFile, runningHere bool) string {
	switch {
	case f.Err != nil:
		return "invalid"
	case runningHere:
		return "running here"
	case f.Study == nil:
		return "new"
	}
	return f.Study.Status
}

func (s *Screen) specPickerView() string {
	st := s.c.Styles
	p := &s.specs
	lines := []string{st.Title.Render("Study specs") + st.Muted.Render("  enter start · r reload · esc back"), ""}
	switch {
	case p.files == nil:
		lines = append(lines, st.Muted.Render("Looking for study specs…"))
	case len(p.files) == 0:
		lines = append(lines, st.Text.Render("No study spec files in this workspace."),
			st.Muted.Render("A spec is a YAML or JSON file with parameters: and metrics: (see the README)."))
	}
	rows := max(1, s.h-6)
	top := max(0, p.idx-rows+1)
	pw := min(40, max(12, s.w/2))
	for i := top; i < len(p.files) && i < top+rows; i++ {
		f := p.files[i]
		name := f.Name
		if name == "" {
			name = "—"
		}
		line := fmt.Sprintf("%-*s %-20s %s", pw, format.Clip(format.OneLine(f.Path), pw), format.Clip(format.OneLine(name), 20), specState(f, p.running[f.Name]))
		if i == p.idx {
			line = lipgloss.NewStyle().Reverse(true).Render(frame.Line("> "+line, s.w))
		} else if f.Err != nil {
			line = st.Muted.Render("  " + line)
		} else {
			line = "  " + line
		}
		lines = append(lines, line)
	}
	for len(lines) < s.h-3 {
		lines = append(lines, "")
	}
	lines = append(lines, s.specDetail()...)
	return strings.Join(lines, "\n")
}

// specDetail is the picker's bottom: the selected spec's error (file and
// line), the last start's error, or what enter will do.
func (s *Screen) specDetail() []string {
	st := s.c.Styles
	p := &s.specs
	var out []string
	// Errors wrap onto the three lines: the file:line and the fix matter.
	errLines := func(text string) {
		for _, l := range strings.Split(ansi.Wrap(format.OneLine(text), s.w, ""), "\n") {
			out = append(out, st.Error.Render(l))
		}
	}
	if p.err != nil {
		errLines("Error: " + p.err.Error())
	}
	if p.idx < len(p.files) {
		f := p.files[p.idx]
		switch a := action(f, p.running[f.Name]); a {
		case "":
			errLines(f.Err.Error())
		case "run":
			out = append(out, st.Muted.Render("enter: tune run "+format.OneLine(f.Path)+" in the background"))
		case "resume":
			out = append(out, st.Muted.Render(fmt.Sprintf("enter: resume study %s (%s)", format.OneLine(f.Name), f.Study.Status)))
		default:
			out = append(out, st.Muted.Render("enter: open study "+format.OneLine(f.Name)))
		}
	}
	for len(out) < 3 {
		out = append(out, "")
	}
	return out[:3]
}

// driveText is the header's note on a study this engine drives.
func (s *Screen) driveText() string {
	r := s.bg
	if r == nil || s.rep == nil || r.Study != s.rep.Study {
		return ""
	}
	switch {
	case r.Running() && r.Stopping():
		return "stopping…"
	case r.Running():
		return "driving here (X stop)"
	}
	if _, err := r.Result(); err != nil {
		return "driver: " + format.OneLine(err.Error())
	}
	return ""
}

package runs

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/format"
)

// status is the screen's last note or error, shown on the bottom line for
// 15 seconds.
type status struct {
	note   string
	noteAt time.Time
	err    error
	errAt  time.Time
}

func (s *Screen) setNote(text string) {
	s.note, s.noteAt = text, s.now()
}

func (s *Screen) setErr(err error) {
	s.err, s.errAt = err, s.now()
	s.note = ""
}

// bottomLines are the input line, or the question, error or note, wrapped
// to at most three lines (one on a short screen) so a refusal is read whole.
func (s *Screen) bottomLines() []string {
	st := s.c.Styles
	switch {
	case s.org != nil:
		return []string{s.org.line(st, s.w)}
	case s.list.search.Editing():
		return []string{s.list.search.Line(st, s.w)}
	case s.launch.open:
		return []string{s.launch.view(st, s.w)}
	}
	var text string
	style := st.Muted
	now := s.now()
	switch {
	case s.confirm != nil:
		text, style = s.confirm.question, st.Title
	case s.err != nil && now.Sub(s.errAt) < 15*time.Second:
		text, style = s.err.Error(), st.Error
	case s.note != "" && now.Sub(s.noteAt) < 15*time.Second:
		text = s.note
	}
	if text == "" {
		return []string{""}
	}
	text = format.OneLine(text) // errors and questions quote runs' inputs and commands
	maxLines := 3
	if s.h < 12 {
		maxLines = 1
	}
	lines := strings.Split(ansi.Wrap(text, max(s.w-1, 1), ""), "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	for i, l := range lines {
		lines[i] = style.Render(" " + strings.TrimLeft(l, " "))
	}
	return lines
}

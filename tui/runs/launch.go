package runs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
	"github.com/lathe-ml/lathe/tui/styles"
)

// defaultCommand pre-fills the launch line when no run is selected.
const defaultCommand = "lathe trainer --epochs 80 --epoch-pause 100ms --lr {lr}"

// launcher is the launch line on the bottom of the screen: n opens it
// pre-filled with the selected run's command (or the demo trainer), enter
// hands the line to the screen, esc closes it.
type launcher struct {
	open  bool
	input lineinput.Model
}

func newLauncher() *launcher {
	l := &launcher{}
	l.input.Placeholder = "[--runner R] [--image I] [--param k=v]... CMD..."
	return l
}

// start opens the line pre-filled from the selected run, if any.
func (l *launcher) start(from *experiments.Run) tea.Cmd {
	l.open = true
	l.input.SetValue(suggestCommand(from))
	l.input.CursorEnd()
	return l.input.Focus()
}

// update edits the line; on enter it closes and returns the line to launch.
func (l *launcher) update(msg tea.KeyPressMsg) (line string, submit bool, cmd tea.Cmd) {
	switch msg.String() {
	case "esc":
		l.close()
		return "", false, nil
	case "enter":
		l.close()
		return strings.TrimSpace(l.input.Value()), true, nil
	}
	return "", false, l.input.Update(msg)
}

func (l *launcher) close() {
	l.open = false
	l.input.Blur()
}

// view is the bottom line while the launch line is open.
func (l *launcher) view(st *styles.Styles, w int) string {
	return st.Title.Render(" run: ") + l.input.View(max(w-6, 10), st.Text, st.Muted)
}

// suggestCommand pre-fills the launch line: r's command, or the demo
// trainer.
func suggestCommand(r *experiments.Run) string {
	if r != nil && len(r.Command) > 0 {
		var parts []string
		if r.Runner != "" {
			parts = append(parts, "--runner", r.Runner)
		}
		if r.Image != "" {
			parts = append(parts, "--image", r.Image)
		}
		for _, k := range slices.Sorted(maps.Keys(r.Params)) {
			parts = append(parts, "--param", quote(fmt.Sprintf("%s=%v", k, r.Params[k])))
		}
		for _, a := range r.Command {
			parts = append(parts, quote(a))
		}
		return strings.Join(parts, " ")
	}
	return "--param lr=0.3 " + defaultCommand
}

func quote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' || r == '\\' }) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ParseLaunch reads the launch line with `lathe run`'s own flags
// (engine.ParseLaunchLine), then the command, e.g.
//
//	--runner docker --image lathe-trainer:dev --param lr=0.1 -- /trainer --lr {lr}
//
// Words are split as a POSIX shell would, but nothing is expanded. Bad
// syntax is an input error naming the flag. --detach is accepted and changes
// nothing: a run launched from the TUI always goes on by itself.
func ParseLaunch(line string) (engine.LaunchRequest, error) {
	req, _, err := engine.ParseLaunchLine(line, "")
	return req, err
}

package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// While a screen edits text (the Runs launch line), every key goes to the
// editor: the footer then shows the editor's keys, not the tab, help and quit
// keys that would only type letters.
func TestFooterWhileTypingShowsTheEditorKeys(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	m.Update(press("3"))
	m.Update(press("n"))
	lines := strings.Split(ansi.Strip(content(m)), "\n")
	foot := lines[len(lines)-1]
	for _, want := range []string{"enter launch", "esc cancel"} {
		if !strings.Contains(foot, want) {
			t.Errorf("footer %q lacks %q", foot, want)
		}
	}
	for _, bad := range []string{"q quit", "go to tab", "more keys"} {
		if strings.Contains(foot, bad) {
			t.Errorf("footer %q offers %q while typing", foot, bad)
		}
	}
}

package data_test

import (
	"strings"
	"testing"
)

// The rows view moves its column cursor with ←/→ (to sort by, hide, or
// reach the columns past the screen's edge): `?` lists those keys.
func TestFullHelpListsColumnKeys(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 80, 24)
	var help []string
	for _, g := range s.FullHelp() {
		for _, b := range g {
			help = append(help, b.Help().Key+" "+b.Help().Desc)
		}
	}
	all := strings.Join(help, "\n")
	for _, want := range []string{"←/h column left", "→/l column right"} {
		if !strings.Contains(all, want) {
			t.Errorf("full help lacks %q:\n%s", want, all)
		}
	}
}

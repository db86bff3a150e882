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

// The drift view shows the whole drift rule at 80 columns (it ends with the
// p-value condition, which decides whether a column counts as drifted),
// wrapped rather than clipped.
func TestDriftRuleWrapsAt80Columns(t *testing.T) {
	root, cfg := workspace(t)
	s := newScreen(t, root, cfg, 80, 24)
	openFile(t, s, "data/penguins.json")
	key(t, s, "d")
	openFile(t, s, "data/penguins.parquet")
	v := strings.Join(strings.Fields(plain(s)), " ")
	if !strings.Contains(v, "p < 0.05") {
		t.Errorf("the drift rule is cut before its p-value condition:\n%s", plain(s))
	}
	bounds(t, "drift", s.View(), 80, 24)
}

package runs

import (
	"strings"
	"testing"
)

// The compare view's full help names each key once: no key shown in two
// entries ("←/→ column" beside "→ next column", "m/M" beside "M").
func TestCompareHelpNamesEachKeyOnce(t *testing.T) {
	s, e := newScreen(t, 80, 24)
	seedCompare(t, e)
	openCompare(t, s)
	seen := map[string]string{}
	for _, g := range s.FullHelp() {
		for _, b := range g {
			h := b.Help()
			for _, k := range strings.Split(h.Key, "/") {
				if prev, ok := seen[k]; ok {
					t.Errorf("key %q in %q and in %q", k, prev, h.Key+" "+h.Desc)
				}
				seen[k] = h.Key + " " + h.Desc
			}
		}
	}
}

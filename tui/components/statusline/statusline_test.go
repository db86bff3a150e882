package statusline

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/tui/styles"
)

func TestShorten(t *testing.T) {
	const p = "/home/ada/projects/churn-model/.lathe/lathe.db"
	cases := []struct {
		n    int
		want string
	}{
		{100, p},
		{len(p), p},
		{len(p) - 1, "…/ada/projects/churn-model/.lathe/lathe.db"},
		{30, "…/churn-model/.lathe/lathe.db"},
		{20, "…/.lathe/lathe.db"},
		{12, "…/lathe.db"},
		{9, "…lathe.db"},
		{7, "…the.db"},
		{1, "…"},
		{0, ""},
	}
	for _, c := range cases {
		got := Shorten(p, c.n)
		if got != c.want {
			t.Errorf("Shorten(%d) = %q, want %q", c.n, got, c.want)
		}
		if w := ansi.StringWidth(got); w > c.n {
			t.Errorf("Shorten(%d) is %d cells", c.n, w)
		}
	}
}

func TestRenderWidth(t *testing.T) {
	in := Info{Workspace: "churn-model", Store: "/home/ada/projects/churn-model/.lathe/lathe.db", Runners: 1, Version: "v0.1.0"}
	for _, st := range []*styles.Styles{styles.New(true), styles.Plain(false)} {
		for _, w := range []int{200, 80, 60, 40, 20, 5, 1} {
			got := Render(st, in, w)
			if n := ansi.StringWidth(got); n != w {
				t.Errorf("width %d: rendered %d cells: %q", w, n, ansi.Strip(got))
			}
			if strings.Contains(got, "\n") {
				t.Errorf("width %d: more than one line", w)
			}
		}
	}
	plain := ansi.Strip(Render(styles.Plain(true), in, 80))
	for _, want := range []string{"churn-model", "1 runner ", "lathe.db", "v0.1.0"} {
		if !strings.Contains(plain, want) {
			t.Errorf("80 columns: %q lacks %q", plain, want)
		}
	}
	if got := ansi.Strip(Render(styles.Plain(true), Info{Runners: 0}, 80)); !strings.Contains(got, "(no workspace)") || !strings.Contains(got, "0 runners") {
		t.Errorf("empty info: %q", got)
	}
}

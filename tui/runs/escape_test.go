package runs

import (
	"testing"
	"time"

	"github.com/lathe-ml/lathe/tui/internal/tuitest"
)

// A run whose log lines, param and metric name hold NUL, a colour change, a
// title change and a carriage return: the list, the detail's header, legend
// and log tail show them escaped, and nothing raw reaches the terminal. In
// the log a carriage return shows what the terminal would (format.LogLine:
// "x\ry" is "y", a progress bar its last state); elsewhere it is dropped.
func TestControlCharactersInRunsAreEscaped(t *testing.T) {
	s, e := newScreen(t, 160, 40)
	script := `printf 'n\000ul\n\033[31mred\n\033]0;title\007\nx\ry\n'; echo '{"step":1,"\u001b[31mloss":1}'`
	r := run(t, s, e, script, map[string]string{"who": "\x1b]0;title\x07"}, nil)
	check := func(what string, want ...string) {
		t.Helper()
		tuitest.Escaped(t, what, s.View(), want...)
	}
	check("list", `who=\x1b]0;title\x07`, `\x1b[31mloss=1`)
	hit(t, s, "enter")
	deadline := time.Now().Add(10 * time.Second)
	// Four printed lines and the metrics line, and the metric: they arrive
	// in separate events.
	for (len(s.detail.logs) < 5 || len(s.detail.metrics) == 0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		tick(t, s)
	}
	check("detail", r.ID, `who=\x1b]0;title\x07`, `\x1b[31mloss`, `n\x00ul`, `\x1b[31mred`, `\x1b]0;title\x07`)
	if d := s.detail; len(d.logs) != 5 || logText(d.logs[3]) != "y" {
		t.Errorf("log %q: the line x\\ry does not show as y", d.logs)
	}
	hit(t, s, "esc")

	// The diff page of two such runs: params and metrics.
	run(t, s, e, `echo '{"step":1,"\u001b[31mloss":2}'`, map[string]string{"who": "\x1b[31mx\ry"}, nil)
	hit(t, s, "down")
	hit(t, s, "space")
	hit(t, s, "up")
	hit(t, s, "D")
	if s.diff == nil || s.diff.res == nil {
		t.Fatalf("no diff: %v", s.err)
	}
	check("diff", `who: \x1b]0;title\x07 → \x1b[31mxy`, `\x1b[31mloss: 1 → 2`)
}

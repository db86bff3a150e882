package tui

import (
	"testing"

	"github.com/lathe-ml/lathe/tui/common"
)

// A screen's JumpMsg switches the router to the named screen.
func TestJumpMsgSwitchesScreen(t *testing.T) {
	m := sized(t, testOptions(t), 80, 24)
	m.Update(press("4"))
	if m.Active() != common.Tuner {
		t.Fatalf("active %v, want Tuner", m.Active())
	}
	m.Update(common.JumpMsg{Screen: common.Runs, ID: "r123"})
	if m.Active() != common.Runs {
		t.Errorf("after JumpMsg{Runs}: active %v", m.Active())
	}
}

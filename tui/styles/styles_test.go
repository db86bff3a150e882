package styles

import (
	"strings"
	"testing"
)

func TestNewAndPlain(t *testing.T) {
	dark, light := New(true), New(false)
	if !dark.IsDark || light.IsDark || dark.NoColor {
		t.Fatal("flags wrong")
	}
	// Truecolor foreground of the accent in each palette.
	if got := dark.Title.Render("x"); !strings.Contains(got, "38;2;163;113;247") {
		t.Errorf("dark title %q lacks #A371F7", got)
	}
	if got := light.Title.Render("x"); !strings.Contains(got, "38;2;130;80;223") {
		t.Errorf("light title %q lacks #8250DF", got)
	}
	p := Plain(true)
	if !p.NoColor {
		t.Error("Plain is not marked NoColor")
	}
	for name, s := range map[string]string{
		"tab":    p.TabActive.Render("x") + p.TabInactive.Render("y") + p.TabSep.Render("|"),
		"status": p.Status.Render("x") + p.StatusLabel.Render("y") + p.StatusValue.Render("z"),
		"text":   p.Title.Render("x") + p.Text.Render("y") + p.Muted.Render("z") + p.Error.Render("e"),
		"help":   p.Help.ShortKey.Render("k") + p.Help.ShortDesc.Render("d") + p.Help.FullSeparator.Render("s"),
	} {
		if strings.Contains(s, "38;") || strings.Contains(s, "48;") {
			t.Errorf("%s: colour in Plain styles: %q", name, s)
		}
	}
	if got := p.TabActive.Render("x"); !strings.Contains(got, "1;7m") {
		t.Errorf("Plain active tab is not bold+reverse: %q", got)
	}
}

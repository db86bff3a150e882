package tui

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// BenchmarkView is the cost of one frame (router + Data screen + footer).
func BenchmarkView(b *testing.B) {
	for _, sz := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"200x50", 200, 50}} {
		b.Run(sz.name, func(b *testing.B) {
			m := newModel(context.Background(), testOptions(b))
			m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkFirstFrame is New + resize + the first View: what a new session
// costs before anything reaches the terminal.
func BenchmarkFirstFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m := newModel(context.Background(), testOptions(b))
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		_ = m.View()
	}
}

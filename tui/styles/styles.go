// Package styles holds the TUI's semantic styles. They are built from a palette
// for a light or dark terminal and rebuilt when the terminal reports its
// background colour; nothing here is global, so SSH sessions with different
// terminals each get their own set.
package styles

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Palette is the small set of colours every style is derived from.
type Palette struct {
	Fg, Muted, Subtle, Accent, AccentFg, Bar, BarFg, Error color.Color
}

// DefaultPalette returns the palette for a dark or light background.
func DefaultPalette(isDark bool) Palette {
	ld := lipgloss.LightDark(isDark)
	return Palette{
		Fg:       ld(lipgloss.Color("#1F2328"), lipgloss.Color("#E6EDF3")),
		Muted:    ld(lipgloss.Color("#656D76"), lipgloss.Color("#8B949E")),
		Subtle:   ld(lipgloss.Color("#D0D7DE"), lipgloss.Color("#30363D")),
		Accent:   ld(lipgloss.Color("#8250DF"), lipgloss.Color("#A371F7")),
		AccentFg: ld(lipgloss.Color("#FFFFFF"), lipgloss.Color("#0D1117")),
		Bar:      ld(lipgloss.Color("#EAEEF2"), lipgloss.Color("#21262D")),
		BarFg:    ld(lipgloss.Color("#424A53"), lipgloss.Color("#C9D1D9")),
		Error:    ld(lipgloss.Color("#CF222E"), lipgloss.Color("#F85149")),
	}
}

// Styles are the semantic styles the shell and the screens draw with.
type Styles struct {
	IsDark  bool
	NoColor bool
	// Charset says how charts draw: "" braille (the default), "box"
	// (asciigraph's box-drawing lines) or "ascii" (7-bit), for terminals
	// that cannot show braille (LATHE_CHARSET, a locale without UTF-8).
	Charset string

	TabActive   lipgloss.Style // the selected tab; stays visible without colour (bold + reverse)
	TabInactive lipgloss.Style
	TabSep      lipgloss.Style
	TabBar      lipgloss.Style // fills the rest of the tab row

	Status      lipgloss.Style // the status line as a whole
	StatusLabel lipgloss.Style
	StatusValue lipgloss.Style

	Title   lipgloss.Style // a screen's heading
	Text    lipgloss.Style
	Muted   lipgloss.Style
	Error   lipgloss.Style
	Help    help.Styles
	Palette Palette
}

// New builds the coloured styles for a dark or light terminal background.
func New(isDark bool) *Styles {
	return build(DefaultPalette(isDark), isDark, false)
}

// Plain builds styles without any colour, for NO_COLOR (https://no-color.org):
// only attributes such as bold and reverse remain, so the active tab and
// headings stay distinguishable.
func Plain(isDark bool) *Styles {
	return build(DefaultPalette(isDark), isDark, true)
}

func build(p Palette, isDark, noColor bool) *Styles {
	s := &Styles{IsDark: isDark, NoColor: noColor, Palette: p}
	// fg and bg apply a colour only when colour is allowed.
	fg := func(st lipgloss.Style, c color.Color) lipgloss.Style {
		if noColor {
			return st
		}
		return st.Foreground(c)
	}
	bg := func(st lipgloss.Style, c color.Color) lipgloss.Style {
		if noColor {
			return st
		}
		return st.Background(c)
	}
	base := lipgloss.NewStyle()

	if noColor {
		s.TabActive = base.Bold(true).Reverse(true).Padding(0, 1)
	} else {
		s.TabActive = bg(fg(base.Bold(true), p.AccentFg), p.Accent).Padding(0, 1)
	}
	s.TabInactive = fg(base, p.Muted).Padding(0, 1)
	s.TabSep = fg(base, p.Subtle)
	s.TabBar = base

	s.Status = bg(fg(base, p.BarFg), p.Bar)
	s.StatusLabel = bg(fg(base.Bold(true), p.BarFg), p.Bar)
	s.StatusValue = bg(fg(base, p.BarFg), p.Bar)

	s.Title = fg(base.Bold(true), p.Accent)
	s.Text = fg(base, p.Fg)
	s.Muted = fg(base, p.Muted)
	s.Error = fg(base.Bold(true), p.Error)

	s.Help = help.Styles{
		Ellipsis:       fg(base, p.Subtle),
		ShortKey:       fg(base.Bold(true), p.Fg),
		ShortDesc:      fg(base, p.Muted),
		ShortSeparator: fg(base, p.Subtle),
		FullKey:        fg(base.Bold(true), p.Fg),
		FullDesc:       fg(base, p.Muted),
		FullSeparator:  fg(base, p.Subtle),
	}
	return s
}

package data

import (
	"fmt"

	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
)

// alerts lists the profile's quality alerts, kind and message, scrolled.
type alerts struct{ scroller }

func (a *alerts) view(e *env, p *explore.Profile, path string, h int) []string {
	return a.lines(alertLines(e, p, path), h)
}

func alertLines(e *env, p *explore.Profile, path string) []string {
	st := e.st
	if len(p.Alerts) == 0 {
		return []string{"", " " + st.Text.Render("No quality alerts for "+e.rel(path)+".")}
	}
	kindW := 4
	for _, a := range p.Alerts {
		kindW = max(kindW, len(a.Kind))
	}
	kindW = min(kindW, 18)
	out := []string{st.Muted.Render(fmt.Sprintf(" %d alerts (thresholds: lathe config show | grep alerts)", len(p.Alerts)))}
	for _, a := range p.Alerts {
		msgW := max(e.w-kindW-4, 10)
		lines := wrap(format.OneLine(a.Message), msgW)
		for i, l := range lines {
			k := ""
			if i == 0 {
				k = a.Kind
			}
			out = append(out, " "+st.Error.Render(frame.Line(k, kindW))+"  "+st.Text.Render(l))
		}
	}
	return out
}

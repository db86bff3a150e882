package data

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
)

// drift compares the profiled file (A) with a second one picked for it (B):
// per column JSD, PSI, KS, L∞ and the p-value, drifted ones flagged.
type drift struct {
	b        string // B's path; "" before one is picked
	drifting uint64 // the job in flight; 0 when none
	rep      *explore.DriftReport
	err      error
	scroller
}

// reset forgets the comparison of the previous file.
func (d *drift) reset() { d.rep, d.err, d.b = nil, nil, "" }

// start compares a with b in the background.
func (d *drift) start(e *env, a, b string) tea.Cmd {
	d.b, d.rep, d.err, d.top = b, nil, nil, 0
	eng := e.eng
	ro := e.readOptions()
	seq, cmd := e.jobs.Start(func(ctx context.Context) (any, error) {
		o, _ := eng.DriftOptionsFor(ro, engine.DriftFlags{}) // no flags: cannot fail
		rep, err := eng.Drift(ctx, a, b, o)
		return driftDone{rep}, err
	})
	d.drifting = seq
	return cmd
}

// done takes the comparison's result.
func (d *drift) done(msg common.ResultMsg) {
	d.drifting = 0
	d.err = msg.Err
	if p, ok := msg.Payload.(driftDone); ok && msg.Err == nil {
		d.rep = p.rep
	}
}

func (d *drift) view(e *env, a string, h int) []string {
	st := e.st
	var lines []string
	switch {
	case d.drifting != 0:
		lines = []string{"", " " + st.Muted.Render("Comparing "+e.rel(a)+" with "+e.rel(d.b)+" …")}
	case d.err != nil:
		lines = e.errorLines("Could not compare with "+e.rel(d.b), d.err)
	case d.rep == nil:
		lines = []string{"", " " + st.Muted.Render("d: pick a file to compare with")}
	default:
		lines = driftTable(e, d.rep, "A "+e.rel(d.rep.A)+" → B "+e.rel(d.rep.B))
	}
	return d.lines(lines, h)
}

// driftTable is a drift report as a table under title (the drift view, and
// each split against its parent).
func driftTable(e *env, rep *explore.DriftReport, title string) []string {
	st := e.st
	out := []string{" " + st.Text.Render(ansi.Truncate(format.OneLine(title), e.w-2, "…"))}
	// The rule wraps: its last condition (p < 0.05) decides what counts.
	for _, l := range strings.Split(ansi.Wordwrap(format.OneLine(rep.String()), max(e.w-2, 1), " "), "\n") {
		out = append(out, " "+st.Muted.Render(l))
	}
	// P decides, with the rule's other conditions, what counts as drifted.
	nameW := clamp(e.w-2-8-5*8-10, 8, 28)
	out = append(out, st.Muted.Render(fmt.Sprintf(" %s %-8s %7s %7s %7s %7s %7s  %s", frame.Line("COLUMN", nameW), "KIND", "JSD", "PSI", "KS", "L∞", "P", "")))
	for _, c := range rep.Columns {
		line := fmt.Sprintf(" %s %-8s %7.4f %7.4f %7s %7s %7s  ", frame.Line(format.OneLine(c.Column), nameW), shortKind(c.Kind), c.JSD, c.PSI, format.Fixed(c.KS), format.Fixed(c.LInf), format.Fixed(c.P))
		if c.Drifted {
			out = append(out, st.Text.Render(line)+st.Error.Render("DRIFTED"))
		} else {
			out = append(out, st.Text.Render(line))
		}
	}
	if len(rep.Missing) > 0 {
		out = append(out, " "+st.Muted.Render("only in A: "+format.OneLine(strings.Join(rep.Missing, ", "))))
	}
	if len(rep.Added) > 0 {
		out = append(out, " "+st.Muted.Render("only in B: "+format.OneLine(strings.Join(rep.Added, ", "))))
	}
	return out
}

func shortKind(k string) string {
	if k == "categorical" {
		return "category"
	}
	return k
}

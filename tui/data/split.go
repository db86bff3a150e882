package data

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
)

// split is the split dialog (ratios, stratify column, seed) and, once the
// engine has split the file, its report: rows and class shares per split,
// leakage, the versions registered and each split's drift from the file.
type split struct {
	form      splitForm
	splitting uint64 // the job in flight; 0 when none
	res       *explore.SplitResult
	reg       []experiments.Dataset
	err       error
	scroller
}

// open shows the dialog, filled for a split of p's file.
func (sp *split) open(p *explore.Profile) {
	sp.res, sp.err = nil, nil
	sp.form.reset(p)
}

// reset forgets the split of the previous file.
func (sp *split) reset() { sp.res, sp.err = nil, nil }

// editing reports whether the dialog is up and takes the keys.
func (sp *split) editing() bool { return sp.res == nil && sp.splitting == 0 }

// updateForm edits the dialog; esc closes it, enter splits path.
func (sp *split) updateForm(msg tea.KeyPressMsg, e *env, path string, prof *explore.Profile) (closed bool, cmd tea.Cmd) {
	f := &sp.form
	switch msg.String() {
	case "esc":
		return true, nil
	case "tab", "down":
		f.field = (f.field + 1) % 3
		f.focus()
		return false, nil
	case "shift+tab", "up":
		f.field = (f.field + 2) % 3
		f.focus()
		return false, nil
	case "enter":
		return false, sp.run(e, path, prof)
	}
	if f.field == 1 {
		switch msg.String() {
		case "left", "h":
			f.stratify = (f.stratify + len(f.choices) - 1) % len(f.choices)
		case "right", "l", "space":
			f.stratify = (f.stratify + 1) % len(f.choices)
		}
		return false, nil
	}
	return false, f.update(msg)
}

// run writes the splits beside the file, under splits/, and registers them
// (engine.Split) with parent as the file's profile.
func (sp *split) run(e *env, path string, parent *explore.Profile) tea.Cmd {
	opts, err := sp.form.options()
	if err != nil {
		sp.form.err = err.Error()
		return nil
	}
	sp.form.err = ""
	opts.Read = e.readOptions()
	opts.Drift, _ = e.eng.DriftOptionsFor(opts.Read, engine.DriftFlags{}) // no flags: cannot fail
	opts.OutDir = filepath.Join(filepath.Dir(path), "splits")
	eng := e.eng
	seq, cmd := e.jobs.Start(func(ctx context.Context) (any, error) {
		res, err := eng.Split(ctx, engine.SplitRequest{Path: path, Options: opts, Parent: parent})
		if err != nil {
			return nil, err
		}
		return splitDone{res: res.SplitResult, registered: res.Datasets}, nil
	})
	sp.splitting = seq
	sp.err = nil
	return cmd
}

// done takes the split's result and reports whether files were written.
func (sp *split) done(msg common.ResultMsg) bool {
	sp.splitting = 0
	sp.err = msg.Err
	if p, ok := msg.Payload.(splitDone); ok && msg.Err == nil {
		sp.res, sp.reg = p.res, p.registered
		sp.top = 0
		return true
	}
	return false
}

func (sp *split) view(e *env, path string, h int) []string {
	return sp.lines(sp.body(e, path), h)
}

func (sp *split) body(e *env, path string) []string {
	st := e.st
	switch {
	case sp.splitting != 0:
		return []string{"", " " + st.Muted.Render("Splitting "+e.rel(path)+" …")}
	case sp.res != nil:
		return sp.report(e, sp.res)
	}
	f := &sp.form
	field := func(i int, label, value string) string {
		l := frame.Line(label, 10)
		if i == f.field {
			return " " + e.cursor().Render("▸ "+l) + " " + value
		}
		return "   " + st.Text.Render(l) + " " + value
	}
	strat := "none (random)"
	if c := f.choices[f.stratify]; c != "" {
		strat = format.OneLine(c)
	}
	out := []string{
		" " + st.Text.Render("Split "+e.rel(path)+" into train/val/test, written to "+e.rel(filepath.Join(filepath.Dir(path), "splits"))),
		"",
		field(0, "ratios", f.ratios.View(30, st.Text, st.Muted)),
		field(1, "stratify", "‹ "+strat+" ›"),
		field(2, "seed", f.seed.View(24, st.Text, st.Muted)),
		"",
		" " + st.Muted.Render("tab next field · ←/→ choose the stratify column · enter split · esc close"),
	}
	if f.err != "" {
		out = append(out, " "+st.Error.Render(f.err))
	}
	if sp.err != nil {
		out = append(out, e.errorLines("Split failed", sp.err)...)
	}
	return out
}

func (sp *split) report(e *env, res *explore.SplitResult) []string {
	st := e.st
	rep := res.Report
	how := "random"
	if rep.Stratify != "" {
		how = "stratified by " + format.OneLine(rep.Stratify)
	}
	out := []string{
		" " + st.Text.Render(fmt.Sprintf("%s rows · %s · seed %d", format.Digits(rep.Rows), how, rep.Seed)),
		st.Muted.Render(" SPLIT   ROWS     SHARE  FILE"),
	}
	for i, sp := range rep.Splits {
		file := ""
		if i < len(res.Files) {
			file = e.rel(res.Files[i].Path)
		}
		out = append(out, st.Text.Render(fmt.Sprintf(" %-6s %6s %8s  %s", sp.Name, format.Digits(sp.Rows), format.Pct(sp.Share), file)))
	}
	if len(rep.Splits) > 0 && len(rep.Splits[0].Classes) > 0 {
		// Classes in first-seen order; a split may lack a rare class.
		var order []string
		shares := map[string][]string{}
		for si, sp := range rep.Splits {
			for _, c := range sp.Classes {
				if _, ok := shares[c.Class]; !ok {
					order = append(order, c.Class)
					shares[c.Class] = make([]string, len(rep.Splits))
				}
				shares[c.Class][si] = format.Pct(c.Share)
			}
		}
		head := " " + frame.Line("class ("+format.OneLine(rep.Stratify)+")", 18)
		for _, sp := range rep.Splits {
			head += fmt.Sprintf(" %7s", sp.Name)
		}
		out = append(out, "", st.Muted.Render(head))
		for _, c := range order {
			name := c
			if name == "" {
				name = "(missing)"
			}
			line := " " + frame.Line(format.OneLine(name), 18)
			for _, v := range shares[c] {
				if v == "" {
					v = "–"
				}
				line += fmt.Sprintf(" %7s", v)
			}
			out = append(out, st.Text.Render(line))
		}
	}
	var leaks int64
	for _, l := range rep.Leakage {
		leaks += l.Rows
	}
	out = append(out, "")
	if leaks == 0 {
		out = append(out, " "+st.Text.Render("Leakage: no row occurs in two splits."))
	} else {
		out = append(out, " "+st.Error.Render(fmt.Sprintf("Leakage: %s rows occur in more than one split.", format.Digits(leaks))))
	}
	if len(sp.reg) > 0 {
		out = append(out, " "+st.Muted.Render(fmt.Sprintf("Registered the file and its %d splits as dataset versions.", len(sp.reg))))
	}
	for _, d := range rep.Drift {
		if d != nil {
			out = append(out, "")
			out = append(out, driftTable(e, d, "drift "+filepath.Base(d.A)+" → "+filepath.Base(d.B))...)
		}
	}
	return out
}

// splitForm is the split dialog's state: ratios, stratify column, seed.
type splitForm struct {
	field    int // 0 ratios, 1 stratify, 2 seed
	ratios   lineinput.Model
	seed     lineinput.Model
	choices  []string // "" (none) and the categorical columns
	stratify int
	err      string
}

// reset fills the dialog for a new split of p's file.
func (f *splitForm) reset(p *explore.Profile) {
	f.field, f.err = 0, ""
	f.ratios.SetValue("0.8,0.1,0.1")
	f.seed.SetValue("7")
	f.choices = []string{""}
	f.stratify = 0
	for _, c := range p.Columns {
		if c.Type == explore.TypeCategorical || c.Type == explore.TypeBoolean {
			f.choices = append(f.choices, c.Name)
		}
	}
	if len(f.choices) > 1 {
		f.stratify = 1 // a label column is the usual choice; ←/→ changes it
	}
	f.focus()
}

func (f *splitForm) focus() {
	f.ratios.Blur()
	f.seed.Blur()
	switch f.field {
	case 0:
		f.ratios.Focus()
	case 2:
		f.seed.Focus()
	}
}

func (f *splitForm) update(msg tea.Msg) tea.Cmd {
	switch f.field {
	case 0:
		f.ratios.Update(msg)
	case 2:
		f.seed.Update(msg)
	}
	return nil
}

// options validates the dialog into the engine's options.
func (f *splitForm) options() (explore.SplitOptions, error) {
	var o explore.SplitOptions
	for _, part := range strings.Split(f.ratios.Value(), ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return o, fmt.Errorf("ratios: %q is not a number; give train,val,test like 0.8,0.1,0.1", strings.TrimSpace(part))
		}
		o.Ratios = append(o.Ratios, v)
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(f.seed.Value()), 10, 64)
	if err != nil {
		return o, fmt.Errorf("seed: %q is not a whole number ≥ 0", f.seed.Value())
	}
	o.Seed = seed
	o.Stratify = f.choices[f.stratify]
	return o, nil
}

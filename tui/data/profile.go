package data

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
)

// tickMsg re-draws the progress bar while the job seq runs.
type tickMsg struct{ seq uint64 }

const tickEvery = 100 * time.Millisecond

func tick(seq uint64) tea.Cmd {
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return tickMsg{seq} })
}

// profile is the file the screen is about and its profile, which every
// view but the picker reads: a background job with a progress bar until it
// lands.
type profile struct {
	path        string // absolute; "" before a file is chosen
	profiling   uint64 // the job in flight; 0 when none
	interrupted bool   // cancelled by leaving the tab: resume on return
	box         *progressBox
	started     time.Time
	prof        *explore.Profile
	err         error
}

// start profiles path in the background; a tick keeps the progress bar
// moving. The caller has cancelled any profile in flight.
func (p *profile) start(e *env, path string) tea.Cmd {
	p.path = path
	p.prof, p.err = nil, nil
	box := &progressBox{}
	p.box = box
	p.started = time.Now()
	eng := e.eng
	opts := eng.ProfileOptions(e.readOptions())
	seq, cmd := e.jobs.Start(func(ctx context.Context) (any, error) {
		pr, err := eng.Profile(engine.WithProgress(ctx, box), path, opts)
		return profileDone{path, pr}, err
	})
	p.profiling = seq
	return tea.Batch(cmd, tick(seq))
}

// done takes the profile job's result.
func (p *profile) done(msg common.ResultMsg) {
	p.profiling = 0
	p.err = msg.Err
	if r, ok := msg.Payload.(profileDone); ok && msg.Err == nil && r.path == p.path {
		p.prof = r.prof
	}
}

// header is the screen's first line: the file and its shape, or a note.
func (p *profile) header(e *env, message string) string {
	st := e.st
	if message != "" {
		return st.Title.Render(" Data") + st.Text.Render("  ·  "+message)
	}
	if p.path == "" {
		return st.Title.Render(" Data") + st.Muted.Render("  ·  "+e.rootLabel())
	}
	title := st.Title.Render(" " + e.rel(p.path))
	if pr := p.prof; pr != nil {
		info := fmt.Sprintf("  %s · %s · %s rows · %d columns · %s",
			pr.Source.Format, format.Bytes(pr.Source.Bytes), format.Digits(pr.Rows), len(pr.Columns), plural(len(pr.Alerts), "alert"))
		if pr.DuplicateRows > 0 {
			info += fmt.Sprintf(" · %s duplicate rows", format.Digits(pr.DuplicateRows))
		}
		return title + st.Muted.Render(info)
	}
	return title
}

// progress is the progress bar of the running profile.
func (p *profile) progress(e *env) []string {
	st := e.st
	frac := 0.0
	rows := int64(0)
	if p.box != nil {
		frac, rows = p.box.fraction(), p.box.rows.Load()
	}
	barW := clamp(e.w-30, 10, 60)
	full := int(math.Round(frac * float64(barW)))
	bar := strings.Repeat("█", full) + strings.Repeat("░", barW-full)
	elapsed := time.Since(p.started).Truncate(100 * time.Millisecond)
	return []string{
		"",
		" " + st.Text.Render("Profiling "+e.rel(p.path)+" …"),
		"",
		" " + st.Title.Render(bar) + st.Text.Render(fmt.Sprintf(" %3.0f%%", 100*frac)),
		" " + st.Muted.Render(fmt.Sprintf("%s rows read · %s", format.Digits(rows), elapsed)),
		"",
		" " + st.Muted.Render("esc cancels; the other tabs stay usable meanwhile."),
	}
}

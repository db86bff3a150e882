package data

import (
	"context"
	"errors"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/search"
)

// pickPurpose says what choosing a file in the picker does.
type pickPurpose int

const (
	pickProfile pickPurpose = iota
	pickDrift               // choose B, to compare with the profiled file
)

// picker lists the workspace's data files; enter chooses one, to profile or
// to compare the profiled file with; / searches the list.
type picker struct {
	files   []fileEntry
	loaded  bool
	listing uint64 // the listing job in flight; 0 when none
	err     error
	listCursor
	purpose pickPurpose
	search  search.Model
}

// shown are the files the search keeps.
func (p *picker) shown() []fileEntry {
	if !p.search.Active() {
		return p.files
	}
	var out []fileEntry
	for _, f := range p.files {
		if p.search.Match(f.Rel, format.Bytes(f.Size)) {
			out = append(out, f)
		}
	}
	return out
}

// searchKey edits the search line.
func (p *picker) searchKey(msg tea.KeyPressMsg) {
	if p.search.Update(msg) {
		p.cur, p.top = 0, 0
	}
}

// list reads the file list in the background.
func (p *picker) list(e *env) tea.Cmd {
	if !e.eng.HasWorkspace() {
		p.loaded = true
		p.err = errors.New("no workspace: open Lathe in a workspace (lathe init) or try `lathe demo`")
		return nil
	}
	eng := e.eng
	seq, cmd := e.jobs.Start(func(ctx context.Context) (any, error) {
		files, err := eng.DataFiles(ctx)
		return filesDone{files}, err
	})
	p.listing = seq
	return cmd
}

// done takes the listing's result.
func (p *picker) done(msg common.ResultMsg) {
	p.listing = 0
	p.loaded = true
	p.err = msg.Err
	if r, ok := msg.Payload.(filesDone); ok {
		p.files = r.files
	}
	p.cur = min(p.cur, max(len(p.shown())-1, 0))
}

// update moves the cursor; enter returns the file chosen, esc back.
func (p *picker) update(msg tea.KeyPressMsg, e *env) (chosen string, back bool) {
	k := e.keys
	files := p.shown()
	switch {
	case p.listCursor.update(msg, k, len(files), e.listPage()):
	case key.Matches(msg, k.Filter):
		p.search.Open()
	case key.Matches(msg, k.Back) && p.search.Active():
		p.search.Clear()
		p.cur, p.top = 0, 0
	case key.Matches(msg, k.Back):
		return "", true
	case key.Matches(msg, k.Open):
		if len(files) > 0 {
			return files[clamp(p.cur, 0, len(files)-1)].Path, false
		}
	}
	return "", false
}

// view lists the files in h lines; current is the profiled file's path.
func (p *picker) view(e *env, h int, current string) (out []string) {
	st := e.st
	switch {
	case p.err != nil:
		return e.errorLines("Could not list the data files in "+e.rootLabel(), p.err)
	case !p.loaded:
		return []string{"", " " + st.Muted.Render("Looking for data files in "+e.rootLabel()+" …")}
	case len(p.files) == 0:
		return []string{"", " " + st.Text.Render("No data files (CSV, TSV, JSON, JSON Lines, Parquet) under "+e.rootLabel()+".")}
	}
	files := p.shown()
	title := fmt.Sprintf(" %d data files", len(p.files))
	if p.purpose == pickDrift {
		title = " Compare " + e.rel(current) + " with:"
	}
	if s := p.search.Status(len(files), len(p.files)); s != "" {
		title += "  " + s
	}
	out = append(out, st.Muted.Render(title))
	listH := max(h-1, 1)
	if p.search.Editing() {
		listH = max(h-2, 1) // the search line takes the last
	}
	top := p.window(listH, len(files))
	sizeW := 9
	nameW := max(e.w-sizeW-4, 8)
	defer func() {
		if p.search.Editing() {
			for len(out) < h-1 {
				out = append(out, "")
			}
			out = append(out, p.search.Line(st, e.w))
		}
	}()
	for i := top; i < len(files) && i < top+listH; i++ {
		f := files[i]
		line := fmt.Sprintf("%s %9s", frame.Line(format.OneLine(f.Rel), nameW), format.Bytes(f.Size))
		if i == p.cur {
			out = append(out, e.cursor().Render("▸"+line))
		} else {
			marker := " "
			if f.Path == current {
				marker = "•"
			}
			out = append(out, st.Text.Render(marker+line))
		}
	}
	return out
}

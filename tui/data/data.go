// Package data is the Data screen: a picker over the workspace's data files,
// a background profile with progress (cancellable with esc), the column list
// with one-line histograms, a column's detail, the quality alerts, a table
// over a bounded sample of rows (sort, filter, hide columns), drift between
// two files and a split dialog. Every number comes from the explore engine,
// the same calls the `lathe data` commands make.
package data

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
	"github.com/lathe-ml/lathe/tui/components/rowtable"
)

// view is what the screen body shows.
type view int

const (
	viewFiles view = iota
	viewColumns
	viewDetail
	viewAlerts
	viewRows
	viewDrift
	viewSplit
)

func (v view) String() string {
	return [...]string{"Files", "Columns", "Detail", "Alerts", "Rows", "Drift", "Split"}[v]
}

// pickPurpose says what choosing a file in the picker does.
type pickPurpose int

const (
	pickProfile pickPurpose = iota
	pickDrift               // choose B, to compare with the profiled file
)

// tickMsg re-draws the progress bar while the job seq runs.
type tickMsg struct{ seq uint64 }

const tickEvery = 100 * time.Millisecond

// Screen is the Data tab.
type Screen struct {
	c    *common.Context
	eng  *engine.Engine
	Keys KeyMap
	jobs *common.Jobs
	w, h int

	view    view
	back    view // where esc returns from detail, drift and split
	message string

	// File picker.
	files       []fileEntry
	filesLoaded bool
	listing     uint64
	filesErr    error
	fileCur     int
	fileTop     int
	pick        pickPurpose

	// Profile of the current file.
	path        string // absolute
	profiling   uint64
	interrupted bool // a profile was cancelled by leaving the tab: resume on return
	box         *progressBox
	started     time.Time
	prof        *explore.Profile
	profErr     error
	colCur      int
	colTop      int
	scroll      int // first line of the alerts, detail and drift views

	// Row sample.
	sampling  uint64
	table     *rowtable.Model
	sampleErr error
	filter    lineinput.Model
	editing   bool
	filterErr string

	// Drift against a second file.
	driftB   string
	drifting uint64
	drift    *explore.DriftReport
	driftErr error

	// Split dialog and its result.
	form      splitForm
	splitting uint64
	split     *explore.SplitResult
	splitReg  []experiments.Dataset
	splitErr  error
}

// New returns the Data screen of the program that owns c.
func New(c *common.Context) *Screen {
	s := &Screen{c: c, eng: c.Options.Engine, Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Data)}
	s.filter.Prompt = "filter: "
	s.form = newSplitForm()
	return s
}

// ID names the screen.
func (s *Screen) ID() common.ScreenID { return common.Data }

// Init starts nothing: work starts on Activate.
func (s *Screen) Init() tea.Cmd { return nil }

// SetSize sets the body size.
func (s *Screen) SetSize(w, h int) { s.w, s.h = w, h }

// Activate lists the workspace's data files the first time, and resumes a
// profile that leaving the tab cancelled.
func (s *Screen) Activate() tea.Cmd {
	var cmds []tea.Cmd
	if !s.filesLoaded && s.listing == 0 {
		cmds = append(cmds, s.listFiles())
	}
	if s.interrupted && s.path != "" {
		s.interrupted = false
		cmds = append(cmds, s.startProfile(s.path))
	} else if s.prof != nil && s.view == viewRows && s.table == nil && s.sampleErr == nil {
		cmds = append(cmds, s.startSample()) // the sample was cancelled by leaving the tab
	}
	return tea.Batch(cmds...)
}

// Deactivate cancels the screen's background work.
func (s *Screen) Deactivate() {
	if s.profiling != 0 {
		s.interrupted = true
	}
	s.jobs.CancelAll()
	s.listing, s.profiling, s.sampling, s.drifting, s.splitting = 0, 0, 0, 0, 0
}

// CapturingInput reports whether the screen is editing text, so that the
// router passes it every key (typing "q" or "3" into a filter must not quit
// or switch tabs).
func (s *Screen) CapturingInput() bool {
	return s.editing || (s.view == viewSplit && s.split == nil && s.splitting == 0 && s.prof != nil)
}

// Busy reports whether a profile is running (for tests and the status).
func (s *Screen) Busy() bool { return s.profiling != 0 }

// Profile returns the current profile, nil before one has loaded.
func (s *Screen) Profile() *explore.Profile { return s.prof }

// View names the current view ("Files", "Columns", ...).
func (s *Screen) ViewName() string { return s.view.String() }

func (s *Screen) root() string { return s.eng.Info().Root }

// readOptions are the readers' options for the workspace's config.
func (s *Screen) readOptions() explore.ReadOptions {
	ro, _ := s.eng.ReadOptions("") // "" is always a valid mode
	return ro
}

func (s *Screen) listFiles() tea.Cmd {
	if !s.eng.HasWorkspace() {
		s.filesLoaded = true
		s.filesErr = errors.New("no workspace: open Lathe in a workspace (lathe init) or try `lathe demo`")
		return nil
	}
	e := s.eng
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		files, err := e.DataFiles(ctx)
		return filesDone{files}, err
	})
	s.listing = seq
	return cmd
}

// startProfile profiles path in the background, superseding any profile in
// flight; a tick keeps the progress bar moving.
func (s *Screen) startProfile(path string) tea.Cmd {
	s.cancelProfile()
	s.path = path
	s.prof, s.profErr = nil, nil
	s.table, s.sampleErr, s.filterErr = nil, nil, ""
	s.drift, s.driftErr, s.driftB = nil, nil, ""
	s.split, s.splitErr = nil, nil
	s.colCur, s.colTop, s.scroll = 0, 0, 0
	s.message = ""
	box := &progressBox{}
	s.box = box
	s.started = time.Now()
	e := s.eng
	opts := e.ProfileOptions(s.readOptions())
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		p, err := e.Profile(engine.WithProgress(ctx, box), path, opts)
		return profileDone{path, p}, err
	})
	s.profiling = seq
	s.view = viewColumns
	return tea.Batch(cmd, tick(seq))
}

// cancelProfile stops the profile in flight (esc): its late result is dropped.
func (s *Screen) cancelProfile() {
	if s.profiling == 0 {
		return
	}
	// Jobs cancels per screen; the profile is the screen's main work, and a
	// sample, drift or split of the old file is stale once it goes.
	s.jobs.CancelAll()
	s.profiling, s.sampling, s.drifting, s.splitting = 0, 0, 0, 0
	if s.listing != 0 { // the file list is still wanted
		s.listing = 0
		s.filesLoaded = false
	}
}

func tick(seq uint64) tea.Cmd {
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return tickMsg{seq} })
}

func (s *Screen) startSample() tea.Cmd {
	path := s.path
	e := s.eng
	ro := s.readOptions()
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		rs, err := e.SampleRows(ctx, path, ro, e.SampleLimit())
		return sampleDone{path, frameOf(rs)}, err
	})
	s.sampling = seq
	return cmd
}

func (s *Screen) startDrift(b string) tea.Cmd {
	a := s.path
	s.driftB, s.drift, s.driftErr, s.scroll = b, nil, nil, 0
	e := s.eng
	ro := s.readOptions()
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		rep, err := e.Drift(ctx, a, b, explore.DriftOptions{Read: ro, Threshold: engine.DefaultDriftThreshold})
		return driftDone{rep}, err
	})
	s.drifting = seq
	s.view = viewDrift
	return cmd
}

// Update handles keys and the screen's own results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ResultMsg:
		return s, s.handleResult(msg)
	case tickMsg:
		if msg.seq == s.profiling && s.profiling != 0 {
			return s, tick(msg.seq)
		}
		return s, nil
	case tea.KeyPressMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

func (s *Screen) handleResult(msg common.ResultMsg) tea.Cmd {
	if !s.jobs.Accept(msg) {
		return nil // stale: cancelled, superseded or not ours
	}
	switch msg.Seq {
	case s.listing:
		s.listing = 0
		s.filesLoaded = true
		s.filesErr = msg.Err
		if p, ok := msg.Payload.(filesDone); ok {
			s.files = p.files
		}
		s.fileCur = min(s.fileCur, max(len(s.files)-1, 0))
	case s.profiling:
		s.profiling = 0
		s.profErr = msg.Err
		if p, ok := msg.Payload.(profileDone); ok && msg.Err == nil && p.path == s.path {
			s.prof = p.prof
		}
	case s.sampling:
		s.sampling = 0
		s.sampleErr = msg.Err
		if p, ok := msg.Payload.(sampleDone); ok && msg.Err == nil && p.path == s.path {
			f := p.frame
			if s.prof != nil {
				f.Total = s.prof.Rows
			}
			s.table = rowtable.New(f)
		}
	case s.drifting:
		s.drifting = 0
		s.driftErr = msg.Err
		if p, ok := msg.Payload.(driftDone); ok && msg.Err == nil {
			s.drift = p.rep
		}
	case s.splitting:
		s.splitting = 0
		s.splitErr = msg.Err
		if p, ok := msg.Payload.(splitDone); ok && msg.Err == nil {
			s.split, s.splitReg = p.res, p.registered
			s.scroll = 0
			// New files appeared: list them again.
			return s.listFiles()
		}
	}
	return nil
}

func (s *Screen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	if s.editing {
		return s.editKey(msg)
	}
	if s.pick != pickDrift {
		s.message = "" // a note lasts until the next key
	}
	if s.CapturingInput() {
		return s.formKey(msg)
	}
	// esc cancels a running profile before anything else.
	if key.Matches(msg, k.Back) && s.profiling != 0 {
		s.cancelProfile()
		s.interrupted = false
		s.message = "Profile of " + s.rel(s.path) + " cancelled."
		s.path = ""
		s.view = viewFiles
		return nil
	}
	// View switches, valid once a file is chosen.
	switch {
	case key.Matches(msg, k.Files):
		s.view, s.pick = viewFiles, pickProfile
		if s.listing == 0 {
			return s.listFiles() // pick up files written since
		}
		return nil
	case s.prof == nil && s.view != viewFiles && key.Matches(msg, k.Back):
		s.view = viewFiles
		return nil
	}
	if s.prof != nil {
		switch {
		case key.Matches(msg, k.Columns):
			s.view = viewColumns
			return nil
		case key.Matches(msg, k.Alerts):
			s.view, s.scroll = viewAlerts, 0
			return nil
		case key.Matches(msg, k.Rows):
			s.view = viewRows
			if s.table == nil && s.sampling == 0 {
				return s.startSample()
			}
			return nil
		case key.Matches(msg, k.Drift):
			s.back, s.view, s.pick = s.view, viewFiles, pickDrift
			s.message = "Pick the file to compare " + s.rel(s.path) + " with (esc: back)."
			return nil
		case key.Matches(msg, k.Split):
			s.back, s.view = s.view, viewSplit
			s.split, s.splitErr = nil, nil
			s.form.reset(s.prof)
			return nil
		}
	}
	switch s.view {
	case viewFiles:
		return s.filesKey(msg)
	case viewColumns:
		return s.columnsKey(msg)
	case viewDetail:
		return s.detailKey(msg)
	case viewRows:
		return s.rowsKey(msg)
	case viewAlerts, viewDrift, viewSplit:
		return s.scrollKey(msg)
	}
	return nil
}

func (s *Screen) filesKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	page := max(s.listHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		s.fileCur--
	case key.Matches(msg, k.Down):
		s.fileCur++
	case key.Matches(msg, k.PageUp):
		s.fileCur -= page
	case key.Matches(msg, k.PageDown):
		s.fileCur += page
	case key.Matches(msg, k.Top):
		s.fileCur = 0
	case key.Matches(msg, k.Bottom):
		s.fileCur = len(s.files) - 1
	case key.Matches(msg, k.Back):
		if s.pick == pickDrift {
			s.pick, s.view, s.message = pickProfile, s.back, ""
		} else if s.prof != nil {
			s.view = viewColumns
		}
		return nil
	case key.Matches(msg, k.Open):
		if len(s.files) == 0 {
			return nil
		}
		f := s.files[clamp(s.fileCur, 0, len(s.files)-1)]
		if s.pick == pickDrift {
			s.pick, s.message = pickProfile, ""
			return s.startDrift(f.Path)
		}
		return s.startProfile(f.Path)
	}
	s.fileCur = clamp(s.fileCur, 0, len(s.files)-1)
	return nil
}

func (s *Screen) columnsKey(msg tea.KeyPressMsg) tea.Cmd {
	if s.prof == nil {
		return nil
	}
	k := s.Keys
	n := len(s.prof.Columns)
	page := max(s.listHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		s.colCur--
	case key.Matches(msg, k.Down):
		s.colCur++
	case key.Matches(msg, k.PageUp):
		s.colCur -= page
	case key.Matches(msg, k.PageDown):
		s.colCur += page
	case key.Matches(msg, k.Top):
		s.colCur = 0
	case key.Matches(msg, k.Bottom):
		s.colCur = n - 1
	case key.Matches(msg, k.Open):
		s.view, s.scroll = viewDetail, 0
	case key.Matches(msg, k.Back):
		s.view = viewFiles
	}
	s.colCur = clamp(s.colCur, 0, n-1)
	return nil
}

func (s *Screen) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	n := len(s.prof.Columns)
	switch {
	case key.Matches(msg, k.Up), key.Matches(msg, k.Left):
		s.colCur, s.scroll = clamp(s.colCur-1, 0, n-1), 0
	case key.Matches(msg, k.Down), key.Matches(msg, k.Right):
		s.colCur, s.scroll = clamp(s.colCur+1, 0, n-1), 0
	case key.Matches(msg, k.PageDown):
		s.scroll += max(s.h-3, 1)
	case key.Matches(msg, k.PageUp):
		s.scroll = max(s.scroll-max(s.h-3, 1), 0)
	case key.Matches(msg, k.Back), key.Matches(msg, k.Open):
		s.view = viewColumns
	}
	return nil
}

func (s *Screen) scrollKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	switch {
	case key.Matches(msg, k.Up):
		s.scroll--
	case key.Matches(msg, k.Down):
		s.scroll++
	case key.Matches(msg, k.PageUp):
		s.scroll -= max(s.h-3, 1)
	case key.Matches(msg, k.PageDown):
		s.scroll += max(s.h-3, 1)
	case key.Matches(msg, k.Top):
		s.scroll = 0
	case key.Matches(msg, k.Bottom):
		s.scroll = 1 << 30 // clamped when drawn
	case key.Matches(msg, k.Back):
		switch s.view {
		case viewDrift, viewSplit:
			s.view = s.back
			if s.view == viewFiles || s.view == viewDrift || s.view == viewSplit {
				s.view = viewColumns
			}
		default:
			s.view = viewColumns
		}
		s.scroll = 0
		return nil
	case key.Matches(msg, k.Split) && s.view == viewSplit && s.split != nil:
		s.split, s.splitErr = nil, nil // back to the dialog for another split
		return nil
	}
	s.scroll = max(s.scroll, 0)
	return nil
}

func (s *Screen) rowsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	t := s.table
	if key.Matches(msg, k.Back) {
		s.view = viewColumns
		return nil
	}
	if t == nil {
		return nil
	}
	page := max(s.h-4, 1)
	switch {
	case key.Matches(msg, k.Up):
		t.MoveRow(-1)
	case key.Matches(msg, k.Down):
		t.MoveRow(1)
	case key.Matches(msg, k.PageUp):
		t.MoveRow(-page)
	case key.Matches(msg, k.PageDown):
		t.MoveRow(page)
	case key.Matches(msg, k.Top):
		t.MoveRow(-t.Len())
	case key.Matches(msg, k.Bottom):
		t.MoveRow(t.Len())
	case key.Matches(msg, k.Left):
		t.MoveCol(-1)
	case key.Matches(msg, k.Right):
		t.MoveCol(1)
	case key.Matches(msg, k.Sort):
		t.SortByCursor()
	case key.Matches(msg, k.Hide):
		t.HideCursorColumn()
	case key.Matches(msg, k.ShowAll):
		t.ShowAllColumns()
	case key.Matches(msg, k.Filter):
		s.editing = true
		s.filter.SetValue(t.Filter())
		s.filter.Focus()
		return nil
	}
	return nil
}

// editKey edits the filter: enter applies, esc abandons.
func (s *Screen) editKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		if err := s.table.SetFilter(s.filter.Value()); err != nil {
			s.filterErr = err.Error()
			return nil // keep editing so the user can fix it
		}
		s.filterErr = ""
		s.editing = false
		s.filter.Blur()
		return nil
	case "esc":
		s.filterErr = ""
		s.editing = false
		s.filter.Blur()
		return nil
	}
	s.filter.Update(msg)
	return nil
}

// SetFilter applies a row filter as if typed after "/" (for tests and scripts).
func (s *Screen) SetFilter(expr string) error {
	if s.table == nil {
		return errors.New("no rows loaded")
	}
	return s.table.SetFilter(expr)
}

// Table returns the row table, nil until the sample has loaded.
func (s *Screen) Table() *rowtable.Model { return s.table }

func (s *Screen) rel(path string) string {
	if r := s.root(); r != "" {
		if rel, err := filepath.Rel(r, path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return path
}

// ShortHelp lists the current view's main keys for the footer; the view bar
// names the view keys (f c a r d s) and ? shows them all. Kept short so the
// global keys still fit at 80 columns.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.Keys
	esc := func(desc string) key.Binding { return withHelp(k.Back, desc) }
	switch {
	case s.editing:
		return []key.Binding{withHelp(k.Open, "apply"), esc("cancel")}
	case s.CapturingInput():
		return []key.Binding{k.Next, k.Run, esc("close")}
	case s.profiling != 0:
		return []key.Binding{esc("cancel profile")}
	}
	switch s.view {
	case viewFiles:
		if s.pick == pickDrift {
			return []key.Binding{withHelp(k.Open, "compare"), esc("back")}
		}
		return []key.Binding{withHelp(k.Open, "profile")}
	case viewColumns:
		return []key.Binding{withHelp(k.Open, "detail")}
	case viewDetail:
		return []key.Binding{withHelp(k.Down, "next column"), esc("back")}
	case viewRows:
		return []key.Binding{k.Filter, k.Sort}
	case viewSplit:
		if s.split != nil {
			return []key.Binding{withHelp(k.Split, "again"), esc("back")}
		}
	}
	return []key.Binding{esc("back")}
}

// FullHelp lists every key of the screen, grouped.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Back, k.Files, k.Columns, k.Alerts, k.Rows},
		{k.Drift, k.Split, k.Filter, k.Sort, k.Hide, k.ShowAll},
	}
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
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

func newSplitForm() splitForm {
	return splitForm{}
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

func (s *Screen) formKey(msg tea.KeyPressMsg) tea.Cmd {
	f := &s.form
	switch msg.String() {
	case "esc":
		s.view = s.back
		if s.view == viewFiles || s.view == viewSplit || s.view == viewDrift {
			s.view = viewColumns
		}
		return nil
	case "tab", "down":
		f.field = (f.field + 1) % 3
		f.focus()
		return nil
	case "shift+tab", "up":
		f.field = (f.field + 2) % 3
		f.focus()
		return nil
	case "enter":
		return s.runSplit()
	}
	if f.field == 1 {
		switch msg.String() {
		case "left", "h":
			f.stratify = (f.stratify + len(f.choices) - 1) % len(f.choices)
		case "right", "l", " ":
			f.stratify = (f.stratify + 1) % len(f.choices)
		}
		return nil
	}
	return f.update(msg)
}

// runSplit writes the splits beside the file, under splits/.
func (s *Screen) runSplit() tea.Cmd {
	opts, err := s.form.options()
	if err != nil {
		s.form.err = err.Error()
		return nil
	}
	s.form.err = ""
	path := s.path
	opts.Read = s.readOptions()
	opts.Drift = explore.DriftOptions{Read: opts.Read}
	opts.OutDir = filepath.Join(filepath.Dir(path), "splits")
	e := s.eng
	parent := s.prof
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		res, err := e.Split(ctx, engine.SplitRequest{Path: path, Options: opts, Parent: parent})
		if err != nil {
			return nil, err
		}
		return splitDone{res: res.SplitResult, registered: res.Datasets}, nil
	})
	s.splitting = seq
	s.splitErr = nil
	return cmd
}

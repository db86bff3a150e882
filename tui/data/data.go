// Package data is the Data screen: a picker over the workspace's data files,
// a background profile with progress (cancellable with esc), the column list
// with one-line histograms, a column's detail, the quality alerts, a table
// over a bounded sample of rows (sort, filter, hide columns), drift between
// two files and a split dialog. Every number comes from the explore engine,
// the same calls the `lathe data` commands make.
//
// The screen is a router between its views, each a component with its own
// state, keys and view: the picker (picker.go), the columns and a column's
// detail (columns.go), the alerts (alerts.go), the rows (rows.go), drift
// (drift.go) and split (split.go). What they share, the file and its
// profile, is profile.go's; what the screen lends them to draw and start
// work with is env (env.go).
package data

import (
	"errors"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/tui/common"
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

// Screen is the Data tab.
type Screen struct {
	c    *common.Context
	eng  *engine.Engine
	Keys KeyMap
	jobs *common.Jobs
	w, h int

	view    view
	back    view   // where esc returns from drift and split
	message string // a note in the header, until the next key
	header  string // the CSV header mode chosen with H ("" = the config's)

	file    profile
	picker  picker
	columns columns
	detail  columnDetail
	alerts  alerts
	rows    rows
	drift   drift
	split   split
}

// New returns the Data screen of the program that owns c.
func New(c *common.Context) *Screen {
	return &Screen{c: c, eng: c.Engine(), Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Data), rows: newRows()}
}

// env is what the views get to draw and to start work.
func (s *Screen) env() *env {
	return &env{st: s.c.Styles, keys: s.Keys, w: s.w, h: s.h, eng: s.eng, jobs: s.jobs, header: s.header}
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
	if !s.picker.loaded && s.picker.listing == 0 {
		cmds = append(cmds, s.picker.list(s.env()))
	}
	if s.file.interrupted && s.file.path != "" {
		s.file.interrupted = false
		cmds = append(cmds, s.startProfile(s.file.path))
	} else if s.file.prof != nil && s.view == viewRows && s.rows.table == nil && s.rows.err == nil {
		cmds = append(cmds, s.rows.start(s.env(), s.file.path)) // the sample was cancelled by leaving the tab
	}
	return tea.Batch(cmds...)
}

// Deactivate cancels the screen's background work.
func (s *Screen) Deactivate() {
	if s.file.profiling != 0 {
		s.file.interrupted = true
	}
	s.jobs.CancelAll()
	s.picker.listing, s.file.profiling, s.rows.sampling, s.drift.drifting, s.split.splitting = 0, 0, 0, 0, 0
}

// CapturingInput reports whether the screen is editing text, so that the
// router passes it every key (typing "q" or "3" into a filter must not quit
// or switch tabs).
func (s *Screen) CapturingInput() bool {
	return s.rows.editing || s.splitDialog() || s.picker.search.Editing()
}

// splitDialog reports whether the split dialog is up.
func (s *Screen) splitDialog() bool {
	return s.view == viewSplit && s.split.editing() && s.file.prof != nil
}

// Busy reports whether a profile is running (for tests and the status).
func (s *Screen) Busy() bool { return s.file.profiling != 0 }

// Profile returns the current profile, nil before one has loaded.
func (s *Screen) Profile() *explore.Profile { return s.file.prof }

// ViewName names the current view ("Files", "Columns", ...).
func (s *Screen) ViewName() string { return s.view.String() }

// startProfile profiles path in the background, superseding any profile in
// flight and what the views showed of the previous file.
func (s *Screen) startProfile(path string) tea.Cmd {
	s.cancelProfile()
	s.rows.reset()
	s.drift.reset()
	s.split.reset()
	s.columns = columns{}
	s.detail, s.alerts, s.drift.scroller, s.split.scroller = columnDetail{}, alerts{}, scroller{}, scroller{}
	s.message = ""
	s.view = viewColumns
	return s.file.start(s.env(), path)
}

// cancelProfile stops the profile in flight (esc): its late result is dropped.
func (s *Screen) cancelProfile() {
	if s.file.profiling == 0 {
		return
	}
	// Jobs cancels per screen; the profile is the screen's main work, and a
	// sample, drift or split of the old file is stale once it goes.
	s.jobs.CancelAll()
	s.file.profiling, s.rows.sampling, s.drift.drifting, s.split.splitting = 0, 0, 0, 0
	if s.picker.listing != 0 { // the file list is still wanted
		s.picker.listing = 0
		s.picker.loaded = false
	}
}

// Update handles keys and the screen's own results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ResultMsg:
		return s, s.handleResult(msg)
	case tickMsg:
		if msg.seq == s.file.profiling && s.file.profiling != 0 {
			return s, tick(msg.seq)
		}
		return s, nil
	case tea.KeyPressMsg:
		return s, s.handleKey(msg)
	}
	return s, nil
}

// handleResult hands a job's result to the view that started it.
func (s *Screen) handleResult(msg common.ResultMsg) tea.Cmd {
	if !s.jobs.Accept(msg) {
		return nil // stale: cancelled, superseded or not ours
	}
	switch msg.Seq {
	case s.picker.listing:
		s.picker.done(msg)
	case s.file.profiling:
		s.file.done(msg)
	case s.rows.sampling:
		s.rows.done(msg, s.file.path, s.file.prof)
	case s.drift.drifting:
		s.drift.done(msg)
	case s.split.splitting:
		if s.split.done(msg) {
			return s.picker.list(s.env()) // new files appeared: list them again
		}
	}
	return nil
}

// handleKey gives the key to the text being edited, else takes the view
// switches, else hands it to the current view.
func (s *Screen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	e := s.env()
	if s.rows.editing {
		s.rows.edit(msg)
		return nil
	}
	if s.picker.search.Editing() {
		s.picker.searchKey(msg)
		return nil
	}
	if s.picker.purpose != pickDrift {
		s.message = "" // a note lasts until the next key
	}
	if s.splitDialog() {
		closed, cmd := s.split.updateForm(msg, e, s.file.path, s.file.prof)
		if closed {
			s.goBack()
		}
		return cmd
	}
	// esc cancels a running profile before anything else.
	if key.Matches(msg, k.Back) && s.file.profiling != 0 {
		s.cancelProfile()
		s.file.interrupted = false
		s.message = "Profile of " + e.rel(s.file.path) + " cancelled."
		s.file.path = ""
		s.view = viewFiles
		return nil
	}
	// View switches, valid once a file is chosen.
	switch {
	case key.Matches(msg, k.Header):
		return s.cycleHeader()
	case key.Matches(msg, k.Files):
		s.view, s.picker.purpose = viewFiles, pickProfile
		if s.picker.listing == 0 {
			return s.picker.list(e) // pick up files written since
		}
		return nil
	case s.file.prof == nil && s.view != viewFiles && key.Matches(msg, k.Back):
		s.view = viewFiles
		return nil
	}
	if s.file.prof != nil {
		if cmd, ok := s.switchView(msg); ok {
			return cmd
		}
	}
	switch s.view {
	case viewFiles:
		return s.pickerKey(msg, e)
	case viewColumns:
		if s.file.prof != nil {
			s.view = s.columns.update(msg, e, s.file.prof)
			if s.view == viewDetail {
				s.detail.top = 0
			}
		}
	case viewDetail:
		s.view = s.detail.update(msg, e, &s.columns, len(s.file.prof.Columns))
	case viewRows:
		if s.rows.update(msg, e) {
			s.view = viewColumns
		}
	case viewAlerts:
		s.scrollKey(msg, e, &s.alerts.scroller)
	case viewDrift:
		s.scrollKey(msg, e, &s.drift.scroller)
	case viewSplit:
		s.scrollKey(msg, e, &s.split.scroller)
	}
	return nil
}

// cycleHeader steps the CSV header mode first-row → none → sniff and
// profiles the open file again with it, as `lathe data profile --header`.
func (s *Screen) cycleHeader() tea.Cmd {
	cur := s.header
	if cur == "" {
		ro, _ := s.eng.ReadOptions("")
		cur = ro.Header.String()
	}
	next := map[string]string{"first-row": "none", "none": "sniff", "sniff": "first-row"}[cur]
	if next == "" {
		next = "first-row"
	}
	s.header = next
	msg := "Header: " + next + headerNote(next)
	if s.file.path != "" && s.view != viewFiles {
		path := s.file.path
		cmd := s.startProfile(path)
		s.message = msg + "; profiling again."
		return cmd
	}
	s.message = msg + "; applies to the next file."
	return nil
}

func headerNote(mode string) string {
	switch mode {
	case "none":
		return " (columns column_1, column_2, …)"
	case "sniff":
		return " (guessed, as Python's csv.Sniffer)"
	}
	return " (the first row names the columns, as pandas)"
}

// switchView handles the keys that open a view of the profiled file.
func (s *Screen) switchView(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := s.Keys
	switch {
	case key.Matches(msg, k.Columns):
		s.view = viewColumns
	case key.Matches(msg, k.Alerts):
		s.view, s.alerts.top = viewAlerts, 0
	case key.Matches(msg, k.Rows):
		s.view = viewRows
		if s.rows.table == nil && s.rows.sampling == 0 {
			return s.rows.start(s.env(), s.file.path), true
		}
	case key.Matches(msg, k.Drift):
		s.back, s.view, s.picker.purpose = s.view, viewFiles, pickDrift
		s.message = "Pick the file to compare " + s.env().rel(s.file.path) + " with (esc: back)."
	case key.Matches(msg, k.Split):
		s.back, s.view = s.view, viewSplit
		s.split.open(s.file.prof)
	default:
		return nil, false
	}
	return nil, true
}

// pickerKey: enter profiles the file chosen, or compares with it.
func (s *Screen) pickerKey(msg tea.KeyPressMsg, e *env) tea.Cmd {
	chosen, back := s.picker.update(msg, e)
	switch {
	case back && s.picker.purpose == pickDrift:
		s.picker.purpose, s.view, s.message = pickProfile, s.back, ""
	case back && s.file.prof != nil:
		s.view = viewColumns
	case chosen != "" && s.picker.purpose == pickDrift:
		s.picker.purpose, s.message = pickProfile, ""
		s.view = viewDrift
		return s.drift.start(e, s.file.path, chosen)
	case chosen != "":
		return s.startProfile(chosen)
	}
	return nil
}

// scrollKey scrolls the alerts, drift and split views; esc goes back.
func (s *Screen) scrollKey(msg tea.KeyPressMsg, e *env, sc *scroller) {
	if sc.update(msg, s.Keys, e.page()) {
		return
	}
	if key.Matches(msg, s.Keys.Back) {
		if s.view == viewAlerts {
			s.view = viewColumns
		} else {
			s.goBack()
		}
		sc.top = 0
	}
}

// goBack leaves drift or split for the view they were opened from, the
// columns when that was the picker or another of the two.
func (s *Screen) goBack() {
	s.view = s.back
	if s.view == viewFiles || s.view == viewDrift || s.view == viewSplit {
		s.view = viewColumns
	}
}

// SetFilter applies a row filter as if typed after "/" (for tests and scripts).
func (s *Screen) SetFilter(expr string) error {
	if s.rows.table == nil {
		return errors.New("no rows loaded")
	}
	return s.rows.table.SetFilter(expr)
}

// Table returns the row table, nil until the sample has loaded.
func (s *Screen) Table() *rowtable.Model { return s.rows.table }

// ShortHelp lists the current view's main keys for the footer; the view bar
// names the view keys (f c a r d s) and ? shows them all. Kept short so the
// global keys still fit at 80 columns.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.Keys
	esc := func(desc string) key.Binding { return withHelp(k.Back, desc) }
	switch {
	case s.rows.editing:
		return []key.Binding{withHelp(k.Open, "apply"), esc("cancel")}
	case s.picker.search.Editing():
		return []key.Binding{withHelp(k.Open, "keep"), esc("clear")}
	case s.CapturingInput():
		return []key.Binding{k.Next, k.Run, esc("close")}
	case s.file.profiling != 0:
		return []key.Binding{esc("cancel profile")}
	}
	switch s.view {
	case viewFiles:
		if s.picker.purpose == pickDrift {
			return []key.Binding{withHelp(k.Open, "compare"), withHelp(k.Filter, "search"), esc("back")}
		}
		return []key.Binding{withHelp(k.Open, "profile"), withHelp(k.Filter, "search")}
	case viewColumns:
		return []key.Binding{withHelp(k.Open, "detail")}
	case viewDetail:
		return []key.Binding{withHelp(k.Down, "next column"), esc("back")}
	case viewRows:
		return []key.Binding{k.Filter, k.Sort}
	case viewSplit:
		if s.split.res != nil {
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
		{k.Open, k.Back, k.Files, k.Columns, k.Alerts, k.Rows, k.Drift, k.Split},
		{k.Left, k.Right, k.Filter, k.Sort, k.Hide, k.ShowAll, k.Header},
	}
}

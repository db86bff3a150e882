// Package tuner is the Tuner screen: a study picker, the trials table
// (parameters, metrics, feasibility, status), the Pareto front as a braille
// scatter of two chosen metrics with infeasible trials dimmed and thresholds
// drawn as lines, the hypervolume over trials as a sparkline, the best
// feasible trial per objective and parameter importance. It polls the store
// on a tick while visible, so a study driven by another process (`lathe tune
// run`) updates live. enter on a trial jumps to its run; n starts a study
// from a spec file in the background, X stops it (start.go).
package tuner

import (
	"context"
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/search"
	"github.com/lathe-ml/lathe/tui/keys"
)

// RefreshEvery is how often a visible Tuner re-reads the store.
const RefreshEvery = time.Second

// KeyMap are the Tuner screen's bindings.
type KeyMap struct {
	keys.Nav
	PCoords             key.Binding // p: parallel coordinates in place of the scatter (pcoords.go)
	Open, Back, Studies key.Binding
	XAxis, YAxis, View  key.Binding
	Refresh             key.Binding
	Start, Stop, Resume key.Binding // start.go
	Search              key.Binding // / searches the trials table
}

// DefaultKeyMap returns the Tuner screen's bindings.
func DefaultKeyMap() KeyMap {
	nav := keys.DefaultNav()
	nav.Top.SetHelp("g", "first")
	nav.Bottom.SetHelp("G", "last")
	return KeyMap{
		PCoords: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "parallel coords")),
		Nav:     nav,
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Studies: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "studies")),
		XAxis:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "x-axis")),
		YAxis:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "y-axis")),
		View:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "view")),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Start:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "start")),
		Stop:    key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "stop study")),
		Resume:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "resume")),
		Search:  search.Key(),
	}
}

// view is what the body shows when the terminal is too narrow for both.
type view int

const (
	viewSplit view = iota // table and plot side by side (wide terminals)
	viewTable
	viewPlot
)

// Screen is the Tuner tab.
type Screen struct {
	c    *common.Context
	Keys KeyMap
	jobs *common.Jobs

	w, h    int
	active  bool
	tickGen uint64 // ticks of an earlier activation are ignored
	pending uint64 // Seq of the fetch in flight; 0 when none

	studies []experiments.Study
	picking bool
	pickIdx int

	specs specPicker       // n: start a study from a spec file (start.go)
	bg    *engine.StudyRun // the shown study's driver in this engine, if any

	name  string // the study shown; "" picks the newest
	rep   *engine.StudyReport
	err   error
	sel   int // index into rep.Trials
	top   int // first table row shown
	xAxis int // index into axes(); -1 until the first report
	yAxis int
	view  view

	pcoords bool // parallel coordinates in place of the scatter

	search search.Model // the trials table's / search
}

// New returns the Tuner screen of the program that owns c.
func New(c *common.Context) *Screen {
	return &Screen{c: c, Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Tuner), xAxis: -1, yAxis: -1}
}

// ID returns the screen's ID.
func (s *Screen) ID() common.ScreenID { return common.Tuner }

// Init has nothing to start: work starts on Activate.
func (s *Screen) Init() tea.Cmd { return nil }

// SetSize sets the body size.
func (s *Screen) SetSize(w, h int) { s.w, s.h = w, h }

// Activate loads the studies and starts the refresh tick.
func (s *Screen) Activate() tea.Cmd {
	s.active = true
	s.tickGen++
	return tea.Batch(s.fetch(), s.tick())
}

// Deactivate stops the tick and cancels the fetch in flight.
func (s *Screen) Deactivate() {
	s.active = false
	s.tickGen++
	s.jobs.CancelAll()
	s.pending = 0
}

// Selected returns the study shown and the selected trial's number (0 when
// none), for tests and the router.
func (s *Screen) Selected() (study string, trial int) {
	if s.rep == nil || len(s.rep.Trials) == 0 {
		return s.name, 0
	}
	return s.name, s.rep.Trials[s.sel].Number
}

// Report returns the last report shown.
func (s *Screen) Report() (*engine.StudyReport, error) { return s.rep, s.err }

type tickMsg struct{ gen uint64 }

func (s *Screen) tick() tea.Cmd {
	gen := s.tickGen
	return tea.Tick(RefreshEvery, func(time.Time) tea.Msg { return tickMsg{gen} })
}

// fetched is the payload of a store read.
type fetched struct {
	studies []experiments.Study
	rep     *engine.StudyReport
	bg      *engine.StudyRun
}

func (s *Screen) fetch() tea.Cmd {
	e := s.c.Engine()
	if s.pending != 0 {
		return nil // the one in flight will do
	}
	name := s.name
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		studies, err := e.ListStudies(ctx)
		if err != nil {
			return nil, err
		}
		if studies == nil {
			studies = []experiments.Study{} // loaded, and none
		}
		out := fetched{studies: studies}
		if name == "" && len(studies) > 0 {
			name = studies[0].Name
		}
		if name == "" {
			return out, nil
		}
		rep, err := e.StudyStatus(ctx, name)
		if err != nil {
			return out, err
		}
		out.rep = &rep
		out.bg = e.StudyRun(name)
		return out, nil
	})
	s.pending = seq
	return cmd
}

// Update handles the screen's keys, its refresh tick and its results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.gen != s.tickGen || !s.active {
			return s, nil
		}
		return s, tea.Batch(s.fetch(), s.tick())
	case common.ResultMsg:
		if !s.jobs.Accept(msg) {
			return s, nil
		}
		if cmd, ok := s.specResult(msg); ok {
			return s, cmd
		}
		s.pending = 0
		f, _ := msg.Payload.(fetched)
		if f.studies != nil || msg.Err == nil {
			s.studies = f.studies
		}
		s.err = msg.Err
		if f.rep != nil {
			s.setReport(f.rep)
			s.bg = f.bg
		}
		return s, nil
	case tea.KeyPressMsg:
		return s, s.key(msg)
	}
	return s, nil
}

func (s *Screen) setReport(rep *engine.StudyReport) {
	keepSel := 0
	if s.rep != nil && s.rep.Study == rep.Study && len(s.rep.Trials) > 0 {
		keepSel = s.rep.Trials[s.sel].Number
	}
	s.rep, s.name = rep, rep.Study
	s.sel = 0
	for i, t := range rep.Trials {
		if t.Number == keepSel {
			s.sel = i
		}
	}
	ax := axes(rep)
	if s.xAxis < 0 || s.xAxis >= len(ax) || s.yAxis >= len(ax) {
		s.xAxis, s.yAxis = defaultAxes(ax)
	}
	s.keepSelection()
}

func (s *Screen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	if s.specs.open {
		return s.specKey(msg)
	}
	if s.picking {
		switch {
		case key.Matches(msg, k.Up):
			s.pickIdx = max(0, s.pickIdx-1)
		case key.Matches(msg, k.Down):
			s.pickIdx = min(len(s.studies)-1, s.pickIdx+1)
		case key.Matches(msg, k.Back), key.Matches(msg, k.Studies):
			s.picking = false
		case key.Matches(msg, k.Resume):
			if s.pickIdx >= 0 && s.pickIdx < len(s.studies) {
				return s.resumeStudy(s.studies[s.pickIdx].Name)
			}
		case key.Matches(msg, k.Open):
			if s.pickIdx >= 0 && s.pickIdx < len(s.studies) {
				s.name = s.studies[s.pickIdx].Name
				s.rep, s.sel, s.top, s.xAxis, s.yAxis = nil, 0, 0, -1, -1
				s.picking = false
				s.jobs.CancelAll()
				s.pending = 0
				return s.fetch()
			}
		}
		return nil
	}
	if s.search.Editing() {
		if s.search.Update(msg) {
			s.top = 0
			s.keepSelection()
		}
		return nil
	}
	kept := s.keptTrials()
	n := len(kept)
	page := max(1, s.tableRows()-1)
	if pos, ok := k.Move(msg, max(slices.Index(kept, s.sel), 0), page, n-1); ok {
		if n > 0 {
			s.sel = kept[max(0, min(n-1, pos))]
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Search):
		return s.search.Open()
	case key.Matches(msg, k.Back) && s.search.Active():
		s.search.Clear()
		s.top = 0
	case key.Matches(msg, k.Refresh):
		return s.fetch()
	case key.Matches(msg, k.Start):
		return s.openSpecs()
	case key.Matches(msg, k.Stop):
		return s.stopKey()
	case key.Matches(msg, k.Studies):
		s.picking = true
		s.pickIdx = 0
		for i, st := range s.studies {
			if st.Name == s.name {
				s.pickIdx = i
			}
		}
	case key.Matches(msg, k.XAxis), key.Matches(msg, k.YAxis):
		if s.rep != nil {
			ax := axes(s.rep)
			if key.Matches(msg, k.XAxis) {
				s.xAxis = (s.xAxis + 1) % len(ax)
			} else {
				s.yAxis = (s.yAxis + 1) % len(ax)
			}
		}
	case key.Matches(msg, k.View):
		switch s.view {
		case viewPlot:
			s.view = viewTable
		default:
			s.view = viewPlot
		}
		if s.w >= wideWidth && s.view == viewTable {
			s.view = viewSplit
		}
	case key.Matches(msg, k.PCoords):
		s.pcoords = !s.pcoords
	case key.Matches(msg, k.Open):
		if n > 0 {
			if id := s.rep.Trials[s.sel].RunID; id != "" {
				return func() tea.Msg { return common.JumpMsg{Screen: common.Runs, ID: id} }
			}
		}
	}
	return nil
}

// ShortHelp lists the main keys for the footer.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.Keys
	if s.specs.open {
		return []key.Binding{k.Up, k.Down, withHelp(k.Open, "start"), k.Back}
	}
	if s.search.Editing() {
		return []key.Binding{withHelp(k.Open, "keep"), withHelp(k.Back, "clear")}
	}
	if s.picking {
		return []key.Binding{k.Up, k.Down, withHelp(k.Open, "open study"), k.Resume, k.Back}
	}
	if s.bg != nil && s.bg.Running() {
		return []key.Binding{k.Open, k.Studies, k.Start, k.Stop}
	}
	return []key.Binding{k.Open, k.Studies, k.Start, k.XAxis, k.View}
}

// FullHelp lists every key of the screen.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Studies, k.Back, k.Refresh},
		{k.Start, k.Stop, k.Resume},
		{k.XAxis, k.YAxis, k.View, k.PCoords, k.Search},
	}
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

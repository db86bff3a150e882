// Package runs is the Runs screen: the run list (status, runner, key params,
// last metrics, duration) with a filter and sort, and a run's detail with a
// live log tail and live metric curves of one or several runs overlaid.
// From a run: R reruns it through the engine's checks (a y/n question when
// its inputs or the code changed) and ends with a reproducibility verdict;
// D diffs it with a marked run (engine.DiffRuns) on a scrollable page; c
// compares the marked runs (engine.CompareRuns: a sortable table of params
// and final/best metrics, differences highlighted, over their overlaid
// curves with EMA smoothing, compare.go); L
// jumps to the Lineage screen centred on it.
//
// The screen is a router between its components, each with its own state,
// keys and view: the list (list.go), the launch line (launch.go), a run's
// detail (detail.go, fed by feed.go), the diff page (diff.go) and the rerun
// question (rerun.go). The keys that act on a run (stop, rerun, diff,
// lineage) and every background job are the screen's.
//
// Everything goes through the engine (common.Options.Engine). Live data
// reaches the screen through one feed per detail view: a goroutine per
// followed run calls engine.FollowWith and appends to the feed (bounded);
// the screen drains the feed on its fixed-rate tick (250 ms) and redraws from
// bounded chart series, so a run printing thousands of lines a second costs
// one redraw per tick (lazydocker's stats pattern). Ticks and results travel
// as common.ResultMsg addressed to this screen, so they are never delivered
// to another tab; the tick stops on Deactivate and the follows with it.
package runs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
)

// Tick is the redraw period of the live views.
const Tick = 250 * time.Millisecond

// Bounds of what one detail view keeps.
const (
	maxLogLines   = 1000
	maxSeriesPts  = 4096
	maxPendingPts = 200_000
	maxListedRuns = 500
)

// Payloads of the screen's own messages.
type (
	tickMsg         struct{ gen uint64 }
	launchedPayload struct {
		id, rerunOf string
		allowed     engine.RerunOptions // what changed since the original, allowed by the user
	}
	stoppedPayload struct{ id string }
	notePayload    struct{ text string }
)

// Screen is the Runs tab.
type Screen struct {
	c    *common.Context
	Keys KeyMap
	jobs *common.Jobs
	now  func() time.Time // the clock durations and notes are read on

	w, h   int
	active bool
	gen    uint64 // the live tick's generation; older ticks die
	synced bool   // reconciled once

	status // the note or error on the bottom line

	list    *list
	launch  *launcher
	detail  *detail       // a run's detail, over the list
	diff    *diffView     // the diff page, over the list, the detail or the compare view
	cmp     *compareView  // the compare view, over the list
	confirm *confirmState // a rerun waiting for y/n
	org     *organizer    // a tag, note or name line being typed
}

// New returns the Runs screen of the program that owns c.
func New(c *common.Context) *Screen {
	return &Screen{c: c, Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Runs), now: time.Now,
		list: newList(), launch: newLauncher()}
}

// SetClock sets the clock the screen dates running runs and notes with
// (golden tests pin it).
func (s *Screen) SetClock(now func() time.Time) { s.now = now }

// ID implements common.Screen.
func (s *Screen) ID() common.ScreenID { return common.Runs }

// Init implements common.Screen.
func (s *Screen) Init() tea.Cmd { return nil }

// SetSize implements common.Screen.
func (s *Screen) SetSize(w, h int) {
	s.w, s.h = w, h
}

// CapturingInput reports whether the filter or launch line is being edited,
// or a y/n question waits, so the router hands every key to it.
func (s *Screen) CapturingInput() bool {
	return s.launch.open || s.list.search.Editing() || s.confirm != nil || s.org != nil
}

// Activate starts the tick, reconciles once, and loads the list.
func (s *Screen) Activate() tea.Cmd {
	s.active = true
	s.gen++
	cmds := []tea.Cmd{s.tick(), s.load(true)}
	if !s.synced {
		s.synced = true
		cmds = append(cmds, s.reconcile())
	}
	if s.detail != nil {
		s.detail.start(s.c)
		s.detail.reproAsked = false // a verdict job cancelled on leaving is asked again
	}
	if s.diff != nil && s.diff.loading() {
		cmds = append(cmds, s.startDiff(s.diff.a, s.diff.b)) // cancelled on leaving
	}
	if s.cmp != nil && s.cmp.seq != 0 {
		cmds = append(cmds, s.startCompare(s.cmp.ids)) // cancelled on leaving
	}
	return tea.Batch(cmds...)
}

// reconcile settles the runs the store thinks are live with their runners,
// once per program; unreachable runners are named in a note.
func (s *Screen) reconcile() tea.Cmd {
	e := s.c.Engine()
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		rep, err := e.Reconcile(ctx, engine.ReconcileOptions{Settle: -1})
		if err != nil {
			return nil, err
		}
		if len(rep.Unreachable) > 0 {
			var parts []string
			for n, why := range rep.Unreachable {
				parts = append(parts, n+": "+why)
			}
			return notePayload{"unreachable runners, their runs left as they are: " + strings.Join(parts, "; ")}, nil
		}
		return nil, nil
	})
	return cmd
}

// Deactivate stops the tick, the follows and the work in flight.
func (s *Screen) Deactivate() {
	s.active = false
	s.gen++
	s.jobs.CancelAll()
	s.list.loading = false
	if s.detail != nil {
		s.detail.stop()
	}
}

func (s *Screen) tick() tea.Cmd {
	gen := s.gen
	return tea.Tick(Tick, func(time.Time) tea.Msg {
		return common.ResultMsg{Screen: common.Runs, Payload: tickMsg{gen}}
	})
}

// load refreshes the list in the background when the store changed (or
// always, with force).
func (s *Screen) load(force bool) tea.Cmd { return s.list.load(s.c.Engine(), s.jobs, force) }

// Update routes keys to the component in front (launch line, filter line,
// question, diff page, detail, list) and handles ticks and results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ResultMsg:
		if t, ok := msg.Payload.(tickMsg); ok {
			return s, s.onTick(t)
		}
		if !s.jobs.Accept(msg) {
			return s, nil
		}
		return s, s.onResult(msg)
	case common.JumpMsg:
		// Another screen (the Tuner's trial, the Lineage's run node) asks
		// for one run: show its detail.
		if msg.Screen != common.Runs || msg.ID == "" {
			return s, nil
		}
		run := experiments.Run{ID: msg.ID}
		for _, r := range s.list.rows {
			if r.Run.ID == msg.ID {
				run = r.Run
			}
		}
		s.launch.close()
		s.list.search.Clear()
		s.confirm = nil
		s.cmp = nil
		s.show([]experiments.Run{run})
		return s, nil
	case tea.KeyPressMsg:
		switch {
		case s.org != nil:
			return s, s.updateOrganizer(msg)
		case s.launch.open:
			line, submit, cmd := s.launch.update(msg)
			if submit {
				return s, s.launchLine(line)
			}
			return s, cmd
		case s.list.search.Editing():
			return s, s.list.updateSearch(msg)
		case s.confirm != nil:
			return s, s.updateConfirm(msg)
		case s.diff != nil:
			return s, s.updateDiff(msg)
		case s.cmp != nil:
			return s, s.updateCompare(msg)
		case s.detail != nil:
			return s, s.updateDetail(msg)
		}
		return s, s.updateList(msg)
	}
	return s, nil
}

// onTick drains the detail's feed, asks for a finished rerun's verdict and
// reloads the list at most once a second.
func (s *Screen) onTick(t tickMsg) tea.Cmd {
	if t.gen != s.gen || !s.active {
		return nil // a tick of an earlier activation
	}
	var cmds []tea.Cmd
	if s.detail != nil {
		s.detail.drain()
		if r, ok := s.detail.needsVerdict(); ok {
			cmds = append(cmds, s.reproduce(r))
		}
	}
	if s.cmp != nil && s.cmp.stale(s.now()) && s.cmp.seq == 0 {
		cmds = append(cmds, s.startCompare(s.cmp.ids)) // runs still going
	}
	if time.Since(s.list.lastLoad) >= time.Second {
		cmds = append(cmds, s.load(false))
	}
	return tea.Batch(append(cmds, s.tick())...)
}

func (s *Screen) onResult(msg common.ResultMsg) tea.Cmd {
	if s.diff != nil && msg.Seq == s.diff.seq {
		s.diff.err = msg.Err
		if p, ok := msg.Payload.(diffPayload); ok && msg.Err == nil {
			s.diff.res = &p
		}
		return nil
	}
	if _, ok := msg.Payload.(diffPayload); ok {
		return nil // a diff replaced or closed since
	}
	if s.compareResult(msg) {
		return nil
	}
	if msg.Err != nil {
		if _, ok := msg.Payload.(listPayload); ok || msg.Payload == nil {
			s.list.loading = false
		}
		s.setErr(msg.Err)
		return nil
	}
	switch p := msg.Payload.(type) {
	case listPayload:
		s.list.loaded(p, s.now())
	case launchedPayload:
		s.setNote("launched " + p.id)
		s.list.cursor = 0
		s.list.search.Clear()
		if s.detail != nil || p.rerunOf != "" {
			// A rerun, or a launch from the detail view: watch the new
			// run (a rerun's detail ends with its reproducibility).
			if p.rerunOf != "" {
				s.note = "rerunning " + p.rerunOf + " as " + p.id
			}
			s.show([]experiments.Run{{ID: p.id, Status: runstatus.Queued, RerunOf: p.rerunOf}})
			s.detail.changed = changedNote(p.allowed)
		}
		return s.load(true)
	case plannedPayload:
		return s.planned(p.plan)
	case reproPayload:
		if d := s.detail; d != nil && len(d.runs) == 1 && d.runs[0].ID == p.run {
			d.verdict = Verdict(d.runs[0], p.rep)
		}
	case stoppedPayload:
		s.setNote("stopped " + p.id)
		return s.load(true)
	case notePayload:
		s.setNote(p.text)
	case organizedPayload:
		return s.organized(p)
	}
	return nil
}

// show replaces whatever is in front of the list by the detail of runs.
func (s *Screen) show(runs []experiments.Run) {
	s.closeDiff()
	if s.detail != nil {
		s.detail.stop()
	}
	s.detail = newDetail(runs)
	s.detail.start(s.c)
}

func (s *Screen) updateList(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	switch {
	case key.Matches(msg, k.Open):
		if runs := s.list.toOpen(s.now()); len(runs) > 0 {
			s.detail = newDetail(runs)
			s.detail.start(s.c)
		}
		return nil
	case key.Matches(msg, k.New):
		var from *experiments.Run
		if r, ok := s.selected(); ok {
			from = &r.Run
		}
		return s.launch.start(from)
	case key.Matches(msg, k.Stop):
		if r, ok := s.selected(); ok {
			return s.stop(r.Run.ID)
		}
	case key.Matches(msg, k.Rerun):
		if r, ok := s.selected(); ok {
			return s.planRerun(r.Run.ID)
		}
	case key.Matches(msg, k.Diff):
		a, b, err := s.list.diffTargets(s.now())
		if err != nil {
			s.setErr(err)
			return nil
		}
		return s.startDiff(a, b)
	case key.Matches(msg, k.Compare):
		return s.compareMarked()
	case key.Matches(msg, k.Lineage):
		if r, ok := s.selected(); ok {
			return jumpToLineage(r.Run.ID)
		}
	case key.Matches(msg, k.Refresh):
		return s.load(true)
	case key.Matches(msg, k.Tag):
		return s.openOrganizer(orgTag)
	case key.Matches(msg, k.Note):
		return s.openOrganizer(orgNote)
	case key.Matches(msg, k.Name):
		return s.openOrganizer(orgName)
	default:
		return s.list.update(msg, k, s.now())
	}
	return nil
}

func (s *Screen) updateDetail(msg tea.KeyPressMsg) tea.Cmd {
	k, d := s.Keys, s.detail
	switch {
	case key.Matches(msg, k.Back):
		d.stop()
		s.detail = nil
	case key.Matches(msg, k.Stop):
		return s.stop(d.runs[0].ID)
	case key.Matches(msg, k.Rerun):
		return s.planRerun(d.runs[0].ID)
	case key.Matches(msg, k.Lineage):
		return jumpToLineage(d.runs[0].ID)
	case key.Matches(msg, k.Diff):
		return s.diffFromDetail()
	case key.Matches(msg, k.Compare) && len(d.runs) > 1:
		return s.compareDetail()
	case key.Matches(msg, k.Tag):
		return s.openOrganizer(orgTag)
	case key.Matches(msg, k.Note):
		return s.openOrganizer(orgNote)
	case key.Matches(msg, k.Name):
		return s.openOrganizer(orgName)
	default:
		d.update(msg, k)
	}
	return nil
}

// diffFromDetail diffs the two runs of a compare view, the one marked in the
// list with the run shown, or a rerun with its original.
func (s *Screen) diffFromDetail() tea.Cmd {
	d := s.detail
	if len(d.runs) == 2 {
		return s.startDiff(d.runs[0].ID, d.runs[1].ID)
	}
	marked := s.list.markedBut(d.runs[0].ID)
	switch {
	case len(d.runs) == 1 && len(marked) == 1:
		return s.startDiff(marked[0], d.runs[0].ID)
	case len(d.runs) == 1 && d.runs[0].RerunOf != "" && len(marked) == 0:
		return s.startDiff(d.runs[0].RerunOf, d.runs[0].ID) // a rerun against its original
	}
	s.setErr(fmt.Errorf("diff with…: mark a run in the list (space), then press D on another run"))
	return nil
}

func (s *Screen) launchLine(line string) tea.Cmd {
	req, err := ParseLaunch(line)
	if err != nil {
		s.setErr(err)
		return nil
	}
	return s.start(req)
}

// start launches req through the engine.
func (s *Screen) start(req engine.LaunchRequest) tea.Cmd {
	e := s.c.Engine()
	if req.WorkDir == "" {
		req.WorkDir = e.Info().Root
	}
	s.setNote("launching…")
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		// The run outlives this job: the engine, not ctx, owns it.
		r, err := e.Launch(context.WithoutCancel(ctx), req)
		if err != nil {
			return nil, err
		}
		return launchedPayload{id: r.ID}, nil
	})
	return cmd
}

func (s *Screen) stop(id string) tea.Cmd {
	e := s.c.Engine()
	s.setNote("stopping " + id + "…")
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		if err := e.Stop(context.WithoutCancel(ctx), id); err != nil {
			return nil, err
		}
		return stoppedPayload{id}, nil
	})
	return cmd
}

// jumpToLineage asks the router for the Lineage screen centred on run id.
func jumpToLineage(id string) tea.Cmd {
	return func() tea.Msg { return common.JumpMsg{Screen: common.Lineage, ID: id} }
}

func (s *Screen) selected() (Row, bool) { return s.list.selected(s.now()) }

// Visible returns the rows that pass the filter, in the chosen order.
func (s *Screen) Visible() []Row { return s.list.visible(s.now()) }

// Rows returns the loaded rows (tests).
func (s *Screen) Rows() []Row { return s.list.rows }

// Detail reports whether a run's detail is shown, and which runs.
func (s *Screen) Detail() []string {
	if s.detail == nil {
		return nil
	}
	var ids []string
	for _, r := range s.detail.runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// ShortHelp implements common.Screen.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.Keys
	hint := func(keyName, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keyName), key.WithHelp(keyName, desc))
	}
	switch {
	case s.launch.open:
		return []key.Binding{hint("enter", "launch"), hint("esc", "cancel")}
	case s.list.search.Editing():
		return []key.Binding{hint("enter", "keep"), hint("esc", "clear")}
	case s.org != nil:
		return []key.Binding{hint("enter", "save"), hint("esc", "cancel")}
	case s.confirm != nil:
		return []key.Binding{hint("y", "rerun"), hint("n", "cancel")}
	}
	if s.diff != nil {
		return []key.Binding{k.Back, k.Down, k.PageDown, k.Lineage}
	}
	if s.cmp != nil {
		return []key.Binding{k.Back, k.ColLeft, k.SortCol, k.HideSame, k.CurveMetric, k.Smooth, k.XAxis}
	}
	if s.detail != nil {
		return []key.Binding{k.Back, k.NextMetric, k.Rerun, k.Diff, k.Lineage}
	}
	return []key.Binding{k.Open, k.Mark, k.Compare, k.Diff, k.Rerun, k.Lineage, k.New}
}

// FullHelp implements common.Screen.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.Keys
	if s.diff != nil {
		return [][]key.Binding{{k.Back, k.Up, k.Down}, {k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Refresh, k.Lineage}}
	}
	if s.cmp != nil {
		return [][]key.Binding{{k.Back, k.ColLeft, k.Up, k.Down}, {k.SortCol, k.HideSame}, {k.CurveMetric, k.Smooth, k.XAxis}, {k.Diff, k.Refresh}}
	}
	if s.detail != nil {
		return [][]key.Binding{{k.Back, k.NextMetric, k.PrevMetric}, {k.Stop, k.Rerun, k.Up, k.Down}, {k.Diff, k.Lineage}, {k.Tag, k.Note, k.Name}}
	}
	return [][]key.Binding{{k.Up, k.Down, k.Open, k.Mark}, {k.New, k.Stop, k.Rerun}, {k.Compare, k.Diff, k.Lineage}, {k.Filter, k.Sort, k.Refresh},
		{k.Tag, k.Note, k.Name}}
}

// View implements common.Screen.
func (s *Screen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	bottom := s.bottomLines()
	body := s.h - len(bottom)
	now := s.now()
	var out string
	switch {
	case s.diff != nil:
		out = s.diff.view(s.c.Styles, s.w, body)
	case s.cmp != nil:
		out = s.cmp.view(s.c.Styles, s.w, body)
	case s.detail != nil:
		out = s.detail.view(s.c.Styles, s.w, body, now)
	default:
		out = s.list.view(s.c.Styles, s.w, body, now)
	}
	// The body fills its box, so the message or input line sits at the bottom.
	return frame.Fit(frame.Fit(out, s.w, body)+"\n"+strings.Join(bottom, "\n"), s.w, s.h)
}

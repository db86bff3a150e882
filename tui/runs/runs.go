// Package runs is the Runs screen: the run list (status, runner, key params,
// last metrics, duration) with a filter and sort, and a run's detail with a
// live log tail and live metric curves of one or several runs overlaid.
// From a run: R reruns it through the engine's checks (a y/n question when
// its inputs or the code changed) and ends with a reproducibility verdict;
// D diffs it with a marked run (engine.DiffRuns) on a scrollable page; L
// jumps to the Lineage screen centred on it.
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
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/chart"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/lineinput"
)

// Tick is the redraw period of the live views.
const Tick = 250 * time.Millisecond

// Bounds of what one detail view keeps.
const (
	maxLogLines    = 1000
	maxSeriesPts   = 4096
	maxPendingPts  = 200_000
	maxListedRuns  = 500
	defaultCommand = "lathe trainer --epochs 80 --epoch-pause 100ms --lr {lr}"
)

// KeyMap are the Runs screen's bindings.
type KeyMap struct {
	Up, Down, Open, Back, Mark, Filter, Sort, New, Stop, Rerun, NextMetric, PrevMetric, Refresh key.Binding
	Diff, Lineage                                                                               key.Binding
	PageUp, PageDown, Top, Bottom                                                               key.Binding // the diff page
}

// DefaultKeyMap returns the Runs screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "curves+logs")),
		Back:       key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Mark:       key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark to compare")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		New:        key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new run")),
		Stop:       key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop")),
		Rerun:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rerun")),
		NextMetric: key.NewBinding(key.WithKeys("m", "right", "l"), key.WithHelp("m/→", "next metric")),
		PrevMetric: key.NewBinding(key.WithKeys("M", "left", "h"), key.WithHelp("M/←", "prev metric")),
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Diff:       key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "diff with…")),
		Lineage:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "lineage")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space"), key.WithHelp("pgdn", "page down")),
		Top:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:     key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
	}
}

type sortKey int

const (
	sortNewest sortKey = iota
	sortOldest
	sortStatus
	sortRunner
	sortDuration
	numSorts
)

func (k sortKey) String() string {
	return [...]string{"newest", "oldest", "status", "runner", "duration"}[k]
}

type inputMode int

const (
	inputNone inputMode = iota
	inputFilter
	inputLaunch
)

// Row is one run of the list with its last metric values.
type Row = engine.RunSummary

// Payloads of the screen's own messages.
type (
	tickMsg     struct{ gen uint64 }
	listPayload struct {
		version int64
		rows    []Row
	}
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

	w, h   int
	active bool
	gen    uint64 // the live tick's generation; older ticks die
	synced bool   // reconciled once

	rows     []Row
	version  int64
	loading  bool
	lastLoad time.Time
	cursor   int
	marked   map[string]bool
	filter   string
	sortBy   sortKey

	mode  inputMode
	input *lineinput.Model

	note   string
	noteAt time.Time
	err    error
	errAt  time.Time

	detail  *detail
	diff    *diffView     // the diff page, over the list or the detail
	confirm *confirmState // a rerun waiting for y/n
}

// New returns the Runs screen of the program that owns c.
func New(c *common.Context) *Screen {
	s := &Screen{c: c, Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Runs), marked: map[string]bool{}}
	s.input = &lineinput.Model{}
	return s
}

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
func (s *Screen) CapturingInput() bool { return s.mode != inputNone || s.confirm != nil }

// Activate starts the tick, reconciles once, and loads the list.
func (s *Screen) Activate() tea.Cmd {
	s.active = true
	s.gen++
	cmds := []tea.Cmd{s.tick(), s.load(true)}
	if !s.synced {
		s.synced = true
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
		cmds = append(cmds, cmd)
	}
	if s.detail != nil {
		s.detail.start(s.c)
		s.detail.reproAsked = false // a verdict job cancelled on leaving is asked again
	}
	if s.diff != nil && s.diff.loading() {
		cmds = append(cmds, s.startDiff(s.diff.a, s.diff.b)) // cancelled on leaving
	}
	return tea.Batch(cmds...)
}

// Deactivate stops the tick, the follows and the work in flight.
func (s *Screen) Deactivate() {
	s.active = false
	s.gen++
	s.jobs.CancelAll()
	s.loading = false
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
func (s *Screen) load(force bool) tea.Cmd {
	if s.loading {
		return nil
	}
	s.loading = true
	s.lastLoad = time.Now()
	e := s.c.Engine()
	prev := s.version
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		v, err := e.DataVersion(ctx)
		if err != nil {
			return nil, err
		}
		if !force && v == prev {
			return listPayload{version: v, rows: nil}, nil
		}
		rows, err := e.ListRuns(ctx, experiments.RunFilter{Limit: maxListedRuns})
		return listPayload{version: v, rows: rows}, err
	})
	return cmd
}

// Update handles keys, ticks and results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ResultMsg:
		if t, ok := msg.Payload.(tickMsg); ok {
			if t.gen != s.gen || !s.active {
				return s, nil // a tick of an earlier activation
			}
			var cmds []tea.Cmd
			if s.detail != nil {
				s.detail.drain()
				if r, ok := s.detail.needsVerdict(); ok {
					cmds = append(cmds, s.reproduce(r))
				}
			}
			if time.Since(s.lastLoad) >= time.Second {
				cmds = append(cmds, s.load(false))
			}
			return s, tea.Batch(append(cmds, s.tick())...)
		}
		if !s.jobs.Accept(msg) {
			return s, nil
		}
		if s.diff != nil && msg.Seq == s.diff.seq {
			s.diff.err = msg.Err
			if p, ok := msg.Payload.(diffPayload); ok && msg.Err == nil {
				s.diff.res = &p
			}
			return s, nil
		}
		if _, ok := msg.Payload.(diffPayload); ok {
			return s, nil // a diff replaced or closed since
		}
		if msg.Err != nil {
			if _, ok := msg.Payload.(listPayload); ok || msg.Payload == nil {
				s.loading = false
			}
			s.setErr(msg.Err)
			return s, nil
		}
		switch p := msg.Payload.(type) {
		case listPayload:
			s.loading = false
			s.version = p.version
			if p.rows != nil {
				s.rows = p.rows
				s.clampCursor()
			}
		case launchedPayload:
			s.note, s.noteAt = "launched "+p.id, time.Now()
			s.cursor = 0
			s.filter = ""
			if s.detail != nil || p.rerunOf != "" {
				// A rerun, or a launch from the detail view: watch the new
				// run (a rerun's detail ends with its reproducibility).
				s.note = "launched " + p.id
				if p.rerunOf != "" {
					s.note = "rerunning " + p.rerunOf + " as " + p.id
				}
				s.closeDiff()
				if s.detail != nil {
					s.detail.stop()
				}
				s.detail = newDetail([]experiments.Run{{ID: p.id, Status: runstatus.Queued, RerunOf: p.rerunOf}})
				s.detail.changed = changedNote(p.allowed)
				s.detail.start(s.c)
			}
			return s, s.load(true)
		case plannedPayload:
			return s, s.planned(p.plan)
		case reproPayload:
			if d := s.detail; d != nil && len(d.runs) == 1 && d.runs[0].ID == p.run {
				d.verdict = Verdict(d.runs[0], p.rep)
			}
		case stoppedPayload:
			s.note, s.noteAt = "stopped "+p.id, time.Now()
			return s, s.load(true)
		case notePayload:
			s.note, s.noteAt = p.text, time.Now()
		}
		return s, nil
	case common.JumpMsg:
		// Another screen (the Tuner's trial, the Lineage's run node) asks
		// for one run: show its detail.
		if msg.Screen != common.Runs || msg.ID == "" {
			return s, nil
		}
		run := experiments.Run{ID: msg.ID}
		for _, r := range s.rows {
			if r.Run.ID == msg.ID {
				run = r.Run
			}
		}
		s.mode = inputNone
		s.confirm = nil
		s.closeDiff()
		if s.detail != nil {
			s.detail.stop()
		}
		s.detail = newDetail([]experiments.Run{run})
		s.detail.start(s.c)
		return s, nil
	case tea.KeyPressMsg:
		if s.mode != inputNone {
			return s, s.updateInput(msg)
		}
		if s.confirm != nil {
			return s, s.updateConfirm(msg)
		}
		if s.diff != nil {
			return s, s.updateDiff(msg)
		}
		if s.detail != nil {
			return s, s.updateDetail(msg)
		}
		return s, s.updateList(msg)
	}
	return s, nil
}

func (s *Screen) setErr(err error) {
	s.err, s.errAt = err, time.Now()
	s.note = ""
}

func (s *Screen) updateInput(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		if s.mode == inputFilter {
			s.filter = ""
		}
		s.mode = inputNone
		s.input.Blur()
		return nil
	case "enter":
		mode, val := s.mode, strings.TrimSpace(s.input.Value())
		s.mode = inputNone
		s.input.Blur()
		if mode == inputFilter {
			s.filter = val
			s.cursor = 0
			return nil
		}
		return s.launchLine(val)
	}
	cmd := s.input.Update(msg)
	if s.mode == inputFilter {
		s.filter = strings.TrimSpace(s.input.Value())
		s.cursor = 0
	}
	return cmd
}

func (s *Screen) updateList(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	vis := s.Visible()
	switch {
	case key.Matches(msg, k.Up):
		s.cursor = max(s.cursor-1, 0)
	case key.Matches(msg, k.Down):
		s.cursor = min(s.cursor+1, max(len(vis)-1, 0))
	case key.Matches(msg, k.Mark):
		if r, ok := s.selected(); ok {
			if s.marked[r.Run.ID] {
				delete(s.marked, r.Run.ID)
			} else {
				s.marked[r.Run.ID] = true
			}
			s.cursor = min(s.cursor+1, max(len(vis)-1, 0))
		}
	case key.Matches(msg, k.Open):
		return s.open()
	case key.Matches(msg, k.Filter):
		s.mode = inputFilter
		s.input.SetValue(s.filter)
		s.input.Placeholder = "text in id, status, runner, params"
		return s.input.Focus()
	case key.Matches(msg, k.Sort):
		s.sortBy = (s.sortBy + 1) % numSorts
	case key.Matches(msg, k.New):
		s.mode = inputLaunch
		s.input.SetValue(s.suggestCommand())
		s.input.Placeholder = "[--runner R] [--image I] [--param k=v]... CMD..."
		s.input.CursorEnd()
		return s.input.Focus()
	case key.Matches(msg, k.Stop):
		if r, ok := s.selected(); ok {
			return s.stop(r.Run.ID)
		}
	case key.Matches(msg, k.Rerun):
		if r, ok := s.selected(); ok {
			return s.planRerun(r.Run.ID)
		}
	case key.Matches(msg, k.Diff):
		a, b, err := s.diffTargets()
		if err != nil {
			s.setErr(err)
			return nil
		}
		return s.startDiff(a, b)
	case key.Matches(msg, k.Lineage):
		if r, ok := s.selected(); ok {
			return jumpToLineage(r.Run.ID)
		}
	case key.Matches(msg, k.Refresh):
		return s.load(true)
	case msg.String() == "esc":
		s.filter = ""
		clear(s.marked)
	}
	return nil
}

// suggestCommand pre-fills the launch line: the selected run's command, or
// the demo trainer.
func (s *Screen) suggestCommand() string {
	if r, ok := s.selected(); ok && len(r.Run.Command) > 0 {
		var parts []string
		if r.Run.Runner != "" {
			parts = append(parts, "--runner", r.Run.Runner)
		}
		if r.Run.Image != "" {
			parts = append(parts, "--image", r.Run.Image)
		}
		for _, k := range slices.Sorted(maps.Keys(r.Run.Params)) {
			parts = append(parts, "--param", quote(fmt.Sprintf("%s=%v", k, r.Run.Params[k])))
		}
		for _, a := range r.Run.Command {
			parts = append(parts, quote(a))
		}
		return strings.Join(parts, " ")
	}
	return "--param lr=0.3 " + defaultCommand
}

func quote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' || r == '\\' }) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (s *Screen) launchLine(line string) tea.Cmd {
	req, err := ParseLaunch(line)
	if err != nil {
		s.setErr(err)
		return nil
	}
	return s.launch(req)
}

func (s *Screen) launch(req engine.LaunchRequest) tea.Cmd {
	e := s.c.Engine()
	if req.WorkDir == "" {
		req.WorkDir = e.Info().Root
	}
	s.note, s.noteAt = "launching…", time.Now()
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
	s.note, s.noteAt = "stopping "+id+"…", time.Now()
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		if err := e.Stop(context.WithoutCancel(ctx), id); err != nil {
			return nil, err
		}
		return stoppedPayload{id}, nil
	})
	return cmd
}

// open shows the detail of the marked runs, or of the selected one.
func (s *Screen) open() tea.Cmd {
	var ids []string
	byID := map[string]experiments.Run{}
	for _, r := range s.rows {
		byID[r.Run.ID] = r.Run
	}
	for _, r := range s.Visible() {
		if s.marked[r.Run.ID] {
			ids = append(ids, r.Run.ID)
		}
	}
	if len(ids) == 0 {
		r, ok := s.selected()
		if !ok {
			return nil
		}
		ids = []string{r.Run.ID}
	}
	runs := make([]experiments.Run, len(ids))
	for i, id := range ids {
		runs[i] = byID[id]
	}
	s.detail = newDetail(runs)
	s.detail.start(s.c)
	return nil
}

func (s *Screen) updateDetail(msg tea.KeyPressMsg) tea.Cmd {
	k, d := s.Keys, s.detail
	switch {
	case key.Matches(msg, k.Back):
		d.stop()
		s.detail = nil
	case key.Matches(msg, k.NextMetric):
		d.sel++
	case key.Matches(msg, k.PrevMetric):
		d.sel--
	case key.Matches(msg, k.Stop):
		return s.stop(d.runs[0].ID)
	case key.Matches(msg, k.Rerun):
		return s.planRerun(d.runs[0].ID)
	case key.Matches(msg, k.Lineage):
		return jumpToLineage(d.runs[0].ID)
	case key.Matches(msg, k.Diff):
		return s.diffFromDetail()
	case key.Matches(msg, k.Up):
		d.scroll++
	case key.Matches(msg, k.Down):
		d.scroll = max(d.scroll-1, 0)
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
	var marked []string
	for id := range s.marked {
		if id != d.runs[0].ID {
			marked = append(marked, id)
		}
	}
	switch {
	case len(d.runs) == 1 && len(marked) == 1:
		return s.startDiff(marked[0], d.runs[0].ID)
	case len(d.runs) == 1 && d.runs[0].RerunOf != "" && len(marked) == 0:
		return s.startDiff(d.runs[0].RerunOf, d.runs[0].ID) // a rerun against its original
	}
	s.setErr(fmt.Errorf("diff with…: mark a run in the list (space), then press D on another run"))
	return nil
}

// jumpToLineage asks the router for the Lineage screen centred on run id.
func jumpToLineage(id string) tea.Cmd {
	return func() tea.Msg { return common.JumpMsg{Screen: common.Lineage, ID: id} }
}

func (s *Screen) selected() (Row, bool) {
	vis := s.Visible()
	if s.cursor < 0 || s.cursor >= len(vis) {
		return Row{}, false
	}
	return vis[s.cursor], true
}

func (s *Screen) clampCursor() {
	s.cursor = min(s.cursor, max(len(s.Visible())-1, 0))
}

// Visible returns the rows that pass the filter, in the chosen order.
func (s *Screen) Visible() []Row {
	var out []Row
	f := strings.ToLower(s.filter)
	for _, r := range s.rows {
		if f == "" || strings.Contains(strings.ToLower(rowText(r)), f) {
			out = append(out, r)
		}
	}
	now := time.Now()
	switch s.sortBy {
	case sortOldest:
		slices.Reverse(out)
	case sortStatus:
		sort.SliceStable(out, func(i, j int) bool { return out[i].Run.Status.Rank() < out[j].Run.Status.Rank() })
	case sortRunner:
		sort.SliceStable(out, func(i, j int) bool { return out[i].Run.Runner < out[j].Run.Runner })
	case sortDuration:
		sort.SliceStable(out, func(i, j int) bool { return duration(out[i].Run, now) > duration(out[j].Run, now) })
	}
	return out
}

func rowText(r Row) string {
	return r.Run.ID + " " + r.Run.Name + " " + string(r.Run.Status) + " " + r.Run.Runner + " " + params(r.Run.Params) + " " + strings.Join(r.Run.Command, " ")
}

func duration(r experiments.Run, now time.Time) time.Duration {
	switch {
	case r.Started.IsZero():
		return 0
	case r.Ended.IsZero():
		return now.Sub(r.Started)
	}
	return r.Ended.Sub(r.Started)
}

// Rows returns the loaded rows (tests).
func (s *Screen) Rows() []Row { return s.rows }

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
	if s.diff != nil {
		return []key.Binding{k.Back, k.Down, k.PageDown, k.Lineage}
	}
	if s.detail != nil {
		return []key.Binding{k.Back, k.NextMetric, k.Rerun, k.Diff, k.Lineage}
	}
	return []key.Binding{k.Open, k.Mark, k.Diff, k.Rerun, k.Lineage, k.New}
}

// FullHelp implements common.Screen.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.Keys
	if s.diff != nil {
		return [][]key.Binding{{k.Back, k.Up, k.Down}, {k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Refresh, k.Lineage}}
	}
	if s.detail != nil {
		return [][]key.Binding{{k.Back, k.NextMetric, k.PrevMetric}, {k.Stop, k.Rerun, k.Up, k.Down}, {k.Diff, k.Lineage}}
	}
	return [][]key.Binding{{k.Up, k.Down, k.Open, k.Mark}, {k.New, k.Stop, k.Rerun}, {k.Diff, k.Lineage}, {k.Filter, k.Sort, k.Refresh}}
}

// View implements common.Screen.
func (s *Screen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	bottom := s.bottomLines()
	body := s.h - len(bottom)
	var out string
	switch {
	case s.diff != nil:
		out = s.diffPage(s.w, body)
	case s.detail != nil:
		out = s.detail.view(s.c, s.w, body)
	default:
		out = s.listView(body)
	}
	// The body fills its box, so the message or input line sits at the bottom.
	return frame.Fit(frame.Fit(out, s.w, body)+"\n"+strings.Join(bottom, "\n"), s.w, s.h)
}

// bottomLines are the input line, or the question, error or note, wrapped
// to at most three lines (one on a short screen) so a refusal is read whole.
func (s *Screen) bottomLines() []string {
	st := s.c.Styles
	switch s.mode {
	case inputFilter:
		return []string{st.Title.Render(" filter: ") + s.input.View(max(s.w-9, 10), st.Text, st.Muted)}
	case inputLaunch:
		return []string{st.Title.Render(" run: ") + s.input.View(max(s.w-6, 10), st.Text, st.Muted)}
	}
	var text string
	style := st.Muted
	switch {
	case s.confirm != nil:
		text, style = s.confirm.question, st.Title
	case s.err != nil && time.Since(s.errAt) < 15*time.Second:
		text, style = s.err.Error(), st.Error
	case s.note != "" && time.Since(s.noteAt) < 15*time.Second:
		text = s.note
	}
	if text == "" {
		return []string{""}
	}
	maxLines := 3
	if s.h < 12 {
		maxLines = 1
	}
	lines := strings.Split(ansi.Wrap(text, max(s.w-1, 1), ""), "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	for i, l := range lines {
		lines[i] = style.Render(" " + strings.TrimLeft(l, " "))
	}
	return lines
}

func (s *Screen) listView(h int) string {
	st := s.c.Styles
	vis := s.Visible()
	var b strings.Builder
	head := fmt.Sprintf("Runs  %d", len(s.rows))
	if s.filter != "" {
		head += fmt.Sprintf("  filter %q: %d", s.filter, len(vis))
	}
	head += "  sort " + s.sortBy.String()
	switch n := len(s.marked); {
	case n == 1:
		head += "  1 marked · D: diff with the selected run"
	case n > 0:
		head += fmt.Sprintf("  %d marked", n)
	}
	b.WriteString(st.Title.Render(head))
	if len(s.rows) == 0 {
		b.WriteString("\n\n")
		b.WriteString(st.Text.Render(" No runs yet. Press n to launch one (the example trainer is"))
		b.WriteString("\n")
		b.WriteString(st.Text.Render(" pre-filled), or run `lathe run -- CMD` in a shell."))
		return b.String()
	}
	w := s.w
	// Fixed columns, then params and metrics share the rest.
	const idW, stW, rnW, duW = 12, 10, 8, 8
	rest := max(w-2-idW-stW-rnW-duW-4, 10)
	parW := rest * 2 / 5
	metW := rest - parW - 1
	b.WriteString("\n")
	b.WriteString(st.Muted.Render(fmt.Sprintf("  %-*s %-*s %-*s %*s %-*s %s", idW, "ID", stW, "STATUS", rnW, "RUNNER", duW, "DURATION", parW, "PARAMS", "LAST METRICS")))
	rowsH := max(h-2, 1)
	top := 0
	if s.cursor >= rowsH {
		top = s.cursor - rowsH + 1
	}
	now := time.Now()
	for i := top; i < len(vis) && i < top+rowsH; i++ {
		r := vis[i]
		mark := " "
		if s.marked[r.Run.ID] {
			mark = "●"
		}
		cur := " "
		if i == s.cursor {
			cur = "›"
		}
		dur := "-"
		if d := duration(r.Run, now); d > 0 {
			dur = format.Compact(d)
		}
		line := fmt.Sprintf("%s%s%-*s %-*s %-*s %*s %-*s %s", cur, mark, idW, r.Run.ID, stW, r.Run.Status, rnW, format.Clip(r.Run.Runner, rnW), duW, dur,
			parW, format.Clip(params(r.Run.Params), parW), format.Clip(lastMetrics(r.Last), metW))
		b.WriteString("\n")
		switch {
		case i == s.cursor:
			b.WriteString(st.TabActive.UnsetPadding().Render(frame.Line(line, w)))
		case r.Run.Status == runstatus.Failed || r.Run.Status == runstatus.OOMKilled || r.Run.Status == runstatus.Lost:
			b.WriteString(st.Error.UnsetBold().Render(line))
		default:
			b.WriteString(st.Text.Render(line))
		}
	}
	return b.String()
}

func params(p map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return strings.Join(parts, " ")
}

// lastMetrics lists the last values, the validation metrics first.
func lastMetrics(m map[string]experiments.Sample) string {
	keys := slices.Sorted(maps.Keys(m))
	sort.SliceStable(keys, func(i, j int) bool {
		return strings.HasPrefix(keys[i], "val") && !strings.HasPrefix(keys[j], "val")
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+format.Metric(m[k].Value))
	}
	return strings.Join(parts, " ")
}

// detail is the live view of one or several runs.
type detail struct {
	runs   []experiments.Run
	feed   *feed
	cancel context.CancelFunc
	wg     sync.WaitGroup

	series  map[string]map[string]*chart.Series // run -> metric -> series
	metrics []string                            // metric names seen, sorted
	logs    []string                            // tail, bounded
	sel     int                                 // index into views()
	scroll  int

	// A rerun's reproducibility verdict, asked once it ended.
	reproAsked bool
	verdict    string
	changed    string // " on changed data" when the user allowed it
}

// needsVerdict reports the run whose reproducibility should be computed
// now: a lone rerun that ended and has not been compared yet.
func (d *detail) needsVerdict() (experiments.Run, bool) {
	if len(d.runs) != 1 || d.reproAsked {
		return experiments.Run{}, false
	}
	r := d.runs[0]
	if r.RerunOf == "" || !r.Status.Terminal() {
		return experiments.Run{}, false
	}
	d.reproAsked = true
	return r, true
}

func newDetail(runs []experiments.Run) *detail {
	return &detail{runs: runs, series: map[string]map[string]*chart.Series{}}
}

// start follows the runs, each from its beginning; the goroutines end with
// stop (the screen leaves the detail or is deactivated).
func (d *detail) start(c *common.Context) {
	d.stop()
	e := c.Options.Engine
	ctx, cancel := context.WithCancel(c.Base())
	d.cancel = cancel
	d.feed = &feed{status: map[string]experiments.Run{}}
	d.series = map[string]map[string]*chart.Series{}
	d.metrics = nil
	d.logs = nil
	f := d.feed
	for i, r := range d.runs {
		o := engine.FollowOptions{NoLogs: i > 0} // the log tail is the first run's
		d.wg.Add(1)
		go func(id string) {
			defer d.wg.Done()
			err := e.FollowWith(ctx, id, o, func(ev engine.Event) { f.push(id, ev) })
			if err != nil && ctx.Err() == nil {
				f.fail(err)
			}
		}(r.ID)
	}
}

func (d *detail) stop() {
	if d.cancel != nil {
		d.cancel()
		d.wg.Wait()
		d.cancel = nil
	}
}

// drain moves what the follows delivered since the last tick into the
// series and the log tail.
func (d *detail) drain() {
	if d.feed == nil {
		return
	}
	pts, logs, status := d.feed.take()
	for _, p := range pts {
		byKey := d.series[p.run]
		if byKey == nil {
			byKey = map[string]*chart.Series{}
			d.series[p.run] = byKey
		}
		s := byKey[p.Key]
		if s == nil {
			s = &chart.Series{Cap: maxSeriesPts}
			byKey[p.Key] = s
			if !slices.Contains(d.metrics, p.Key) {
				d.metrics = append(d.metrics, p.Key)
				sort.Strings(d.metrics)
			}
		}
		s.Add(chart.Point{X: float64(p.Step), Y: p.Value})
	}
	d.logs = append(d.logs, logs...)
	if n := len(d.logs) - maxLogLines; n > 0 {
		d.logs = slices.Delete(d.logs, 0, n)
	}
	for i, r := range d.runs {
		if st, ok := status[r.ID]; ok {
			d.runs[i] = st
		}
	}
}

// views are the metric selections m cycles through: every loss together,
// every accuracy together, then each metric alone.
func (d *detail) views() [][]string {
	var out [][]string
	group := func(sub string) {
		var g []string
		for _, m := range d.metrics {
			if strings.Contains(m, sub) {
				g = append(g, m)
			}
		}
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	group("loss")
	group("acc")
	for _, m := range d.metrics {
		out = append(out, []string{m})
	}
	return out
}

func (d *detail) currentView() []string {
	v := d.views()
	if len(v) == 0 {
		return nil
	}
	i := ((d.sel % len(v)) + len(v)) % len(v)
	return v[i]
}

func (d *detail) view(c *common.Context, w, h int) string {
	st := c.Styles
	now := time.Now()
	var head string
	if len(d.runs) == 1 {
		r := d.runs[0]
		dur := ""
		if dd := duration(r, now); dd > 0 {
			dur = "  " + format.Compact(dd)
		}
		head = fmt.Sprintf("%s  %s on %s%s  %s", r.ID, r.Status, r.Runner, dur, params(r.Params))
		if r.Error != "" {
			head += "  " + r.Error
		}
	} else {
		var parts []string
		for _, r := range d.runs {
			parts = append(parts, r.ID+" "+string(r.Status))
		}
		head = fmt.Sprintf("%d runs: %s", len(d.runs), strings.Join(parts, ", "))
	}
	lines := []string{st.Title.Render(format.Clip(head, w))}
	switch {
	case d.verdict != "":
		lines = append(lines, st.Text.Bold(true).Render(format.Clip(d.verdict+d.changed, w)))
	case len(d.runs) == 1 && d.runs[0].RerunOf != "":
		lines = append(lines, st.Muted.Render(format.Clip("rerun of "+d.runs[0].RerunOf+d.changed+": reproducibility when it ends", w)))
	}
	if d.feed != nil {
		if err := d.feed.error(); err != nil {
			lines = append(lines, st.Error.Render(err.Error()))
		}
	}
	rest := h - len(lines)
	if rest <= 0 {
		return strings.Join(lines[:h], "\n")
	}
	chartH := rest
	logH := 0
	if rest >= 10 {
		chartH = rest * 3 / 5
		logH = rest - chartH - 1
	}
	metrics := d.currentView()
	var ss []*chart.Series
	for ri, r := range d.runs {
		for _, m := range metrics {
			src := d.series[r.ID][m]
			if src == nil {
				continue
			}
			label := m
			if len(d.runs) > 1 {
				label = r.ID[:min(6, len(r.ID))] + "·" + m
			}
			cp := *src
			cp.Label = label
			cp.Color = chart.Palette[(ri*len(metrics)+slices.Index(metrics, m))%len(chart.Palette)]
			ss = append(ss, &cp)
		}
	}
	title := ""
	if v := d.views(); len(v) > 1 {
		title = fmt.Sprintf("[%d/%d]", ((d.sel%len(v))+len(v))%len(v)+1, len(v))
	}
	lines = append(lines, chart.Render(w, chartH, ss, chart.Options{NoColor: st.NoColor, Title: title}))
	if logH > 0 {
		lines = append(lines, st.Muted.Render(frame.Line("── log "+strings.Repeat("─", max(w-7, 0)), w)))
		end := len(d.logs) - d.scroll
		end = max(min(end, len(d.logs)), 0)
		start := max(end-logH, 0)
		tail := d.logs[start:end]
		for _, l := range tail {
			lines = append(lines, st.Text.Render(frame.Line(strings.Map(printable, l), w)))
		}
		for i := len(tail); i < logH; i++ {
			lines = append(lines, "")
		}
	}
	return strings.Join(lines, "\n")
}

// printable keeps a log line from moving the cursor or changing colours.
func printable(r rune) rune {
	if r == '\t' {
		return ' '
	}
	if unicode.IsControl(r) {
		return -1
	}
	return r
}

// feed is where follow goroutines leave events for the next tick. It is
// bounded: beyond maxPendingPts points or maxLogLines lines between two
// ticks, the oldest are dropped (a chart shows at most maxSeriesPts per
// series anyway, and the log view only a tail).
type feed struct {
	mu     sync.Mutex
	pts    []pendingPoint
	logs   []string
	status map[string]experiments.Run
	err    error
}

type pendingPoint struct {
	run string
	engine.Point
}

func (f *feed) push(run string, ev engine.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch ev.Kind {
	case engine.EventStatus:
		f.status[run] = ev.Run
	case engine.EventLogs:
		for _, l := range ev.Logs {
			f.logs = append(f.logs, l.Line)
		}
		if n := len(f.logs) - maxLogLines; n > 0 {
			f.logs = slices.Delete(f.logs, 0, n)
		}
	case engine.EventMetrics:
		for _, p := range ev.Samples {
			f.pts = append(f.pts, pendingPoint{run: run, Point: p})
		}
		if n := len(f.pts) - maxPendingPts; n > 0 {
			f.pts = slices.Delete(f.pts, 0, n)
		}
	}
}

func (f *feed) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *feed) error() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *feed) take() ([]pendingPoint, []string, map[string]experiments.Run) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pts, logs, status := f.pts, f.logs, f.status
	f.pts, f.logs, f.status = nil, nil, map[string]experiments.Run{}
	return pts, logs, status
}

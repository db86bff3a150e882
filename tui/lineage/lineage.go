// Package lineage is the Lineage screen: pick a run, a dataset version or a
// study, see the trees of what it was made from and what was made from it,
// read any node's detail (hashes, sizes, params, times) and jump along the
// edges, run ↔ datasets ↔ artifacts, with a history to come back. Other
// screens jump here with common.JumpMsg{Screen: Lineage, ID: ref} (any REF
// `lathe lineage` takes); o on a run opens it on the Runs screen.
//
// The graph comes from engine.Lineage, the same walk as `lathe lineage`;
// every read runs in a background job addressed to this screen
// (common.Jobs), cancelled when the tab is left. Without a workspace the
// screen shows the engine's error, which says so.
package lineage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/search"
)

// maxListed bounds each picker list (newest first).
const maxListed = 500

// DefaultPoll is how often the visible screen asks the store whether anyone
// wrote to it (a run ended, a split was registered), to reload when so.
const DefaultPoll = 2 * time.Second

type mode int

const (
	modePick mode = iota
	modeGraph
)

// section is one list of the picker.
type section int

const (
	secRuns section = iota
	secDatasets
	secStudies
	numSections
)

func (s section) String() string { return [...]string{"Runs", "Datasets", "Studies"}[s] }

// listsDone is the picker's data.
type listsDone struct {
	runs     []experiments.Run
	datasets []experiments.Dataset
	studies  []experiments.Study
}

// polled is the store's data version after a poll interval.
type polled struct{ version int64 }

// resolved is the node a jump's reference names.
type resolved struct {
	ref  string
	node experiments.Node
}

// graphDone is the graph around root.
type graphDone struct {
	root  experiments.Node
	graph *experiments.Graph
}

// gline is one line of the graph view: a heading, or a node of a tree.
type gline struct {
	heading string // non-empty: a heading line, not selectable
	tl      experiments.TreeLine
	up      bool // in the upstream tree
	root    bool
}

// Screen is the Lineage tab.
type Screen struct {
	c    *common.Context
	Keys KeyMap
	jobs *common.Jobs
	w, h int
	loc  *time.Location
	poll time.Duration // 0: no polling
	// version is the store's data version when the shown data was read.
	version int64

	mode    mode
	message string

	// Picker.
	sec      section
	runs     []experiments.Run
	datasets []experiments.Dataset
	studies  []experiments.Study
	loaded   bool
	listing  uint64
	listErr  error
	cur, top [numSections]int // cur indexes kept(sec)
	search   search.Model     // the / search, over every list

	// Graph.
	root     experiments.Node
	history  []experiments.Node
	graph    *experiments.Graph
	loading  uint64
	graphErr error
	lines    []gline
	gcur     int
	gtop     int
	// resolving is the job resolving a jump's reference; 0 when none.
	resolving uint64
}

// New returns the Lineage screen of the program that owns c.
func New(c *common.Context) *Screen {
	s := &Screen{c: c, Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Lineage), loc: time.Local, poll: DefaultPoll}
	return s
}

// SetLocation sets the zone times are shown in (tests pin UTC).
func (s *Screen) SetLocation(loc *time.Location) { s.loc = loc }

// SetPoll sets how often the store is checked for changes while the screen
// is visible; 0 turns it off.
func (s *Screen) SetPoll(d time.Duration) { s.poll = d }

// ID names the screen.
func (s *Screen) ID() common.ScreenID { return common.Lineage }

// Init starts nothing: work starts on Activate.
func (s *Screen) Init() tea.Cmd { return nil }

// SetSize sets the body size.
func (s *Screen) SetSize(w, h int) {
	s.w, s.h = w, h
}

// Activate reloads the picker's lists, and the graph when one is shown, so
// runs that ended or data registered elsewhere appear.
func (s *Screen) Activate() tea.Cmd {
	cmds := []tea.Cmd{s.loadLists(), s.pollCmd()}
	if s.mode == modeGraph && s.root != (experiments.Node{}) {
		cmds = append(cmds, s.loadGraph(s.root))
	}
	return tea.Batch(cmds...)
}

// pollCmd waits one poll interval and reads the store's data version; the
// job is cancelled with the others when the tab is left.
func (s *Screen) pollCmd() tea.Cmd {
	if s.poll <= 0 {
		return nil
	}
	e, every := s.c.Engine(), s.poll
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		t := time.NewTimer(every)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		v, err := e.DataVersion(ctx)
		return polled{v}, err
	})
	return cmd
}

// Deactivate cancels the screen's background work.
func (s *Screen) Deactivate() {
	s.jobs.CancelAll()
	s.listing, s.loading, s.resolving = 0, 0, 0
}

// Pending is the number of background jobs in flight (tests).
func (s *Screen) Pending() int {
	return s.jobs.Pending()
}

// Root is the node the graph is drawn around; zero in the picker.
func (s *Screen) Root() experiments.Node {
	if s.mode != modeGraph {
		return experiments.Node{}
	}
	return s.root
}

// Selected is the node under the graph's cursor.
func (s *Screen) Selected() (experiments.GraphNode, bool) {
	if s.mode != modeGraph || s.gcur < 0 || s.gcur >= len(s.lines) || s.lines[s.gcur].heading != "" {
		return experiments.GraphNode{}, false
	}
	return s.lines[s.gcur].tl.Node, true
}

// Open shows the graph around n, as if picked (the CLI's `lathe` could open
// the screen on a REF; tests use it).
func (s *Screen) Open(n experiments.Node) tea.Cmd {
	s.history = nil
	return s.jump(n, false)
}

func (s *Screen) loadLists() tea.Cmd {
	e := s.c.Engine()
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		r, err := e.ListLineageRoots(ctx, maxListed)
		return listsDone{runs: r.Runs, datasets: r.Datasets, studies: r.Studies}, err
	})
	s.listing = seq
	return cmd
}

func (s *Screen) loadGraph(root experiments.Node) tea.Cmd {
	e := s.c.Engine()
	// A load still in flight for an earlier root finishes and is dropped
	// (its root is no longer s.root); Jobs cancels all or nothing, and the
	// picker's lists must not be cancelled with it.
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		g, err := e.Lineage(ctx, []experiments.Node{root}, experiments.Both, 0)
		return graphDone{root, g}, err
	})
	s.loading = seq
	return cmd
}

// resolve finds what a jump from another screen names (a run id or prefix,
// a dataset version as dataset:ID or a bare ID, a sha256 prefix, a dataset
// path, a study name: engine.ResolveRef) and shows its trees.
// A hash prefix shared by several nodes of the same content shows the first
// (datasets before artifacts).
func (s *Screen) resolve(ref string) tea.Cmd {
	e := s.c.Engine()
	s.message = ""
	seq, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		nodes, err := e.ResolveRef(ctx, ref)
		if err != nil {
			return nil, err
		}
		if len(nodes) == 0 {
			return nil, fmt.Errorf("nothing in the lineage matches %q", ref)
		}
		return resolved{ref, nodes[0]}, nil
	})
	s.resolving = seq
	return cmd
}

// runOf is the run a node stands for: a run, or the run that produced an
// artifact.
func runOf(n experiments.GraphNode) string {
	switch {
	case n.Missing:
		return ""
	case n.Kind == experiments.KindRun:
		return n.ID
	case n.Artifact != nil:
		return n.Artifact.RunID
	}
	return ""
}

// toRuns asks the router for the Runs screen's detail of run id.
func toRuns(id string) tea.Cmd {
	return func() tea.Msg { return common.JumpMsg{Screen: common.Runs, ID: id} }
}

// jump re-roots the graph on n, remembering the current root when asked.
func (s *Screen) jump(n experiments.Node, remember bool) tea.Cmd {
	if remember && s.mode == modeGraph && s.root != (experiments.Node{}) {
		s.history = append(s.history, s.root)
	}
	s.mode = modeGraph
	s.root = n
	s.graph, s.graphErr, s.lines = nil, nil, nil
	s.gcur, s.gtop = 0, 0
	s.message = ""
	return s.loadGraph(n)
}

// Update handles keys and the screen's own results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ResultMsg:
		return s, s.result(msg)
	case common.JumpMsg:
		if msg.Screen != common.Lineage || msg.ID == "" {
			return s, nil
		}
		return s, s.resolve(msg.ID)
	case tea.KeyPressMsg:
		s.message = "" // it spoke of the previous key or jump
		if s.mode == modePick && s.search.Editing() {
			if s.search.Update(msg) {
				s.cur, s.top = [numSections]int{}, [numSections]int{}
			}
			return s, nil
		}
		if s.mode == modeGraph {
			return s, s.graphKey(msg)
		}
		return s, s.pickKey(msg)
	}
	return s, nil
}

func (s *Screen) result(msg common.ResultMsg) tea.Cmd {
	if !s.jobs.Accept(msg) {
		return nil // cancelled, superseded or not ours
	}
	switch p := msg.Payload.(type) {
	case resolved:
		if msg.Seq != s.resolving {
			return nil // a later jump won
		}
		s.resolving = 0
		if s.mode == modeGraph && s.root == p.node {
			s.gcur = s.rootLine() // already shown: select it
			return nil
		}
		return s.jump(p.node, true)
	case polled:
		if msg.Err != nil {
			return nil // the store is gone (closing): stop polling
		}
		changed := s.version != 0 && p.version != s.version
		s.version = p.version
		cmds := []tea.Cmd{s.pollCmd()}
		if changed {
			// Someone wrote: reload what is shown, unless a load is running.
			if s.listing == 0 {
				cmds = append(cmds, s.loadLists())
			}
			if s.mode == modeGraph && s.loading == 0 && s.root != (experiments.Node{}) {
				cmds = append(cmds, s.loadGraph(s.root))
			}
		}
		return tea.Batch(cmds...)
	case listsDone:
		s.listing = 0
		s.loaded = true
		s.listErr = msg.Err
		if msg.Err == nil {
			s.runs, s.datasets, s.studies = p.runs, p.datasets, p.studies
			for sec := range numSections {
				s.cur[sec] = min(s.cur[sec], max(len(s.kept(sec))-1, 0))
			}
		}
	case graphDone:
		if msg.Seq != s.loading || p.root != s.root {
			return nil // superseded by a later jump
		}
		s.loading = 0
		s.graphErr = msg.Err
		if msg.Err == nil {
			keep := experiments.Node{}
			if sel, ok := s.Selected(); ok && s.graph != nil {
				keep = sel.Node // a refresh keeps the cursor on its node
			}
			s.graph = p.graph
			s.lines = buildLines(p.graph, p.root)
			s.gcur = s.rootLine()
			if keep != (experiments.Node{}) {
				for i, l := range s.lines {
					if l.heading == "" && l.tl.Node.Node == keep {
						s.gcur = i
						break
					}
				}
			}
			s.gtop = 0
		}
	default:
		if msg.Seq == s.resolving {
			s.resolving = 0 // the reference named nothing
		}
		if msg.Err != nil {
			s.message = msg.Err.Error()
		}
	}
	return nil
}

// buildLines lays out the upstream tree, the root and the downstream tree.
func buildLines(g *experiments.Graph, root experiments.Node) []gline {
	up, down := g.Tree(root, true), g.Tree(root, false)
	if len(up) == 0 {
		return nil
	}
	lines := []gline{{heading: "▲ made from"}}
	if len(up) == 1 {
		lines = append(lines, gline{heading: "   nothing recorded"})
	}
	for _, tl := range up[1:] {
		lines = append(lines, gline{tl: tl, up: true})
	}
	lines = append(lines, gline{tl: up[0], root: true})
	lines = append(lines, gline{heading: "▼ made from it"})
	if len(down) <= 1 {
		lines = append(lines, gline{heading: "   nothing recorded"})
	}
	if len(down) > 1 {
		for _, tl := range down[1:] {
			lines = append(lines, gline{tl: tl})
		}
	}
	return lines
}

func (s *Screen) rootLine() int {
	for i, l := range s.lines {
		if l.root {
			return i
		}
	}
	return 0
}

func (s *Screen) count(sec section) int {
	switch sec {
	case secRuns:
		return len(s.runs)
	case secDatasets:
		return len(s.datasets)
	}
	return len(s.studies)
}

// nodeAt is the lineage node of the picker's row i in sec.
func (s *Screen) nodeAt(sec section, i int) experiments.Node {
	switch sec {
	case secRuns:
		return experiments.Node{Kind: experiments.KindRun, ID: s.runs[i].ID}
	case secDatasets:
		return experiments.Node{Kind: experiments.KindDataset, ID: itoa(s.datasets[i].ID)}
	}
	return experiments.Node{Kind: experiments.KindStudy, ID: itoa(s.studies[i].ID)}
}

func (s *Screen) pickKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	kept := s.kept(s.sec)
	n := len(kept)
	cur := &s.cur[s.sec]
	page := max(s.listHeight()-1, 1)
	if pos, ok := k.Move(msg, *cur, page, n-1); ok {
		*cur = max(min(pos, n-1), 0)
		return nil
	}
	switch {
	case key.Matches(msg, k.Search):
		return s.search.Open()
	case key.Matches(msg, k.Back) && s.search.Active():
		s.search.Clear()
		s.cur, s.top = [numSections]int{}, [numSections]int{}
	case key.Matches(msg, k.PrevList):
		s.sec = (s.sec + numSections - 1) % numSections
	case key.Matches(msg, k.NextList):
		s.sec = (s.sec + 1) % numSections
	case key.Matches(msg, k.Refresh):
		return s.loadLists()
	case key.Matches(msg, k.Back):
		if s.root != (experiments.Node{}) {
			s.mode = modeGraph // back to the graph the picker was opened from
		}
	case key.Matches(msg, k.Open):
		if n == 0 {
			return nil
		}
		s.history = nil
		return s.jump(s.nodeAt(s.sec, kept[*cur]), false)
	case key.Matches(msg, k.Run):
		if s.sec == secRuns && n > 0 {
			return toRuns(s.runs[kept[*cur]].ID)
		}
	}
	return nil
}

func (s *Screen) graphKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.Keys
	page := max(s.treeHeight()-1, 1)
	if pos, ok := k.Move(msg, s.gcur, page, len(s.lines)-1); ok {
		s.moveCursor(pos - s.gcur) // lands on the nearest node line
		return nil
	}
	switch {
	case key.Matches(msg, k.Refresh):
		return s.loadGraph(s.root)
	case key.Matches(msg, k.Pick):
		return s.toPicker()
	case key.Matches(msg, k.Back):
		if len(s.history) == 0 {
			return s.toPicker()
		}
		prev := s.history[len(s.history)-1]
		s.history = s.history[:len(s.history)-1]
		return s.jump(prev, false)
	case key.Matches(msg, k.Run):
		if sel, ok := s.Selected(); ok {
			if id := runOf(sel); id != "" {
				return toRuns(id)
			}
			s.message = sel.Kind + " " + sel.Label + " is not a run"
		}
	case key.Matches(msg, k.Open):
		sel, ok := s.Selected()
		switch {
		case !ok:
		case sel.Missing:
			s.message = sel.String() + " is no longer in the store"
		case sel.Node == s.root:
		default:
			return s.jump(sel.Node, true)
		}
	}
	return nil
}

// toPicker returns to the picker with the current root selected, loading
// the lists if they never arrived.
func (s *Screen) toPicker() tea.Cmd {
	s.mode = modePick
	s.selectInPicker(s.root)
	if !s.loaded && s.listing == 0 {
		return s.loadLists()
	}
	return nil
}

// moveCursor moves over selectable lines by delta, skipping headings.
func (s *Screen) moveCursor(delta int) {
	if len(s.lines) == 0 {
		return
	}
	step := 1
	if delta < 0 {
		step = -1
	}
	target := s.gcur + delta
	target = min(max(target, 0), len(s.lines)-1)
	// Land on a node line: search onwards in the direction of travel, then back.
	for i := target; i >= 0 && i < len(s.lines); i += step {
		if s.lines[i].heading == "" {
			s.gcur = i
			return
		}
	}
	for i := target; i >= 0 && i < len(s.lines); i -= step {
		if s.lines[i].heading == "" {
			s.gcur = i
			return
		}
	}
}

// selectInPicker puts the picker's cursor on n when it is listed.
func (s *Screen) selectInPicker(n experiments.Node) {
	for sec := range numSections {
		for i := 0; i < s.count(sec); i++ {
			if s.nodeAt(sec, i) == n {
				if !s.search.Match(s.rowCols(sec, i)...) {
					s.search.Clear() // the search would hide it
				}
				s.sec = sec
				s.cur[sec] = max(slices.Index(s.kept(sec), i), 0)
				return
			}
		}
	}
}

// ShortHelp lists the keys of the current view for the footer.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.Keys
	if s.mode == modeGraph {
		return []key.Binding{k.Up, k.Down, withHelp(k.Open, "jump"), k.Back, k.Pick, k.Run}
	}
	if s.search.Editing() {
		return []key.Binding{withHelp(k.Open, "keep"), withHelp(k.Back, "clear")}
	}
	return []key.Binding{k.Up, k.Down, k.PrevList, k.NextList, k.Open, k.Run}
}

// FullHelp lists every key of the screen.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.PrevList, k.NextList, withHelp(k.Open, "open / jump"), k.Back, k.Pick, k.Refresh},
		{k.Run, k.Search},
	}
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// Package runners is the Runners screen: every configured runner with its
// health (probed within a connect timeout, so one dead host does not hold up
// the others), daemon version, GPUs with memory and utilization bars, and
// the runs running and queued on it. It re-probes every few seconds while
// visible, through the engine.
package runners

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runners"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/search"
	"github.com/lathe-ml/lathe/tui/keys"
)

// Every is how often the visible screen re-probes the runners.
const Every = 5 * time.Second

// KeyMap are the Runners screen's bindings.
type KeyMap struct {
	keys.Nav // ↑/↓ move between runners
	Refresh  key.Binding
	Search   key.Binding
}

// DefaultKeyMap returns the Runners screen's bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:     keys.DefaultNav(),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "probe now")),
		Search:  search.Key(),
	}
}

type (
	tickMsg       struct{ gen uint64 }
	statusPayload []engine.RunnerStatus
)

// Screen is the Runners tab.
type Screen struct {
	c    *common.Context
	Keys KeyMap
	jobs *common.Jobs

	every   time.Duration // probe period
	w, h    int
	active  bool
	gen     uint64
	probing bool
	at      time.Time
	sts     []engine.RunnerStatus
	err     error
	cursor  int // into shown()
	search  search.Model
}

// shown are the runners the / search keeps, matched on what their blocks
// show: name, type, health, host, daemon, runs and GPUs.
func (s *Screen) shown() []engine.RunnerStatus {
	if !s.search.Active() {
		return s.sts
	}
	var out []engine.RunnerStatus
	for _, r := range s.sts {
		cols := []string{r.Name, r.Type, r.Host, r.Error, r.NoGPU, strings.Join(r.Running, " "), strings.Join(r.Queued, " ")}
		if r.Reachable {
			cols = append(cols, "ok")
		} else {
			cols = append(cols, "unreachable")
		}
		if r.Daemon != nil {
			cols = append(cols, "docker "+r.Daemon.Version)
		}
		for _, g := range r.GPUs {
			cols = append(cols, g.Name)
		}
		if s.search.Match(cols...) {
			out = append(out, r)
		}
	}
	return out
}

// CapturingInput reports whether the search line takes the keys.
func (s *Screen) CapturingInput() bool { return s.search.Editing() }

// New returns the Runners screen of the program that owns c.
func New(c *common.Context) *Screen {
	s := &Screen{c: c, Keys: DefaultKeyMap(), jobs: common.NewJobs(c, common.Runners), every: Every}
	return s
}

// ID implements common.Screen.
func (s *Screen) ID() common.ScreenID { return common.Runners }

// Init implements common.Screen.
func (s *Screen) Init() tea.Cmd { return nil }

// SetSize implements common.Screen.
func (s *Screen) SetSize(w, h int) {
	s.w, s.h = w, h
}

// Activate probes at once and then every Every.
func (s *Screen) Activate() tea.Cmd {
	s.active = true
	s.gen++
	return tea.Batch(s.probe(), s.tick())
}

// Deactivate stops probing.
func (s *Screen) Deactivate() {
	s.active = false
	s.gen++
	s.jobs.CancelAll()
	s.probing = false
}

func (s *Screen) tick() tea.Cmd {
	gen := s.gen
	return tea.Tick(s.every, func(time.Time) tea.Msg {
		return common.ResultMsg{Screen: common.Runners, Payload: tickMsg{gen}}
	})
}

func (s *Screen) probe() tea.Cmd {
	if s.probing {
		return nil
	}
	s.probing = true
	e := s.c.Engine()
	_, cmd := s.jobs.Start(func(ctx context.Context) (any, error) {
		return statusPayload(e.Runners(ctx)), nil
	})
	return cmd
}

// Update handles keys, the probe tick and probe results.
func (s *Screen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ResultMsg:
		if t, ok := msg.Payload.(tickMsg); ok {
			if t.gen != s.gen || !s.active {
				return s, nil
			}
			return s, tea.Batch(s.probe(), s.tick())
		}
		if !s.jobs.Accept(msg) {
			return s, nil
		}
		s.probing = false
		s.err = msg.Err
		if p, ok := msg.Payload.(statusPayload); ok && msg.Err == nil {
			s.sts, s.at = p, time.Now()
			s.cursor = min(s.cursor, max(len(s.shown())-1, 0))
		}
	case tea.KeyPressMsg:
		switch {
		case s.search.Editing():
			if s.search.Update(msg) {
				s.cursor = 0
			}
		case key.Matches(msg, s.Keys.Up):
			s.cursor = max(s.cursor-1, 0)
		case key.Matches(msg, s.Keys.Down):
			s.cursor = min(s.cursor+1, max(len(s.shown())-1, 0))
		case key.Matches(msg, s.Keys.Refresh):
			return s, s.probe()
		case key.Matches(msg, s.Keys.Search):
			return s, s.search.Open()
		case msg.String() == "esc" && s.search.Active():
			s.search.Clear()
			s.cursor = 0
		}
	}
	return s, nil
}

// Statuses returns the last probe results (tests).
func (s *Screen) Statuses() []engine.RunnerStatus { return s.sts }

// ShortHelp implements common.Screen.
func (s *Screen) ShortHelp() []key.Binding {
	return []key.Binding{s.Keys.Refresh, s.Keys.Search}
}

// FullHelp implements common.Screen.
func (s *Screen) FullHelp() [][]key.Binding {
	return [][]key.Binding{{s.Keys.Up, s.Keys.Down, s.Keys.Refresh, s.Keys.Search}}
}

// View implements common.Screen.
func (s *Screen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	st := s.c.Styles
	head := fmt.Sprintf("Runners  %d configured", len(s.c.Engine().RunnerNames()))
	switch {
	case s.probing && s.at.IsZero():
		head += "  probing…"
	case !s.at.IsZero():
		head += fmt.Sprintf("  probed %s ago", time.Since(s.at).Round(time.Second))
	}
	shown := s.shown()
	if q := s.search.Status(len(shown), len(s.sts)); q != "" {
		head += "  " + q
	}
	lines := []string{st.Title.Render(" " + head)}
	if s.err != nil {
		lines = append(lines, st.Error.Render(" "+format.OneLine(s.err.Error())))
	}
	// Each runner is a block; the selected one is kept in view.
	var blocks [][]string
	for i, r := range shown {
		blocks = append(blocks, s.block(r, i == s.cursor))
	}
	body := s.h - len(lines)
	var foot string
	if s.search.Editing() {
		foot = s.search.Line(st, s.w)
		body--
	}
	start := 0
	for {
		n := 0
		for i := start; i <= s.cursor && i < len(blocks); i++ {
			n += len(blocks[i])
		}
		if n <= body || start >= s.cursor {
			break
		}
		start++
	}
	for i := start; i < len(blocks); i++ {
		lines = append(lines, blocks[i]...)
	}
	if s.search.Editing() {
		return frame.Fit(frame.Fit(strings.Join(lines, "\n"), s.w, s.h-1)+"\n"+foot, s.w, s.h)
	}
	return frame.Fit(strings.Join(lines, "\n"), s.w, s.h)
}

func (s *Screen) block(r engine.RunnerStatus, selected bool) []string {
	st := s.c.Styles
	w := s.w
	mark := "  "
	if selected {
		mark = "› "
	}
	health := "ok"
	if !r.Reachable {
		health = "UNREACHABLE"
	}
	where := format.OneLine(r.Host) // a probe's answers are the remote's text
	if r.Daemon != nil {
		where += "  docker " + format.OneLine(r.Daemon.Version)
	}
	if r.Cluster != nil {
		where += "  " + format.OneLine(r.Cluster.Version)
	}
	if r.Kube != nil {
		where += "  kubernetes " + format.OneLine(r.Kube.Version) + " ns " + format.OneLine(r.Kube.Namespace)
	}
	title := fmt.Sprintf("%s%-10s %-6s %-11s %s", mark, r.Name, r.Type, health, where)
	var out []string
	switch {
	case selected:
		out = append(out, st.TabActive.UnsetPadding().Render(frame.Line(title, w)))
	case !r.Reachable:
		out = append(out, st.Error.Render(frame.Line(title, w)))
	default:
		out = append(out, st.Text.Bold(true).Render(frame.Line(title, w)))
	}
	if r.Error != "" {
		out = append(out, st.Error.UnsetBold().Render("    "+format.OneLine(r.Error)))
	}
	load := fmt.Sprintf("    runs %d/%d running", len(r.Running), r.MaxConcurrent)
	if len(r.Running) > 0 {
		load += ": " + strings.Join(r.Running, " ")
	}
	load += fmt.Sprintf("  ·  %d queued", len(r.Queued))
	if len(r.Queued) > 0 {
		load += ": " + strings.Join(r.Queued, " ")
	}
	out = append(out, st.Text.Render(load))
	if r.Cluster != nil {
		return append(out, clusterLines(r.Cluster, s)...)
	}
	if r.Kube != nil {
		return append(out, kubeLines(s, r.Kube)...)
	}
	if len(r.GPUs) == 0 {
		if r.Reachable {
			why := r.NoGPU
			if why == "" {
				why = "no GPU"
			}
			out = append(out, st.Muted.Render("    "+format.OneLine(why)))
		}
	}
	for _, g := range r.GPUs {
		out = append(out, st.Text.Render(gpuLine(g, w)))
	}
	return out
}

// clusterLines are a Slurm runner's partitions (nodes, GPUs as a bar of
// allocated over total) and this workspace's jobs in the cluster queue.
func clusterLines(c *runners.ClusterInfo, s *Screen) []string {
	st := s.c.Styles
	barW := max(min(s.w-60, 20), 4)
	var out []string
	for _, p := range c.Partitions {
		gpus := "no GPUs"
		if p.GPUs > 0 {
			gpus = fmt.Sprintf("GPUs %s %d alloc · %d idle", Bar(float64(p.GPUsAlloc)/float64(p.GPUs), barW), p.GPUsAlloc, p.GPUs-p.GPUsAlloc)
		}
		out = append(out, st.Text.Render(fmt.Sprintf("    partition %-12s %2d nodes (%d idle)  %s", format.Clip(format.OneLine(p.Name), 12), p.Nodes, p.IdleNodes, gpus)))
	}
	if len(c.Jobs) == 0 {
		return append(out, st.Muted.Render("    no jobs of this workspace in the Slurm queue"))
	}
	for _, j := range c.Jobs {
		line := fmt.Sprintf("    job %-8s %-12s %-10s", format.OneLine(j.JobID), format.OneLine(j.RunID), format.OneLine(j.State))
		if j.Reason != "" {
			line += " (" + format.OneLine(j.Reason) + ")"
		}
		out = append(out, st.Text.Render(frame.Line(line, s.w)))
	}
	return out
}

// gpuLine is one GPU: index, name, a memory bar and a utilization bar.
func gpuLine(g runners.GPU, w int) string {
	name := format.Clip(g.Name, 22)
	barW := max(min((w-40)/2-12, 20), 4)
	mem := "mem n/a"
	if g.MemoryTotalMiB != nil && g.MemoryUsedMiB != nil && *g.MemoryTotalMiB > 0 {
		mem = fmt.Sprintf("mem %s %5.1f/%.0fG", Bar(float64(*g.MemoryUsedMiB)/float64(*g.MemoryTotalMiB), barW),
			float64(*g.MemoryUsedMiB)/1024, float64(*g.MemoryTotalMiB)/1024)
	}
	util := "util n/a"
	if g.UtilizationPct != nil {
		util = fmt.Sprintf("util %s %3d%%", Bar(float64(*g.UtilizationPct)/100, barW), *g.UtilizationPct)
	}
	line := fmt.Sprintf("    GPU %d %-22s %s  %s", g.Index, name, mem, util)
	if len(g.MIG) > 0 {
		line += fmt.Sprintf("  MIG×%d", len(g.MIG))
	}
	return line
}

// Bar draws a fraction in [0, 1] as w cells of eighth blocks.
func Bar(frac float64, w int) string {
	if w <= 0 {
		return ""
	}
	frac = min(max(frac, 0), 1)
	eighths := int(frac*float64(w*8) + 0.5)
	var b strings.Builder
	for i := 0; i < w; i++ {
		n := min(max(eighths-i*8, 0), 8)
		if n == 0 {
			b.WriteRune('░')
			continue
		}
		b.WriteRune([]rune("▏▎▍▌▋▊▉█")[n-1])
	}
	return b.String()
}

package runs

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runstatus"
	"github.com/lathe-ml/lathe/tui/common"
	"github.com/lathe-ml/lathe/tui/components/frame"
	"github.com/lathe-ml/lathe/tui/components/search"
	"github.com/lathe-ml/lathe/tui/styles"
)

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

// Row is one run of the list with its last metric values.
type Row = engine.RunSummary

type listPayload struct {
	version int64
	rows    []Row
}

// list is the run list: the rows of the last load, a cursor, marks (to
// compare or diff), the / search typed on the bottom line and a sort. The
// keys that act on the selected run are the screen's.
type list struct {
	rows     []Row
	version  int64 // the store's data version the rows were read at
	loading  bool
	lastLoad time.Time
	cursor   int
	marked   map[string]bool
	search   search.Model
	sortBy   sortKey
}

func newList() *list {
	return &list{marked: map[string]bool{}}
}

// load refreshes the rows in the background when the store changed (or
// always, with force); the result is a listPayload.
func (l *list) load(e *engine.Engine, jobs *common.Jobs, force bool) tea.Cmd {
	if l.loading {
		return nil
	}
	l.loading = true
	l.lastLoad = time.Now()
	prev := l.version
	_, cmd := jobs.Start(func(ctx context.Context) (any, error) {
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

// loaded takes a load's result; nil rows mean nothing changed.
func (l *list) loaded(p listPayload, now time.Time) {
	l.loading = false
	l.version = p.version
	if p.rows != nil {
		l.rows = p.rows
		l.cursor = min(l.cursor, max(len(l.visible(now))-1, 0))
	}
}

// update handles the list's own keys: moving, marking, sorting, opening the
// filter line and esc (clears the filter and the marks).
func (l *list) update(msg tea.KeyPressMsg, k KeyMap, now time.Time) tea.Cmd {
	n := len(l.visible(now))
	switch {
	case key.Matches(msg, k.Up):
		l.cursor = max(l.cursor-1, 0)
	case key.Matches(msg, k.Down):
		l.cursor = min(l.cursor+1, max(n-1, 0))
	case key.Matches(msg, k.Mark):
		if r, ok := l.selected(now); ok {
			if l.marked[r.Run.ID] {
				delete(l.marked, r.Run.ID)
			} else {
				l.marked[r.Run.ID] = true
			}
			l.cursor = min(l.cursor+1, max(n-1, 0))
		}
	case key.Matches(msg, k.Filter):
		return l.search.Open()
	case key.Matches(msg, k.Sort):
		l.sortBy = (l.sortBy + 1) % numSorts
	case msg.String() == "esc":
		l.search.Clear()
		clear(l.marked)
	}
	return nil
}

// updateSearch edits the search, which applies as it is typed.
func (l *list) updateSearch(msg tea.KeyPressMsg) tea.Cmd {
	if l.search.Update(msg) {
		l.cursor = 0
	}
	return nil
}

func (l *list) selected(now time.Time) (Row, bool) {
	vis := l.visible(now)
	if l.cursor < 0 || l.cursor >= len(vis) {
		return Row{}, false
	}
	return vis[l.cursor], true
}

// visible returns the rows that pass the filter, in the chosen order.
func (l *list) visible(now time.Time) []Row {
	var out []Row
	for _, r := range l.rows {
		if l.search.Match(rowText(r)) {
			out = append(out, r)
		}
	}
	switch l.sortBy {
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

// toOpen are the runs enter shows: the marked ones, or the selected one.
func (l *list) toOpen(now time.Time) []experiments.Run {
	byID := map[string]experiments.Run{}
	for _, r := range l.rows {
		byID[r.Run.ID] = r.Run
	}
	var runs []experiments.Run
	for _, r := range l.visible(now) {
		if l.marked[r.Run.ID] {
			runs = append(runs, byID[r.Run.ID])
		}
	}
	if len(runs) == 0 {
		if r, ok := l.selected(now); ok {
			runs = []experiments.Run{byID[r.Run.ID]}
		}
	}
	return runs
}

// diffTargets picks the two runs to compare: the two marked ones (older
// first), or the one marked and the one under the cursor.
func (l *list) diffTargets(now time.Time) (a, b string, err error) {
	var marked []Row
	for _, r := range l.rows {
		if l.marked[r.Run.ID] {
			marked = append(marked, r)
		}
	}
	sel, ok := l.selected(now)
	switch {
	case len(marked) == 2:
		x, y := marked[0].Run, marked[1].Run
		if y.Created.Before(x.Created) || (y.Created.Equal(x.Created) && y.ID < x.ID) {
			x, y = y, x
		}
		return x.ID, y.ID, nil
	case len(marked) == 1 && ok && sel.Run.ID != marked[0].Run.ID:
		return marked[0].Run.ID, sel.Run.ID, nil
	case len(marked) > 2:
		return "", "", fmt.Errorf("%d runs marked: D compares two (esc clears the marks)", len(marked))
	}
	return "", "", fmt.Errorf("diff with…: mark a run (space), move to another and press D")
}

// markedBut lists the marked runs other than id.
func (l *list) markedBut(id string) []string {
	var out []string
	for m := range l.marked {
		if m != id {
			out = append(out, m)
		}
	}
	return out
}

// view renders the list in w x h.
func (l *list) view(st *styles.Styles, w, h int, now time.Time) string {
	vis := l.visible(now)
	var b strings.Builder
	head := fmt.Sprintf("Runs  %d", len(l.rows))
	if s := l.search.Status(len(vis), len(l.rows)); s != "" {
		head += "  " + s
	}
	head += "  sort " + l.sortBy.String()
	switch n := len(l.marked); {
	case n == 1:
		head += "  1 marked · D: diff with the selected run"
	case n > 0:
		head += fmt.Sprintf("  %d marked", n)
	}
	b.WriteString(st.Title.Render(" " + head))
	if len(l.rows) == 0 {
		b.WriteString("\n\n")
		b.WriteString(st.Text.Render(" No runs yet. Press n to launch one (the example trainer is"))
		b.WriteString("\n")
		b.WriteString(st.Text.Render(" pre-filled), or run `lathe run -- CMD` in a shell."))
		return b.String()
	}
	// Fixed columns, then params and metrics share the rest.
	const idW, stW, rnW, duW = 12, 10, 8, 8
	rest := max(w-2-idW-stW-rnW-duW-4, 10)
	parW := rest * 2 / 5
	metW := rest - parW - 1
	b.WriteString("\n")
	b.WriteString(st.Muted.Render(fmt.Sprintf("  %-*s %-*s %-*s %*s %-*s %s", idW, "ID", stW, "STATUS", rnW, "RUNNER", duW, "DURATION", parW, "PARAMS", "LAST METRICS")))
	rowsH := max(h-2, 1)
	top := 0
	if l.cursor >= rowsH {
		top = l.cursor - rowsH + 1
	}
	for i := top; i < len(vis) && i < top+rowsH; i++ {
		r := vis[i]
		mark := " "
		if l.marked[r.Run.ID] {
			mark = "●"
		}
		cur := " "
		if i == l.cursor {
			cur = "›"
		}
		dur := "-"
		if d := duration(r.Run, now); d > 0 {
			dur = format.Compact(d)
		}
		last := lastMetrics(r.Last)
		if r.Run.Status == runstatus.Queued && r.Run.Error != "" {
			last = format.OneLine(r.Run.Error) // why it waits: Slurm's pending reason
		}
		line := fmt.Sprintf("%s%s%-*s %-*s %-*s %*s %-*s %s", cur, mark, idW, r.Run.ID, stW, r.Run.Status, rnW, format.Clip(r.Run.Runner, rnW), duW, dur,
			parW, format.Clip(listParams(r.Run), parW), format.Clip(last, metW))
		b.WriteString("\n")
		switch {
		case i == l.cursor:
			b.WriteString(st.TabActive.UnsetPadding().Render(frame.Line(line, w)))
		case r.Run.Status == runstatus.Failed || r.Run.Status == runstatus.OOMKilled || r.Run.Status == runstatus.Lost:
			b.WriteString(st.Error.UnsetBold().Render(line))
		default:
			b.WriteString(st.Text.Render(line))
		}
	}
	return b.String()
}

package lineage

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/tui/components/frame"
)

// sideBySideWidth is the body width from which the node detail sits beside
// the tree instead of under it.
const sideBySideWidth = 110

// View renders the body within the size last set.
func (s *Screen) View() string {
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	var lines []string
	if s.mode == modeGraph {
		lines = s.graphView()
	} else {
		lines = s.pickView()
	}
	return frame.Fit(strings.Join(lines, "\n"), s.w, s.h)
}

func (s *Screen) title(rest string) string {
	st := s.c.Styles
	if s.message != "" {
		return st.Title.Render(" Lineage") + st.Error.Render("  ·  "+format.OneLine(s.message))
	}
	return st.Title.Render(" Lineage") + st.Muted.Render("  ·  "+format.OneLine(rest))
}

// listHeight is the number of rows the picker's list shows (one less
// while the search line is up).
func (s *Screen) listHeight() int {
	if s.search.Editing() {
		return max(s.h-4, 1)
	}
	return max(s.h-3, 1)
}

func (s *Screen) pickView() []string {
	out := s.pickList()
	if s.search.Editing() {
		for len(out) < s.h-1 {
			out = append(out, "")
		}
		out = append(out[:s.h-1], s.search.Line(s.c.Styles, s.w))
	}
	return out
}

func (s *Screen) pickList() []string {
	st := s.c.Styles
	out := []string{s.title("pick a run, a dataset version or a study; enter shows its lineage")}
	var bar []string
	for sec := range numSections {
		label := fmt.Sprintf("%s (%d)", sec, s.count(sec))
		if s.search.Active() {
			label = fmt.Sprintf("%s (%d of %d)", sec, len(s.kept(sec)), s.count(sec))
		}
		if sec == s.sec {
			bar = append(bar, st.TabActive.Render(label))
		} else {
			bar = append(bar, st.TabInactive.Render(label))
		}
	}
	kept := s.kept(s.sec)
	if q := s.search.Status(len(kept), s.count(s.sec)); q != "" {
		bar = append(bar, st.Muted.Render("  "+q))
	}
	out = append(out, strings.Join(bar, ""), "")
	switch {
	case s.listErr != nil:
		return append(out, " "+st.Error.Render("Could not read the store: ")+st.Text.Render(format.OneLine(s.listErr.Error())))
	case !s.loaded:
		return append(out, " "+st.Muted.Render("Loading…"))
	}
	n := len(kept)
	if n == 0 && s.search.Active() {
		return append(out, " "+st.Muted.Render("Nothing matches the search (esc clears it)."))
	}
	if n == 0 {
		empty := map[section]string{
			secRuns:     "No runs yet. Launch one: lathe run -- CMD (or n on the Runs tab).",
			secDatasets: "No dataset versions yet. Register one: lathe data add PATH, or split a file (s on the Data tab).",
			secStudies:  "No studies yet: lathe tune run SPEC.",
		}
		return append(out, " "+st.Muted.Render(empty[s.sec]))
	}
	h := s.listHeight()
	cur := s.cur[s.sec]
	top := scrollTop(cur, s.top[s.sec], h, n)
	s.top[s.sec] = top
	for i := top; i < min(top+h, n); i++ {
		row := s.row(s.sec, kept[i], s.w-2)
		if i == cur {
			out = append(out, " "+s.cursor(frame.Line(row, s.w-2)))
		} else {
			out = append(out, " "+st.Text.Render(row))
		}
	}
	return out
}

// row is one picker row, at most w cells.
func (s *Screen) row(sec section, i, w int) string {
	switch sec {
	case secRuns:
		r := s.runs[i]
		name := r.Name
		if name == "" {
			name = strings.Join(r.Command, " ")
		}
		return fmt.Sprintf("%-12s  %-10s  %-8s  %s  %s", r.ID, r.Status, format.Clip(r.Runner, 8), s.when(r.Created), format.OneLine(name))
	case secDatasets:
		d := s.datasets[i]
		rows := "? rows"
		if d.Rows >= 0 {
			rows = strconv.FormatInt(d.Rows, 10) + " rows"
		}
		right := fmt.Sprintf("  @%s  %9s  %10s", d.SHA256[:12], format.Bytes(d.Size), rows)
		if w >= 110 {
			right += "  " + s.when(d.Created)
		}
		// The path first, in a column as wide as the longest one that fits.
		pathW := 0
		for _, o := range s.datasets {
			pathW = max(pathW, ansi.StringWidth(format.OneLine(o.Path)))
		}
		pathW = max(min(pathW, w-ansi.StringWidth(right)), 8)
		return frame.Line(format.OneLine(d.Path), pathW) + right
	}
	st := s.studies[i]
	return fmt.Sprintf("%-24s  %-10s  %s", format.Clip(st.Name, 24), st.Status, s.when(st.Created))
}

func (s *Screen) cursor(line string) string { return s.c.Styles.TabActive.Padding(0).Render(line) }

func (s *Screen) when(t time.Time) string {
	if t.IsZero() {
		return "                "
	}
	return t.In(s.loc).Format("2006-01-02 15:04")
}

// sideBySide reports whether the detail pane sits beside the tree.
func (s *Screen) sideBySide() bool { return s.w >= sideBySideWidth }

// detailHeight is the height of the detail pane under the tree.
func (s *Screen) detailHeight() int { return min(max(s.h/3, 5), 9) }

// treeHeight is the number of tree lines shown.
func (s *Screen) treeHeight() int {
	if s.sideBySide() {
		return max(s.h-1, 1)
	}
	return max(s.h-2-s.detailHeight(), 1)
}

func (s *Screen) graphView() []string {
	st := s.c.Styles
	rootLabel := s.root.String()
	if s.graph != nil {
		if rn, ok := s.graph.Node(s.root); ok {
			rootLabel = rn.Kind + " " + rn.Label
		}
	}
	head := rootLabel
	if len(s.history) > 0 {
		head += fmt.Sprintf("  (esc: back, %d)", len(s.history))
	}
	out := []string{s.title(head)}
	switch {
	case s.graphErr != nil:
		return append(out, "", " "+st.Error.Render("Could not read the lineage: ")+st.Text.Render(format.OneLine(s.graphErr.Error())))
	case s.graph == nil:
		return append(out, "", " "+st.Muted.Render("Loading…"))
	}
	treeW := s.w
	detailW := s.w
	if s.sideBySide() {
		detailW = min(56, s.w*2/5)
		treeW = s.w - detailW - 1
	}
	th := s.treeHeight()
	s.gtop = scrollTop(s.gcur, s.gtop, th, len(s.lines))
	var tree []string
	for i := s.gtop; i < min(s.gtop+th, len(s.lines)); i++ {
		tree = append(tree, s.treeLine(s.lines[i], i == s.gcur, treeW))
	}
	for len(tree) < th {
		tree = append(tree, "")
	}
	var detail []string
	if i := s.gcur; i >= 0 && i < len(s.lines) && s.lines[i].heading == "" {
		l := s.lines[i]
		var via *experiments.Edge
		if !l.root {
			via = &l.tl.Via
		}
		detail = s.detailLines(l.tl.Node, via, l.up, detailW-2)
	}
	if s.sideBySide() {
		sep := st.Muted.Render("│")
		for i := range tree {
			d := ""
			if i < len(detail) {
				d = detail[i]
			}
			out = append(out, frame.Line(tree[i], treeW)+sep+" "+d)
		}
		return out
	}
	out = append(out, tree...)
	out = append(out, st.Muted.Render(strings.Repeat("─", s.w)))
	if len(detail) > s.detailHeight() {
		detail = detail[:s.detailHeight()]
	}
	return append(out, detail...)
}

// treeLine renders one graph line: "  ├─ used  dataset data/x.csv @3fa9…".
func (s *Screen) treeLine(l gline, selected bool, w int) string {
	st := s.c.Styles
	if l.heading != "" {
		return " " + st.Muted.Render(l.heading)
	}
	n := l.tl.Node
	text := n.Kind + " " + format.OneLine(n.Label)
	if l.root {
		text = "● " + text
	} else {
		text = "  " + l.tl.Prefix + edgeWord(l.tl.Via, l.up) + " " + text
		if l.tl.Repeat {
			text += " ↑"
		}
	}
	if selected {
		return " " + s.cursor(frame.Line(text, w-1))
	}
	if l.root {
		return " " + st.Title.Render(text)
	}
	if n.Missing {
		return " " + st.Error.Render(text)
	}
	return " " + st.Text.Render(text)
}

// edgeWords name an edge from the tree line's side: upstream, what the
// parent was made from; downstream, what was made of it.
var edgeWords = map[string][2]string{ // kind -> {upstream, downstream}
	experiments.EdgeUsed:        {"used ←", "used by →"},
	experiments.EdgeDerivedFrom: {"derived from ←", "derived →"},
	experiments.EdgeProduced:    {"produced by ←", "produced →"},
	experiments.EdgeTrialOf:     {"trial of ←", "trial →"},
	experiments.EdgeRerunOf:     {"rerun of ←", "rerun →"},
}

// edgeWord names how a tree line's node relates to its parent in the tree;
// a derivation says its operation ("split of ←").
func edgeWord(e experiments.Edge, up bool) string {
	op := e.Operation
	switch {
	case op == experiments.SameContent && up:
		return "same bytes as ←"
	case op == experiments.SameContent:
		return "same bytes as →"
	case e.Kind == experiments.EdgeDerivedFrom && op != "" && up:
		return op + " of ←"
	case e.Kind == experiments.EdgeDerivedFrom && op != "":
		return op + " →"
	}
	w, ok := edgeWords[e.Kind]
	switch {
	case !ok && up:
		return e.Kind + " ←"
	case !ok:
		return e.Kind + " →"
	case up:
		return w[0]
	}
	return w[1]
}

// detailLines describes a node: what it is, its hashes, sizes, params and
// times, and the edge that led to it.
func (s *Screen) detailLines(n experiments.GraphNode, via *experiments.Edge, up bool, w int) []string {
	st := s.c.Styles
	var out []string
	kv := func(k, v string) {
		if v == "" {
			return
		}
		v = format.OneLine(v) // commands, params and paths are the user's text
		out = append(out, " "+st.Muted.Render(fmt.Sprintf("%-9s", k))+" "+st.Text.Render(ansi.Truncate(v, max(w-10, 1), "…")))
	}
	out = append(out, " "+st.Title.Render(n.Kind+" "+format.OneLine(n.Label)))
	switch {
	case n.Missing:
		out = append(out, " "+st.Error.Render("no longer in the store (deleted by hand?)"))
	case n.Run != nil:
		r := n.Run
		status := string(r.Status)
		if r.ExitCode != nil {
			status += fmt.Sprintf(" (exit %d)", *r.ExitCode)
		}
		if !r.Started.IsZero() && !r.Ended.IsZero() {
			status += " in " + r.Ended.Sub(r.Started).Round(time.Millisecond).String()
		}
		kv("status", status)
		kv("error", r.Error)
		kv("runner", strings.TrimSuffix(r.Runner+" @ "+r.Host, " @ "))
		kv("image", strings.TrimSpace(r.Image+" "+r.ImageDigest))
		kv("command", strings.Join(r.Command, " "))
		kv("params", params(r.Params))
		kv("code", codeLabel(r.Code))
		kv("gpus", strings.TrimSpace(r.GPUs+" "+r.GPUInfo))
		kv("times", s.when(r.Created)+" → "+s.when(r.Ended))
		kv("rerun of", r.RerunOf)
	case n.Dataset != nil:
		d := n.Dataset
		kv("sha256", d.SHA256)
		size := format.Bytes(d.Size)
		if d.Rows >= 0 {
			size += " · " + strconv.FormatInt(d.Rows, 10) + " rows"
		}
		if cols := schemaNames(d.Schema); len(cols) > 0 {
			size += fmt.Sprintf(" · %d columns", len(cols))
			kv("format", strings.TrimPrefix(d.Format+" · ", " · ")+size)
			kv("columns", strings.Join(cols, ", "))
		} else {
			kv("format", strings.TrimPrefix(d.Format+" · ", " · ")+size)
		}
		kv("version", fmt.Sprintf("dataset:%d, registered %s", d.ID, s.when(d.Created)))
	case n.Artifact != nil:
		a := n.Artifact
		kv("sha256", a.SHA256)
		kv("size", format.Bytes(a.Size))
		kv("run", a.RunID)
		kv("stored", s.when(a.Created))
		kv("get", "lathe artifacts get "+a.RunID+" "+a.Path)
	case n.Study != nil:
		kv("status", n.Study.Status)
		kv("times", s.when(n.Study.Created)+" → "+s.when(n.Study.Updated))
	}
	if via != nil {
		v := via.Kind + " (" + edgeWord(*via, up) + ")"
		if p := string(via.Params); p != "" && p != "{}" {
			v += " " + p
		}
		kv("via", v)
	}
	return out
}

func params(p map[string]any) string {
	parts := make([]string, 0, len(p))
	for _, k := range format.SortedKeys(p) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return strings.Join(parts, " ")
}

func codeLabel(c experiments.CodeVersion) string {
	if c.Commit == "" && !c.Dirty {
		return ""
	}
	s := "commit " + format.Clip(c.Commit, 10)
	if c.Commit == "" {
		s = "no commit"
	}
	if c.Dirty {
		s += " + uncommitted changes"
		if c.DiffSHA != "" {
			s += " (patch " + c.DiffSHA[:12] + ")"
		}
	}
	return s
}

func schemaNames(raw json.RawMessage) []string {
	var fields []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	var out []string
	for _, f := range fields {
		out = append(out, f.Name)
	}
	return out
}

// scrollTop keeps cur visible in a window of h rows over n.
func scrollTop(cur, top, h, n int) int {
	if cur < top {
		top = cur
	}
	if cur >= top+h {
		top = cur - h + 1
	}
	return max(min(top, n-h), 0)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

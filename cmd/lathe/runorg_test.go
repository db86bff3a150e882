package main

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/experiments"
)

// runs tag, note and rename, shown by runs ls and show (text and JSON),
// and runs ls / runs export filtered by --tag, --status, --since and
// --param; bad filters exit 2 naming the flag and what is valid.
func TestRunsTagNoteRenameAndFilters(t *testing.T) {
	isolate(t)
	ws := newWorkspace(t)
	w := []string{"--workspace", ws}
	launch := func(args ...string) string {
		t.Helper()
		code, out, errs := run(t, append(append(w, "run"), args...)...)
		if code > 1 || !strings.Contains(errs, "run r") {
			t.Fatalf("run %v: exit %d: %s", args, code, errs)
		}
		_, after, _ := strings.Cut(errs, "run ")
		_ = out
		return strings.Fields(after)[0]
	}
	a := launch("--param", "lr=0.1", "--param", "act=relu", "--", "sh", "-c", `echo '{"loss": 1}'`)
	b := launch("--param", "lr=0.003", "--param", "act=tanh", "--", "sh", "-c", `echo '{"loss": 0.5}'`)
	c := launch("--param", "lr=0.02", "--", "sh", "-c", "exit 3")

	mustRun := func(want string, args ...string) string {
		t.Helper()
		code, out, errs := run(t, append(w, args...)...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want %q", args, code, out, errs, want)
		}
		return out
	}
	mustRun(a+" baseline sweep", "runs", "tag", a[:6], "sweep", "baseline")
	mustRun(b+" sweep", "runs", "tag", b, "sweep")
	mustRun(c+" sweep", "runs", "tag", c, "sweep", "v1")
	mustRun(c+" sweep", "runs", "tag", c, "v1", "--remove")
	mustRun(a+" first try", "runs", "rename", a, "first try")
	var out, errb bytes.Buffer
	if code := execute(append(w, "runs", "note", a, "-"), strings.NewReader("lr too high?\nsee step 40\n"), &out, &errb); code != 0 {
		t.Fatalf("note from stdin: exit %d: %s", code, errb.String())
	}

	show := mustRun("first try", "runs", "show", a)
	for _, want := range []string{"tags         baseline sweep", "note         lr too high?", "see step 40"} {
		if !strings.Contains(show, want) {
			t.Errorf("runs show lacks %q:\n%s", want, show)
		}
	}
	var rec experiments.RunRecord
	runJSON(t, &rec, append(w, "--json", "runs", "show", a)...)
	if rec.Name != "first try" || rec.Note != "lr too high?\nsee step 40" || !slices.Equal(rec.Tags, []string{"baseline", "sweep"}) {
		t.Errorf("runs show --json: name %q note %q tags %v", rec.Name, rec.Note, rec.Tags)
	}
	_, text := listRuns(t, ws)
	if !strings.Contains(text, "NAME") || !strings.Contains(text, "TAGS") || !strings.Contains(text, "baseline,sweep") || !strings.Contains(text, "first try") {
		t.Errorf("runs ls shows no names or tags:\n%s", text)
	}

	// --tag and runs tag complete the tags in use, most used first.
	for _, args := range [][]string{{"runs", "ls", "--tag"}, {"runs", "tag", a}} {
		cands, _ := cobraComplete(w, args, "")
		if len(cands) != 2 || cands[0][0] != "sweep" || cands[1][0] != "baseline" {
			t.Errorf("completing %v: %v, want sweep (3 runs) then baseline", args, cands)
		}
	}

	// runs export carries the tags and the note.
	code, csvOut, _ := run(t, append(w, "runs", "export", "--format", "csv", "--tag", "baseline")...)
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 {
		t.Fatalf("export --tag baseline: exit %d, %v\n%s", code, err, csvOut)
	}
	cell := func(col string) string {
		i := slices.Index(rows[0], col)
		if i < 0 {
			t.Fatalf("export has no %s column: %v", col, rows[0])
		}
		return rows[1][i]
	}
	if cell("tags") != "baseline sweep" || cell("note") != "lr too high?\nsee step 40" || cell("name") != "first try" {
		t.Errorf("export: tags %q note %q name %q", cell("tags"), cell("note"), cell("name"))
	}

	ids := func(args ...string) []string {
		t.Helper()
		var recs []experiments.RunRecord
		runJSON(t, &recs, append(append(w, "--json", "runs", "ls"), args...)...)
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	exported := func(args ...string) []string {
		t.Helper()
		code, out, errs := run(t, append(append(w, "runs", "export", "--format", "csv"), args...)...)
		if code != 0 {
			t.Fatalf("export %v: exit %d: %s", args, code, errs)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) == 0 || rows[0][0] != "id" {
			t.Fatalf("export %v: %v\n%s", args, err, out)
		}
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0])
		}
		return got
	}
	for _, tc := range []struct {
		args []string
		want []string // newest first
	}{
		{[]string{"--tag", "sweep"}, []string{c, b, a}},
		{[]string{"--tag", "sweep", "--tag", "baseline"}, []string{a}},
		{[]string{"--tag", "v1"}, nil},
		{[]string{"--status", "failed"}, []string{c}},
		{[]string{"--since", "1h"}, []string{c, b, a}},
		{[]string{"--since", "2999-01-01"}, nil},
		{[]string{"--param", "lr>0.01"}, []string{c, a}},
		{[]string{"--param", "lr>0.01", "--param", "act=relu"}, []string{a}},
		{[]string{"--param", "act!=relu"}, []string{b}},
		{[]string{"--tag", "sweep", "--status", "completed", "--param", "lr<=0.1", "--limit", "1"}, []string{b}},
	} {
		if got := ids(tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("runs ls %v: %v, want %v", tc.args, got, tc.want)
		}
		if got := exported(tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("runs export %v: %v, want %v", tc.args, got, tc.want)
		}
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "ls", "--status", "finished"}, "--status: unknown status \"finished\"; valid: queued, running, completed"},
		{[]string{"runs", "ls", "--since", "last week"}, "--since: \"last week\": give a duration back from now"},
		{[]string{"runs", "ls", "--param", "lr"}, "--param: \"lr\": no operator; want NAME OP VALUE with OP one of > >= < <= = !="},
		{[]string{"runs", "ls", "--tag", "a b"}, "--tag: tag \"a b\""},
		{[]string{"runs", "export", "--since", "-3h"}, "--since"},
		{[]string{"runs", "export", "--param", "lr=>1"}, "--param"},
		{[]string{"runs", "export", "--tag", ""}, "--tag"},
		{[]string{"runs", "tag", a}, "a run ID and at least one tag"},
		{[]string{"runs", "tag", a, "no spaces"}, "letters, digits"},
		{[]string{"runs", "tag", "zzzz", "x"}, "zzzz"},
		{[]string{"runs", "rename", a, "two\nlines"}, "one printable line"},
		{[]string{"runs", "note", a}, "the note"},
		{[]string{"runs", "note", a, "bell\a"}, "control character"},
	} {
		code, out, errs := run(t, append(w, bad.args...)...)
		if code != 2 || !strings.Contains(errs, bad.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 saying %q", bad.args, code, out, errs, bad.want)
		}
	}
	// Nothing refused changed the run.
	runJSON(t, &rec, append(w, "--json", "runs", "show", a)...)
	if rec.Name != "first try" || !slices.Equal(rec.Tags, []string{"baseline", "sweep"}) {
		t.Errorf("after refusals: name %q tags %v", rec.Name, rec.Tags)
	}
	// Clearing.
	mustRun(a, "runs", "note", a, "")
	mustRun(a, "runs", "rename", a, "")
	runJSON(t, &rec, append(w, "--json", "runs", "show", a)...)
	if rec.Name != "" || rec.Note != "" {
		t.Errorf("after clearing: name %q note %q", rec.Name, rec.Note)
	}
}

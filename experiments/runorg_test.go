package experiments

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// Tags, a note and a name on a run, on both back ends: stored, read back
// by GetRun, ListRuns and UpdateRun, removed, copied, and refused when
// malformed.
func TestRunTagsNoteName(t *testing.T) { forEachBackend(t, testRunTagsNoteName) }

func testRunTagsNoteName(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	r := Run{Name: "first"}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRun(ctx, r.ID)
	if err != nil || got.Tags == nil || len(got.Tags) != 0 || got.Note != "" {
		t.Fatalf("fresh run: tags %#v note %q, %v; want [] and \"\"", got.Tags, got.Note, err)
	}
	if got, err = s.TagRun(ctx, r.ID, []string{"baseline", "lr-sweep", "baseline"}, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Tags, []string{"baseline", "lr-sweep"}) {
		t.Errorf("after tagging: %v", got.Tags)
	}
	if _, err := s.TagRun(ctx, r.ID, []string{"v2"}, false); err != nil {
		t.Fatal(err)
	}
	if got, err = s.TagRun(ctx, r.ID, []string{"lr-sweep", "never-there"}, true); err != nil || !slices.Equal(got.Tags, []string{"baseline", "v2"}) {
		t.Errorf("after removing: %v %v", got.Tags, err)
	}
	note := "lr too high:\n\tdiverged after step 40 — rerun with 0.003"
	if got, err = s.SetRunNote(ctx, r.ID, note); err != nil || got.Note != note || !slices.Equal(got.Tags, []string{"baseline", "v2"}) {
		t.Errorf("note: %q tags %v, %v", got.Note, got.Tags, err)
	}
	if got, err = s.RenameRun(ctx, r.ID, "baseline lr=0.1"); err != nil || got.Name != "baseline lr=0.1" || got.Note != note {
		t.Errorf("rename: %+v, %v", got, err)
	}
	// A status update (the runner's) keeps them all.
	if _, err := s.UpdateRun(ctx, r.ID, func(r *Run) error { r.Status = runstatus.Completed; return nil }); err != nil {
		t.Fatal(err)
	}
	runs, err := s.ListRuns(ctx, RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("list: %v %v", runs, err)
	}
	if l := runs[0]; l.Name != "baseline lr=0.1" || l.Note != note || !slices.Equal(l.Tags, []string{"baseline", "v2"}) {
		t.Errorf("listed: name %q note %q tags %v", l.Name, l.Note, l.Tags)
	}
	tc, err := s.RunTags(ctx)
	if err != nil || len(tc) != 2 || tc[0] != (TagCount{"baseline", 1}) {
		t.Errorf("run tags: %v %v", tc, err)
	}

	for _, c := range []struct {
		name string
		err  error
	}{
		{"empty tag", func() error { _, err := s.TagRun(ctx, r.ID, []string{""}, false); return err }()},
		{"tag with a space", func() error { _, err := s.TagRun(ctx, r.ID, []string{"ok", "two words"}, false); return err }()},
		{"tag with a comma", func() error { _, err := s.TagRun(ctx, r.ID, []string{"a,b"}, false); return err }()},
		{"name with a newline", func() error { _, err := s.RenameRun(ctx, r.ID, "a\nb"); return err }()},
		{"note with an escape", func() error { _, err := s.SetRunNote(ctx, r.ID, "red \x1b[31m"); return err }()},
	} {
		var ie *config.InputError
		if !errors.As(c.err, &ie) {
			t.Errorf("%s: %v, want an input error", c.name, c.err)
		}
	}
	if got, _ := s.GetRun(ctx, r.ID); !slices.Equal(got.Tags, []string{"baseline", "v2"}) || got.Name != "baseline lr=0.1" {
		t.Errorf("a refused change changed the run: %+v", got)
	}
	if _, err := s.TagRun(ctx, "rnope", []string{"x"}, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("tag of an unknown run: %v", err)
	}

	// A copy to a fresh store keeps the tags and the note.
	dst := newBackend(t, be.name).open(t)
	if _, err := s.CopyTo(ctx, dst, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if c, err := dst.GetRun(ctx, r.ID); err != nil || c.Note != note || !slices.Equal(c.Tags, []string{"baseline", "v2"}) {
		t.Errorf("copied: note %q tags %v, %v", c.Note, c.Tags, err)
	}
}

// Each filter of RunFilter: tags (all of them), status, since, and
// parameter conditions (numeric when both sides parse, else text), with the
// limit applied after them.
func TestRunFilters(t *testing.T) { forEachBackend(t, testRunFilters) }

func testRunFilters(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	now := time.Now().UTC()
	mk := func(name string, age time.Duration, st runstatus.Status, params map[string]any, tags ...string) {
		t.Helper()
		r := Run{Name: name, Status: st, Params: params, Created: now.Add(-age)}
		if err := s.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if len(tags) > 0 {
			if _, err := s.TagRun(ctx, r.ID, tags, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("old", 72*time.Hour, runstatus.Completed, map[string]any{"lr": 0.1, "act": "relu", "hidden": 64.0}, "baseline")
	mk("mid", 5*time.Hour, runstatus.Failed, map[string]any{"lr": 0.01, "act": "tanh", "hidden": 128.0}, "baseline", "sweep")
	mk("new", time.Hour, runstatus.Completed, map[string]any{"lr": "0.001", "act": "relu"}, "sweep")
	mk("plain", 30*time.Minute, runstatus.Running, nil)

	pc := func(s string) ParamCond {
		c, err := ParseParamCond("--param", s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name string
		f    RunFilter
		want []string // newest first
	}{
		{"tag", RunFilter{Tags: []string{"baseline"}}, []string{"mid", "old"}},
		{"two tags", RunFilter{Tags: []string{"baseline", "sweep"}}, []string{"mid"}},
		{"unknown tag", RunFilter{Tags: []string{"nope"}}, nil},
		{"status", RunFilter{Status: []runstatus.Status{runstatus.Completed}}, []string{"new", "old"}},
		{"since", RunFilter{Since: now.Add(-6 * time.Hour)}, []string{"plain", "new", "mid"}},
		{"lr>0.005 (a string param that parses compares as a number)", RunFilter{Params: []ParamCond{pc("lr>0.005")}}, []string{"mid", "old"}},
		{"lr<=0.01", RunFilter{Params: []ParamCond{pc("lr<=0.01")}}, []string{"new", "mid"}},
		{"lr=0.1", RunFilter{Params: []ParamCond{pc("lr = 0.1")}}, []string{"old"}},
		{"act=relu", RunFilter{Params: []ParamCond{pc("act=relu")}}, []string{"new", "old"}},
		{"act!=relu", RunFilter{Params: []ParamCond{pc("act!=relu")}}, []string{"mid"}},
		{"hidden>=100 (missing: no match)", RunFilter{Params: []ParamCond{pc("hidden>=100")}}, []string{"mid"}},
		{"text order", RunFilter{Params: []ParamCond{pc("act<s")}}, []string{"new", "old"}},
		{"all at once", RunFilter{Tags: []string{"sweep"}, Status: []runstatus.Status{runstatus.Completed}, Since: now.Add(-2 * time.Hour),
			Params: []ParamCond{pc("act=relu")}}, []string{"new"}},
		{"limit after params", RunFilter{Params: []ParamCond{pc("act=relu")}, Limit: 1}, []string{"new"}},
		{"limit with tags", RunFilter{Tags: []string{"baseline"}, Limit: 1}, []string{"mid"}},
	} {
		rs, err := s.ListRuns(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseParamCond(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ParamCond
	}{
		{"lr>0.01", ParamCond{"lr", ">", "0.01"}},
		{"lr >= 1e-3", ParamCond{"lr", ">=", "1e-3"}},
		{"act==relu", ParamCond{"act", "=", "relu"}},
		{"act!=tanh", ParamCond{"act", "!=", "tanh"}},
		{"x<-1", ParamCond{"x", "<", "-1"}},
		{"x<=", ParamCond{"x", "<=", ""}},
	} {
		got, err := ParseParamCond("--param", c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"lr", ">3", "lr=>3", "lr!3", "lr<>3", ""} {
		_, err := ParseParamCond("--param", in)
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Field != "--param" {
			t.Errorf("%q: %v, want an input error naming --param", in, err)
		}
	}
}

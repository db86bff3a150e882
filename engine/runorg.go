package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/runstatus"
)

// Organising runs (issue 17): tags, a note and a name, which change the
// store and so are refused to a viewer like every mutating operation, and
// the text form of a run filter that runs ls, runs export and the TUI share.

// TagRun adds the tags to the run, or with remove takes them off, and
// returns the run as it is then.
func (e *Engine) TagRun(ctx context.Context, id string, tags []string, remove bool) (experiments.Run, error) {
	op := "tag run"
	if remove {
		op = "untag run"
	}
	if err := permit(ctx, op, fmt.Sprintf("%q %q", id, tags)); err != nil {
		return experiments.Run{}, err
	}
	if err := e.need(); err != nil {
		return experiments.Run{}, err
	}
	if len(tags) == 0 {
		return experiments.Run{}, &config.InputError{Field: "tag", Msg: "no tags given"}
	}
	return e.ws.Store.TagRun(ctx, id, tags, remove)
}

// SetRunNote replaces the run's note ("" clears it).
func (e *Engine) SetRunNote(ctx context.Context, id, note string) (experiments.Run, error) {
	if err := permit(ctx, "note run", fmt.Sprintf("%q (%d bytes)", id, len(note))); err != nil {
		return experiments.Run{}, err
	}
	if err := e.need(); err != nil {
		return experiments.Run{}, err
	}
	return e.ws.Store.SetRunNote(ctx, id, note)
}

// RenameRun sets the run's name ("" clears it).
func (e *Engine) RenameRun(ctx context.Context, id, name string) (experiments.Run, error) {
	if err := permit(ctx, "rename run", fmt.Sprintf("%q to %q", id, name)); err != nil {
		return experiments.Run{}, err
	}
	if err := e.need(); err != nil {
		return experiments.Run{}, err
	}
	return e.ws.Store.RenameRun(ctx, id, name)
}

// RunTags lists the tags in use, most used first.
func (e *Engine) RunTags(ctx context.Context) ([]experiments.TagCount, error) {
	if err := e.need(); err != nil {
		return nil, err
	}
	return e.ws.Store.RunTags(ctx)
}

// RunQuery is a run filter as a user types it: the flags of runs ls and
// runs export. Fields names each field's flag in errors (default "--status",
// "--tag", "--since", "--param", "--limit").
type RunQuery struct {
	Status []string // each may be a comma-separated list
	Tags   []string
	Since  string // 2h, 3d, 2026-12-01 or an RFC 3339 time
	Params []string
	Limit  int
}

// ParseRunQuery validates q into a store filter; errors are InputErrors
// naming the flag and what it accepts. now anchors a relative --since.
func ParseRunQuery(q RunQuery, now time.Time) (experiments.RunFilter, error) {
	f := experiments.RunFilter{Limit: q.Limit}
	if q.Limit < 0 {
		return f, &config.InputError{Field: "--limit", Msg: fmt.Sprintf("%d: give 0 (all) or a positive number of runs", q.Limit)}
	}
	for _, s := range q.Status {
		for _, part := range strings.Split(s, ",") {
			st := runstatus.Status(strings.TrimSpace(part))
			if !st.Valid() {
				return f, &config.InputError{Field: "--status", Msg: fmt.Sprintf("unknown status %q; valid: %s", part, statusNames())}
			}
			f.Status = append(f.Status, st)
		}
	}
	for _, t := range q.Tags {
		if err := experiments.ValidTag(t); err != nil {
			var ie *config.InputError
			if errors.As(err, &ie) {
				err = &config.InputError{Field: "--tag", Msg: ie.Msg}
			}
			return f, err
		}
		f.Tags = append(f.Tags, t)
	}
	if q.Since != "" {
		t, err := ParseSince(q.Since, now)
		if err != nil {
			return f, err
		}
		f.Since = t
	}
	for _, p := range q.Params {
		c, err := experiments.ParseParamCond("--param", p)
		if err != nil {
			return f, err
		}
		f.Params = append(f.Params, c)
	}
	return f, nil
}

func statusNames() string {
	var s []string
	for _, st := range runstatus.All() {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// ParseSince reads a --since value: a duration back from now (90s, 30m,
// 2h, 3d, 1w, or Go's 1h30m), a date (2026-12-01, local midnight) or an
// RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := &config.InputError{Field: "--since", Msg: fmt.Sprintf("%q: give a duration back from now (30m, 2h, 3d, 1w), "+
		"a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:00:00Z)", s)}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	var d time.Duration
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'w') {
		k, err := strconv.ParseFloat(s[:n-1], 64)
		if err != nil || math.IsNaN(k) || math.IsInf(k, 0) || math.Abs(k) > 1e5 {
			return time.Time{}, bad
		}
		unit := 24 * time.Hour
		if s[n-1] == 'w' {
			unit *= 7
		}
		d = time.Duration(k * float64(unit))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return time.Time{}, bad
		}
	}
	if d < 0 {
		bad.Msg = fmt.Sprintf("%q: a duration back from now is positive (2h means the last two hours)", s)
		return time.Time{}, bad
	}
	return now.Add(-d), nil
}

package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

func TestParseRunQuery(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	f, err := ParseRunQuery(RunQuery{Status: []string{"completed,failed", "running"}, Tags: []string{"a", "b"}, Since: "2h",
		Params: []string{"lr>0.01", "act=relu"}, Limit: 3}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Status) != 3 || f.Status[2] != runstatus.Running || len(f.Tags) != 2 || !f.Since.Equal(now.Add(-2*time.Hour)) ||
		len(f.Params) != 2 || f.Params[0].String() != "lr>0.01" || f.Limit != 3 {
		t.Errorf("filter: %+v", f)
	}
	for in, want := range map[string]time.Time{
		"90m":                  now.Add(-90 * time.Minute),
		"3d":                   now.Add(-72 * time.Hour),
		"1w":                   now.Add(-7 * 24 * time.Hour),
		"1.5d":                 now.Add(-36 * time.Hour),
		"2026-11-30T08:00:00Z": time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC),
		"2026-11-30":           time.Date(2026, 11, 30, 0, 0, 0, 0, time.Local),
	} {
		if got, err := ParseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("since %q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, c := range []struct {
		q     RunQuery
		field string
		says  string
	}{
		{RunQuery{Status: []string{"done"}}, "--status", "valid: queued, running, completed"},
		{RunQuery{Tags: []string{"two words"}}, "--tag", "letters, digits"},
		{RunQuery{Since: "yesterday"}, "--since", "2026-12-01"},
		{RunQuery{Since: "-2h"}, "--since", "positive"},
		{RunQuery{Since: "NaNd"}, "--since", "duration"},
		{RunQuery{Params: []string{"lr~1"}}, "--param", "> >= < <= = !="},
		{RunQuery{Limit: -1}, "--limit", "positive"},
	} {
		_, err := ParseRunQuery(c.q, now)
		var ie *config.InputError
		if !errors.As(err, &ie) || ie.Field != c.field || !strings.Contains(ie.Msg, c.says) {
			t.Errorf("%+v: %v; want an input error naming %s and saying %q", c.q, err, c.field, c.says)
		}
	}
}

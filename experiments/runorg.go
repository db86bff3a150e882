package experiments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lathe-ml/lathe/config"
)

// Organising runs: tags, a note and a name (issue 17), and the parameter
// conditions of RunFilter.

// Limits on what a user types about a run.
const (
	MaxTagLen  = 64
	MaxNameLen = 200
	MaxNoteLen = 64 << 10
)

// ValidTag reports whether t can be a tag: 1 to MaxTagLen letters, digits
// and - _ . : / @ +, so a tag is one word on a command line and in a table.
func ValidTag(t string) error {
	if t == "" {
		return &config.InputError{Field: "tag", Msg: "empty tag"}
	}
	if utf8.RuneCountInString(t) > MaxTagLen {
		return &config.InputError{Field: "tag", Msg: fmt.Sprintf("tag %.20q... is longer than %d characters", t, MaxTagLen)}
	}
	for _, c := range t {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && !strings.ContainsRune("-_.:/@+", c) {
			return &config.InputError{Field: "tag", Msg: fmt.Sprintf("tag %q has %q; a tag is letters, digits and - _ . : / @ +", t, c)}
		}
	}
	return nil
}

// ValidRunName reports whether n can be a run's name: one line of at most
// MaxNameLen printable characters ("" clears the name).
func ValidRunName(n string) error {
	if utf8.RuneCountInString(n) > MaxNameLen {
		return &config.InputError{Field: "name", Msg: fmt.Sprintf("a name is at most %d characters", MaxNameLen)}
	}
	for _, c := range n {
		if !unicode.IsPrint(c) {
			return &config.InputError{Field: "name", Msg: fmt.Sprintf("name %q has the control character %q; a name is one printable line", n, c)}
		}
	}
	if !utf8.ValidString(n) {
		return &config.InputError{Field: "name", Msg: "name is not valid UTF-8"}
	}
	return nil
}

// ValidNote reports whether n can be a run's note: UTF-8 text of at most
// MaxNoteLen bytes, lines and tabs allowed, no other control characters.
func ValidNote(n string) error {
	if len(n) > MaxNoteLen {
		return &config.InputError{Field: "note", Msg: fmt.Sprintf("a note is at most %d bytes (this one has %d)", MaxNoteLen, len(n))}
	}
	if !utf8.ValidString(n) {
		return &config.InputError{Field: "note", Msg: "note is not valid UTF-8"}
	}
	for _, c := range n {
		if c != '\n' && c != '\t' && !unicode.IsPrint(c) {
			return &config.InputError{Field: "note", Msg: fmt.Sprintf("note has the control character %q", c)}
		}
	}
	return nil
}

// tagsOf returns the tags of the runs whose ids the SQL in selects, by run.
func (s *Store) tagsOf(ctx context.Context, db querier, in string, args ...any) (map[string][]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT run_id, tag FROM run_tags WHERE run_id IN (`+in+`) ORDER BY run_id, tag`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return nil, err
		}
		out[id] = append(out[id], tag)
	}
	return out, rows.Err()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TagRun adds the tags to the run (remove: takes them off; a tag it does
// not have is no error) and returns the run as it is then.
func (s *Store) TagRun(ctx context.Context, id string, tags []string, remove bool) (Run, error) {
	for _, t := range tags {
		if err := ValidTag(t); err != nil {
			return Run{}, err
		}
	}
	err := s.write(ctx, func(tx *txn) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM runs WHERE id = ?`+s.d.forUpdate, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		for _, t := range tags {
			q := `INSERT INTO run_tags (run_id, tag) VALUES (?, ?) ON CONFLICT (run_id, tag) DO NOTHING`
			if remove {
				q = `DELETE FROM run_tags WHERE run_id = ? AND tag = ?`
			}
			if _, err := tx.ExecContext(ctx, q, id, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Run{}, fmt.Errorf("tag run %s: %w", id, err)
	}
	return s.GetRun(ctx, id)
}

// SetRunNote replaces the run's note ("" clears it).
func (s *Store) SetRunNote(ctx context.Context, id, note string) (Run, error) {
	if err := ValidNote(note); err != nil {
		return Run{}, err
	}
	return s.UpdateRun(ctx, id, func(r *Run) error { r.Note = note; return nil })
}

// RenameRun sets the run's name ("" clears it).
func (s *Store) RenameRun(ctx context.Context, id, name string) (Run, error) {
	if err := ValidRunName(name); err != nil {
		return Run{}, err
	}
	return s.UpdateRun(ctx, id, func(r *Run) error { r.Name = name; return nil })
}

// RunTags lists every tag in the store with the number of runs that have
// it, most used first (completion, the TUI's tag prompt).
func (s *Store) RunTags(ctx context.Context) ([]TagCount, error) {
	out, err := queryAll(ctx, s.db, func(sc scanner) (t TagCount, err error) { return t, sc.Scan(&t.Tag, &t.Runs) },
		`SELECT tag, count(*) FROM run_tags GROUP BY tag ORDER BY count(*) DESC, tag`)
	if err != nil {
		return nil, fmt.Errorf("run tags: %w", err)
	}
	return out, nil
}

// TagCount is a tag and how many runs have it.
type TagCount struct {
	Tag  string `json:"tag"`
	Runs int    `json:"runs"`
}

// Comparison operators of a ParamCond.
var ParamOps = []string{">=", "<=", "!=", ">", "<", "="}

// ParamCond is one condition on a run's parameter, `lr>0.01`: numeric when
// both the parameter's value and Value parse as numbers, else a comparison
// of their text. A run without the parameter matches no condition on it.
type ParamCond struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

func (c ParamCond) String() string { return c.Name + c.Op + c.Value }

// ParseParamCond reads NAME OP VALUE, OP one of ParamOps ("==" reads as
// "="); field names the flag in the error.
func ParseParamCond(field, s string) (ParamCond, error) {
	bad := func(why string) error {
		return &config.InputError{Field: field, Msg: fmt.Sprintf("%q: %s; want NAME OP VALUE with OP one of %s (e.g. 'lr>0.01', 'act=relu')",
			s, why, strings.Join([]string{">", ">=", "<", "<=", "=", "!="}, " "))}
	}
	i := strings.IndexAny(s, "<>=!")
	if i < 0 {
		return ParamCond{}, bad("no operator")
	}
	name := strings.TrimSpace(s[:i])
	if name == "" {
		return ParamCond{}, bad("no parameter name")
	}
	rest := s[i:]
	for _, op := range append([]string{"=="}, ParamOps...) {
		if strings.HasPrefix(rest, op) {
			val := strings.TrimSpace(rest[len(op):])
			if op == "==" {
				op = "="
			}
			if strings.ContainsAny(val[:min(1, len(val))], "<>=!") {
				return ParamCond{}, bad("unknown operator")
			}
			return ParamCond{Name: name, Op: op, Value: val}, nil
		}
	}
	return ParamCond{}, bad("unknown operator")
}

// Match reports whether params satisfy the condition.
func (c ParamCond) Match(params map[string]any) bool {
	v, ok := params[c.Name]
	if !ok || v == nil {
		return false
	}
	var text string
	var num float64
	isNum := false
	switch x := v.(type) {
	case float64:
		num, isNum, text = x, true, strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		text = x
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			num, isNum = f, true
		}
	case bool:
		text = strconv.FormatBool(x)
	default:
		text = fmt.Sprint(x)
	}
	var cmp int
	if want, err := strconv.ParseFloat(c.Value, 64); err == nil && isNum {
		switch {
		case num < want:
			cmp = -1
		case num > want:
			cmp = 1
		case num != want: // NaN
			return c.Op == "!="
		}
	} else {
		cmp = strings.Compare(text, c.Value)
	}
	switch c.Op {
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case "=":
		return cmp == 0
	case "!=":
		return cmp != 0
	}
	return false
}

func matchParams(conds []ParamCond, params map[string]any) bool {
	return !slices.ContainsFunc(conds, func(c ParamCond) bool { return !c.Match(params) })
}

package explore

import (
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/lathe-ml/lathe/config"
)

// Rules is a data-checks file (DESIGN §5):
//
//	reference: ref.csv            # optional, for max_drift; relative to this file
//	rules:
//	  - column: price
//	    not_null: true
//	    between: {min: 0, max: 1000}
//	    mostly: 0.99                # share of non-missing values that must pass
//	  - {column: species, in_set: [Adelie, Gentoo, Chinstrap]}
//	  - {column: review, top_token: the}
//	  - {column: x, max_drift: 0.1}   # JSD against the reference
//	  - table: {row_count: {min: 100, max: 10000}}
type Rules struct {
	File      string `yaml:"-"`
	Reference string `yaml:"reference"`
	Rules     []Rule `yaml:"rules"`
}

// Rule is one column's or the table's checks.
type Rule struct {
	Column             string     `yaml:"column"`
	NotNull            bool       `yaml:"not_null"`
	Unique             bool       `yaml:"unique"`
	Between            *Range     `yaml:"between"`
	InSet              []string   `yaml:"in_set"`
	Regex              string     `yaml:"regex"`
	Type               string     `yaml:"type"`
	MaxMissingFraction *float64   `yaml:"max_missing_fraction"`
	Mostly             *float64   `yaml:"mostly"`
	MaxDrift           *float64   `yaml:"max_drift"`
	Reference          string     `yaml:"reference"`
	TopToken           string     `yaml:"top_token"`
	Table              *TableRule `yaml:"table"`

	line int
	re   *regexp.Regexp
}

// Range bounds a value; either side may be absent.
type Range struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// TableRule checks the whole table.
type TableRule struct {
	RowCount *Range `yaml:"row_count"`
}

var ruleKeys = []string{"column", "not_null", "unique", "between", "in_set", "regex", "type", "max_missing_fraction",
	"mostly", "max_drift", "reference", "top_token", "table"}

var checkTypes = []string{"integer", "float", "numeric", "boolean", "datetime", "string"}

var lineRE = regexp.MustCompile(`line (\d+)`)

// LoadRules reads and validates a rules file; problems are *config.InputError
// naming the file and line.
func LoadRules(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	return ParseRules(path, data)
}

// ParseRules parses rules text; path names it in errors and anchors relative references.
func ParseRules(path string, data []byte) (*Rules, error) {
	bad := func(n *yaml.Node, field, format string, args ...any) error {
		e := &config.InputError{File: path, Field: field, Msg: fmt.Sprintf(format, args...)}
		if n != nil {
			e.Line, e.Column = n.Line, n.Column
		}
		return e
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, config.YAMLSyntaxError(path, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, bad(nil, "", "empty rules file; expected a mapping with a rules: list")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, bad(root, "", "expected a mapping with a rules: list")
	}
	rs := &Rules{File: path}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rules":
			list = v
		case "reference":
			rs.Reference = v.Value
		default:
			return nil, bad(k, k.Value, "unknown key %q; valid: rules, reference", k.Value)
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, bad(root, "rules", "missing rules: list")
	}
	for _, rn := range list.Content {
		if rn.Kind != yaml.MappingNode {
			return nil, bad(rn, "rules", "each rule must be a mapping")
		}
		for i := 0; i+1 < len(rn.Content); i += 2 {
			k := rn.Content[i]
			if !slices.Contains(ruleKeys, k.Value) {
				return nil, bad(k, k.Value, "unknown rule key %q; valid: %s", k.Value, strings.Join(ruleKeys, ", "))
			}
		}
		var r Rule
		if err := rn.Decode(&r); err != nil {
			e := &config.InputError{File: path, Line: rn.Line, Msg: err.Error(), Err: err}
			if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
				e.Line, _ = strconv.Atoi(m[1])
			}
			return nil, e
		}
		r.line = rn.Line
		switch {
		case r.Table != nil && r.Column != "":
			return nil, bad(rn, "table", "a rule has either column or table, not both")
		case r.Table == nil && r.Column == "":
			return nil, bad(rn, "column", "a rule needs column: NAME or table:")
		}
		if r.Regex != "" {
			re, err := regexp.Compile(r.Regex)
			if err != nil {
				return nil, bad(rn, "regex", "bad regex %q: %v", r.Regex, err)
			}
			r.re = re
		}
		if r.Type != "" && !slices.Contains(checkTypes, r.Type) {
			return nil, bad(rn, "type", "unknown type %q; valid: %s", r.Type, strings.Join(checkTypes, ", "))
		}
		for _, f := range []struct {
			name string
			v    *float64
		}{{"mostly", r.Mostly}, {"max_missing_fraction", r.MaxMissingFraction}} {
			if f.v != nil && (*f.v < 0 || *f.v > 1) {
				return nil, bad(rn, f.name, "%s must be between 0 and 1, got %v", f.name, *f.v)
			}
		}
		if r.Between != nil && r.Between.Min != nil && r.Between.Max != nil && *r.Between.Min > *r.Between.Max {
			return nil, bad(rn, "between", "min %v is above max %v", *r.Between.Min, *r.Between.Max)
		}
		if r.MaxDrift != nil && r.Reference == "" && rs.Reference == "" {
			return nil, bad(rn, "max_drift", "max_drift needs a reference: file (in the rule or at the top)")
		}
		if r.Reference != "" && !filepath.IsAbs(r.Reference) {
			r.Reference = filepath.Join(filepath.Dir(path), r.Reference)
		}
		rs.Rules = append(rs.Rules, r)
	}
	if rs.Reference != "" && !filepath.IsAbs(rs.Reference) {
		rs.Reference = filepath.Join(filepath.Dir(path), rs.Reference)
	}
	return rs, nil
}

// CheckResult is one check's outcome.
type CheckResult struct {
	Rule         int      `json:"rule"` // 0-based index in the rules list
	Line         int      `json:"line"` // line of the rule in the rules file
	Column       string   `json:"column,omitempty"`
	Check        string   `json:"check"`
	Passed       bool     `json:"passed"`
	Failing      int64    `json:"failing"`
	Total        int64    `json:"total"`
	FailingShare float64  `json:"failing_share"`
	Value        *Num     `json:"value,omitempty"` // the measured statistic (max_drift: JSD)
	Message      string   `json:"message"`
	Examples     []string `json:"examples,omitempty"`
}

// CheckReport is the outcome of Check.
type CheckReport struct {
	Path    string        `json:"path"`
	Rules   string        `json:"rules"`
	Rows    int64         `json:"rows"`
	Passed  bool          `json:"passed"`
	Failed  int           `json:"failed"`
	Results []CheckResult `json:"results"`
}

// colCheck counts one rule's per-value failures while streaming.
type colCheck struct {
	rule     *Rule
	idx      int
	col      int
	rows     int64
	missing  int64
	fail     map[string]int64 // check -> failing values
	examples map[string][]string
	seen     map[uint64]struct{}
	inSet    map[string]bool
}

const maxCheckExamples = 5

func (c *colCheck) failed(check string, v []byte) {
	c.fail[check]++
	if len(c.examples[check]) < maxCheckExamples {
		c.examples[check] = append(c.examples[check], string(v))
	}
}

// Check evaluates rules against path in one pass (plus one pass over each
// reference for max_drift, and a profile for top_token).
func Check(ctx context.Context, path string, rules *Rules, ro ReadOptions) (*CheckReport, error) {
	r, err := Open(path, ro)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cols := r.Columns()
	seed := maphash.MakeSeed()
	var checks []*colCheck
	for i := range rules.Rules {
		ru := &rules.Rules[i]
		if ru.Column == "" {
			continue
		}
		ci := slices.Index(cols, ru.Column)
		if ci < 0 {
			return nil, &config.InputError{File: rules.File, Line: ru.line, Field: "column",
				Msg: fmt.Sprintf("no column %q in %s; columns are %s", ru.Column, path, strings.Join(cols, ", "))}
		}
		cc := &colCheck{rule: ru, idx: i, col: ci, fail: map[string]int64{}, examples: map[string][]string{}}
		if ru.Unique {
			cc.seen = map[uint64]struct{}{}
		}
		if ru.InSet != nil {
			cc.inSet = map[string]bool{}
			for _, v := range ru.InSet {
				cc.inSet[v] = true
			}
		}
		checks = append(checks, cc)
	}
	var rows int64
	for b, err := range batches(ctx, r) {
		if err != nil {
			return nil, err
		}
		rows += int64(b.Len())
		for _, cc := range checks {
			ru := cc.rule
			for row := 0; row < b.Len(); row++ {
				cc.rows++
				if b.Missing(row, cc.col) {
					cc.missing++
					continue
				}
				v := b.Cell(row, cc.col)
				if cc.seen != nil {
					h := maphash.Bytes(seed, v)
					if _, dup := cc.seen[h]; dup {
						cc.failed("unique", v)
					}
					cc.seen[h] = struct{}{}
				}
				if ru.Between != nil {
					x, ok := numberValue(v)
					if !ok || (ru.Between.Min != nil && x < *ru.Between.Min) || (ru.Between.Max != nil && x > *ru.Between.Max) {
						cc.failed("between", v)
					}
				}
				if cc.inSet != nil && !cc.inSet[string(v)] {
					cc.failed("in_set", v)
				}
				if ru.re != nil && !ru.re.Match(v) {
					cc.failed("regex", v)
				}
				if k, _ := b.kindAt(row*b.ncols+cc.col, v); ru.Type != "" && !typeMatches(ru.Type, k) {
					cc.failed("type", v)
				}
			}
		}
	}
	rep := &CheckReport{Path: path, Rules: rules.File, Rows: rows, Results: []CheckResult{}}
	add := func(res CheckResult) {
		if res.Total > 0 {
			res.FailingShare = float64(res.Failing) / float64(res.Total)
		}
		if !res.Passed {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
	}
	mostly := func(ru *Rule) float64 {
		if ru.Mostly != nil {
			return *ru.Mostly
		}
		return 1
	}
	for _, cc := range checks {
		ru := cc.rule
		base := CheckResult{Rule: cc.idx, Line: ru.line, Column: ru.Column}
		present := cc.rows - cc.missing
		if ru.NotNull {
			res := base
			res.Check, res.Failing, res.Total = "not_null", cc.missing, cc.rows
			res.Passed = float64(cc.rows-cc.missing) >= mostly(ru)*float64(cc.rows)
			res.Message = fmt.Sprintf("%s: %d of %d values missing", ru.Column, cc.missing, cc.rows)
			add(res)
		}
		if ru.MaxMissingFraction != nil {
			res := base
			res.Check, res.Failing, res.Total = "max_missing_fraction", cc.missing, cc.rows
			share := 0.0
			if cc.rows > 0 {
				share = float64(cc.missing) / float64(cc.rows)
			}
			res.Passed = share <= *ru.MaxMissingFraction
			res.Message = fmt.Sprintf("%s: %.4g of values missing, at most %.4g allowed", ru.Column, share, *ru.MaxMissingFraction)
			add(res)
		}
		for _, name := range []string{"unique", "between", "in_set", "regex", "type"} {
			on := map[string]bool{"unique": ru.Unique, "between": ru.Between != nil, "in_set": ru.InSet != nil,
				"regex": ru.re != nil, "type": ru.Type != ""}[name]
			if !on {
				continue
			}
			res := base
			res.Check, res.Failing, res.Total = name, cc.fail[name], present
			res.Passed = float64(present-res.Failing) >= mostly(ru)*float64(present)
			res.Examples = cc.examples[name]
			res.Message = fmt.Sprintf("%s: %d of %d values fail %s", ru.Column, res.Failing, present, name)
			add(res)
		}
	}
	// Table rules.
	for i := range rules.Rules {
		ru := &rules.Rules[i]
		if ru.Table == nil || ru.Table.RowCount == nil {
			continue
		}
		rc := ru.Table.RowCount
		ok := (rc.Min == nil || float64(rows) >= *rc.Min) && (rc.Max == nil || float64(rows) <= *rc.Max)
		res := CheckResult{Rule: i, Line: ru.line, Check: "row_count", Passed: ok, Total: rows,
			Message: fmt.Sprintf("%d rows", rows)}
		if !ok {
			res.Failing = 1
		}
		add(res)
	}
	// Drift and token rules need another pass.
	var prof *Profile
	drifts := map[string]*DriftReport{}
	for i := range rules.Rules {
		ru := &rules.Rules[i]
		base := CheckResult{Rule: i, Line: ru.line, Column: ru.Column}
		if ru.MaxDrift != nil {
			ref := ru.Reference
			if ref == "" {
				ref = rules.Reference
			}
			d, ok := drifts[ref]
			if !ok {
				d, err = Drift(ctx, ref, path, DriftOptions{Read: ro})
				if err != nil {
					return nil, fmt.Errorf("check max_drift against %s: %w", ref, err)
				}
				drifts[ref] = d
			}
			res := base
			res.Check = "max_drift"
			var cd *ColumnDrift
			for k := range d.Columns {
				if d.Columns[k].Column == ru.Column {
					cd = &d.Columns[k]
				}
			}
			if cd == nil {
				res.Message = fmt.Sprintf("%s: not in the reference %s", ru.Column, ref)
			} else {
				res.Passed = cd.JSD <= *ru.MaxDrift
				res.Value = numPtr(cd.JSD)
				res.Message = fmt.Sprintf("%s: JSD %.4g against %s, at most %.4g allowed", ru.Column, cd.JSD, ref, *ru.MaxDrift)
			}
			add(res)
		}
		if ru.TopToken != "" {
			if prof == nil {
				prof, err = ProfileFile(ctx, path, ProfileOptions{Read: ro, SkipHash: true})
				if err != nil {
					return nil, err
				}
			}
			res := base
			res.Check = "top_token"
			c := prof.Column(ru.Column)
			got := ""
			if c != nil && len(c.TopTokens) > 0 {
				got = c.TopTokens[0].Value
			}
			res.Passed = strings.EqualFold(got, ru.TopToken)
			res.Message = fmt.Sprintf("%s: most frequent token %q, want %q", ru.Column, got, ru.TopToken)
			add(res)
		}
	}
	rep.Passed = rep.Failed == 0
	return rep, nil
}

func typeMatches(want string, k kind) bool {
	switch want {
	case "integer":
		return k == kindInt
	case "float", "numeric":
		return k == kindInt || k == kindFloat
	case "boolean":
		return k == kindBool
	case "datetime":
		return k == kindDate
	case "string":
		return true
	}
	return false
}

// SchemaField is one column of a dataset fingerprint.
type SchemaField struct {
	Name string     `json:"name"`
	Type ColumnType `json:"type"`
}

// Fingerprint identifies a dataset version for `lathe data add`: same
// content, same sha256, one version.
type Fingerprint struct {
	SHA256 string        `json:"sha256"`
	Bytes  int64         `json:"bytes"`
	Rows   int64         `json:"rows"`
	Format Format        `json:"format"`
	Schema []SchemaField `json:"schema"`
}

// FingerprintOf extracts the fingerprint from a profile.
func FingerprintOf(p *Profile) Fingerprint {
	f := Fingerprint{SHA256: p.Source.SHA256, Bytes: p.Source.Bytes, Rows: p.Rows, Format: p.Source.Format}
	for _, c := range p.Columns {
		f.Schema = append(f.Schema, SchemaField{Name: c.Name, Type: c.Type})
	}
	return f
}

// FingerprintFile profiles path and returns its fingerprint.
func FingerprintFile(ctx context.Context, path string, ro ReadOptions) (Fingerprint, error) {
	p, err := ProfileFile(ctx, path, ProfileOptions{Read: ro})
	if err != nil {
		return Fingerprint{}, err
	}
	return FingerprintOf(p), nil
}

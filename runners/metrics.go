package runners

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is one value of one metric series.
type Sample struct {
	Key   string    `json:"key"`
	Step  int64     `json:"step"`
	Value float64   `json:"value"`
	Time  time.Time `json:"time"`
}

// ParseOptions turns on the opt-in fallback formats of DESIGN §4.
type ParseOptions struct {
	// KeyValue accepts lines made only of whitespace-separated key=value tokens
	// with numeric values, e.g. "epoch=3 loss=0.25 acc=0.9".
	KeyValue bool
	// StepSuffix accepts "key: value" and "key: value (step N)" lines.
	StepSuffix bool
}

// Parsed is what one stdout line turned out to be. A line is either a log line
// (Log true, nothing else set) or a metrics record (samples and/or properties).
type Parsed struct {
	Log     bool
	Samples []Sample
	Props   []Property
}

// Property is a non-numeric value from a metrics record, kept as a run property.
type Property struct {
	Key, Value string
}

// maxSafeStep is the largest integer a float64 holds exactly (2^53); steps
// beyond it cannot round-trip through JSON numbers.
const maxSafeStep = 1 << 53

// Parser parses the stdout lines of one run. It is stateful because a metrics
// line without a step key advances a per-key counter ("each key counts its own
// steps", DESIGN §4). It is not safe for concurrent use; one run, one parser.
type Parser struct {
	opts ParseOptions
	next map[string]int64 // next automatic step per key
}

// NewParser returns a parser for one run's stdout.
func NewParser(opts ParseOptions) *Parser {
	return &Parser{opts: opts, next: map[string]int64{}}
}

// Resume sets the next automatic step per metric (a reattach continues the
// counts of what was stored before); larger counts already seen are kept.
func (p *Parser) Resume(next map[string]int64) {
	for k, v := range next {
		if v > p.next[k] {
			p.next[k] = v
		}
	}
}

// Parse classifies one line (without its trailing newline) read at time t.
func (p *Parser) Parse(line string, t time.Time) Parsed {
	rec, ok := ParseLine(line, p.opts)
	if !ok {
		return Parsed{Log: true}
	}
	out := Parsed{Props: rec.Props}
	for _, kv := range rec.Values {
		step := rec.Step
		if !rec.HasStep {
			step = p.next[kv.Key]
		}
		if step >= p.next[kv.Key] {
			p.next[kv.Key] = step + 1
		}
		out.Samples = append(out.Samples, Sample{Key: kv.Key, Step: step, Value: kv.Value, Time: t})
	}
	return out
}

// Record is the stateless reading of one metrics line.
type Record struct {
	HasStep bool
	Step    int64
	Values  []KeyValue // numeric values in line order (JSON: sorted by key)
	Props   []Property // non-numeric values (JSON: sorted by key)
}

// KeyValue is one numeric value of a record.
type KeyValue struct {
	Key   string
	Value float64
}

// ParseLine reads one line as a metrics record. ok is false when the line is a
// plain log line. It never panics, whatever the input (see FuzzParseLine).
func ParseLine(line string, opts ParseOptions) (rec Record, ok bool) {
	s := strings.TrimSpace(line)
	if s == "" {
		return Record{}, false
	}
	if s[0] == '{' {
		return parseJSONLine(s)
	}
	if opts.StepSuffix {
		if r, ok := parseStepSuffix(s); ok {
			return r, true
		}
	}
	if opts.KeyValue {
		if r, ok := parseKeyValue(s); ok {
			return r, true
		}
	}
	return Record{}, false
}

// parseJSONLine follows Valohai's convention: a stdout line that is a JSON
// object is a metrics record (docs.valohai.com, "Collect metadata").
func parseJSONLine(s string) (Record, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return Record{}, false
	}
	if strings.TrimSpace(s[dec.InputOffset():]) != "" { // "{} x": a log line
		return Record{}, false
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var rec Record
	// "step" wins over "epoch"; when both are present, epoch is a metric.
	stepKey := ""
	for _, k := range []string{"step", "epoch"} {
		if raw, ok := obj[k]; ok {
			if st, ok := stepValue(raw); ok {
				rec.HasStep, rec.Step, stepKey = true, st, k
				break
			}
		}
	}
	for _, k := range keys {
		if k == stepKey {
			continue
		}
		raw := bytes.TrimSpace(obj[k])
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		switch raw[0] {
		case '"':
			var str string
			if json.Unmarshal(raw, &str) == nil {
				rec.Props = append(rec.Props, Property{Key: k, Value: str})
			}
		case 't', 'f', '{', '[':
			rec.Props = append(rec.Props, Property{Key: k, Value: string(raw)})
		default:
			v, err := strconv.ParseFloat(string(raw), 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				// Out of float64 range: keep the text rather than lose it.
				rec.Props = append(rec.Props, Property{Key: k, Value: string(raw)})
				continue
			}
			rec.Values = append(rec.Values, KeyValue{Key: k, Value: v})
		}
	}
	return rec, true
}

// stepValue accepts a non-negative integral JSON number up to 2^53.
func stepValue(raw json.RawMessage) (int64, bool) {
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil || v < 0 || v > maxSafeStep || v != math.Trunc(v) {
		return 0, false
	}
	return int64(v), true
}

// parseStepSuffix reads "key: value" and "key: value (step N)".
func parseStepSuffix(s string) (Record, bool) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return Record{}, false
	}
	key := strings.TrimSpace(s[:colon])
	if !validKey(key) {
		return Record{}, false
	}
	rest := strings.TrimSpace(s[colon+1:])
	var rec Record
	if open := strings.IndexByte(rest, '('); open >= 0 {
		suffix := strings.TrimSpace(rest[open:])
		if !strings.HasPrefix(suffix, "(step ") || !strings.HasSuffix(suffix, ")") {
			return Record{}, false
		}
		n := strings.TrimSpace(suffix[len("(step ") : len(suffix)-1])
		st, err := strconv.ParseInt(n, 10, 64)
		if err != nil || st < 0 || st > maxSafeStep {
			return Record{}, false
		}
		rec.HasStep, rec.Step = true, st
		rest = strings.TrimSpace(rest[:open])
	}
	v, ok := number(rest)
	if !ok {
		return Record{}, false
	}
	rec.Values = []KeyValue{{Key: key, Value: v}}
	return rec, true
}

// parseKeyValue reads lines made only of key=value tokens with numeric values;
// one non-numeric value makes the whole line a log line, so ordinary log
// output such as "user=bob" is never mistaken for metrics.
func parseKeyValue(s string) (Record, bool) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
	if len(fields) == 0 {
		return Record{}, false
	}
	var rec Record
	seen := map[string]bool{}
	for _, f := range fields {
		eq := strings.IndexByte(f, '=')
		if eq <= 0 {
			return Record{}, false
		}
		key, val := f[:eq], f[eq+1:]
		if !validKey(key) || seen[key] {
			return Record{}, false
		}
		seen[key] = true
		if (key == "step" || key == "epoch") && !rec.HasStep {
			if st, err := strconv.ParseInt(val, 10, 64); err == nil && st >= 0 && st <= maxSafeStep {
				if key == "step" || !seen["step"] {
					rec.HasStep, rec.Step = true, st
					continue
				}
			}
		}
		v, ok := number(val)
		if !ok {
			return Record{}, false
		}
		rec.Values = append(rec.Values, KeyValue{Key: key, Value: v})
	}
	if len(rec.Values) == 0 {
		return Record{}, false
	}
	return rec, true
}

// number parses a finite decimal number; NaN, Inf and hex are refused.
func number(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpP_nNiI") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// validKey: a letter or underscore, then letters, digits, '_', '.', '/', '-'.
func validKey(k string) bool {
	if k == "" || len(k) > 200 {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && ((r >= '0' && r <= '9') || r == '.' || r == '/' || r == '-'):
		default:
			return false
		}
	}
	return true
}

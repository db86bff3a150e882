package runners

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	all := ParseOptions{KeyValue: true, StepSuffix: true}
	tests := []struct {
		name string
		line string
		opts ParseOptions
		ok   bool
		want Record
	}{
		{"plain log", "loading data...", all, false, Record{}},
		{"empty", "   ", all, false, Record{}},
		{"json with step", `{"step": 3, "loss": 0.25, "acc": 1}`, ParseOptions{}, true,
			Record{HasStep: true, Step: 3, Values: []KeyValue{{"acc", 1}, {"loss", 0.25}}}},
		{"json epoch is step", `{"epoch": 2, "val_loss": -1.5e-3}`, ParseOptions{}, true,
			Record{HasStep: true, Step: 2, Values: []KeyValue{{"val_loss", -0.0015}}}},
		{"step wins, epoch is a metric", `{"epoch": 2, "step": 40, "loss": 1}`, ParseOptions{}, true,
			Record{HasStep: true, Step: 40, Values: []KeyValue{{"epoch", 2}, {"loss", 1}}}},
		{"json no step", `{"loss": 0.5}`, ParseOptions{}, true,
			Record{Values: []KeyValue{{"loss", 0.5}}}},
		{"non-numeric are props", `{"step":1,"optimizer":"adam","flag":true,"cfg":{"a":1},"x":null,"n":2}`, ParseOptions{}, true,
			Record{HasStep: true, Step: 1, Values: []KeyValue{{"n", 2}},
				Props: []Property{{"cfg", `{"a":1}`}, {"flag", "true"}, {"optimizer", "adam"}}}},
		{"fractional step is a metric", `{"step": 1.5, "loss": 2}`, ParseOptions{}, true,
			Record{Values: []KeyValue{{"loss", 2}, {"step", 1.5}}}},
		{"negative step is a metric", `{"step": -1}`, ParseOptions{}, true,
			Record{Values: []KeyValue{{"step", -1}}}},
		{"huge number kept as prop", `{"big": 1e400}`, ParseOptions{}, true,
			Record{Props: []Property{{"big", "1e400"}}}},
		{"json array is a log", `[1,2,3]`, all, false, Record{}},
		{"broken json is a log", `{"loss": }`, all, false, Record{}},
		{"trailing garbage is a log", `{"loss": 1} extra`, all, false, Record{}},
		{"two objects is a log", `{"a":1}{"b":2}`, all, false, Record{}},
		{"kv off by default", "loss=0.5 acc=0.9", ParseOptions{}, false, Record{}},
		{"kv", "epoch=3 loss=0.5, acc=0.9", all, true,
			Record{HasStep: true, Step: 3, Values: []KeyValue{{"loss", 0.5}, {"acc", 0.9}}}},
		{"kv no step", "loss=0.5", all, true, Record{Values: []KeyValue{{"loss", 0.5}}}},
		{"kv non-numeric is a log", "user=bob loss=1", all, false, Record{}},
		{"kv with words is a log", "set loss=1", all, false, Record{}},
		{"kv nan refused", "loss=NaN", all, false, Record{}},
		{"kv duplicate key is a log", "a=1 a=2", all, false, Record{}},
		{"suffix with step", "val_loss: 0.125 (step 7)", all, true,
			Record{HasStep: true, Step: 7, Values: []KeyValue{{"val_loss", 0.125}}}},
		{"suffix without step", "accuracy: 0.9", all, true, Record{Values: []KeyValue{{"accuracy", 0.9}}}},
		{"suffix off by default", "accuracy: 0.9", ParseOptions{KeyValue: true}, false, Record{}},
		{"suffix bad step", "loss: 1 (step x)", all, false, Record{}},
		{"suffix other paren", "loss: 1 (approx)", all, false, Record{}},
		{"suffix text value is a log", "Status: ok", all, false, Record{}},
		{"suffix url is a log", "see: http://x", all, false, Record{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseLine(tc.line, tc.opts)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (rec %+v)", ok, tc.ok, got)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParserAutoSteps(t *testing.T) {
	p := NewParser(ParseOptions{KeyValue: true})
	t0 := time.Unix(100, 0)
	type s struct {
		k    string
		step int64
		v    float64
	}
	var got []s
	for _, line := range []string{
		`{"loss": 3}`,             // loss step 0
		`{"loss": 2, "acc": 0.5}`, // loss 1, acc 0
		`not a metric`,            // log
		`{"step": 10, "loss": 1}`, // explicit 10
		`loss=0.5`,                // continues after the explicit step: 11
		`{"acc": 0.75}`,           // acc 1
	} {
		r := p.Parse(line, t0)
		if line == "not a metric" {
			if !r.Log || len(r.Samples) != 0 {
				t.Fatalf("log line parsed as %+v", r)
			}
			continue
		}
		for _, x := range r.Samples {
			if !x.Time.Equal(t0) {
				t.Fatalf("time %v", x.Time)
			}
			got = append(got, s{x.Key, x.Step, x.Value})
		}
	}
	want := []s{{"loss", 0, 3}, {"acc", 0, 0.5}, {"loss", 1, 2}, {"loss", 10, 1}, {"loss", 11, 0.5}, {"acc", 1, 0.75}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// FuzzParseLine checks that no input panics and that accepted records are
// well-formed. The corpus in testdata/fuzz/FuzzParseLine was kept from a run.
func FuzzParseLine(f *testing.F) {
	for _, seed := range []string{
		`{"step": 1, "loss": 0.5}`, `{"a": "b"}`, `loss=1 acc=2`, `x: 1 (step 2)`, `{`, `{"step":1e30}`,
		`{"a":[1,{"b":2}]}`, "\x00{}", `a: (step 1)`, `step=1 epoch=2`,
	} {
		f.Add(seed, true, true)
	}
	f.Fuzz(func(t *testing.T, line string, kv, suffix bool) {
		rec, ok := ParseLine(line, ParseOptions{KeyValue: kv, StepSuffix: suffix})
		if !ok {
			if len(rec.Values)+len(rec.Props) != 0 || rec.HasStep {
				t.Fatalf("log line with content %+v", rec)
			}
			return
		}
		if rec.HasStep && (rec.Step < 0 || rec.Step > maxSafeStep) {
			t.Fatalf("bad step %d", rec.Step)
		}
		for _, v := range rec.Values {
			if v.Key == "" || v.Value != v.Value {
				t.Fatalf("bad value %+v", v)
			}
		}
		if !strings.HasPrefix(strings.TrimSpace(line), "{") && len(rec.Values) == 0 {
			t.Fatalf("fallback record without values: %q", line)
		}
		p := NewParser(ParseOptions{KeyValue: kv, StepSuffix: suffix})
		p.Parse(line, time.Time{})
	})
}

func TestParserResume(t *testing.T) {
	p := NewParser(ParseOptions{})
	p.Resume(map[string]int64{"loss": 7})
	r := p.Parse(`{"loss": 1, "acc": 2}`, time.Time{})
	got := map[string]int64{}
	for _, s := range r.Samples {
		got[s.Key] = s.Step
	}
	if !reflect.DeepEqual(got, map[string]int64{"loss": 7, "acc": 0}) {
		t.Fatalf("steps %v", got)
	}
}

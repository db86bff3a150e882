package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseGPUSpec(t *testing.T) {
	const uuid = "GPU-8f3c2a1b-0000-4e5f-9a7b-123456789abc"
	cases := []struct {
		in   string
		want GPUSpec
		err  string
	}{
		{"", GPUSpec{}, ""},
		{"none", GPUSpec{}, ""},
		{"all", GPUSpec{All: true}, ""},
		{" ALL ", GPUSpec{All: true}, ""},
		{"2", GPUSpec{Count: 2}, ""},
		{"0,2", GPUSpec{Devices: []string{"0", "2"}}, ""},
		{"[0, 2]", GPUSpec{Devices: []string{"0", "2"}}, ""},
		{"[3]", GPUSpec{Devices: []string{"3"}}, ""}, // a one-item list is device 3, not a count
		{"01,2", GPUSpec{Devices: []string{"1", "2"}}, ""},
		{uuid, GPUSpec{Devices: []string{uuid}}, ""},
		{uuid + ",1", GPUSpec{Devices: []string{uuid, "1"}}, ""},
		{"MIG-GPU-8f3c2a1b-0000-4e5f-9a7b-123456789abc/1/0", GPUSpec{Devices: []string{"MIG-GPU-8f3c2a1b-0000-4e5f-9a7b-123456789abc/1/0"}}, ""},
		{"0", GPUSpec{}, "gpu count 0 must be at least 1"},
		{"-2", GPUSpec{}, "gpu count -2 must be at least 1"},
		{"0,0", GPUSpec{}, `gpu "0" listed twice`},
		{"1,01", GPUSpec{}, `gpu "1" listed twice`},
		{"[]", GPUSpec{}, `"" is not a gpu index or UUID`},
		{"0,-1", GPUSpec{}, "gpu index -1 is negative"},
		{"gpu0", GPUSpec{}, `"gpu0" is not a gpu index or UUID`},
		{"GPU-xyz", GPUSpec{}, `"GPU-xyz" is not a gpu index or UUID`},
	}
	for _, tc := range cases {
		got, err := ParseGPUSpec(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !IsInput(err) {
				t.Errorf("ParseGPUSpec(%q) error = %v, want InputError containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseGPUSpec(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		// String is the inverse of ParseGPUSpec.
		back, err := ParseGPUSpec(got.String())
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("round trip of %q via %q = %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

// TestGPUSpecYAML covers the forms DESIGN §3 lists, as written in a file.
func TestGPUSpecYAML(t *testing.T) {
	cases := []struct {
		yaml string
		want GPUSpec
		json string
	}{
		{"all", GPUSpec{All: true}, `"all"`},
		{"2", GPUSpec{Count: 2}, `2`},
		{"[0, 2]", GPUSpec{Devices: []string{"0", "2"}}, `["0","2"]`},
		{"[GPU-aa11-bb22, GPU-cc33]", GPUSpec{Devices: []string{"GPU-aa11-bb22", "GPU-cc33"}}, `["GPU-aa11-bb22","GPU-cc33"]`},
		{`"1,3"`, GPUSpec{Devices: []string{"1", "3"}}, `["1","3"]`},
	}
	for _, tc := range cases {
		c, _ := mustLoad(t, fixture{ws: "runners:\n  - name: g\n    type: docker\n    gpus: " + tc.yaml + "\n"})
		r, _ := c.Runner("g")
		if !reflect.DeepEqual(r.GPUs, tc.want) {
			t.Errorf("gpus: %s = %+v, want %+v", tc.yaml, r.GPUs, tc.want)
		}
		b, _ := json.Marshal(r.GPUs)
		if string(b) != tc.json {
			t.Errorf("gpus: %s marshals to %s, want %s", tc.yaml, b, tc.json)
		}
	}
	if b, _ := json.Marshal(GPUSpec{}); string(b) != "null" {
		t.Errorf("zero GPUSpec marshals to %s, want null", b)
	}
}

func TestOSADistance(t *testing.T) {
	// Known values: Levenshtein kitten/sitting = 3; a transposition costs 1
	// under OSA (2 under plain Levenshtein); OSA ca/abc = 3 (true Damerau: 2).
	cases := []struct {
		a, b string
		d    int
	}{
		{"kitten", "sitting", 3}, {"", "abc", 3}, {"abc", "abc", 0},
		{"ab", "ba", 1}, {"ca", "abc", 3}, {"runerz", "runners", 2}, {"flaw", "lawn", 2},
	}
	for _, tc := range cases {
		if d := osaDistance(tc.a, tc.b); d != tc.d {
			t.Errorf("osaDistance(%q, %q) = %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
	keys := []string{"name", "default_runner", "runners_file", "explore", "runs", "serve", "ui", "runners"}
	for word, want := range map[string]string{
		"runerz": "runners", "Runners": "runners", "defualt_runner": "default_runner",
		"nmae": "name", "explor": "explore", "serv": "serve", "colour": "", "u": "ui", "xyz": "",
	} {
		if got := nearest(word, keys); got != want {
			t.Errorf("nearest(%q) = %q, want %q", word, got, want)
		}
	}
}

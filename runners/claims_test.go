package runners

import (
	"reflect"
	"testing"
)

func TestDecide(t *testing.T) {
	gpu := func(n int) GPURequest { return GPURequest{Count: n} }
	cases := []struct {
		name    string
		held    [][]string
		waiting []Contender
		max     int
		devices []string
		want    map[string][]string
	}{
		{"slots full", [][]string{nil}, []Contender{{ID: "a"}}, 1, nil, map[string][]string{}},
		{"first come", nil, []Contender{{ID: "a"}, {ID: "b"}}, 1, nil, map[string][]string{"a": nil}},
		{"two slots", nil, []Contender{{ID: "a"}, {ID: "b"}, {ID: "c"}}, 2, nil, map[string][]string{"a": nil, "b": nil}},
		{"GPU from the preferred end", nil, []Contender{{ID: "a", GPUs: gpu(1)}}, 4, []string{"1", "0"}, map[string][]string{"a": {"1"}}},
		{"held GPU skipped", [][]string{{"1"}}, []Contender{{ID: "a", GPUs: gpu(1)}}, 4, []string{"1", "0"}, map[string][]string{"a": {"0"}}},
		{"GPU head blocks later GPU runs, not CPU ones", [][]string{{"0"}},
			[]Contender{{ID: "big", GPUs: gpu(2)}, {ID: "small", GPUs: gpu(1)}, {ID: "cpu"}}, 4, []string{"0", "1"},
			map[string][]string{"cpu": nil}},
		{"explicit device busy", [][]string{{"0"}}, []Contender{{ID: "a", GPUs: GPURequest{DeviceIDs: []string{"0"}}}}, 4, []string{"0", "1"}, map[string][]string{}},
		{"all waits for every device", [][]string{{"1"}}, []Contender{{ID: "a", GPUs: gpu(-1)}}, 4, []string{"0", "1"}, map[string][]string{}},
	}
	for _, c := range cases {
		if got := Decide(c.held, c.waiting, c.max, c.devices); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPreferFreest(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	inv := Inventory{GPUs: []GPU{
		{Index: 0, MemoryTotalMiB: i64(81559), MemoryUsedMiB: i64(60211), UtilizationPct: i64(97)},
		{Index: 1, MemoryTotalMiB: i64(81559), MemoryUsedMiB: i64(412), UtilizationPct: i64(30)},
		{Index: 2, MemoryTotalMiB: i64(81559), MemoryUsedMiB: i64(412), UtilizationPct: i64(0)},
		{Index: 3}, // [N/A] fields: no reading
	}}
	if got := PreferFreest([]string{"0", "1", "2", "3"}, inv, 0); !reflect.DeepEqual(got, []string{"2", "1", "0", "3"}) {
		t.Errorf("order %v, want most free memory, then least busy, unknown last", got)
	}
	if got := PreferFreest([]string{"0", "1", "2", "3"}, inv, 30*1024); !reflect.DeepEqual(got, []string{"2", "1", "3"}) {
		t.Errorf("with a 30 GiB floor: %v, want GPU 0 (21 GB free) left out", got)
	}
}

package runners

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func i64(v int64) *int64 { return &v }

func TestParseGPUQuery(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/nvidia-smi/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gpus, err := ParseGPUQuery(read("h100x2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := []GPU{
		{Index: 0, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-2b7f5d3e-8c41-4a0e-9d6f-1e8a9c0b7f21", MemoryTotalMiB: i64(81559), MemoryUsedMiB: i64(412), UtilizationPct: i64(0)},
		{Index: 1, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-9a1c3e5f-7b2d-4c6e-8f0a-3b5d7f9e1c42", MemoryTotalMiB: i64(81559), MemoryUsedMiB: i64(60211), UtilizationPct: i64(97)},
	}
	if !reflect.DeepEqual(gpus, want) {
		t.Fatalf("got %+v", gpus)
	}

	inv, err := parseInventory(read("mixed-na.csv"), read("mig-L.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.GPUs) != 3 || inv.NoGPU != "" {
		t.Fatalf("inventory %+v", inv)
	}
	a100, t4, rtx := inv.GPUs[0], inv.GPUs[1], inv.GPUs[2]
	if a100.UtilizationPct != nil || *a100.MemoryUsedMiB != 37 || len(a100.MIG) != 3 {
		t.Fatalf("a100 %+v", a100)
	}
	if a100.MIG[2] != (MIGDevice{Profile: "1g.5gb", Device: 2, UUID: "MIG-9f8e7d6c-5b4a-5f3e-2d1c-0b9a8f7e6d5c"}) {
		t.Fatalf("mig %+v", a100.MIG[2])
	}
	if *t4.UtilizationPct != 0 || *t4.MemoryTotalMiB != 15360 || t4.MIG != nil {
		t.Fatalf("t4 %+v", t4)
	}
	if rtx.MemoryUsedMiB != nil || rtx.UtilizationPct != nil || *rtx.MemoryTotalMiB != 24576 {
		t.Fatalf("rtx %+v", rtx)
	}
	ids := inv.DeviceIDs()
	wantIDs := []string{"MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f", "MIG-1a2b3c4d-5e6f-5a7b-8c9d-0e1f2a3b4c5d", "MIG-9f8e7d6c-5b4a-5f3e-2d1c-0b9a8f7e6d5c", "1", "2"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Fatalf("device ids %v", ids)
	}
	b, _ := json.Marshal(rtx)
	if !strings.Contains(string(b), `"memory_used_mib":null`) {
		t.Fatalf("json %s", b)
	}
}

func TestParseGPUQueryErrors(t *testing.T) {
	for _, in := range []string{
		"0, name, GPU-x, 10\n",          // too few fields
		"x, name, GPU-x, 10, 1, 1\n",    // bad index
		"0, name, GPU-x, lots, 1, 1\n",  // bad number
		"0, a, GPU-x, 1, 1, 1, extra\n", // too many
	} {
		if _, err := ParseGPUQuery([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
	if g, err := ParseGPUQuery(nil); err != nil || len(g) != 0 {
		t.Fatalf("empty: %v %v", g, err)
	}
}

// TestLocalInventory runs where nvidia-smi is absent (these machines);
// where it is present the inventory must parse.
func TestLocalInventory(t *testing.T) {
	inv, err := LocalInventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.GPUs) == 0 && !strings.HasPrefix(inv.NoGPU, "no GPU") {
		t.Fatalf("no GPUs and no reason: %+v", inv)
	}
}

// TestDockerInventoryNoRuntime asks the local daemon, which has no NVIDIA
// runtime here: the answer is "no GPU", not an error.
func TestDockerInventoryNoRuntime(t *testing.T) {
	d := dockerRunner(t, DockerOptions{})
	inv, err := d.Inventory(context.Background(), testImage)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.GPUs) == 0 && !strings.Contains(inv.NoGPU, "no GPU") {
		t.Fatalf("inventory %+v", inv)
	}
	t.Logf("inventory: %+v", inv)
}

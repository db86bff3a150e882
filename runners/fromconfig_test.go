package runners

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

func TestFromConfig(t *testing.T) {
	if g := GPURequestFrom(config.GPUSpec{All: true}); g.Count != -1 || g.DeviceIDs != nil {
		t.Fatalf("all: %+v", g)
	}
	if g := GPURequestFrom(config.GPUSpec{Devices: []string{"0", "2"}}); !reflect.DeepEqual(g.DeviceIDs, []string{"0", "2"}) || g.Count != 0 {
		t.Fatalf("devices: %+v", g)
	}
	r, err := FromConfig(config.Runner{Name: "local", Type: config.RunnerLocal}, Options{RunsDir: t.TempDir()})
	if err != nil || r.Name() != "local" {
		t.Fatalf("%v %v", r, err)
	}
	if _, ok := r.(*Local); !ok {
		t.Fatalf("%T", r)
	}
	r, err = FromConfig(config.Runner{Name: "gpu1", Type: config.RunnerDocker, Host: "ssh://ml@gpu1.example"}, Options{})
	if err != nil || r.(*Docker).Host() != "ssh://ml@gpu1.example" || r.(*Docker).sharedFS {
		t.Fatalf("%v %v", r, err)
	}
	var ie *config.InputError
	if _, err := FromConfig(config.Runner{Name: "k", Type: "k8s"}, Options{}); !errors.As(err, &ie) {
		t.Fatalf("unknown type: %v", err)
	}

	// A FAKE inventory: two GPUs, the first MIG-partitioned.
	b, _ := os.ReadFile("testdata/nvidia-smi/mixed-na.csv")
	l, _ := os.ReadFile("testdata/nvidia-smi/mig-L.txt")
	inv, err := parseInventory(b, l)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		g    config.GPUSpec
		want []string
	}{
		{config.GPUSpec{All: true}, inv.DeviceIDs()},
		{config.GPUSpec{Count: 2}, inv.DeviceIDs()[:2]},
		{config.GPUSpec{Devices: []string{"2", "GPU-0f6e2c1a-4b3d-5e7f-8a9b-0c1d2e3f4a5b"}}, []string{"2", "1"}},
		{config.GPUSpec{}, nil},
	} {
		got := SchedulerOptionsFor(config.Runner{GPUs: tc.g, MaxConcurrent: 2}, inv)
		if !reflect.DeepEqual(got.GPUs, tc.want) || got.MaxConcurrent != 2 {
			t.Errorf("%+v: %+v, want %v", tc.g, got, tc.want)
		}
	}

	spec := Spec{Env: map[string]string{"A": "spec"}}
	ApplyRunnerDefaults(&spec, config.Runner{Type: config.RunnerDocker, Image: "img:1",
		Env: map[string]string{"A": "runner", "B": "runner"}, PassEnv: []string{"TOKEN", "UNSET"}},
		func(k string) string { return map[string]string{"TOKEN": "s3cret"}[k] })
	if spec.Image != "img:1" || !reflect.DeepEqual(spec.Env, map[string]string{"A": "spec", "B": "runner", "TOKEN": "s3cret"}) {
		t.Fatalf("%+v", spec)
	}
}

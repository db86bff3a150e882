package runners

import (
	"context"
	"errors"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/runstatus"
)

// observed wraps the real local runner and records the spec each run was
// started with, so the test sees the GPU ids the scheduler allocated.
type observed struct {
	*Local
	mu      sync.Mutex
	started map[string]Spec
}

func (o *observed) Start(ctx context.Context, spec Spec, sink Sink) (Handle, error) {
	o.mu.Lock()
	o.started[spec.ID] = spec
	o.mu.Unlock()
	return o.Local.Start(ctx, spec, sink)
}

func (o *observed) spec(id string) (Spec, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.started[id]
	return s, ok
}

func slotIDs(slots []RunSlot) []string {
	var ids []string
	for _, s := range slots {
		ids = append(ids, s.ID)
	}
	return ids
}

func newSched(t *testing.T, opts SchedulerOptions) (*Scheduler, *observed, func(string) *recordSink) {
	t.Helper()
	// Not t.TempDir: a run's wrapper and follower may still be renaming their
	// last files in the instant after its exit is recorded, and TempDir's
	// single RemoveAll would fail the test on "directory not empty".
	dir, err := os.MkdirTemp("", "lathe-sched-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs last (cleanups are LIFO)
		for i := 0; ; i++ {
			err := os.RemoveAll(dir)
			if err == nil || i == 50 {
				if err != nil {
					t.Errorf("remove %s: %v", dir, err)
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	r := &observed{Local: NewLocal("local", dir), started: map[string]Spec{}}
	s := NewScheduler(r, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	sinks := map[string]*recordSink{}
	var mu sync.Mutex
	t.Cleanup(func() {
		cancel()
		<-done
		// Stop every process this test started and wait until its wrapper
		// has recorded the exit, so the temporary directory can go.
		r.mu.Lock()
		ids := make([]string, 0, len(r.started))
		for id := range r.started {
			ids = append(ids, id)
		}
		r.mu.Unlock()
		for _, id := range ids {
			_ = r.Local.Stop(context.Background(), id, 2*time.Second)
			waitFor(t, 10*time.Second, "exit file of "+id, func() bool {
				_, ok := readExit(r.Local.RunDir(id))
				return ok
			})
		}
	})
	return s, r, func(id string) *recordSink {
		mu.Lock()
		defer mu.Unlock()
		if sinks[id] == nil {
			sinks[id] = &recordSink{}
		}
		return sinks[id]
	}
}

func sleeper(id string, prio int, gpus GPURequest) Spec {
	return Spec{ID: id, Command: []string{progPath, "sleep", "60000"}, Priority: prio, GPUs: gpus}
}

func TestSchedulerConcurrencyAndCancel(t *testing.T) {
	s, _, sink := newSched(t, SchedulerOptions{MaxConcurrent: 2})
	for _, id := range []string{"a", "b", "c"} {
		if err := s.Submit(sleeper(id, 0, GPURequest{}), sink(id)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "two running", func() bool { return len(s.Snapshot().Running) == 2 })
	st := s.Snapshot()
	if got := slotIDs(st.Running); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("running %v", got)
	}
	if got := slotIDs(st.Queued); !reflect.DeepEqual(got, []string{"c"}) {
		t.Fatalf("queued %v", got)
	}
	if err := s.Submit(sleeper("a", 0, GPURequest{}), sink("a2")); err == nil {
		t.Fatal("duplicate id accepted")
	}
	// Cancel the queued run: it never starts and reads as stopped.
	if err := s.Cancel(context.Background(), "c", time.Second); err != nil {
		t.Fatal(err)
	}
	if got := sink("c").statusList(); !reflect.DeepEqual(got, []runstatus.Status{runstatus.Queued, runstatus.Stopped}) {
		t.Fatalf("c statuses %v", got)
	}
	// Cancel a running run: SIGTERM reaches it, the slot frees up.
	if err := s.Submit(sleeper("d", 0, GPURequest{}), sink("d")); err != nil {
		t.Fatal(err)
	}
	if err := s.Cancel(context.Background(), "a", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "d to start", func() bool {
		return reflect.DeepEqual(slotIDs(s.Snapshot().Running), []string{"b", "d"})
	})
	waitFor(t, 10*time.Second, "a stopped", func() bool { return sink("a").last().Status == runstatus.Stopped })
}

func TestSchedulerPriorities(t *testing.T) {
	s, _, sink := newSched(t, SchedulerOptions{MaxConcurrent: 1})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Submit(sleeper("first", 0, GPURequest{}), sink("first")))
	waitFor(t, 10*time.Second, "first running", func() bool { return len(s.Snapshot().Running) == 1 })
	must(s.Submit(sleeper("low", 0, GPURequest{}), sink("low")))
	must(s.Submit(sleeper("high1", 5, GPURequest{}), sink("high1")))
	must(s.Submit(sleeper("high2", 5, GPURequest{}), sink("high2")))
	must(s.Submit(sleeper("mid", 2, GPURequest{}), sink("mid")))
	if got := slotIDs(s.Snapshot().Queued); !reflect.DeepEqual(got, []string{"high1", "high2", "mid", "low"}) {
		t.Fatalf("queue order %v", got)
	}
	must(s.Cancel(context.Background(), "first", time.Second))
	waitFor(t, 10*time.Second, "high1 running", func() bool {
		return reflect.DeepEqual(slotIDs(s.Snapshot().Running), []string{"high1"})
	})
}

// TestSchedulerGPUs uses a FAKE GPU inventory ("0".."3"): no GPU is touched;
// the allocation shows in the specs handed to the runner and in
// CUDA_VISIBLE_DEVICES of the local processes.
func TestSchedulerGPUs(t *testing.T) {
	s, r, sink := newSched(t, SchedulerOptions{MaxConcurrent: 4, GPUs: []string{"0", "1", "2", "3"}})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var ie *config.InputError
	if err := s.Submit(sleeper("huge", 0, GPURequest{Count: 5}), sink("huge")); !errors.As(err, &ie) {
		t.Fatalf("5 of 4 GPUs: %v", err)
	}
	if err := s.Submit(sleeper("bad", 0, GPURequest{DeviceIDs: []string{"7"}}), sink("bad")); !errors.As(err, &ie) {
		t.Fatalf("GPU 7: %v", err)
	}
	must(s.Submit(sleeper("x", 0, GPURequest{Count: 3}), sink("x")))
	waitFor(t, 10*time.Second, "x running", func() bool { return len(s.Snapshot().Running) == 1 })
	must(s.Submit(sleeper("y", 0, GPURequest{Count: 2}), sink("y")))                     // waits: 1 free
	must(s.Submit(sleeper("w", 0, GPURequest{Count: 1}), sink("w")))                     // must not overtake y
	must(s.Submit(sleeper("z", 0, GPURequest{}), sink("z")))                             // no GPU: may go ahead
	must(s.Submit(sleeper("ids", 0, GPURequest{DeviceIDs: []string{"3"}}), sink("ids"))) // GPU run: waits behind y
	waitFor(t, 10*time.Second, "z running", func() bool { return sink("z").last().Status == runstatus.Running })
	st := s.Snapshot()
	if !reflect.DeepEqual(slotIDs(st.Running), []string{"x", "z"}) || !reflect.DeepEqual(slotIDs(st.Queued), []string{"y", "w", "ids"}) {
		t.Fatalf("running %v queued %v", slotIDs(st.Running), slotIDs(st.Queued))
	}
	if !reflect.DeepEqual(st.FreeGPUs, []string{"3"}) {
		t.Fatalf("free %v", st.FreeGPUs)
	}
	if sx, _ := r.spec("x"); !reflect.DeepEqual(sx.GPUs, GPURequest{DeviceIDs: []string{"0", "1", "2"}}) {
		t.Fatalf("x got %+v", sx.GPUs)
	}
	must(s.Cancel(context.Background(), "x", 5*time.Second))
	waitFor(t, 10*time.Second, "y, w, ids running", func() bool {
		return sink("y").last().Status == runstatus.Running && sink("w").last().Status == runstatus.Running &&
			sink("ids").last().Status == runstatus.Running
	})
	for id, want := range map[string][]string{"y": {"0", "1"}, "w": {"2"}, "ids": {"3"}} {
		sp, _ := r.spec(id)
		if !reflect.DeepEqual(sp.GPUs.DeviceIDs, want) || sp.GPUs.Count != 0 {
			t.Fatalf("%s got %+v, want %v", id, sp.GPUs, want)
		}
	}
	if len(s.Snapshot().FreeGPUs) != 0 {
		t.Fatalf("free %v", s.Snapshot().FreeGPUs)
	}
}

func TestSchedulerCUDAVisibleDevices(t *testing.T) {
	s, _, sink := newSched(t, SchedulerOptions{MaxConcurrent: 1, GPUs: []string{"0", "1"}})
	spec := Spec{ID: "env", Command: []string{progPath, "env"}, GPUs: GPURequest{Count: 2}}
	if err := s.Submit(spec, sink("env")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "env done", func() bool { return sink("env").last().Status == runstatus.Completed })
	if got := sink("env").lines("stdout")[0]; got != "CUDA_VISIBLE_DEVICES=0,1" {
		t.Fatalf("first line %q", got)
	}
}

func TestAllocate(t *testing.T) {
	all := []string{"0", "1", "2"}
	tests := []struct {
		req  GPURequest
		free []string
		want []string
		ok   bool
	}{
		{GPURequest{}, nil, nil, true},
		{GPURequest{Count: 2}, []string{"1", "2"}, []string{"1", "2"}, true},
		{GPURequest{Count: 2}, []string{"2"}, nil, false},
		{GPURequest{Count: -1}, all, all, true},
		{GPURequest{Count: -1}, []string{"0", "1"}, nil, false},
		{GPURequest{DeviceIDs: []string{"2", "0"}}, all, []string{"2", "0"}, true},
		{GPURequest{DeviceIDs: []string{"1"}}, []string{"0", "2"}, nil, false},
	}
	for _, tc := range tests {
		got, ok := allocate(tc.req, tc.free, all)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("allocate(%+v, %v) = %v %v, want %v %v", tc.req, tc.free, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSchedulerCancelWhileStarting cancels a run in the moment between its
// slot being reserved and the runner having started it.
func TestSchedulerCancelWhileStarting(t *testing.T) {
	s, _, sink := newSched(t, SchedulerOptions{MaxConcurrent: 1})
	if err := s.Submit(sleeper("quick", 0, GPURequest{}), sink("quick")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "reserved", func() bool { return len(s.Snapshot().Running) == 1 })
	if err := s.Cancel(context.Background(), "quick", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "stopped", func() bool { return sink("quick").last().Status == runstatus.Stopped })
}

// TestSchedulerAdopt: a run reattached after a restart holds its slot and
// its (FAKE) GPU until it ends; queued runs wait for it.
func TestSchedulerAdopt(t *testing.T) {
	s, r, sink := newSched(t, SchedulerOptions{MaxConcurrent: 1, GPUs: []string{"0"}})
	old := &recordSink{}
	h, err := r.Local.Start(context.Background(), Spec{ID: "old", Command: []string{progPath, "sleep", "300"}}, old)
	if err != nil {
		t.Fatal(err)
	}
	s.Adopt(context.Background(), Spec{ID: "old", GPUs: GPURequest{DeviceIDs: []string{"0"}}}, h)
	if err := s.Submit(sleeper("new", 0, GPURequest{Count: 1}), sink("new")); err != nil {
		t.Fatal(err)
	}
	st := s.Snapshot()
	if !reflect.DeepEqual(slotIDs(st.Running), []string{"old"}) || len(st.FreeGPUs) != 0 {
		t.Fatalf("snapshot %+v", st)
	}
	waitFor(t, 10*time.Second, "new to start after old ends", func() bool { return sink("new").last().Status == runstatus.Running })
	if old.last().Status != runstatus.Completed {
		t.Fatalf("old %+v", old.last())
	}
}

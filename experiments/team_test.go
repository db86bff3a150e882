package experiments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Named locks exclude other handles (other processes) and this handle
// alike, are seen as held by everyone, and go with their holder.
func TestLocks(t *testing.T) { forEachBackend(t, testLocks) }

func testLocks(t *testing.T, be testBackend) {
	ctx := context.Background()
	a, b := be.open(t), be.open(t)
	l, ok, err := a.Locks().TryLock(ctx, "run-1")
	if err != nil || !ok {
		t.Fatalf("first TryLock: %v %v", ok, err)
	}
	if _, ok, err := a.Locks().TryLock(ctx, "run-1"); err != nil || ok {
		t.Errorf("second TryLock in the same handle: ok=%v err=%v, want refused", ok, err)
	}
	if _, ok, err := b.Locks().TryLock(ctx, "run-1"); err != nil || ok {
		t.Errorf("TryLock from another handle: ok=%v err=%v, want refused", ok, err)
	}
	for _, s := range []*Store{a, b} {
		if held, err := s.Locks().Held(ctx, "run-1"); err != nil || !held {
			t.Errorf("Held: %v %v, want held", held, err)
		}
		if held, err := s.Locks().Held(ctx, "run-2"); err != nil || held {
			t.Errorf("Held of a lock nobody took: %v %v", held, err)
		}
	}
	// A waiting Lock gets it once the holder lets go.
	got := make(chan error, 1)
	go func() {
		wl, err := b.Locks().Lock(ctx, "run-1")
		if err == nil {
			wl.Unlock()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Lock returned while held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	l.Unlock()
	l.Unlock() // twice is harmless
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock never got the released lock")
	}
	// A waiting Lock gives up with its context.
	l2, _, _ := a.Locks().TryLock(ctx, "run-3")
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := b.Locks().Lock(cctx, "run-3"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock past its context: %v", err)
	}
	// Closing the holder's store releases (a dead process's locks go).
	c := be.open(t)
	if _, ok, _ := c.Locks().TryLock(ctx, "run-4"); !ok {
		t.Fatal("TryLock run-4")
	}
	c.Close()
	// The server ends the session just after the client leaves.
	deadline := time.Now().Add(5 * time.Second)
	for held, _ := a.Locks().Held(ctx, "run-4"); held; held, _ = a.Locks().Held(ctx, "run-4") {
		if time.Now().After(deadline) {
			t.Fatal("a closed store's lock is still held")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l2.Unlock()
}

// Trial numbers never repeat when many handles (processes, hosts) ask at
// once, and AdoptTrial hands a trial to exactly one adopter.
func TestConcurrentTrialsAndAdoption(t *testing.T) {
	forEachBackend(t, testConcurrentTrialsAndAdoption)
}

func testConcurrentTrialsAndAdoption(t *testing.T, be testBackend) {
	ctx := context.Background()
	st, err := be.open(t).CreateStudy(ctx, Study{Name: "s", Spec: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	const handles, each = 4, 10
	var wg sync.WaitGroup
	numbers := make(chan int, handles*each)
	for h := range handles {
		s := be.open(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				tr := Trial{Params: map[string]any{"h": h}, Worker: fmt.Sprintf("w%d", h)}
				if err := s.CreateTrial(ctx, st.ID, &tr); err != nil {
					t.Error(err)
					return
				}
				numbers <- tr.Number
			}
		}()
	}
	wg.Wait()
	close(numbers)
	var got []int
	for n := range numbers {
		got = append(got, n)
	}
	slices.Sort(got)
	for i, n := range got {
		if n != i+1 {
			t.Fatalf("trial numbers %v, want 1..%d once each", got, handles*each)
		}
	}
	// Two adopters race for trial 1 of worker w0: one wins.
	tr, _ := be.open(t).GetTrial(ctx, st.ID, 1)
	var wins sync.WaitGroup
	won := make(chan string, 2)
	for _, who := range []string{"x", "y"} {
		s := be.open(t)
		wins.Add(1)
		go func() {
			defer wins.Done()
			ok, err := s.AdoptTrial(ctx, st.ID, 1, tr.Worker, who)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won <- who
			}
		}()
	}
	wins.Wait()
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	after, _ := be.open(t).GetTrial(ctx, st.ID, 1)
	if len(winners) != 1 || after.Worker != winners[0] {
		t.Errorf("winners %v, trial's worker %q", winners, after.Worker)
	}
	// A finished trial is not adopted.
	if _, err := be.open(t).UpdateTrial(ctx, st.ID, 2, func(t *Trial) error { t.Status = TrialCompleted; return nil }); err != nil {
		t.Fatal(err)
	}
	if ok, _ := be.open(t).AdoptTrial(ctx, st.ID, 2, "w0", "z"); ok {
		t.Error("a completed trial was adopted")
	}
}

// Rows record who made them; ListRuns filters by user and by workspace id
// or name; the workspaces table names each workspace that opened the store.
func TestTeamColumnsAndFilters(t *testing.T) { forEachBackend(t, testTeamColumnsAndFilters) }

func testTeamColumnsAndFilters(t *testing.T, be testBackend) {
	ctx := context.Background()
	alice := be.opts
	alice.Identity = Identity{Workspace: "aaaaaaaaaaaaaaaa", WorkspaceName: "churn", Root: "/home/alice/churn", Host: "h1", User: "alice"}
	bob := be.opts
	bob.Identity = Identity{Workspace: "bbbbbbbbbbbbbbbb", WorkspaceName: "churn", Root: "/home/bob/churn", Host: "h2", User: "bob"}
	carol := be.opts
	carol.Identity = Identity{Workspace: "cccccccccccccccc", WorkspaceName: "vision", Host: "h3", User: "carol"}
	var ids = map[string]string{}
	for _, o := range []StoreOptions{alice, bob, carol} {
		s := be.openWith(t, o)
		r := Run{Name: o.Identity.User}
		if err := s.CreateRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		ids[o.Identity.User] = r.ID
		got, _ := s.GetRun(ctx, r.ID)
		if got.User != o.Identity.User || got.Workspace != o.Identity.Workspace {
			t.Errorf("run of %s recorded user %q workspace %q", o.Identity.User, got.User, got.Workspace)
		}
		d, _, err := s.AddDataset(ctx, Dataset{SHA256: strings.Repeat(o.Identity.User[:1], 64), Path: "d.csv", Rows: -1})
		if err != nil || d.User != o.Identity.User {
			t.Errorf("dataset of %s: %+v %v", o.Identity.User, d, err)
		}
	}
	s := be.openWith(t, alice)
	names := func(f RunFilter) []string {
		rs, err := s.ListRuns(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		f    RunFilter
		want []string
	}{
		{RunFilter{}, []string{"alice", "bob", "carol"}},
		{RunFilter{User: "bob"}, []string{"bob"}},
		{RunFilter{Workspace: "churn"}, []string{"alice", "bob"}},
		{RunFilter{Workspace: "cccccccccccccccc"}, []string{"carol"}},
		{RunFilter{Workspace: "churn", User: "alice"}, []string{"alice"}},
		{RunFilter{Workspace: "nope"}, nil},
	} {
		if got := names(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
	ws, err := s.ListWorkspaces(ctx)
	if err != nil || len(ws) != 3 {
		t.Fatalf("workspaces: %+v %v", ws, err)
	}
	for _, w := range ws {
		if w.ID == "bbbbbbbbbbbbbbbb" && (w.Name != "churn" || w.Root != "/home/bob/churn" || w.Host != "h2" || w.User != "bob") {
			t.Errorf("bob's workspace: %+v", w)
		}
	}
}

// Text the server cannot hold (NUL, invalid UTF-8) is repaired on the way
// into PostgreSQL, never refused: a run's odd output must not lose its batch.
func TestOddTextIsStored(t *testing.T) { forEachBackend(t, testOddTextIsStored) }

func testOddTextIsStored(t *testing.T, be testBackend) {
	ctx := context.Background()
	s := be.open(t)
	r := Run{Name: "odd\x00name"}
	if err := s.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	lines := []string{"nul\x00byte", "bad \xff\xfe utf8", "ok ünïcode"}
	var batch Batch
	for _, l := range lines {
		batch.Logs = append(batch.Logs, LogLine{RunID: r.ID, Line: l})
	}
	batch.Metrics = []MetricSample{{RunID: r.ID, Key: "k\x00", Step: 1, Value: 1}}
	if err := s.Ingest(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.Logs(ctx, r.ID, 0, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("logs %v %v", got, err)
	}
	for i, l := range got {
		want := lines[i]
		if be.name == BackendPostgres {
			want = pgText(want)
		}
		if l.Line != want {
			t.Errorf("line %d = %q, want %q", i, l.Line, want)
		}
	}
	if be.name == BackendPostgres && got[0].Line != "nul\uFFFDbyte" {
		t.Errorf("NUL not replaced: %q", got[0].Line)
	}
}

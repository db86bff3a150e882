package experiments

import (
	"context"
	"testing"

	"github.com/lathe-ml/lathe/runstatus"
)

// Claim sees every run of the runner, writes the claim in the same
// transaction, and drops the claim of a queued run whose process is gone.
func TestClaimAndStaleClaims(t *testing.T) { forEachBackend(t, testClaimAndStaleClaims) }

func testClaimAndStaleClaims(t *testing.T, be testBackend) {
	s := be.open(t)
	ctx := context.Background()
	mk := func(id string) {
		if err := s.CreateRun(ctx, &Run{ID: id, Runner: "q", Status: runstatus.Queued, Command: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
	}
	mk("ra")
	mk("rb")
	alive := map[string]bool{"ra": true, "rb": true}
	req := func(id string) ClaimRequest {
		return ClaimRequest{Runner: "q", RunID: id, Owner: "test", Alive: func(id string) bool { return alive[id] }}
	}
	// One slot: decide admits a run when no row holds one.
	oneSlot := func(want string) func([]ClaimRow) ([]string, bool) {
		return func(rows []ClaimRow) ([]string, bool) {
			for _, r := range rows {
				if r.Holds() {
					return nil, false
				}
			}
			for _, r := range rows {
				if r.Status == runstatus.Queued {
					return []string{"0"}, r.ID == want
				}
			}
			return nil, false
		}
	}
	if _, ok, err := s.Claim(ctx, req("rb"), oneSlot("rb")); err != nil || ok {
		t.Fatalf("rb claimed ahead of ra (first come): ok %v err %v", ok, err)
	}
	gpus, ok, err := s.Claim(ctx, req("ra"), oneSlot("ra"))
	if err != nil || !ok || len(gpus) != 1 {
		t.Fatalf("ra: %v %v %v", gpus, ok, err)
	}
	if r, _ := s.GetRun(ctx, "ra"); len(r.GPUIDs) != 1 || r.GPUIDs[0] != "0" {
		t.Errorf("claimed GPUs not recorded: %v", r.GPUIDs)
	}
	if _, ok, _ := s.Claim(ctx, req("rb"), oneSlot("rb")); ok {
		t.Fatal("rb claimed the slot ra holds")
	}
	// ra's process dies before it starts the run: the claim is dropped and
	// ra no longer competes, so rb gets the slot.
	alive["ra"] = false
	if _, ok, err := s.Claim(ctx, req("rb"), oneSlot("rb")); err != nil || !ok {
		t.Fatalf("rb after ra's owner died: ok %v err %v", ok, err)
	}
	if r, _ := s.GetRun(ctx, "ra"); len(r.GPUIDs) != 0 {
		t.Errorf("the dead claim kept its GPUs: %v", r.GPUIDs)
	}
	// Release gives the slot back.
	if err := s.ReleaseClaim(ctx, "rb"); err != nil {
		t.Fatal(err)
	}
	alive["ra"] = true
	if _, ok, err := s.Claim(ctx, req("ra"), oneSlot("ra")); err != nil || !ok {
		t.Fatalf("ra after rb's release: ok %v err %v", ok, err)
	}
}

// LastMetricsOf reads every run's last samples in one query, as LastMetrics
// does one run at a time.
func TestLastMetricsOfMatchesLastMetrics(t *testing.T) {
	forEachBackend(t, testLastMetricsOfMatchesLastMetrics)
}

func testLastMetricsOfMatchesLastMetrics(t *testing.T, be testBackend) {
	s := be.open(t)
	ctx := context.Background()
	var ids []string
	for i, id := range []string{"r1", "r2", "r3"} {
		if err := s.CreateRun(ctx, &Run{ID: id, Runner: "local", Status: runstatus.Running, Command: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		var batch []MetricSample
		for step := range 5 + i {
			batch = append(batch, MetricSample{RunID: id, Key: "loss", Step: int64(step), Value: float64(10 - step)})
			if i != 2 {
				batch = append(batch, MetricSample{RunID: id, Key: "acc", Step: int64(step), Value: float64(step) / 10})
			}
		}
		if i < 2 {
			if err := s.AppendMetrics(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := s.LastMetricsOf(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		one, err := s.LastMetrics(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(one) != len(all[id]) {
			t.Fatalf("%s: %v vs %v", id, one, all[id])
		}
		for k, v := range one {
			if all[id][k] != v {
				t.Errorf("%s %s: %v vs %v", id, k, all[id][k], v)
			}
		}
	}
	if len(all["r3"]) != 0 || len(all["r1"]) != 2 {
		t.Errorf("got %v", all)
	}
}

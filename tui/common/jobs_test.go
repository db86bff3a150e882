package common

import (
	"context"
	"errors"
	"testing"

	"github.com/lathe-ml/lathe/tui/keys"
	"github.com/lathe-ml/lathe/tui/styles"
)

func TestJobs(t *testing.T) {
	c := NewContext(context.Background(), Options{}, styles.New(true), keys.DefaultGlobal(5))
	data, runs := NewJobs(c, Data), NewJobs(c, Runs)

	var got context.Context
	seq1, cmd1 := data.Start(func(ctx context.Context) (any, error) { got = ctx; return 42, nil })
	seq2, _ := runs.Start(func(ctx context.Context) (any, error) { return nil, nil })
	if seq1 == seq2 || seq1 == 0 {
		t.Fatalf("seqs %d and %d: not unique", seq1, seq2)
	}
	msg := cmd1().(ResultMsg)
	if msg.Screen != Data || msg.Seq != seq1 || msg.Payload != 42 || msg.Err != nil {
		t.Fatalf("result %+v", msg)
	}
	if runs.Accept(msg) {
		t.Error("Runs accepted Data's result")
	}
	if !data.Accept(msg) {
		t.Error("Data refused its own live result")
	}
	if got.Err() == nil {
		t.Error("an accepted job's context was not released")
	}
	if data.Accept(msg) {
		t.Error("a result was accepted twice")
	}

	// Cancelled work reports the cancellation and is refused.
	_, cmd3 := data.Start(func(ctx context.Context) (any, error) { <-ctx.Done(); return "late", nil })
	if data.Pending() != 1 {
		t.Fatalf("pending %d", data.Pending())
	}
	data.CancelAll()
	late := cmd3().(ResultMsg)
	if !errors.Is(late.Err, context.Canceled) {
		t.Errorf("late err %v", late.Err)
	}
	if data.Accept(late) || data.Pending() != 0 {
		t.Error("a cancelled job's result was accepted")
	}

	// The program's context bounds every job.
	base, cancel := context.WithCancel(context.Background())
	c2 := NewContext(base, Options{}, styles.New(true), keys.DefaultGlobal(5))
	var jobCtx context.Context
	_, cmd := NewJobs(c2, Tuner).Start(func(ctx context.Context) (any, error) { jobCtx = ctx; return nil, nil })
	cmd()
	cancel()
	if jobCtx.Err() == nil {
		t.Error("job outlives the program's context")
	}
}

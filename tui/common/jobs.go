package common

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// Jobs tracks one screen's background work. Each job runs in a tea.Cmd with a
// context derived from the program's; CancelAll (called on Deactivate)
// cancels every live job and forgets it, so a late result is dropped rather
// than shown. The cancel-stale-work pattern follows lazydocker's
// pkg/tasks/tasks.go. Jobs is used from Update only (one goroutine).
type Jobs struct {
	c      *Context
	screen ScreenID
	live   map[uint64]context.CancelFunc
}

// NewJobs returns the job tracker of screen.
func NewJobs(c *Context, screen ScreenID) *Jobs {
	return &Jobs{c: c, screen: screen, live: map[uint64]context.CancelFunc{}}
}

// Start returns the sequence number of a new job and the command that runs fn.
// The command's message is a ResultMsg addressed to the screen with that Seq.
func (j *Jobs) Start(fn func(ctx context.Context) (any, error)) (uint64, tea.Cmd) {
	seq := j.c.NextSeq()
	ctx, cancel := context.WithCancel(j.c.Base())
	j.live[seq] = cancel
	screen := j.screen
	return seq, func() tea.Msg {
		payload, err := fn(ctx)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		return ResultMsg{Screen: screen, Seq: seq, Payload: payload, Err: err}
	}
}

// Accept reports whether msg is the result of a live job of this screen, and
// retires that job. Results of cancelled jobs, of jobs from an earlier
// activation and of other screens are refused.
func (j *Jobs) Accept(msg ResultMsg) bool {
	if msg.Screen != j.screen {
		return false
	}
	cancel, ok := j.live[msg.Seq]
	if !ok {
		return false
	}
	cancel() // releases the context's resources
	delete(j.live, msg.Seq)
	return true
}

// CancelAll cancels every live job.
func (j *Jobs) CancelAll() {
	for seq, cancel := range j.live {
		cancel()
		delete(j.live, seq)
	}
}

// Pending is the number of live jobs.
func (j *Jobs) Pending() int { return len(j.live) }

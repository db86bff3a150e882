// Package runstatus defines a run's lifecycle state, the one status type that
// the store (experiments), the runners and every front end share, as the
// store and `--json` print it (DESIGN §5). It imports nothing of Lathe's.
package runstatus

// Status is a run's lifecycle state.
type Status string

const (
	Queued    Status = "queued"
	Running   Status = "running"
	Completed Status = "completed"
	Failed    Status = "failed"
	Stopped   Status = "stopped"
	OOMKilled Status = "oom_killed"
	Lost      Status = "lost"
)

// All lists every run status, in lifecycle order.
func All() []Status {
	return []Status{Queued, Running, Completed, Failed, Stopped, OOMKilled, Lost}
}

// Valid reports whether s is one of All.
func (s Status) Valid() bool {
	switch s {
	case Queued, Running, Completed, Failed, Stopped, OOMKilled, Lost:
		return true
	}
	return false
}

// Terminal reports whether a run in this status will not change by itself.
func (s Status) Terminal() bool {
	switch s {
	case Completed, Failed, Stopped, OOMKilled, Lost:
		return true
	}
	return false
}

// Rank is s's position in All (lifecycle order), for sorting; -1 when s is
// not valid.
func (s Status) Rank() int {
	for i, v := range All() {
		if v == s {
			return i
		}
	}
	return -1
}

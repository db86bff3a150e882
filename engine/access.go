package engine

import (
	"context"
	"fmt"
	"io/fs"
)

// Access control. Who asks for an operation travels in the context, as
// Progress does, so that every front end's call reaches the check without
// each signature carrying it, and an operation nested in another (the
// launch inside a rerun, the trials a study driver launches) is checked
// with its caller's role. A context without Access is the local user (the
// CLI, the TUI in one's own terminal): an operator. `lathe serve` puts a
// viewer or an operator Access in each SSH session's context.

// Role is what a caller may do.
type Role int

// The roles. The zero Role is no role: it may do nothing, so an Access
// built without one fails closed.
const (
	// Viewer reads everything (data, runs, logs, metrics, lineage, studies,
	// runners) and changes nothing.
	Viewer Role = iota + 1
	// Operator may also launch, stop and rerun runs, tune, register and
	// split datasets, export artifacts and collect garbage: everything the
	// local user may do, as the server's user.
	Operator
)

func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case Operator:
		return "operator"
	}
	return "caller without a role"
}

// Access says who is asking and what they may do.
type Access struct {
	Role Role
	// Who names the caller in messages and in the audit log, e.g.
	// "SSH key SHA256:…".
	Who string
	// Grant says how a viewer becomes an operator; it ends the refusal
	// message, e.g. "ask the server's owner to add this key to …".
	Grant string
	// Audit, when set, receives one line for every mutating operation the
	// caller asks for, allowed or refused, naming the caller and the
	// operation. It is called from many goroutines at once.
	Audit func(line string)
}

type accessKey struct{}

// WithAccess returns a context whose operations are checked against a.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// AccessFrom returns the context's Access; ok is false for the local user,
// who is an operator.
func AccessFrom(ctx context.Context) (a Access, ok bool) {
	a, ok = ctx.Value(accessKey{}).(Access)
	return a, ok
}

// MayChange reports whether the context's caller may run mutating
// operations, so a front end can say so before the user types a command.
func MayChange(ctx context.Context) bool {
	a, ok := AccessFrom(ctx)
	return !ok || a.Role == Operator
}

// PermissionError is an operation refused to the caller's role. It matches
// fs.ErrPermission with errors.Is.
type PermissionError struct {
	Op    string // launch, stop, rerun, tune, …
	Who   string
	Role  Role
	Grant string
}

func (e *PermissionError) Error() string {
	msg := fmt.Sprintf("%s refused: %s is a %s", e.Op, e.Who, e.Role)
	if e.Role != Viewer {
		msg = fmt.Sprintf("%s refused: %s has no role", e.Op, e.Who)
	}
	if e.Grant != "" {
		msg += "; " + e.Grant
	}
	return msg
}

// Unwrap makes errors.Is(err, fs.ErrPermission) hold.
func (e *PermissionError) Unwrap() error { return fs.ErrPermission }

// permit is the check at the top of every mutating operation: nil for an
// operator or the local user, a *PermissionError otherwise. op names the
// operation ("launch", "stop"); detail says what exactly (quoted with %q by
// the callers, so a newline in a command cannot forge an audit line). Both
// outcomes are audited.
func permit(ctx context.Context, op, detail string) error {
	a, ok := AccessFrom(ctx)
	if !ok {
		return nil
	}
	what := op
	if detail != "" {
		what += " " + detail
	}
	if a.Role == Operator {
		if a.Audit != nil {
			a.Audit(fmt.Sprintf("%s (operator): %s", a.Who, what))
		}
		return nil
	}
	if a.Audit != nil {
		a.Audit(fmt.Sprintf("%s (%s): refused %s", a.Who, a.Role, what))
	}
	return &PermissionError{Op: op, Who: a.Who, Role: a.Role, Grant: a.Grant}
}

// auditText says what a launch would run, for the audit log.
func (r LaunchRequest) auditText() string {
	s := fmt.Sprintf("%q", r.Command)
	if r.Runner != "" {
		s += fmt.Sprintf(" on runner %q", r.Runner)
	}
	if r.Image != "" {
		s += fmt.Sprintf(" in image %q", r.Image)
	}
	if r.Entrypoint != "" {
		s += fmt.Sprintf(" with entrypoint %q", r.Entrypoint)
	}
	if r.Trial != nil {
		s += fmt.Sprintf(" as trial %d", r.Trial.Number)
	}
	return s
}

package engine

import "context"

// Progress receives how far a long operation has got: profiling, splitting,
// drift, checks, hashing a run's inputs, inspecting an image, tuning. The
// CLI prints it as a bar on a terminal's stderr or as JSON lines
// (--progress json), the TUI turns it into messages, tests record it: one
// interface, as restic's ui/progress printers share one.
type Progress interface {
	Report(ProgressEvent)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(ProgressEvent)

// Report calls f.
func (f ProgressFunc) Report(ev ProgressEvent) { f(ev) }

// ProgressEvent is one report. Done and Total count Unit (bytes, files,
// trials); Total is 0 when not known. The last event of an operation has
// Finished set.
type ProgressEvent struct {
	Op       string `json:"op"`                // profile, split, drift, check, register, hash, image, tune
	Subject  string `json:"subject,omitempty"` // the file, image or study
	Done     int64  `json:"done"`
	Total    int64  `json:"total,omitempty"`
	Unit     string `json:"unit,omitempty"`
	Rows     int64  `json:"rows,omitempty"`
	Message  string `json:"message,omitempty"`
	Finished bool   `json:"finished,omitempty"`
}

// Fraction is Done/Total, or -1 when Total is not known.
func (ev ProgressEvent) Fraction() float64 {
	if ev.Total <= 0 {
		return -1
	}
	return min(1, float64(ev.Done)/float64(ev.Total))
}

type progressKey struct{}

// WithProgress returns a context whose operations report to p. Progress
// travels in the context so that an operation nested in another (hashing the
// inputs of a launch, profiling the files a split registers) reports to the
// same place without every signature carrying it.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// progressOf is the context's Progress, or one that drops every report.
func progressOf(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok && p != nil {
		return p
	}
	return ProgressFunc(func(ProgressEvent) {})
}

// step reports an operation that counts no units: started, then finished.
func step(ctx context.Context, op, subject string) (finish func(msg string)) {
	p := progressOf(ctx)
	p.Report(ProgressEvent{Op: op, Subject: subject})
	return func(msg string) { p.Report(ProgressEvent{Op: op, Subject: subject, Message: msg, Finished: true}) }
}

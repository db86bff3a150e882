package runners

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// lineRecorder is a LineSink that records how each line arrived; its other
// methods must not be used for lines.
type lineRecorder struct {
	lines []string
	split int
}

func (r *lineRecorder) Log(LogLine)             { r.split++ }
func (r *lineRecorder) Metrics([]Sample)        { r.split++ }
func (r *lineRecorder) Property(string, string) { r.split++ }
func (r *lineRecorder) Status(StatusUpdate)     {}
func (r *lineRecorder) Line(l LogLine, samples []Sample, props []Property) {
	r.lines = append(r.lines, fmt.Sprintf("%s|%d samples|%d props", l.Text, len(samples), len(props)))
}

// A LineSink gets each line with its metrics in one call, through the
// locked sink and Tee alike; a plain Sink still gets Log, Metrics, Property.
func TestLineSinkGetsLinesWhole(t *testing.T) {
	var a, b lineRecorder
	var plain recordSink
	sink := &lockedSink{s: Tee(&a, &b, &plain)}
	em := lineEmitter{sink: sink, parser: NewParser(ParseOptions{}), stream: "stdout"}
	em.line(`{"step":1,"loss":0.5,"acc":0.9,"phase":"warm"}`, time.Now())
	em.line("plain", time.Now())
	want := `{"step":1,"loss":0.5,"acc":0.9,"phase":"warm"}|2 samples|1 props,plain|0 samples|0 props`
	for _, r := range []*lineRecorder{&a, &b} {
		if got := strings.Join(r.lines, ","); got != want || r.split != 0 {
			t.Errorf("got %s (%d split calls), want %s", got, r.split, want)
		}
	}
	if len(plain.logs) != 2 || len(plain.samples) != 2 || plain.props["phase"] != "warm" {
		t.Errorf("plain sink: %d logs, %d samples, props %v", len(plain.logs), len(plain.samples), plain.props)
	}
}

package data

import (
	"sync/atomic"

	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/experiments"
	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/tui/components/rowtable"
)

// fileEntry is one data file in the picker.
type fileEntry = engine.DataFile

// progressBox is written by the profiling goroutine's callback and read by
// the view on each tick; atomics, since the two run on different goroutines.
type progressBox struct {
	bytes, total, rows atomic.Int64
}

// Report takes the engine's profile progress.
func (p *progressBox) Report(ev engine.ProgressEvent) {
	if ev.Op != "profile" {
		return
	}
	p.bytes.Store(ev.Done)
	p.total.Store(ev.Total)
	p.rows.Store(ev.Rows)
}

// fraction is how far the profile has got, 0..1.
func (p *progressBox) fraction() float64 {
	t := p.total.Load()
	if t <= 0 {
		return 0
	}
	return min(float64(p.bytes.Load())/float64(t), 1)
}

// frameOf is a row sample as the table shows it.
func frameOf(rs engine.RowSample) rowtable.Frame {
	return rowtable.Frame{Columns: rs.Columns, Cells: rs.Cells, Null: rs.Null, Total: -1, Truncated: rs.Truncated}
}

// Payloads of the screen's background jobs.
type (
	filesDone   struct{ files []fileEntry }
	profileDone struct {
		path string
		prof *explore.Profile
	}
	sampleDone struct {
		path  string
		frame rowtable.Frame
	}
	driftDone struct{ rep *explore.DriftReport }
	splitDone struct {
		res        *explore.SplitResult
		registered []experiments.Dataset // the splits' versions; nil without a workspace
	}
)

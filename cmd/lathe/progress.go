package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lathe-ml/lathe/config"
	"github.com/lathe-ml/lathe/engine"
	"github.com/lathe-ml/lathe/format"
)

// Progress printers for the engine's long operations, chosen by --progress:
// auto (a bar on stderr when it is a terminal, nothing otherwise), text (the
// bar always), json (one JSON object a line on stderr, for scripts) or none.
// stdout stays clean for --json either way.

// withProgress returns ctx carrying the printer --progress asks for.
func (a *app) withProgress(ctx context.Context) context.Context {
	p := a.progressPrinter()
	if p == nil {
		return ctx
	}
	return engine.WithProgress(ctx, p)
}

func (a *app) progressPrinter() engine.Progress {
	switch a.progressMode {
	case "json":
		return &jsonProgress{w: a.stderr}
	case "text":
		return &textProgress{w: a.stderr}
	case "none":
		return nil
	}
	if isTerminal(a.stderr) {
		return &textProgress{w: a.stderr, delay: 500 * time.Millisecond}
	}
	return nil
}

// checkProgressMode validates --progress (exit 2 naming the flag).
func checkProgressMode(m string) error {
	switch m {
	case "", "auto", "text", "json", "none":
		return nil
	}
	return &config.InputError{Field: "--progress", Msg: fmt.Sprintf("%q is not valid; use auto, text, json or none", m)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// jsonProgress writes each event as a JSON line.
type jsonProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *jsonProgress) Report(ev engine.ProgressEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(append(b, '\n'))
}

// textProgress redraws one status line with a bar, at most ten times a
// second; delay hides operations that end quickly. The line is cleared when
// the operation finishes, so what the command prints next starts clean.
type textProgress struct {
	mu    sync.Mutex
	w     io.Writer
	delay time.Duration

	start  time.Time
	last   time.Time
	shown  bool
	active string // op+subject of the line on screen
}

func (p *textProgress) Report(ev engine.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	key := ev.Op + "\x00" + ev.Subject
	if key != p.active {
		p.active, p.start = key, now
	}
	if ev.Finished {
		if p.shown {
			fmt.Fprint(p.w, "\r\033[K")
			p.shown = false
		}
		p.active = ""
		return
	}
	if now.Sub(p.start) < p.delay || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprint(p.w, "\r\033[K"+progressLine(ev, 60))
}

// progressLine is an event as one line: "profile flights.csv [####    ] 45%
// 1,234,567 rows".
func progressLine(ev engine.ProgressEvent, width int) string {
	var b strings.Builder
	b.WriteString(ev.Op)
	if ev.Subject != "" {
		b.WriteString(" " + format.Clip(ev.Subject, 32))
	}
	if f := ev.Fraction(); f >= 0 {
		const bar = 20
		n := int(f * bar)
		fmt.Fprintf(&b, " [%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat(" ", bar-n), 100*f)
	} else if ev.Done > 0 {
		b.WriteString(" " + format.Digits(ev.Done) + " " + ev.Unit)
	}
	if ev.Rows > 0 {
		b.WriteString("  " + format.Digits(ev.Rows) + " rows")
	}
	if ev.Message != "" {
		b.WriteString("  " + ev.Message)
	}
	return format.Clip(b.String(), width+40)
}

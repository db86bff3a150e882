package tuitest

import (
	"bytes"
	"fmt"
	"sync"
)

// Buffer collects what a program writes (a terminal's output, a server's
// log) while the test reads it; safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Logf writes one line, as a logger would.
func (b *Buffer) Logf(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

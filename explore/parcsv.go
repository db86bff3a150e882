package explore

import (
	"bytes"
	"io"
	"math"
	"slices"
	"sync"
)

// parallelCSV parses a CSV's records on several goroutines. One splitter
// goroutine owns the input window: it cuts it into chunks of whole records,
// reading quotes as scan does, and hands each chunk to a parser goroutine
// running the serial record code on it. Next returns the parsed chunks in
// file order, so every consumer sees the rows, line numbers, skip reports
// and errors the serial reader gives. A record longer than a chunk (or
// than the line limit) switches the splitter to parsing serially from that
// record on, which keeps the serial reader's recovery exactly.
type parallelCSV struct {
	r     *csvReader // the consumer's reader: columns, options, merged counts
	sp    csvReader  // the splitter's reader: the window and its position
	tmpl  csvReader  // what the parsers copy: dialect, columns, tokens (never written)
	work  chan *chunkJob
	order chan *chunkJob
	free  chan *Batch
	bufs  chan []byte // chunk buffers back from the parsers: little garbage, so the heap stays near what is live
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	mu    sync.Mutex // guards skip and r.tokCount, read by Skipped and MissingTokens
	skip  SkipReport
	err   error // sticky: the first error Next returned
}

// chunkJob is one chunk of whole records, or (serial fallback) one batch
// already parsed; res receives its result exactly once.
type chunkJob struct {
	data []byte
	line int
	res  chan chunkResult
}

type chunkResult struct {
	b       *Batch
	skipped SkipReport
	tok     []int64
	err     error
}

func (r *csvReader) startParallel(parsers int) {
	// A file within one chunk gains nothing from more goroutines.
	if r.eof && r.end-r.pos <= r.opts.chunk() {
		return
	}
	p := &parallelCSV{r: r, sp: *r, work: make(chan *chunkJob), order: make(chan *chunkJob, 2*parsers),
		free: make(chan *Batch, 2*parsers+2), bufs: make(chan []byte, 2*parsers+2), done: make(chan struct{})}
	p.sp.par, p.sp.pre = nil, Batch{}
	p.sp.tokCount = make([]int64, len(r.tokCount))
	p.tmpl = p.sp
	r.par = p
	p.wg.Add(1 + parsers)
	go p.split()
	for i := 0; i < parsers; i++ {
		go p.parse()
	}
}

func (p *parallelCSV) stop() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

func (p *parallelCSV) batch() *Batch {
	select {
	case b := <-p.free:
		return b
	default:
		return &Batch{}
	}
}

// emit queues job for Next; false when the reader was closed.
func (p *parallelCSV) emit(job *chunkJob) bool {
	select {
	case p.order <- job:
		return true
	case <-p.done:
		return false
	}
}

func (p *parallelCSV) split() {
	defer p.wg.Done()
	defer close(p.order)
	defer close(p.work)
	sp := &p.sp
	nc := len(sp.cols)
	for {
		data, line, err := p.cut()
		if err != nil {
			job := &chunkJob{res: make(chan chunkResult, 1)}
			job.res <- chunkResult{err: err}
			p.emit(job)
			return
		}
		if data == nil {
			break // the end, or a record too long for a chunk: go serial
		}
		job := &chunkJob{data: data, line: line, res: make(chan chunkResult, 1)}
		if !p.emit(job) {
			return
		}
		select {
		case p.work <- job:
		case <-p.done:
			return
		}
	}
	// Serial from here: the window holds the rest of the input, or a record
	// longer than a chunk at its start.
	limit := sp.opts.batchRows(nc)
	for {
		sp.skipped = SkipReport{}
		clear(sp.tokCount)
		b := p.batch()
		b.reset(nc)
		err := sp.readRecords(b, limit)
		if b.Len() == 0 && err == nil && sp.skipped.Count == 0 {
			return
		}
		last := b.Len() == 0 || err != nil // read before Next owns b
		job := &chunkJob{res: make(chan chunkResult, 1)}
		job.res <- chunkResult{b: b, skipped: sp.skipped, tok: slices.Clone(sp.tokCount), err: err}
		if !p.emit(job) || last {
			return
		}
	}
}

// cut returns the next chunk of whole records (a copy) and its first line;
// nil when the rest is to be parsed serially (at the end of the input too).
func (p *parallelCSV) cut() ([]byte, int, error) {
	sp := &p.sp
	target := min(sp.opts.chunk(), sp.opts.maxLine())
	for !sp.eof && sp.end-sp.pos <= target {
		if err := sp.fill(); err != nil {
			return nil, 0, err
		}
	}
	avail := sp.win[sp.pos:sp.end]
	if len(avail) == 0 || (sp.eof && len(avail) <= target) {
		// The last records: serial parsing of what is left costs one chunk.
		return nil, 0, nil
	}
	region := avail[:target]
	var n int
	if bytes.IndexByte(region, '"') < 0 {
		n = bytes.LastIndexByte(region, '\n') + 1
	} else {
		n = lastRecordEnd(region, sp.delim)
	}
	if n == 0 {
		return nil, 0, nil // one record longer than a chunk
	}
	var data []byte
	select {
	case data = <-p.bufs:
	default:
	}
	data = append(data[:0], avail[:n]...)
	line := sp.line
	sp.line += bytes.Count(data, nl)
	sp.pos += n
	return data, line, nil
}

// lastRecordEnd returns the offset just past the last complete record in
// data, 0 if none: a record ends at a newline outside quotes, and a quote
// opens a quoted field only at the start of a field, as scan reads it.
func lastRecordEnd(data []byte, delim byte) int {
	last, i, fieldStart := 0, 0, true
	for i < len(data) {
		if fieldStart && data[i] == '"' {
			j := i + 1
			for {
				q := bytes.IndexByte(data[j:], '"')
				if q < 0 {
					return last
				}
				q += j
				if q+1 >= len(data) {
					return last // a doubled quote or the field's end: unknown yet
				}
				if data[q+1] == '"' {
					j = q + 2
					continue
				}
				i = q + 1
				break
			}
			fieldStart = false
			continue
		}
		k := i
		for k < len(data) && data[k] != delim && data[k] != '\n' {
			k++
		}
		if k == len(data) {
			return last
		}
		if data[k] == '\n' {
			last = k + 1
		}
		i = k + 1
		fieldStart = true
	}
	return last
}

func (p *parallelCSV) parse() {
	defer p.wg.Done()
	base := &p.tmpl
	nc := len(base.cols)
	for job := range p.work {
		c := csvReader{baseReader: baseReader{path: base.path, opts: base.opts, cols: base.cols},
			format: base.format, win: job.data, end: len(job.data), eof: true, line: job.line,
			delim: base.delim, stop: base.stop, missing: base.missing, tokCount: make([]int64, len(base.tokCount))}
		b := p.batch()
		b.reset(nc)
		err := c.readRecords(b, math.MaxInt)
		select { // the batch holds copies of the cells: the chunk can be reused
		case p.bufs <- job.data:
		default:
		}
		job.res <- chunkResult{b: b, skipped: c.skipped, tok: c.tokCount, err: err}
	}
}

func (p *parallelCSV) next(b *Batch) error {
	if p.err != nil {
		return p.err
	}
	r := p.r
	nc := len(r.cols)
	if r.pre.Len() > 0 {
		b.reset(nc)
		for c := 0; c < nc; c++ {
			b.addCell(r.pre.Cell(0, c), r.pre.Missing(0, c))
		}
		b.lines = append(b.lines, r.pre.lines[0])
		r.pre.reset(nc)
		r.rows++
		return nil
	}
	for job := range p.order {
		res := <-job.res
		p.mu.Lock()
		p.skip.Count += res.skipped.Count
		for _, e := range res.skipped.Examples {
			if len(p.skip.Examples) < r.opts.maxExamples() {
				p.skip.Examples = append(p.skip.Examples, e)
			}
		}
		for i, n := range res.tok {
			r.tokCount[i] += n
		}
		p.mu.Unlock()
		if res.err != nil {
			p.err = res.err
			return res.err
		}
		if res.b.Len() == 0 {
			p.recycle(res.b)
			continue
		}
		old := *b
		*b = *res.b
		*res.b = old
		p.recycle(res.b)
		r.rows += b.Len()
		return nil
	}
	b.reset(nc)
	return io.EOF
}

func (p *parallelCSV) recycle(b *Batch) {
	select {
	case p.free <- b:
	default:
	}
}

func (p *parallelCSV) skipped() SkipReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.skip
	s.Examples = append([]SkipExample(nil), s.Examples...)
	return s
}

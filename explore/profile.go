package explore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ProfileOptions configures Profile. Zero values pick the defaults noted.
type ProfileOptions struct {
	Read ReadOptions
	// Progress, if set, is called from a profiling goroutine about ten times
	// a second and once at the end; it must return quickly.
	Progress func(Progress)
	// DistinctBudget bounds the exact distinct-value tables over all columns
	// (entries); a column past its share switches to HyperLogLog. Default 1<<20.
	DistinctBudget int
	// DistinctBytesBudget bounds the bytes of distinct strings kept, so long
	// unique texts overflow early. Default 64 MiB.
	DistinctBytesBudget int
	// ExactValuesBudget bounds the numeric values kept for exact quantiles
	// and histograms over all columns; past it a KLL sketch is used. Default 4<<20.
	ExactValuesBudget int
	// DuplicateRowsLimit is how many row hashes are kept for an exact duplicate
	// count; past it the count is estimated with HyperLogLog. Default 16<<20.
	DuplicateRowsLimit int
	TopK               int // top values per column; default 10
	HistogramBins      int // default 10, numpy's default
	// SampleRows is the seeded reservoir of rows used for Spearman and
	// Cramér's V (all rows when the file is smaller), and for Pearson when
	// there are more than PearsonColumns candidate columns. Default 50000,
	// capped at 2M cells.
	SampleRows     int
	PearsonColumns int // streaming Pearson over all rows up to this many columns; default 16
	// CorrColumns caps the numeric columns that are correlated with each
	// other (memory and time grow with its square): the CorrColumns with
	// the largest coefficient of variation, unless CorrNames names them.
	// Default 200.
	CorrColumns int
	CorrNames   []string
	// CramersMaxDistinct skips categoricals with more distinct values in
	// Cramér's V (ydata-profiling's categorical_maximum_correlation_distinct).
	// Default 100.
	CramersMaxDistinct int
	// TimeColumn names the column that orders the rows for the
	// non-stationary and seasonal alerts; "" detects one (a datetime column
	// in non-decreasing order, or an increasing integer column named like
	// year, date or time). "-" turns the tests off.
	TimeColumn string
	// SeriesPoints bounds the values kept per numeric column for those
	// tests; a longer series keeps every k-th value. Default 20000.
	SeriesPoints int
	Seed         uint64 // sampling seed; default 1
	Workers      int    // column-shard goroutines; default GOMAXPROCS
	Alerts       AlertThresholds
	SkipHash     bool // skip the sha256 of the file
}

func (o *ProfileOptions) defaults() {
	if o.DistinctBudget <= 0 {
		o.DistinctBudget = 1 << 20
	}
	if o.DistinctBytesBudget <= 0 {
		o.DistinctBytesBudget = 64 << 20
	}
	if o.ExactValuesBudget <= 0 {
		o.ExactValuesBudget = 4 << 20
	}
	if o.DuplicateRowsLimit <= 0 {
		o.DuplicateRowsLimit = 16 << 20
	}
	if o.TopK <= 0 {
		o.TopK = 10
	}
	if o.HistogramBins <= 0 {
		o.HistogramBins = 10
	}
	if o.SampleRows <= 0 {
		o.SampleRows = 50000
	}
	if o.PearsonColumns <= 0 {
		o.PearsonColumns = 16
	}
	if o.CorrColumns <= 0 {
		o.CorrColumns = 200
	}
	if o.CramersMaxDistinct <= 0 {
		o.CramersMaxDistinct = 100
	}
	if o.SeriesPoints <= 0 {
		o.SeriesPoints = 20000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Alerts.defaults()
}

// Progress reports how far a profile has got.
type Progress struct {
	Bytes      int64 // bytes of the file consumed
	TotalBytes int64
	Rows       int64
	Done       bool
}

// Num is a float that encodes NaN and ±Inf as JSON null.
type Num float64

func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

func numPtr(f float64) *Num { n := Num(f); return &n }

// Source identifies the profiled file.
type Source struct {
	Path   string `json:"path"`
	Format Format `json:"format"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256,omitempty"`
}

// Profile is the result of profiling one file (DESIGN §5's profile shape).
type Profile struct {
	Source          Source        `json:"source"`
	Rows            int64         `json:"rows"`
	DuplicateRows   int64         `json:"duplicate_rows"`
	DuplicatesExact bool          `json:"duplicate_rows_exact"`
	Columns         []Column      `json:"columns"`
	Correlations    []Correlation `json:"correlations"`
	SampleRows      int           `json:"correlation_sample_rows"` // rows behind Spearman/Cramér's V
	// CorrelationColumns lists the numeric columns correlated when there
	// were more than ProfileOptions.CorrColumns (the most variable ones, or
	// those named); empty when every numeric column was.
	CorrelationColumns []string `json:"correlation_columns,omitempty"`
	// MissingValues are the cell texts read as missing (text formats).
	MissingValues []string `json:"missing_values,omitempty"`
	// TimeIndex is the column that orders the rows for the time-series
	// tests (a datetime or increasing integer column), if any.
	TimeIndex string     `json:"time_index,omitempty"`
	Alerts    []Alert    `json:"alerts"`
	Skipped   SkipReport `json:"skipped"`
	Seconds   float64    `json:"seconds"`
}

// Column returns the named column, or nil.
func (p *Profile) Column(name string) *Column {
	for i := range p.Columns {
		if p.Columns[i].Name == name {
			return &p.Columns[i]
		}
	}
	return nil
}

// Column is one column's profile. Numeric statistics are set for integer and
// float columns; Min/Max are numbers there and ISO strings for datetimes.
type Column struct {
	Name          string      `json:"name"`
	Type          ColumnType  `json:"type"`
	TypeShares    []TypeShare `json:"type_shares,omitempty"`
	Count         int64       `json:"count"`
	Missing       int64       `json:"missing"`
	MissingShare  float64     `json:"missing_share"`
	Distinct      int64       `json:"distinct"`
	DistinctExact bool        `json:"distinct_exact"`
	Min           any         `json:"min,omitempty"`
	Max           any         `json:"max,omitempty"`
	Mean          *Num        `json:"mean,omitempty"`
	Std           *Num        `json:"std,omitempty"`
	Skewness      *Num        `json:"skewness,omitempty"`
	Zeros         int64       `json:"zeros"`
	Negatives     int64       `json:"negatives"`
	Infinite      int64       `json:"infinite"` // ±Inf values; mean, std, quantiles and histogram are over the finite ones
	// MissingTokens says which cell texts were read as missing, and how often.
	MissingTokens []ValueCount `json:"missing_tokens,omitempty"`
	Quantiles     *Quantiles   `json:"quantiles,omitempty"`
	Histogram     *Histogram   `json:"histogram,omitempty"`
	Top           []ValueCount `json:"top"`
	TopExact      bool         `json:"top_exact"`
	Length        *LengthStats `json:"length,omitempty"`
	TopTokens     []ValueCount `json:"top_tokens,omitempty"`
	Imbalance     *Num         `json:"imbalance,omitempty"` // 1 − H/log2(k), ydata-profiling's score
	// UniformP is the chi-squared p-value that the values are evenly spread
	// (numeric: numpy's "auto" histogram of the finite values; categorical:
	// the value counts), as ydata-profiling's uniformity test.
	UniformP *Num `json:"uniform_p,omitempty"`
	// TimeSeries holds the stationarity and seasonality tests of a numeric
	// column in the order of the profile's time index.
	TimeSeries *TimeSeries `json:"time_series,omitempty"`

	minF, maxF float64 // finite numeric min/max for alerts and drift
	dateCells  int64   // datetime-looking cells that are strings in the file
	counts     []int64 // every kept value's count, for the uniformity test
	ordered    bool    // increasing integers or non-decreasing datetimes in file order
}

// NumericRange returns the numeric min and max (NaN when not numeric).
func (c *Column) NumericRange() (float64, float64) { return c.minF, c.maxF }

// TimeSeries describes a numeric column read in time order.
type TimeSeries struct {
	Points int  `json:"points"`          // non-missing values tested (every k-th when the series is long)
	Stride int  `json:"stride"`          // k: 1 unless the series was thinned to fit its budget
	ADF    *Num `json:"adf,omitempty"`   // augmented Dickey–Fuller statistic (constant, AIC lags)
	ADFP   *Num `json:"adf_p,omitempty"` // its MacKinnon p-value: high means a unit root (non-stationary)
	Lags   int  `json:"adf_lags"`
	// Period is the seasonal period in rows (0: none found) and
	// SeasonalStrength Hyndman's 1 − Var(R)/Var(S+R) at that period.
	Period           int  `json:"period"`
	SeasonalStrength *Num `json:"seasonal_strength,omitempty"`
}

// Quantiles are p05..p95; Method is "exact" (pandas' linear interpolation) or
// "kll" (a sketch, about 1% rank error).
type Quantiles struct {
	P05    Num    `json:"p05"`
	P25    Num    `json:"p25"`
	P50    Num    `json:"p50"`
	P75    Num    `json:"p75"`
	P95    Num    `json:"p95"`
	Method string `json:"method"`
}

// Histogram has len(Edges) = len(Counts)+1 equal-width bins, as numpy.histogram.
type Histogram struct {
	Edges  []Num   `json:"edges"`
	Counts []int64 `json:"counts"`
	Exact  bool    `json:"exact"`
}

// ValueCount is a value and how often it occurs.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// LengthStats describes string lengths in characters.
type LengthStats struct {
	Min  int64   `json:"min"`
	Max  int64   `json:"max"`
	Mean float64 `json:"mean"`
	// ModalShare is the share of values with the most common length.
	ModalShare float64 `json:"modal_share"`
}

// Correlation is one column pair's association.
type Correlation struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	Method string  `json:"method"` // pearson, spearman, cramers_v
	Value  float64 `json:"value"`
	Rows   int64   `json:"rows"` // pairs used
}

// job is one batch travelling through the pipeline.
type job struct {
	seq     int64
	b       Batch
	num     []float64 // column-major numeric value per cell, NaN when not a number
	pending atomic.Int32
}

// ProfileFile reads path once and computes every statistic. Parsing runs on one
// goroutine, column shards on Workers more, and row-wise work (duplicates,
// correlations, the sample) on one more; batches are recycled so memory stays
// bounded by the sketches' budgets.
func ProfileFile(ctx context.Context, path string, opts ProfileOptions) (*Profile, error) {
	opts.defaults()
	start := time.Now()
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	r, err := Open(path, opts.Read)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cols := r.Columns()
	nc := len(cols)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var shaWG sync.WaitGroup
	var sum string
	if !opts.SkipHash {
		shaWG.Add(1)
		go func() {
			defer shaWG.Done()
			sum, _ = fileSHA256(ctx, path)
		}()
	}

	workers := min(opts.Workers, max(nc, 1))
	accs := make([]*colAcc, nc)
	perColDistinct := max(opts.DistinctBudget/max(nc, 1), 64)
	perColValues := max(opts.ExactValuesBudget/max(nc, 1), 256)
	perColBytes := max(opts.DistinctBytesBudget/max(nc, 1), 4096)
	for c := range accs {
		accs[c] = newColAcc(perColDistinct, perColBytes, perColValues, opts.Seed+uint64(c))
	}
	rows := newRowAcc(nc, opts)

	const inflight = 6
	free := make(chan *job, inflight)
	for i := 0; i < inflight; i++ {
		free <- &job{}
	}
	shardIn := make([]chan *job, workers)
	for w := range shardIn {
		shardIn[w] = make(chan *job, inflight)
	}
	rowIn := make(chan *job, inflight)

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for j := range shardIn[w] {
				n := j.b.Len()
				for c := w; c < nc; c += workers {
					accs[c].addBatch(&j.b, c, j.num[c*n:(c+1)*n])
				}
				if j.pending.Add(-1) == 0 {
					rowIn <- j
				}
			}
		}(w)
	}
	rowDone := make(chan struct{})
	go func() {
		defer close(rowDone)
		next := int64(0)
		held := map[int64]*job{}
		for j := range rowIn {
			held[j.seq] = j
			for {
				h, ok := held[next]
				if !ok {
					break
				}
				delete(held, next)
				rows.addBatch(h)
				next++
				free <- h
			}
		}
	}()

	// The reader loop runs here and owns the shard channels.
	var readErr error
	var nrows int64
	lastProgress := time.Now()
	report := func(done bool) {
		if opts.Progress != nil {
			opts.Progress(Progress{Bytes: r.Offset(), TotalBytes: st.Size(), Rows: nrows, Done: done})
		}
	}
	for seq := int64(0); ; seq++ {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		var j *job
		select {
		case <-ctx.Done():
			readErr = ctx.Err()
		case j = <-free:
		}
		if readErr != nil {
			break
		}
		err := r.Next(&j.b)
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		n := j.b.Len()
		nrows += int64(n)
		j.seq = seq
		if cap(j.num) < n*nc {
			j.num = make([]float64, n*nc)
		}
		j.num = j.num[:n*nc]
		j.pending.Store(int32(workers))
		for _, ch := range shardIn {
			ch <- j
		}
		if seq == 0 || time.Since(lastProgress) > 100*time.Millisecond {
			lastProgress = time.Now()
			report(false)
		}
	}
	for _, ch := range shardIn {
		close(ch)
	}
	wg.Wait()
	close(rowIn)
	<-rowDone
	if readErr != nil {
		cancel()
		shaWG.Wait()
		if errors.Is(readErr, context.Canceled) || errors.Is(readErr, context.DeadlineExceeded) {
			return nil, fmt.Errorf("profile %s: %w", path, readErr)
		}
		return nil, readErr
	}
	report(true)

	p := &Profile{
		Source:  Source{Path: path, Format: r.Format(), Bytes: st.Size()},
		Rows:    nrows,
		Skipped: r.Skipped(),
	}
	p.Columns = make([]Column, nc)
	var fwg sync.WaitGroup
	fwg.Add(1)
	go func() { // duplicates need only the row hashes: overlap with the columns
		defer fwg.Done()
		p.DuplicateRows, p.DuplicatesExact = rows.duplicates()
	}()
	for w := 0; w < workers; w++ {
		fwg.Add(1)
		go func(w int) {
			defer fwg.Done()
			for c := w; c < nc; c += workers {
				p.Columns[c] = accs[c].finish(cols[c], nrows, opts)
			}
		}(w)
	}
	fwg.Wait()
	if toks := r.MissingTokens(); toks != nil {
		p.MissingValues = newMissingSet(opts.Read.Missing).all
		for c := range p.Columns {
			p.Columns[c].MissingTokens = toks[c]
		}
	}
	p.Correlations, p.SampleRows, p.CorrelationColumns = rows.correlations(p.Columns, opts)
	p.TimeIndex = timeIndex(p.Columns, opts.TimeColumn)
	if p.TimeIndex != "" {
		for c := range p.Columns {
			if s := rows.series[c]; s != nil && p.Columns[c].Name != p.TimeIndex && p.Columns[c].Type.IsNumeric() {
				p.Columns[c].TimeSeries = testSeries(s.v, s.stride)
			}
		}
	}
	p.Alerts = Alerts(p, opts.Alerts)
	shaWG.Wait()
	p.Source.SHA256 = sum
	p.Seconds = time.Since(start).Seconds()
	return p, nil
}

// timeIndex picks the column that orders the rows: the named one if it is
// in order, else the first datetime column in non-decreasing order, else
// the first increasing integer column named like a time.
func timeIndex(cols []Column, named string) string {
	switch named {
	case "-":
		return ""
	case "":
	default:
		for i := range cols {
			if cols[i].Name == named && cols[i].ordered {
				return named
			}
		}
		return ""
	}
	for i := range cols {
		if cols[i].Type == TypeDatetime && cols[i].ordered {
			return cols[i].Name
		}
	}
	for i := range cols {
		if cols[i].Type == TypeInteger && cols[i].ordered && timeName.MatchString(cols[i].Name) {
			return cols[i].Name
		}
	}
	return ""
}

var timeName = regexp.MustCompile(`(?i)(^|[^a-z])(year|yr|date|time|timestamp|month|week|day|quarter|period|epoch)s?($|[^a-z])`)

// minSeriesPoints: shorter series get no time-series tests.
const minSeriesPoints = 20

// testSeries runs the stationarity and seasonality tests on x.
func testSeries(x []float64, stride int) *TimeSeries {
	if len(x) < minSeriesPoints {
		return nil
	}
	ts := &TimeSeries{Points: len(x), Stride: stride}
	if r, ok := adfTest(x); ok && !math.IsNaN(r.Stat) {
		ts.ADF, ts.ADFP, ts.Lags = numPtr(r.Stat), numPtr(r.P), r.Lags
	}
	if m := seasonalPeriod(x); m > 0 {
		if f := seasonalStrength(x, m); !math.IsNaN(f) {
			ts.Period, ts.SeasonalStrength = m, numPtr(f)
		}
	}
	return ts
}

func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

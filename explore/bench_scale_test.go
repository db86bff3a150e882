package explore

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// The scale benchmarks of issue 12. Each profile runs in a fresh process
// (this test binary again, TestBenchChild), so its peak RSS and CPU time are
// its own, and each prints medians over b.N runs:
//
//	go test -run '^$' -bench 'Wide|Cores|Rows10M|ParquetVsCSV' -benchtime 3x ./explore/
//
// Input files are generated into the temp dir once and reused.

// TestBenchChild profiles $LATHE_BENCH_CHILD and prints one JSON line; it
// is the child process of the scale benchmarks and does nothing otherwise.
func TestBenchChild(t *testing.T) {
	path := os.Getenv("LATHE_BENCH_CHILD")
	if path == "" {
		return
	}
	parsers, _ := strconv.Atoi(os.Getenv("LATHE_BENCH_PARSERS"))
	if prof := os.Getenv("LATHE_BENCH_CPUPROFILE"); prof != "" { // a pprof CPU profile of the child
		f, err := os.Create(prof)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	p, err := ProfileFile(context.Background(), path, ProfileOptions{SkipHash: true, Read: ReadOptions{Parsers: parsers}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(childResult{Wall: time.Since(start).Seconds(), Rows: p.Rows, Columns: len(p.Columns),
		DuplicatesExact: p.DuplicatesExact, Correlations: len(p.Correlations)})
	fmt.Printf("LATHE_BENCH %s\n", out)
}

type childResult struct {
	Wall            float64 `json:"wall"` // seconds inside ProfileFile
	CPU             float64 `json:"cpu"`  // user+system seconds of the whole child
	PeakMiB         float64 `json:"peak_mib"`
	Rows            int64   `json:"rows"`
	Columns         int     `json:"columns"`
	DuplicatesExact bool    `json:"duplicates_exact"`
	Correlations    int     `json:"correlations"`
}

// runChild profiles path in a child process with the extra environment.
func runChild(b *testing.B, path string, env ...string) childResult {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestBenchChild$", "-test.count", "1")
	cmd.Env = append(append(os.Environ(), "LATHE_BENCH_CHILD="+path), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child: %v\n%s", err, out)
	}
	var res childResult
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "LATHE_BENCH "); ok {
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				b.Fatal(err)
			}
		}
	}
	if res.Rows == 0 && res.Columns == 0 {
		b.Fatalf("child printed no result:\n%s", out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res.CPU = tvSec(ru.Utime) + tvSec(ru.Stime)
	res.PeakMiB = float64(ru.Maxrss) / 1024
	return res
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// genFile writes name in the temp dir with write unless it exists.
func genFile(b *testing.B, name string, write func(w *bufio.Writer)) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	f, err := os.Create(p + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	write(w)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		b.Fatal(err)
	}
	return p
}

// numericCSV: ncols columns of normal values (3 decimals) by nrows rows.
func numericCSV(b *testing.B, ncols, nrows int) string {
	return genFile(b, fmt.Sprintf("lathe-bench-numeric-%dx%d.csv", ncols, nrows), func(w *bufio.Writer) {
		rng := rand.New(rand.NewPCG(uint64(ncols), uint64(nrows)))
		var buf []byte
		for c := 0; c < ncols; c++ {
			if c > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, 'c')
			buf = strconv.AppendInt(buf, int64(c), 10)
		}
		w.Write(append(buf, '\n'))
		for r := 0; r < nrows; r++ {
			buf = buf[:0]
			for c := 0; c < ncols; c++ {
				if c > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendFloat(buf, rng.NormFloat64()*float64(1+c%7), 'f', 3, 64)
			}
			w.Write(append(buf, '\n'))
		}
	})
}

func reportChild(b *testing.B, runs []childResult, what string) {
	var wall, cpu, peak []float64
	for _, r := range runs {
		wall, cpu, peak = append(wall, r.Wall), append(cpu, r.CPU), append(peak, r.PeakMiB)
	}
	b.ReportMetric(median(wall), "wall_s")
	b.ReportMetric(median(cpu), "cpu_s")
	b.ReportMetric(median(peak), "peakRSS_MiB")
	b.Logf("%s: %d rows x %d columns, median of %d: %.2f s wall, %.2f CPU s, peak RSS %.0f MiB (%d correlations)",
		what, runs[0].Rows, runs[0].Columns, len(runs), median(wall), median(cpu), median(peak), runs[0].Correlations)
}

// BenchmarkWide100kColumns: 100,000 numeric columns x 10 rows; target
// under 10 s and 500 MB.
func BenchmarkWide100kColumns(b *testing.B) {
	path := numericCSV(b, 100000, 10)
	var runs []childResult
	for i := 0; i < b.N; i++ {
		runs = append(runs, runChild(b, path))
	}
	reportChild(b, runs, "100k columns")
}

// BenchmarkWide576Columns: 576 numeric columns x 50,000 rows; target at
// most half of pandas' CPU time. With LATHE_BENCH_PANDAS=1 and Debian's
// pandas, testdata/pandas/wide_cpu.py is timed on the same file in the same run.
func BenchmarkWide576Columns(b *testing.B) {
	path := numericCSV(b, 576, 50000)
	var runs []childResult
	for i := 0; i < b.N; i++ {
		runs = append(runs, runChild(b, path))
	}
	reportChild(b, runs, "576 columns")
	if os.Getenv("LATHE_BENCH_PANDAS") == "" {
		return
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "pandas", "wide_cpu.py"))
	cmd := exec.Command("/usr/bin/python3", script, path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Logf("pandas not run: %v %s", err, out)
		return
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	pcpu := tvSec(ru.Utime) + tvSec(ru.Stime)
	var cpu []float64
	for _, r := range runs {
		cpu = append(cpu, r.CPU)
	}
	b.ReportMetric(pcpu, "pandas_cpu_s")
	b.ReportMetric(median(cpu)/pcpu, "lathe/pandas_cpu")
	b.Logf("pandas (read_csv, describe, nunique, duplicated, skew, Pearson): %.2f CPU s; %s", pcpu, strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
}

// BenchmarkFlightsCores: the 3M-row flights CSV on one core and on two;
// target: two-core wall time at most 0.6 of one core's.
func BenchmarkFlightsCores(b *testing.B) {
	path := flightsCSV(b)
	var one, two, ratio []float64
	for i := 0; i < b.N; i++ {
		r1 := runChild(b, path, "GOMAXPROCS=1")
		r2 := runChild(b, path, "GOMAXPROCS=2")
		one, two, ratio = append(one, r1.Wall), append(two, r2.Wall), append(ratio, r2.Wall/r1.Wall)
		if i == 0 {
			b.Logf("CPU s: 1 core %.2f, 2 cores %.2f", r1.CPU, r2.CPU)
		}
	}
	b.ReportMetric(median(one), "wall_1core_s")
	b.ReportMetric(median(two), "wall_2core_s")
	b.ReportMetric(median(ratio), "2core/1core")
	b.Logf("flights 3M: median wall 1 core %.2f s, 2 cores %.2f s, ratio %.2f (NumCPU %d)", median(one), median(two), median(ratio), runtime.NumCPU())
}

// BenchmarkRows10Mx5: 10M rows x 5 columns; target peak RSS <= 200 MB.
func BenchmarkRows10Mx5(b *testing.B) {
	path := genFile(b, "lathe-bench-rows-10Mx5.csv", func(w *bufio.Writer) {
		rng := rand.New(rand.NewPCG(10, 5))
		w.WriteString("id,amount,score,category,flag\n")
		var buf []byte
		cats := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
		for i := 0; i < 10_000_000; i++ {
			buf = strconv.AppendInt(buf[:0], int64(i), 10)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, rng.ExpFloat64()*100, 'f', 2, 64)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(rng.IntN(1000)), 10)
			buf = append(buf, ',')
			buf = append(buf, cats[rng.IntN(len(cats))]...)
			buf = append(buf, ',')
			buf = strconv.AppendBool(buf, rng.IntN(3) == 0)
			w.Write(append(buf, '\n'))
		}
	})
	var runs []childResult
	for i := 0; i < b.N; i++ {
		runs = append(runs, runChild(b, path))
	}
	reportChild(b, runs, fmt.Sprintf("10M x 5 (duplicates exact: %v)", runs[0].DuplicatesExact))
}

type flightRow struct {
	Date        string `parquet:"date"`
	Delay       int64  `parquet:"delay"`
	Distance    int64  `parquet:"distance"`
	Origin      string `parquet:"origin,dict"`
	Destination string `parquet:"destination,dict"`
}

// BenchmarkParquetVsCSV profiles the flights rows as CSV and as Parquet
// (typed columns, 128k-row groups); target: Parquet at least as fast.
func BenchmarkParquetVsCSV(b *testing.B) {
	csvPath := flightsCSV(b)
	pqPath := filepath.Join(os.TempDir(), "lathe-bench-flights-3m.parquet")
	if _, err := os.Stat(pqPath); err != nil {
		r, err := Open(csvPath, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(pqPath + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		w := parquet.NewGenericWriter[flightRow](f, parquet.MaxRowsPerRowGroup(128<<10))
		var bt Batch
		rows := make([]flightRow, 0, 8192)
		for r.Next(&bt) == nil {
			rows = rows[:0]
			for i := 0; i < bt.Len(); i++ {
				d, _ := strconv.ParseInt(string(bt.Cell(i, 1)), 10, 64)
				s, _ := strconv.ParseInt(string(bt.Cell(i, 2)), 10, 64)
				rows = append(rows, flightRow{string(bt.Cell(i, 0)), d, s, string(bt.Cell(i, 3)), string(bt.Cell(i, 4))})
			}
			if _, err := w.Write(rows); err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		os.Rename(pqPath+".tmp", pqPath)
	}
	var c, p []float64
	for i := 0; i < b.N; i++ {
		c = append(c, runChild(b, csvPath).Wall)
		p = append(p, runChild(b, pqPath).Wall)
	}
	b.ReportMetric(median(c), "csv_s")
	b.ReportMetric(median(p), "parquet_s")
	b.Logf("flights 3M: CSV %.2f s, Parquet %.2f s (medians of %d)", median(c), median(p), b.N)
}

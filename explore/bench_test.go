package explore

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/lathe-ml/lathe/explore/internal/benchdata"
)

// Benchmarks print time, MB/s and peak memory:
//
//	go test -run '^$' -bench Profile -benchtime 1x ./explore/
//
// The input files are generated once into the temp dir and reused.

var airports = []string{"ATL", "ORD", "DFW", "LAX", "DEN", "JFK", "SFO", "LAS", "PHX", "IAH", "CLT", "SEA",
	"MCO", "MSP", "DTW", "BOS", "EWR", "PHL", "LGA", "FLL", "BWI", "SLC", "DCA", "MDW", "SAN", "TPA", "PDX",
	"HNL", "STL", "OAK", "BNA", "AUS", "MCI", "SJC", "RDU", "SMF", "SNA", "HOU", "DAL", "MSY"}

// flightsCSV writes a 3M-row file shaped like vega-datasets' flights-3m
// (date, delay, distance, origin, destination), about 100 MB.
func flightsCSV(b *testing.B) string {
	p, err := benchdata.Flights()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// wideCSV writes 200 numeric columns x 200k rows.
func wideCSV(b *testing.B) string {
	p := filepath.Join(os.TempDir(), "lathe-bench-wide-200x200k.csv")
	if st, err := os.Stat(p); err == nil && st.Size() > 100<<20 {
		return p
	}
	f, err := os.Create(p + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(4, 4))
	for c := 0; c < 200; c++ {
		if c > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, "c%d", c)
	}
	w.WriteByte('\n')
	var buf []byte
	for r := 0; r < 200_000; r++ {
		buf = buf[:0]
		for c := 0; c < 200; c++ {
			if c > 0 {
				buf = append(buf, ',')
			}
			if c%2 == 0 {
				buf = strconv.AppendInt(buf, int64(rng.IntN(1000)), 10)
			} else {
				buf = strconv.AppendFloat(buf, rng.NormFloat64()*10, 'f', 3, 64)
			}
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	os.Rename(p+".tmp", p)
	return p
}

func benchProfile(b *testing.B, path string) {
	st, _ := os.Stat(path)
	runtime.GC()
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	var p *Profile
	for i := 0; i < b.N; i++ {
		var err error
		p, err = ProfileFile(context.Background(), path, ProfileOptions{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds() / float64(b.N)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := (tvSec(ru.Utime) + tvSec(ru.Stime) - tvSec(ru0.Utime) - tvSec(ru0.Stime)) / float64(b.N)
	b.ReportMetric(cpu, "cpu_s/op")
	b.ReportMetric(float64(st.Size())/1e6/sec, "MB/s")
	b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS_MiB")
	b.Logf("%s: %d rows, %.1f MB in %.3f s (%.0f MB/s), %.2f CPU s, peak RSS %.0f MiB, GOMAXPROCS %d",
		filepath.Base(path), p.Rows, float64(st.Size())/1e6, sec, float64(st.Size())/1e6/sec, cpu,
		float64(ru.Maxrss)/1024, runtime.GOMAXPROCS(0))
}

func BenchmarkProfileFlights(b *testing.B) { benchProfile(b, flightsCSV(b)) }
func BenchmarkProfileWide(b *testing.B)    { benchProfile(b, wideCSV(b)) }

// BenchmarkReadFlights measures the CSV reader alone.
func BenchmarkReadFlights(b *testing.B) {
	path := flightsCSV(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(path, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var bt Batch
		for r.Next(&bt) == nil {
		}
		r.Close()
	}
}

func tvSec(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func BenchmarkSplitFlights(b *testing.B) {
	path := flightsCSV(b)
	st, _ := os.Stat(path)
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Split(context.Background(), path, SplitOptions{Ratios: []float64{0.8, 0.1, 0.1}, Stratify: "origin", Seed: 1, OutDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if res.Report.Rows != 3_000_000 {
			b.Fatalf("rows %d", res.Report.Rows)
		}
	}
	b.StopTimer()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(st.Size())/1e6/sec, "MB/s")
	b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS_MiB")
}

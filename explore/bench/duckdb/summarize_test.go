// Package duckdb is the DuckDB anchor of the explore benchmarks: DuckDB's
// SUMMARIZE and Lathe's profile of the same generated flights CSV, timed in
// the same process. It is a module of its own because DuckDB's Go bindings
// need cgo; the lathe module and binary stay CGO-free and static.
//
//	cd explore/bench/duckdb && go test -run '^$' -bench . -benchtime 3x
package duckdb

import (
	"context"
	"database/sql"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/lathe-ml/lathe/explore"
	"github.com/lathe-ml/lathe/explore/internal/benchdata"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkFlightsDuckDBvsLathe: SUMMARIZE over read_csv with as many DuckDB
// threads as GOMAXPROCS, then Lathe's full profile, alternately b.N times.
func BenchmarkFlightsDuckDBvsLathe(b *testing.B) {
	path, err := benchdata.Flights()
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET threads TO " + itoa(runtime.GOMAXPROCS(0))); err != nil {
		b.Fatal(err)
	}
	var dWall, dCPU, lWall, lCPU []float64
	for i := 0; i < b.N; i++ {
		c0, t0 := cpuSeconds(), time.Now()
		rows, err := db.Query("SUMMARIZE SELECT * FROM read_csv('" + path + "')")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if n != 5 {
			b.Fatalf("SUMMARIZE gave %d rows, want 5", n)
		}
		dWall, dCPU = append(dWall, time.Since(t0).Seconds()), append(dCPU, cpuSeconds()-c0)
		c0, t0 = cpuSeconds(), time.Now()
		p, err := explore.ProfileFile(context.Background(), path, explore.ProfileOptions{SkipHash: true})
		if err != nil {
			b.Fatal(err)
		}
		if p.Rows != 3_000_000 {
			b.Fatalf("%d rows", p.Rows)
		}
		lWall, lCPU = append(lWall, time.Since(t0).Seconds()), append(lCPU, cpuSeconds()-c0)
	}
	b.ReportMetric(median(dWall), "duckdb_wall_s")
	b.ReportMetric(median(dCPU), "duckdb_cpu_s")
	b.ReportMetric(median(lWall), "lathe_wall_s")
	b.ReportMetric(median(lCPU), "lathe_cpu_s")
	b.Logf("flights 3M, %d threads: DuckDB SUMMARIZE %.2f s wall %.2f CPU s; Lathe profile %.2f s wall %.2f CPU s (medians of %d)",
		runtime.GOMAXPROCS(0), median(dWall), median(dCPU), median(lWall), median(lCPU), b.N)
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Package benchdata writes the generated files the explore benchmarks read,
// so that the benchmarks in explore and the DuckDB anchor module
// (explore/bench/duckdb) profile byte-identical inputs.
package benchdata

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

var airports = []string{"ATL", "ORD", "DFW", "LAX", "DEN", "JFK", "SFO", "LAS", "PHX", "IAH", "CLT", "SEA",
	"MCO", "MSP", "DTW", "BOS", "EWR", "PHL", "LGA", "FLL", "BWI", "SLC", "DCA", "MDW", "SAN", "TPA", "PDX",
	"HNL", "STL", "OAK", "BNA", "AUS", "MCI", "SJC", "RDU", "SMF", "SNA", "HOU", "DAL", "MSY"}

// Flights writes (once) a 3M-row CSV shaped like vega-datasets' flights-3m
// (date, delay, distance, origin, destination), about 100 MB, into the temp
// dir and returns its path.
func Flights() (string, error) {
	p := filepath.Join(os.TempDir(), "lathe-bench-flights-3m.csv")
	if st, err := os.Stat(p); err == nil && st.Size() > 90<<20 {
		return p, nil
	}
	f, err := os.Create(p + ".tmp")
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(3, 3))
	w.WriteString("date,delay,distance,origin,destination\n")
	t0 := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf []byte
	for i := 0; i < 3_000_000; i++ {
		t := t0.Add(time.Duration(i) * 10 * time.Second).Add(time.Duration(rng.IntN(600)) * time.Minute)
		buf = t.AppendFormat(buf[:0], "2006-01-02 15:04")
		buf = append(buf, ',')
		delay := int(rng.NormFloat64()*25) + rng.IntN(10)
		buf = strconv.AppendInt(buf, int64(delay), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(100+rng.IntN(2600)), 10)
		buf = append(buf, ',')
		buf = append(buf, airports[rng.IntN(len(airports))]...)
		buf = append(buf, ',')
		buf = append(buf, airports[rng.IntN(len(airports))]...)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return p, os.Rename(p+".tmp", p)
}

package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readReport is everything a reader gives: columns, rows with missing
// flags and lines, the skip report, token counts, and the error.
type readReport struct {
	Cols    []string
	Rows    [][]string
	Lines   []int
	Skipped SkipReport
	Tokens  [][]ValueCount
	Err     string
}

func readEverything(path string, opts ReadOptions) readReport {
	var rep readReport
	r, err := Open(path, opts)
	if err != nil {
		rep.Err = err.Error()
		return rep
	}
	defer r.Close()
	rep.Cols = r.Columns()
	var b Batch
	for {
		err := r.Next(&b)
		if err != nil {
			if err.Error() != "EOF" {
				rep.Err = err.Error()
			}
			break
		}
		for i := 0; i < b.Len(); i++ {
			row := b.Row(i)
			for c := range row {
				if b.Missing(i, c) {
					row[c] = "<NA>"
				}
			}
			rep.Rows = append(rep.Rows, row)
			rep.Lines = append(rep.Lines, b.Line(i))
		}
	}
	rep.Skipped = r.Skipped()
	rep.Tokens = r.MissingTokens()
	return rep
}

// compareParallel checks that parsing content on several goroutines, with
// chunks small enough to cut records everywhere, gives the serial result.
func compareParallel(t *testing.T, path string, base ReadOptions) {
	t.Helper()
	serial := base
	serial.Parsers = 1
	want := readEverything(path, serial)
	for _, chunk := range []int{1, 7, 64, 1000, 1 << 20} {
		par := base
		par.Parsers, par.chunkBytes = 3, chunk
		got := readEverything(path, par)
		if want.Err != "" {
			// Rows before an error depend on where batches end; the error does not.
			got.Rows, got.Lines, got.Skipped, got.Tokens = want.Rows, want.Lines, want.Skipped, want.Tokens
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s, chunk %d: parallel read differs\n got %+v\nwant %+v", filepath.Base(path), chunk, got, want)
			return
		}
	}
}

func TestParallelCSVMatchesSerial(t *testing.T) {
	var long strings.Builder
	long.WriteString("a,b\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&long, "%d,\"x%d\ny\"\n", i, i%7)
		if i%500 == 0 {
			long.WriteString("\n\"unterminated\n") // blank line, then a quote run
		}
	}
	cases := map[string]string{
		"plain.csv":   "a,b\n1,2\n3,4\n5,6\n7,8\n",
		"quotes.csv":  "id,text\n1,\"hello\nworld, \"\"quoted\"\"\"\n2,plain\n3,\"a,b\"\n4,x\"y\n5,\"\"\n",
		"ragged.csv":  "a,b\n1,2\n3\n4,5,6\n7,8\n9,10\n",
		"crlf.csv":    "a,b\r\n1,2\r\n\r\n3,4\r\n5,\"6\r\n7\"\r\n",
		"utf8.csv":    "a,b\n1,2\n\xff\xfe,3\n4,5\n6,7\n",
		"tokens.csv":  "a,b\nNA,\nN/A,null\nNaN,x\nNULL,#N/A\n<NA>,None\n",
		"noeol.csv":   "a,b\n1,2\n3,4",
		"lonecr.csv":  "a,b\n1\r2,3\n4,5\r",
		"trail.csv":   "a,b\n1,\n2,\n",
		"longrec.csv": "a,b\n1,2\n" + strings.Repeat("x", 3000) + ",3\n4,5\n6,7\n",
		"many.csv":    long.String(),
	}
	for name, content := range cases {
		path := writeFile(t, name, content)
		for _, opts := range []ReadOptions{{}, {OnError: OnErrorSkip}, {OnError: OnErrorSkip, MaxLineBytes: 1000}, {Header: HeaderAbsent}} {
			compareParallel(t, path, opts)
		}
	}
	for _, f := range []string{"seattle-weather.csv", "stocks.csv", "airports.csv", "budget.csv", "edge-cases.csv"} {
		compareParallel(t, testdata(f), ReadOptions{})
	}
	// The fuzz corpus: every input the fuzzer found interesting.
	entries, _ := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzCSV"))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzCSV", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		content, ok := corpusBytes(string(data))
		if !ok {
			continue
		}
		path := writeFile(t, "f.csv", string(content))
		compareParallel(t, path, ReadOptions{MaxLineBytes: 4096})
		compareParallel(t, path, ReadOptions{MaxLineBytes: 4096, OnError: OnErrorSkip})
	}
}

// corpusBytes extracts the first []byte(...) value of a go-fuzz corpus file.
func corpusBytes(file string) ([]byte, bool) {
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(line, "[]byte(") && strings.HasSuffix(line, ")") {
			var s string
			if _, err := fmt.Sscanf(line[len("[]byte("):len(line)-1], "%q", &s); err == nil {
				return []byte(s), true
			}
		}
	}
	return nil, false
}

// TestParallelProfileIdentical: the profile of a file is the same whether
// its records are parsed on one goroutine or several and the columns
// accumulated on one worker or several (results are folded in file order).
func TestParallelProfileIdentical(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("date,delay,distance,origin,note\n")
	for i := 0; i < 60000; i++ {
		fmt.Fprintf(&sb, "2001-01-%02d %02d:%02d,%d,%d.%d,%s,\"n%d\"\n", 1+i%28, i%24, i%60, (i*7919)%301-50, 100+(i*31)%2600, i%10,
			airports[(i*13)%len(airports)], i%97)
	}
	path := writeFile(t, "flights.csv", sb.String())
	profile := func(parsers, workers int) string {
		p := profileOf(t, path, ProfileOptions{Workers: workers, Read: ReadOptions{Parsers: parsers, chunkBytes: 1 << 14}})
		p.Seconds = 0
		data, _ := json.Marshal(p)
		return string(data)
	}
	one := profile(1, 1)
	for _, pw := range [][2]int{{2, 1}, {4, 2}, {3, 5}} {
		if got := profile(pw[0], pw[1]); got != one {
			i := 0
			for i < len(got) && i < len(one) && got[i] == one[i] {
				i++
			}
			t.Errorf("%d parsers, %d workers: profile differs from the single-core one at %d:\n%s\n%s", pw[0], pw[1], i,
				got[max(0, i-200):min(len(got), i+100)], one[max(0, i-200):min(len(one), i+100)])
		}
	}
	_ = context.Background
}

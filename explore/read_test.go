package explore

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// readAll returns the header and every row of path.
func readAll(t *testing.T, path string, opts ReadOptions) ([]string, [][]string, Reader, error) {
	t.Helper()
	r, err := Open(path, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	var rows [][]string
	var b Batch
	for {
		err := r.Next(&b)
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.Columns(), rows, r, err
		}
		for i := 0; i < b.Len(); i++ {
			row := b.Row(i)
			for c := range row {
				if b.Missing(i, c) {
					row[c] = "<NA>"
				}
			}
			rows = append(rows, row)
		}
	}
	return r.Columns(), rows, r, nil
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadShippedData(t *testing.T) {
	cases := []struct {
		file   string
		rows   int
		cols   int
		format Format
		first  string // column 0 of row 0
	}{
		{"seattle-weather.csv", 1461, 6, FormatCSV, "2012-01-01"},
		{"stocks.csv", 560, 3, FormatCSV, "MSFT"},
		{"cars.json", 406, 9, FormatJSON, "chevrolet chevelle malibu"},
		{"penguins.json", 344, 7, FormatJSON, "Adelie"},
		{"penguins.parquet", 344, 7, FormatParquet, "Adelie"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			cols, rows, r, err := readAll(t, filepath.Join("testdata", c.file), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != c.rows || len(cols) != c.cols || r.Format() != c.format {
				t.Fatalf("got %d rows, %d cols, %s; want %d, %d, %s", len(rows), len(cols), r.Format(), c.rows, c.cols, c.format)
			}
			if rows[0][0] != c.first {
				t.Errorf("row 0 col 0 = %q, want %q", rows[0][0], c.first)
			}
		})
	}
}

func TestCSVDialects(t *testing.T) {
	cases := []struct {
		name, content string
		cols          []string
		rows          [][]string
	}{
		{"comma", "a,b\n1,2\n3,4\n", []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"semicolon", "a;b\n1,5;2\n3;4\n", []string{"a", "b"}, [][]string{{"1,5", "2"}, {"3", "4"}}},
		{"pipe", "a|b|c\nx|y|z\n", []string{"a", "b", "c"}, [][]string{{"x", "y", "z"}}},
		{"tab", "a\tb\n1\t2\n", []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"bom crlf", "\xEF\xBB\xBFa,b\r\n1,2\r\n3,4", []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"quoted newline", "id,text\n1,\"hello\nworld, \"\"quoted\"\"\"\n2,plain\n", []string{"id", "text"},
			[][]string{{"1", "hello\nworld, \"quoted\""}, {"2", "plain"}}},
		{"numeric header", "1960,1961\n3,4\n", []string{"1960", "1961"}, [][]string{{"3", "4"}}},
		{"odd header names", "a,,a,a\n1,2,3,4\n", []string{"a", "Unnamed: 1", "a.1", "a.2"}, [][]string{{"1", "2", "3", "4"}}},
		{"missing tokens", "a,b\nNA,\nN/A,null\nNaN,x\n", []string{"a", "b"},
			[][]string{{"<NA>", "<NA>"}, {"<NA>", "<NA>"}, {"<NA>", "x"}}},
		{"blank lines", "a,b\n\n1,2\n\n", []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"trailing empty field", "a,b\n1,\n", []string{"a", "b"}, [][]string{{"1", "<NA>"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cols, rows, _, err := readAll(t, writeFile(t, "f.csv", c.content), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cols, "|") != strings.Join(c.cols, "|") {
				t.Fatalf("cols %q, want %q", cols, c.cols)
			}
			if len(rows) != len(c.rows) {
				t.Fatalf("rows %q, want %q", rows, c.rows)
			}
			for i := range rows {
				if strings.Join(rows[i], "|") != strings.Join(c.rows[i], "|") {
					t.Errorf("row %d = %q, want %q", i, rows[i], c.rows[i])
				}
			}
		})
	}
}

func TestGzipAndJSONL(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.jsonl.gz")
	f, _ := os.Create(p)
	zw := gzip.NewWriter(f)
	io.WriteString(zw, "{\"a\":1,\"b\":\"x\"}\n\n{\"a\":null,\"b\":\"y\",\"c\":true}\n{\"a\":2.5,\"b\":{\"k\":[1,2]}}\n")
	zw.Close()
	f.Close()
	cols, rows, r, err := readAll(t, p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatJSONL || strings.Join(cols, ",") != "a,b,c" || len(rows) != 3 {
		t.Fatalf("format %s cols %v rows %v", r.Format(), cols, rows)
	}
	want := [][]string{{"1", "x", "<NA>"}, {"<NA>", "y", "true"}, {"2.5", `{"k":[1,2]}`, "<NA>"}}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	// gzip detected by magic even without the extension.
	q := filepath.Join(dir, "plain.csv")
	f, _ = os.Create(q)
	zw = gzip.NewWriter(f)
	io.WriteString(zw, "a,b\n1,2\n")
	zw.Close()
	f.Close()
	_, rows, _, err = readAll(t, q, ReadOptions{})
	if err != nil || len(rows) != 1 || rows[0][1] != "2" {
		t.Fatalf("gzip by magic: %v %v", rows, err)
	}
}

func TestMalformedInput(t *testing.T) {
	long := "a,b\n1,2\n" + strings.Repeat("x", 2000) + ",3\n4,5\n"
	cases := []struct {
		name, file, content string
		opts                ReadOptions
		line                int
		msg                 string
		skipRows            int // rows left under OnErrorSkip; -1: error in skip mode too
	}{
		{"ragged", "r.csv", "a,b\n1,2\n3\n4,5,6\n7,8\n", ReadOptions{}, 3, "ragged", 2},
		{"unterminated quote", "q.csv", "a,b\n1,2\n3,\"oops\n", ReadOptions{}, 3, "unterminated", 1},
		{"invalid utf8", "u.csv", "a,b\n1,2\n\xff\xfe,3\n4,5\n", ReadOptions{}, 3, "UTF-8", 2},
		{"long line", "l.csv", long, ReadOptions{MaxLineBytes: 1000}, 3, "longer than", 2},
		{"empty", "e.csv", "", ReadOptions{}, 1, "empty", -1},
		{"json syntax", "j.json", "[{\"a\":1},\n{\"a\":2,}\n]", ReadOptions{}, 2, "invalid JSON", -1},
		{"json not object", "n.json", "[{\"a\":1},\n[1,2],\n{\"a\":3}]", ReadOptions{}, 2, "not a JSON object", 2},
		{"jsonl bad line", "b.jsonl", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n", ReadOptions{}, 2, "invalid JSON", 2},
		{"jsonl invalid utf8", "v.jsonl", "{\"a\":1}\n{\"a\":\"\xff\"}\n", ReadOptions{}, 2, "UTF-8", 1},
		{"empty json array", "ea.json", "[]", ReadOptions{}, 1, "no records", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file, c.content)
			_, _, _, err := readAll(t, p, c.opts)
			var ie *config.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want *config.InputError", err, err)
			}
			if ie.File != p || ie.Line != c.line || !strings.Contains(ie.Msg, c.msg) {
				t.Errorf("got %s:%d %q; want line %d containing %q", ie.File, ie.Line, ie.Msg, c.line, c.msg)
			}
			opts := c.opts
			opts.OnError = OnErrorSkip
			_, rows, r, err := readAll(t, p, opts)
			if c.skipRows < 0 {
				if !config.IsInput(err) {
					t.Fatalf("skip mode: error %v, want InputError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("skip mode: %v", err)
			}
			s := r.Skipped()
			if len(rows) != c.skipRows || s.Count < 1 || len(s.Examples) == 0 || s.Examples[0].Line != c.line {
				t.Errorf("skip mode: %d rows, report %+v; want %d rows, first example at line %d", len(rows), s, c.skipRows, c.line)
			}
		})
	}
}

// TestHeaderModes: the first record is the header by default (pandas),
// none names the columns column_N, sniff guesses as csv.Sniffer.has_header.
func TestHeaderModes(t *testing.T) {
	cases := []struct {
		name, content string
		mode          HeaderMode
		cols          string
		rows          int
	}{
		{"default, years", "Country Name,1960,1961\nAruba,1.5,2\nChad,3,4\n", HeaderPresent, "Country Name|1960|1961", 2},
		{"default, numbers", "1,2\n3,4\n", HeaderPresent, "1|2", 1},
		{"none", "a,b\n3,4\n", HeaderAbsent, "column_1|column_2", 2},
		{"sniff, numbers", "1,2\n3,4\n", HeaderSniff, "column_1|column_2", 2},
		{"sniff, names over numbers", "x,y\n3,4\n5,6\n", HeaderSniff, "x|y", 2},
		{"sniff, years over numbers", "Country,1960\nAruba,1.5\nChad,2.5\n", HeaderSniff, "Country|1960", 2},
		{"sniff, codes of one length", "abc,def\nxyz,uvw\nfoo,bar\n", HeaderSniff, "column_1|column_2", 3},
		{"sniff, one record", "a,b\n", HeaderSniff, "a|b", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cols, rows, _, err := readAll(t, writeFile(t, "h.csv", c.content), ReadOptions{Header: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cols, "|") != c.cols || len(rows) != c.rows {
				t.Errorf("cols %q, %d rows; want %s, %d", cols, len(rows), c.cols, c.rows)
			}
		})
	}
	for in, want := range map[string]HeaderMode{"": HeaderPresent, "first-row": HeaderPresent, "none": HeaderAbsent, "sniff": HeaderSniff} {
		if got, ok := ParseHeaderMode(in); !ok || got != want || (in != "" && got.String() != in) {
			t.Errorf("ParseHeaderMode(%q) = %v %v", in, got, ok)
		}
	}
	if _, ok := ParseHeaderMode("maybe"); ok {
		t.Error("ParseHeaderMode accepted maybe")
	}
}

// TestDefaultLineLimit feeds a 17 MiB line (over the 16 MiB default) between
// good rows: an InputError at its line, or skipped with the rest read.
func TestDefaultLineLimit(t *testing.T) {
	content := "a,b\n1,2\n\"" + strings.Repeat("x", 17<<20) + "\",3\n4,5\n"
	p := writeFile(t, "huge.csv", content)
	_, _, _, err := readAll(t, p, ReadOptions{})
	var ie *config.InputError
	if !errors.As(err, &ie) || ie.Line != 3 || !strings.Contains(ie.Msg, "longer than") {
		t.Fatalf("error %v, want an InputError at line 3", err)
	}
	_, rows, r, err := readAll(t, p, ReadOptions{OnError: OnErrorSkip})
	if err != nil || len(rows) != 2 || rows[1][0] != "4" || r.Skipped().Count != 1 {
		t.Fatalf("skip: rows %v err %v skipped %+v", len(rows), err, r.Skipped())
	}
}

// TestCSVManyWindows reads a file several times the reader's 1 MiB window,
// so records end exactly at a window boundary somewhere (a past bug stopped there).
func TestCSVManyWindows(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("iiii,ss\n") // 8-byte records tile the window exactly
	const n = 300000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "%04d,ab\n", i%10000)
	}
	_, rows, _, err := readAll(t, writeFile(t, "big.csv", sb.String()), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || rows[n-1][0] != fmt.Sprintf("%04d", (n-1)%10000) {
		t.Fatalf("read %d rows, want %d", len(rows), n)
	}
}

func TestCorruptGzip(t *testing.T) {
	for name, content := range map[string]string{"t.csv.gz": "a,b\n" + strings.Repeat("1,2\n", 50000),
		"t.jsonl.gz": strings.Repeat("{\"a\":1}\n", 50000)} {
		var sb strings.Builder
		zw := gzip.NewWriter(&sb)
		io.WriteString(zw, content)
		zw.Close()
		full := sb.String()
		p := writeFile(t, name, full[:len(full)/2]) // truncated
		_, _, _, err := readAll(t, p, ReadOptions{})
		if !config.IsInput(err) || !strings.Contains(err.Error(), "gzip") {
			t.Errorf("%s: error %v, want an InputError about gzip", name, err)
		}
	}
}

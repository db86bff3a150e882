package explore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/config"
)

// fuzzRead reads content as the given format and checks the reader's
// contract: no panic, errors are InputErrors with a line, every row has
// every column.
func fuzzRead(t *testing.T, name string, content []byte, skip bool) {
	// A watchdog turns a hang into a crash that shows every stack; panics
	// stay on the test goroutine so the fuzzer reports them with the input.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			panic(fmt.Sprintf("reader hung on %q\n%s", content, buf[:n]))
		}
	}()
	fuzzReadOnce(t, name, content, skip)
}

func fuzzReadOnce(t *testing.T, name string, content []byte, skip bool) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Error(err)
		return
	}
	opts := ReadOptions{MaxLineBytes: 4096}
	if skip {
		opts.OnError = OnErrorSkip
	}
	r, err := Open(p, opts)
	if err != nil {
		checkInputErr(t, err)
		return
	}
	defer r.Close()
	nc := len(r.Columns())
	var b Batch
	for {
		err := r.Next(&b)
		if err == io.EOF {
			return
		}
		if err != nil {
			checkInputErr(t, err)
			return
		}
		if b.NumCols() != nc || len(b.off) != b.Len()*nc+1 || len(b.miss) != b.Len()*nc {
			t.Errorf("batch shape: %d cols (want %d), %d offsets, %d rows", b.NumCols(), nc, len(b.off), b.Len())
			return
		}
		for i := 0; i < b.Len(); i++ {
			if b.Line(i) < 1 {
				t.Errorf("row %d has line %d", i, b.Line(i))
				return
			}
			_ = b.Row(i)
		}
	}
}

func checkInputErr(t *testing.T, err error) {
	var ie *config.InputError
	if !errors.As(err, &ie) {
		t.Errorf("error %v (%T) is not an InputError", err, err)
		return
	}
	if ie.File == "" || ie.Msg == "" {
		t.Errorf("InputError without file or message: %+v", ie)
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a;b\r\n\"x\ny\";2\r\n", "\xEF\xBB\xBFa|b\n1|2", "a,b\n1\n", "a,\"b\n",
		"a\tb\n1\t2\n", "x\n\n\n", "\"\"\"\",a\n1,2\n"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	for _, s := range []string{"x\ninf\n-Infinity\n1e999\n", "a,b\nNaN,-nan\n+inf,INF\n", "t\n2021-03-01T08:00:00Z\n9223372036854775807\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		fuzzRead(t, "f.csv", data, skip)
		// The parallel parser gives the serial reader's result.
		path := filepath.Join(t.TempDir(), "p.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := ReadOptions{MaxLineBytes: 4096}
		if skip {
			opts.OnError = OnErrorSkip
		}
		compareParallel(t, path, opts)
		// Profiling never panics and its JSON always encodes (NaN, ±Inf).
		if p, err := ProfileFile(context.Background(), path, ProfileOptions{Read: opts, SkipHash: true}); err == nil {
			if _, err := json.Marshal(p); err != nil {
				t.Errorf("profile JSON: %v", err)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`[{"a":1,"b":"x"},{"a":null,"c":[1,2]}]`, "{\"a\":1}\n{\"a\":2}\n", `[1,2]`, `[{"a":1},`,
		`{"a":"\u00e9"}`, `[]`, `[{"a":{"b":{"c":1}}}]`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	for _, s := range []string{`[{"a":1e999},{"a":"inf"},{"a":-1e999},{"a":null}]`, "{\"x\":\"NaN\"}\n{\"x\":1.5}\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		fuzzRead(t, "f.json", data, skip)
		fuzzRead(t, "f.jsonl", data, skip)
		path := filepath.Join(t.TempDir(), "p.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if p, err := ProfileFile(context.Background(), path, ProfileOptions{SkipHash: true}); err == nil {
			if _, err := json.Marshal(p); err != nil {
				t.Errorf("profile JSON: %v", err)
			}
		}
	})
}

func isInput(err error) bool { return config.IsInput(err) }

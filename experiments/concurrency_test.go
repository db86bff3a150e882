package experiments

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const helperRecords = 1000

// TestTwoProcessesOneWorkspace is the TUI-and-CLI-at-once case: two OS
// processes (this test binary re-executed) Init the same fresh directory at
// the same moment and each write 1,000 records, one transaction per record,
// into the same store. Every write must succeed and none may be lost.
func TestTwoProcessesOneWorkspace(t *testing.T) {
	if os.Getenv("LATHE_HELPER_DIR") != "" {
		t.Skip("inside a helper")
	}
	dir := filepath.Join(t.TempDir(), "ws")
	barrierDir := t.TempDir()
	start := time.Now().Add(300 * time.Millisecond) // both Init after their exec overhead, if the machine allows
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
			cmd.Env = append(os.Environ(),
				"LATHE_HELPER_DIR="+dir,
				"LATHE_HELPER_SYNC="+barrierDir,
				"LATHE_HELPER_WHO="+strconv.Itoa(i),
				"LATHE_HELPER_START="+strconv.FormatInt(start.UnixNano(), 10))
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	var spans [2][2]int64
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("helper %d: %v\n%s", i, errs[i], outs[i])
		}
		if _, err := fmt.Sscanf(lineWith(string(outs[i]), "SPAN "), "SPAN %d %d", &spans[i][0], &spans[i][1]); err != nil {
			t.Fatalf("helper %d printed no span: %s", i, outs[i])
		}
	}
	// The writes must really have interleaved, or the test proves nothing.
	if spans[0][1] < spans[1][0] || spans[1][1] < spans[0][0] {
		t.Fatalf("the helpers did not overlap: %v", spans)
	}

	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	db := w.Store.DB()
	var runs, metrics, logs, distinctSeq int
	db.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE name LIKE 'helper-%'`).Scan(&runs)
	db.QueryRowContext(ctx, `SELECT count(*) FROM metrics`).Scan(&metrics)
	db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT seq) FROM logs`).Scan(&logs, &distinctSeq)
	if runs != 2*helperRecords || metrics != 2*helperRecords || logs != 2*helperRecords || distinctSeq != 2*helperRecords {
		t.Errorf("rows: runs %d, metrics %d, logs %d (distinct seq %d); want %d each", runs, metrics, logs, distinctSeq, 2*helperRecords)
	}
	for i := range 2 {
		var n int
		db.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE name LIKE ?`, fmt.Sprintf("helper-%d-%%", i)).Scan(&n)
		if n != helperRecords {
			t.Errorf("helper %d: %d runs, want %d", i, n, helperRecords)
		}
	}
	var migrationRows int
	db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&migrationRows)
	if migrationRows != len(migrations) {
		t.Errorf("schema_migrations has %d rows, want %d (applied once)", migrationRows, len(migrations))
	}
	t.Logf("helper write spans (ms): %.0f, %.0f", float64(spans[0][1]-spans[0][0])/1e6, float64(spans[1][1]-spans[1][0])/1e6)
}

// TestHelperProcess is one writer of TestTwoProcessesOneWorkspace.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("LATHE_HELPER_DIR")
	if dir == "" {
		t.Skip("only run as a helper process")
	}
	who := os.Getenv("LATHE_HELPER_WHO")
	startNs, _ := strconv.ParseInt(os.Getenv("LATHE_HELPER_START"), 10, 64)
	time.Sleep(time.Until(time.Unix(0, startNs)))

	w, err := Init(dir, "shared")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	// One shared run that both processes log into, so log seq numbering races.
	shared := Run{ID: "rshared00000", Name: "shared"}
	if err := w.Store.CreateRun(ctx, &shared); err != nil && !isUniqueViolation(err) {
		t.Fatal(err)
	}
	// Barriers at the start and at the half-way point force the two writers
	// to interleave even when the machine schedules one of them late.
	barrier := func(stage string) {
		syncDir := os.Getenv("LATHE_HELPER_SYNC")
		os.WriteFile(filepath.Join(syncDir, stage+"-"+who), nil, 0o644)
		other := "1"
		if who == "1" {
			other = "0"
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(syncDir, stage+"-"+other)); err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other helper never reached %s", stage)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	barrier("start")
	first := time.Now().UnixNano()
	for i := range helperRecords {
		if i == helperRecords/2 {
			barrier("half")
		}
		r := Run{Name: fmt.Sprintf("helper-%s-%d", who, i), Runner: "local"}
		if err := w.Store.CreateRun(ctx, &r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := w.Store.AppendMetrics(ctx, []MetricSample{{RunID: r.ID, Key: "loss", Step: int64(i), Value: float64(i)}}); err != nil {
			t.Fatalf("metric %d: %v", i, err)
		}
		if err := w.Store.AppendLogs(ctx, []LogLine{{RunID: shared.ID, Line: r.Name}}); err != nil {
			t.Fatalf("log %d: %v", i, err)
		}
	}
	fmt.Printf("SPAN %d %d\n", first, time.Now().UnixNano())
}

func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lathe-ml/lathe/runstatus"
)

// BenchmarkProvenance measures what recording a run's provenance costs: the
// time Launch spends before the run is queued (code version from git, input
// hashing and registration, the run row with its redacted env, the used
// edges) and the bytes each run adds to the store and the object store. The
// workspace is a git repository with the penguins splits as inputs (about 70
// kB); "dirty" leaves an uncommitted change, so every run also stores its
// patch. Each run writes one 10 kB output, harvested as an artifact.
//
//	go test ./engine -run '^$' -bench Provenance -benchtime 30x
func BenchmarkProvenance(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed")
	}
	for _, dirty := range []bool{false, true} {
		name := "clean"
		if dirty {
			name = "dirty"
		}
		b.Run(name, func(b *testing.B) {
			e := newEngine(b)
			ctx := context.Background()
			root := e.ws.Root
			gitB := func(args ...string) {
				cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=b", "-c", "user.email=b@example.com"}, args...)...)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			dataDir := filepath.Join(root, "data")
			os.MkdirAll(dataDir, 0o755)
			trainPath, valPath := penguinSplits(b, dataDir, 7)
			os.WriteFile(filepath.Join(root, "train.py"), []byte("lr = 0.1\n"), 0o644)
			os.WriteFile(filepath.Join(root, ".gitignore"), []byte("data/\n"), 0o644)
			gitB("init", "-q")
			gitB("add", ".")
			gitB("commit", "-q", "-m", "bench")
			if dirty {
				os.WriteFile(filepath.Join(root, "train.py"), []byte("lr = 0.3\nhidden = 64\n"), 0o644)
			}
			storeBytes := func() int64 {
				var pages, size int64
				db := e.ws.Store.DB()
				db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages)
				db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size)
				// Free pages are reused, not growth.
				var free int64
				db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free)
				return (pages - free) * size
			}
			objBytes := func() int64 {
				var n int64
				filepath.Walk(e.ws.Objects.Dir(), func(_ string, fi os.FileInfo, err error) error {
					if err == nil && fi.Mode().IsRegular() {
						n += fi.Size()
					}
					return nil
				})
				return n
			}
			req := LaunchRequest{Runner: "local", WorkDir: root,
				Command: sh(`head -c 10240 /dev/urandom > "$LATHE_OUTPUT_DIR/weights.bin"; echo '{"loss": 0.5}'`),
				Params:  map[string]string{"lr": "0.1", "hidden": "64"},
				Inputs:  map[string]string{"train": trainPath, "val": valPath},
				Env:     map[string]string{"OMP_NUM_THREADS": "4", "WANDB_API_KEY": "secret"}}
			// One run first, so the datasets (registered once, shared by every
			// later run) do not count as per-run bytes.
			r, err := e.Launch(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			waitRun(b, r)
			e.ws.Store.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			s0, o0 := storeBytes(), objBytes()
			var launch time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				r, err := e.Launch(ctx, req)
				launch += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if run := waitRun(b, r); run.Status != runstatus.Completed {
					b.Fatalf("run %s: %s", run.Status, run.Error)
				}
			}
			b.StopTimer()
			e.ws.Store.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			b.ReportMetric(float64(launch.Microseconds())/1000/float64(b.N), "launch-ms/run")
			b.ReportMetric(float64(storeBytes()-s0)/float64(b.N), "store-B/run")
			b.ReportMetric(float64(objBytes()-o0)/float64(b.N), "object-B/run")
			cv := time.Now()
			for range 10 {
				if _, err := e.ws.CodeVersion(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(cv).Microseconds())/10000, "codeversion-ms")
			h := time.Now()
			for range 10 {
				if _, _, err := ContentSHA(trainPath); err != nil {
					b.Fatal(err)
				}
			}
			fi, _ := os.Stat(trainPath)
			b.ReportMetric(float64(fi.Size())*10/time.Since(h).Seconds()/1e6, "hash-MB/s")
		})
	}
}

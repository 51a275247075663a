package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

// benchState and benchRecord are shaped like production: an ARN id ending
// in a random-looking suffix (so new findings land all over the key space,
// as Security Hub's UUIDs do) and a ~600-byte decision record (DESIGN §7).
func benchState(n int, t time.Time) store.State {
	return store.State{
		ID:          fmt.Sprintf("arn:aws:securityhub:eu-central-1:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.2/finding/%016x", uint64(n)*0x9E3779B97F4A7C15),
		Product:     "Security Hub",
		AccountID:   "123456789012",
		Region:      "eu-central-1",
		Title:       "EC2.2 VPC default security groups should not allow inbound or outbound traffic",
		Status:      store.StatusActive,
		Severity:    finding.SeverityHigh,
		Fingerprint: fmt.Sprintf("%016x", n*2654435761),
		FirstSeen:   t.Add(-time.Hour),
		LastSeen:    t,
		LastVerdict: "notify",
	}
}

var benchPad = func() string {
	b := make([]byte, 290)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return string(b)
}()

func benchRecord(s store.State) []byte {
	return fmt.Appendf(nil, `{"finding_id":%q,"product":%q,"account_id":%q,"region":%q,"severity":"HIGH","verdict":"notify","tier":2,"matched_rules":["fsbp-high"],"policy_commit":"4f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e","decided_at":%q,"enrichment":{"owner":"platform-team@example.com","pad":%q}}`,
		s.ID, s.Product, s.AccountID, s.Region, s.LastSeen.Format(time.RFC3339Nano), benchPad)
}

func benchEntries(first, n int, t time.Time) []store.Entry {
	es := make([]store.Entry, n)
	for i := range es {
		s := benchState(first+i, t)
		es[i] = store.Entry{State: s, Record: benchRecord(s)}
	}
	return es
}

// cpuMeter reports process CPU time (user+sys, all threads, background
// checkpoints included) per item: on a shared machine it moves far less
// than wall time when other processes compete for the cores.
type cpuMeter struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{cpuNow()} }

func (m cpuMeter) report(b *testing.B, items int, unit string) {
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), unit+"/s")
	b.ReportMetric(float64((cpuNow()-m.start).Nanoseconds())/1e3/float64(items), "cpu-µs/"+unit)
}

// BenchmarkApply appends new findings in batches to a file-backed store.
func BenchmarkApply(b *testing.B) {
	for _, sync := range []store.Sync{store.SyncNormal, store.SyncFull} {
		for _, batch := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("sync=%s/batch=%d", sync, batch), func(b *testing.B) {
				st := openSQLite(b, filepath.Join(b.TempDir(), "bench.db"), store.WithSync(sync))
				defer st.Close()
				ctx := context.Background()
				// Prebuild enough batches to keep generation out of the timing.
				pre := make([][]store.Entry, max(200_000/batch, 20))
				for i := range pre {
					pre[i] = benchEntries(i*batch, batch, time.Now())
				}
				b.SetBytes(int64(len(pre[0][0].Record)) * int64(batch))
				n := 0
				cpu := startCPU()
				for b.Loop() {
					if err := st.Apply(ctx, pre[n%len(pre)]); err != nil {
						b.Fatal(err)
					}
					n++
				}
				cpu.report(b, n*batch, "entry")
			})
		}
	}
}

// loadRows is the table size for BenchmarkLoad and BenchmarkTrack
// (WARDEN_BENCH_ROWS overrides it).
func loadRows() int {
	if v, err := strconv.Atoi(os.Getenv("WARDEN_BENCH_ROWS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// big is the large store BenchmarkLoad and BenchmarkTrack share, built on
// first use and removed by TestMain.
var big struct {
	once sync.Once
	dir  string
	st   *store.SQLite
	now  time.Time // LastSeen of every stored finding
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if big.st != nil {
		big.st.Close()
	}
	if big.dir != "" {
		os.RemoveAll(big.dir)
	}
	os.Exit(code)
}

// bigStore returns a file-backed store holding loadRows() findings (and as
// many audit records), filled through Apply in batches of 5000.
func bigStore(b *testing.B) *store.SQLite {
	b.Helper()
	rows := loadRows()
	big.once.Do(func() {
		if big.dir, big.err = os.MkdirTemp("", "warden-bench-"); big.err != nil {
			return
		}
		ctx := context.Background()
		if big.st, big.err = store.OpenSQLite(ctx, filepath.Join(big.dir, "big.db")); big.err != nil {
			return
		}
		big.now = time.Now().UTC()
		start := time.Now()
		for i := 0; i < rows && big.err == nil; i += 5000 {
			big.err = big.st.Apply(ctx, benchEntries(i, min(5000, rows-i), big.now))
		}
		fmt.Fprintf(os.Stderr, "filled %d findings in %v\n", rows, time.Since(start).Round(time.Millisecond))
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
	return big.st
}

// BenchmarkLoad loads 1000 ids, 90% of them present, from a table of
// loadRows() findings.
func BenchmarkLoad(b *testing.B) {
	rows := loadRows()
	st := bigStore(b)
	ctx := context.Background()
	now := time.Now()
	const per = 1000
	sets := make([][]string, 64)
	for i := range sets {
		ids := make([]string, per)
		for j := range ids {
			ids[j] = benchState((i*7919+j*104729)%rows, now).ID
			if j%10 == 9 {
				ids[j] = "absent-" + ids[j]
			}
		}
		sets[i] = ids
	}
	n := 0
	cpu := startCPU()
	for b.Loop() {
		got, err := st.Load(ctx, sets[n%len(sets)])
		if err != nil || len(got) != per*9/10 {
			b.Fatalf("Load = %d states, %v", len(got), err)
		}
		n++
	}
	cpu.report(b, n*per, "id")
}

// BenchmarkTrack is the store's share of the pipeline, per batch of 1000
// findings: one Load of their ids and one Apply of their new states and
// decision records. Half the findings are new, half known; "changed"
// moves the known ones' LastSeen, "unchanged" re-applies their stored
// state as is (a duplicate the tracker did not touch), which the store
// does not rewrite.
func BenchmarkTrack(b *testing.B) {
	for _, changed := range []bool{true, false} {
		b.Run(map[bool]string{true: "known=changed", false: "known=unchanged"}[changed], func(b *testing.B) {
			benchmarkTrack(b, changed)
		})
	}
}

var trackNext = 10_000_000 // new ids, unseen whichever benchmark ran before

func benchmarkTrack(b *testing.B, changed bool) {
	rows := loadRows()
	st := bigStore(b)
	ctx := context.Background()
	const per = 1000
	later := time.Now().UTC() // differs from every earlier run's
	parity := 0               // changed runs use even rows, unchanged odd ones
	if !changed {
		parity = 1
	}
	// Prebuild the batches: generation stays out of both clocks.
	batches := make([][]store.Entry, 200)
	ids := make([][]string, len(batches))
	for n := range batches {
		batches[n], ids[n] = make([]store.Entry, per), make([]string, per)
		for j := range per {
			s := benchState((2*(n*per*31+j*7919)+parity)%rows, big.now)
			if changed {
				s.LastSeen = later
			}
			if j%2 == 1 {
				s = benchState(trackNext, later)
				trackNext++
			}
			batches[n][j], ids[n][j] = store.Entry{State: s, Record: benchRecord(s)}, s.ID
		}
	}
	n := 0
	var inLoad, inApply time.Duration
	cpu := startCPU()
	for b.Loop() {
		if n == len(batches) {
			b.Fatalf("ran out of prebuilt batches; use -benchtime %dx or less", len(batches))
		}
		t0 := time.Now()
		if _, err := st.Load(ctx, ids[n]); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := st.Apply(ctx, batches[n]); err != nil {
			b.Fatal(err)
		}
		inLoad, inApply = inLoad+t1.Sub(t0), inApply+time.Since(t1)
		n++
	}
	cpu.report(b, n*per, "finding")
	b.ReportMetric(float64(inLoad.Microseconds())/1e3/float64(n), "ms/Load")
	b.ReportMetric(float64(inApply.Microseconds())/1e3/float64(n), "ms/Apply")
}

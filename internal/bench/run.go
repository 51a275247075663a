package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

// Config sets up a run.
type Config struct {
	Rules      int
	Records    int
	Duplicates float64 // share of records that re-send an earlier one
	Seed       uint64
	Dir        string // work folder (policy repo and state file); a temp dir when ""
	// Rate paces input at this many records per second (0: as fast as the
	// pipeline takes them). Latency figures mean something only at a rate
	// the pipeline sustains; at full speed they measure queueing.
	Rate float64
}

// Result is the one JSON line `warden bench` prints.
type Result struct {
	Records        int              `json:"records"`
	Findings       int64            `json:"findings"`
	Rules          int              `json:"rules"`
	Rate           float64          `json:"rate,omitempty"`
	Batches        int64            `json:"batches"`
	Detections     int              `json:"detections"`
	DuplicateRatio float64          `json:"duplicate_ratio"`
	Seconds        float64          `json:"seconds"`
	FindingsPerSec float64          `json:"findings_per_sec"`
	RecordsPerSec  float64          `json:"records_per_sec"`
	P50DecisionUS  int64            `json:"p50_decision_us"`
	P99DecisionUS  int64            `json:"p99_decision_us"`
	PolicyLoadMS   float64          `json:"policy_load_ms"`
	Verdicts       map[string]int64 `json:"verdicts"`
	Rejected       int64            `json:"rejected"`
	Store          string           `json:"store"`
	GOMAXPROCS     int              `json:"gomaxprocs"`
	HeapAfterMB    float64          `json:"heap_after_mb"`
}

// Run generates the repo and the records, then pushes every record through
// the full pipeline with a durable SQLite store. Latency is measured per
// finding from the moment its record enters the pipeline to the moment its
// decision is durable and emitted.
func Run(ctx context.Context, cfg Config) (Result, error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "warden-bench-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	repo := filepath.Join(dir, "policy")
	if err := WriteRepo(repo, cfg.Rules, cfg.Seed); err != nil {
		return Result{}, fmt.Errorf("writing policy repo: %w", err)
	}
	t0 := time.Now()
	ps, err := policy.Load(repo)
	if err != nil {
		return Result{}, fmt.Errorf("loading generated policy repo: %w", err)
	}
	loadMS := float64(time.Since(t0).Microseconds()) / 1000
	dbPath := filepath.Join(dir, "bench.db")
	st, err := store.OpenSQLite(ctx, dbPath)
	if err != nil {
		return Result{}, err
	}
	defer st.Close()

	gen := NewGenerator(cfg.Seed, cfg.Duplicates)
	recs := make([][]byte, cfg.Records)
	for i := range recs {
		recs[i] = gen.Next()
	}
	start := make([]int64, cfg.Records)
	lat := make([]int64, 0, cfg.Records*2)
	epoch := time.Now()
	p := pipeline.New(pipeline.Options{
		Policy: ps, Store: st, BatchSize: 512,
		Emit: func(r *decide.Record, _ []byte) error {
			lat = append(lat, int64(time.Since(epoch))-start[r.Source.Index])
			return nil
		},
	})
	begin := time.Now()
	err = p.Feed(ctx, func(_ context.Context, send func(source.Record) error) error {
		for i, b := range recs {
			if cfg.Rate > 0 {
				due := time.Duration(float64(i) / cfg.Rate * float64(time.Second))
				if wait := due - time.Since(begin); wait > 0 {
					time.Sleep(wait)
				}
			}
			start[i] = int64(time.Since(epoch))
			if err := send(source.Record{Data: b, Origin: finding.Origin{Source: "bench", Index: i}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	secs := time.Since(begin).Seconds()
	stats := p.Stats()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) int64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))] / 1000
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	det := 0
	if ps.Detect != nil {
		det = len(ps.Detections)
	}
	return Result{
		Records: cfg.Records, Findings: stats.Findings, Rules: len(ps.Rules), Detections: det, Rate: cfg.Rate, Batches: stats.Batches,
		DuplicateRatio: cfg.Duplicates, Seconds: secs,
		FindingsPerSec: float64(stats.Findings) / secs, RecordsPerSec: float64(cfg.Records) / secs,
		P50DecisionUS: pct(0.50), P99DecisionUS: pct(0.99), PolicyLoadMS: loadMS,
		Verdicts: stats.Verdicts, Rejected: stats.Rejected, Store: "sqlite",
		GOMAXPROCS: runtime.GOMAXPROCS(0), HeapAfterMB: float64(ms.HeapAlloc) / (1 << 20),
	}, nil
}

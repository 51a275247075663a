package pipeline_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/bench"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

func genRepo(t testing.TB, rules int) *policy.Set {
	t.Helper()
	dir := t.TempDir()
	if err := bench.WriteRepo(dir, rules, 1); err != nil {
		t.Fatal(err)
	}
	ps, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func feed(ctx context.Context, p *pipeline.Pipeline, recs [][]byte) error {
	return p.Feed(ctx, func(_ context.Context, send func(source.Record) error) error {
		for i, b := range recs {
			if err := send(source.Record{Data: b, Origin: finding.Origin{Source: "test", Index: i}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestOrderWithinBatch: versions of one finding in the same batch are
// decided in input order, each seeing the state the previous one left.
func TestOrderWithinBatch(t *testing.T) {
	ps := genRepo(t, 50)
	gen := bench.NewGenerator(3, 0)
	var recs [][]byte
	for i := 0; i < 40; i++ {
		r := gen.Next()
		recs = append(recs, r, r) // each record twice in a row
	}
	var got []decide.Record
	p := pipeline.New(pipeline.Options{Policy: ps, Store: store.NewMemory(), BatchSize: 1000, Workers: 2,
		Clock: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) },
		Emit:  func(r *decide.Record, _ []byte) error { got = append(got, *r); return nil }})
	if err := feed(context.Background(), p, recs); err != nil {
		t.Fatal(err)
	}
	if p.Stats().Rejected != 0 {
		t.Fatalf("rejected %d generated records", p.Stats().Rejected)
	}
	byIndex := map[int][]decide.Record{}
	for _, r := range got {
		byIndex[r.Source.Index] = append(byIndex[r.Source.Index], r)
	}
	for i := 1; i < len(recs); i += 2 {
		for _, r := range byIndex[i] {
			if r.Verdict != decide.Duplicate {
				t.Errorf("record %d (repeat of %d): %s verdict %s, want duplicate", i, i-1, r.FindingID, r.Verdict)
			}
		}
	}
	// Decisions come out in input order.
	last := -1
	for _, r := range got {
		if r.Source.Index < last {
			t.Fatalf("decision for record %d after record %d", r.Source.Index, last)
		}
		last = r.Source.Index
	}
}

// BenchmarkPipeline measures normalize → detect → match → track → decide →
// audit with 1,000 rules, per store.
func BenchmarkPipeline(b *testing.B) {
	ps := genRepo(b, 1000)
	gen := bench.NewGenerator(1, 0.3)
	recs := make([][]byte, 20000)
	for i := range recs {
		recs[i] = gen.Next()
	}
	for _, kind := range []string{"memory", "sqlite"} {
		b.Run("store="+kind, func(b *testing.B) {
			var st store.Store = store.NewMemory()
			if kind == "sqlite" {
				s, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "b.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				st = s
			}
			p := pipeline.New(pipeline.Options{Policy: ps, Store: st, BatchSize: 512})
			b.ResetTimer()
			batch := make([][]byte, 0, b.N)
			for i := 0; i < b.N; i++ {
				batch = append(batch, recs[i%len(recs)])
			}
			if err := feed(context.Background(), p, batch); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(p.Stats().Findings)/b.Elapsed().Seconds(), "findings/s")
			b.ReportMetric(float64(p.Stats().Findings)/float64(max(p.Stats().Batches, 1)), "findings/batch")
		})
	}
}

// failingStore fails every Apply, like a database that went away.
type failingStore struct{ store.Store }

func (failingStore) Apply(context.Context, []store.Entry) error {
	return errors.New("database is locked")
}

// TestNothingEmittedUnlessDurable: when the store cannot commit, no
// decision is emitted (acknowledged) and Run reports the store's error.
func TestNothingEmittedUnlessDurable(t *testing.T) {
	ps := genRepo(t, 10)
	gen := bench.NewGenerator(5, 0)
	emitted := 0
	p := pipeline.New(pipeline.Options{Policy: ps, Store: failingStore{store.NewMemory()},
		Emit: func(*decide.Record, []byte) error { emitted++; return nil }})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := make(chan source.Record)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, in) }()
	var err error
feed:
	for i := 0; i < 5000; i++ {
		select {
		case in <- source.Record{Data: gen.Next(), Origin: finding.Origin{Source: "t", Index: i}}:
		case err = <-done:
			break feed
		}
	}
	if err == nil {
		close(in)
		err = <-done
	}
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("Run error = %v, want the store's", err)
	}
	if emitted != 0 {
		t.Fatalf("%d decisions emitted although none was stored", emitted)
	}
}

// TestFeedStopsProducerWhenPipelineFails: a producer that keeps sending
// is released as soon as the pipeline stops.
func TestFeedStopsProducerWhenPipelineFails(t *testing.T) {
	ps := genRepo(t, 10)
	gen := bench.NewGenerator(9, 0)
	p := pipeline.New(pipeline.Options{Policy: ps, Store: failingStore{store.NewMemory()}})
	sent := 0
	err := p.Feed(context.Background(), func(_ context.Context, send func(source.Record) error) error {
		for {
			if err := send(source.Record{Data: gen.Next(), Origin: finding.Origin{Source: "t", Index: sent}}); err != nil {
				return err
			}
			sent++
		}
	})
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("Feed error = %v, want the store's", err)
	}
}

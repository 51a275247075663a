package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/wardenhq/warden/internal/store"
)

// Location returns an opener bound to a new, empty place to keep a store
// (a temporary file, a fresh database schema): every call of the opener
// opens the same data again.
type Location func(t *testing.T) Opener

// RunPersistent runs the suite for stores that outlive Close: what was
// applied is there after reopening, the chain continues, and two stores
// open on the same data at once (two processes, two replicas) still write
// one chain. It runs Run too.
func RunPersistent(t *testing.T, at Location) {
	t.Helper()
	Run(t, func(t *testing.T) store.Store { return at(t)(t) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, at(t)) })
	t.Run("TwoHandles", func(t *testing.T) { testTwoHandles(t, at(t)) })
}

func testReopen(t *testing.T, open Opener) {
	st := open(t)
	es := entries("keep", 50)
	es[7].State.SuppressedBy = "rule-7"
	apply(t, st, es[:20]...)
	apply(t, st, es[20:]...)
	before := all(t, st)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	st = fresh(t, open)
	ids := make([]string, len(es))
	want := make([]store.State, len(es))
	for i, e := range es {
		ids[i], want[i] = e.State.ID, e.State
	}
	checkStates(t, load(t, st, ids...), want...)
	after := all(t, st)
	if len(after) != len(before) {
		t.Fatalf("reopened chain has %d records, want %d", len(after), len(before))
	}
	checkLinks(t, after, 1)
	for i := range before {
		if fmt.Sprint(before[i]) != fmt.Sprint(after[i]) {
			t.Fatalf("record %d changed across reopen", before[i].Seq)
		}
	}
	counts, err := st.SuppressionCounts(context.Background())
	if err != nil || fmt.Sprint(counts) != "map[rule-7:1]" {
		t.Errorf("SuppressionCounts after reopen = %v, %v; want map[rule-7:1]", counts, err)
	}
	apply(t, st, entries("more", 5)...)
	if n := verify(t, st); n != 55 {
		t.Errorf("chain has %d records after reopen and Apply, want 55", n)
	}
}

func testTwoHandles(t *testing.T, open Opener) {
	a, b := fresh(t, open), fresh(t, open)
	const batches, per = 25, 4
	var wg sync.WaitGroup
	errc := make(chan error, 2*batches)
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		wg.Go(func() {
			for i := range batches {
				if err := st.Apply(context.Background(), entries(fmt.Sprintf("%s%d", name, i), per)); err != nil {
					errc <- err
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for name, st := range map[string]store.Store{"a": a, "b": b} {
		recs := all(t, st)
		if len(recs) != 2*batches*per {
			t.Fatalf("store %s sees %d records, want %d", name, len(recs), 2*batches*per)
		}
		checkLinks(t, recs, 1)
		if got := load(t, st, "a0-0", "b24-3"); len(got) != 2 {
			t.Errorf("store %s sees %d of 2 states written through both", name, len(got))
		}
	}
}

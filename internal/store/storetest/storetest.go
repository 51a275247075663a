// Package storetest is the conformance suite every store.Store passes:
// SQLite (file and :memory:), Memory, Overlay and, later, PostgreSQL.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory() })
//	}
//
// Run covers what any Store must do; RunPersistent adds what a store that
// outlives Close must do.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

// Opener returns a new, empty store. Run closes it when the test ends (a
// second Close must be harmless).
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"RoundTrip", testRoundTrip},
		{"UpsertOverwrites", testUpsertOverwrites},
		{"EachFieldUpdates", testEachFieldUpdates},
		{"LoadMissing", testLoadMissing},
		{"LoadMany", testLoadMany},
		{"RejectsInvalidEntry", testRejectsInvalidEntry},
		{"CancelledBeforeApply", testCancelledBeforeApply},
		{"CancelledDuringApply", testCancelledDuringApply},
		{"RecordBytesKept", testRecordBytesKept},
		{"ChainLinks", testChainLinks},
		{"ConcurrentApply", testConcurrentApply},
		{"AuditAfter", testAuditAfter},
		{"AuditStopsOnError", testAuditStopsOnError},
		{"AuditCallbackUsesStore", testAuditCallbackUsesStore},
		{"SuppressionCounts", testSuppressionCounts},
		{"Closed", testClosed},
		{"JobsWithEntries", testJobsWithEntries},
		{"UpdateJobs", testUpdateJobs},
		{"UpdateJobsAttempts", testUpdateJobsAttempts},
		{"RefsAndStates", testRefsAndStates},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

// fresh opens a store and closes it at the end of the test.
func fresh(t *testing.T, open Opener) store.Store {
	t.Helper()
	st := open(t)
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// state returns a fully populated state for id; n varies the contents.
func state(id string, n int) store.State {
	base := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	return store.State{
		ID:           id,
		Product:      "GuardDuty",
		AccountID:    "123456789012",
		Region:       "eu-central-1",
		Title:        fmt.Sprintf("Finding %d", n),
		Status:       store.StatusActive,
		Severity:     finding.Severity(n % 6),
		Fingerprint:  fmt.Sprintf("fp-%08x", n),
		FirstSeen:    base.Add(time.Duration(n) * time.Second),
		LastSeen:     base.Add(time.Duration(n) * time.Minute),
		LastNotified: base.Add(time.Duration(n) * time.Millisecond),
		NotifyCount:  n,
		LastVerdict:  "notify",
	}
}

// record returns a decision record for a state.
func record(s store.State, n int) []byte {
	return fmt.Appendf(nil, `{"finding_id":%q,"verdict":%q,"n":%d}`, s.ID, s.LastVerdict, n)
}

func entry(id string, n int) store.Entry {
	s := state(id, n)
	return store.Entry{State: s, Record: record(s, n)}
}

func entries(prefix string, n int) []store.Entry {
	es := make([]store.Entry, n)
	for i := range es {
		es[i] = entry(fmt.Sprintf("%s-%d", prefix, i), i)
	}
	return es
}

func apply(t *testing.T, st store.Store, es ...store.Entry) {
	t.Helper()
	if err := st.Apply(context.Background(), es); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func load(t *testing.T, st store.Store, ids ...string) map[string]store.State {
	t.Helper()
	got, err := st.Load(context.Background(), ids)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

// all reads the whole audit chain.
func all(t *testing.T, st store.Store) []store.AuditRecord {
	t.Helper()
	var recs []store.AuditRecord
	if err := st.Audit(context.Background(), 0, func(r store.AuditRecord) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return recs
}

// verify checks the whole chain with audit.Verify and returns its length.
func verify(t *testing.T, st store.Store) int64 {
	t.Helper()
	rep, err := audit.Verify(context.Background(), st)
	if err != nil {
		t.Fatalf("audit.Verify: %v", err)
	}
	if rep.Broken != nil {
		t.Fatalf("audit.Verify: chain broken: %s", rep.Broken.Reason)
	}
	return rep.Records
}

// sameState reports how got differs from want as a store returns it:
// times equal and in UTC, every other field identical.
func sameState(want, got store.State) error {
	var errs []error
	for _, f := range []struct {
		name      string
		want, got time.Time
	}{
		{"FirstSeen", want.FirstSeen, got.FirstSeen},
		{"LastSeen", want.LastSeen, got.LastSeen},
		{"LastNotified", want.LastNotified, got.LastNotified},
	} {
		switch {
		case f.want.IsZero() != f.got.IsZero(), !f.want.Equal(f.got):
			errs = append(errs, fmt.Errorf("%s = %v, want %v", f.name, f.got, f.want))
		case !f.got.IsZero() && f.got.Location() != time.UTC:
			errs = append(errs, fmt.Errorf("%s in %v, want UTC", f.name, f.got.Location()))
		}
	}
	want.FirstSeen, want.LastSeen, want.LastNotified = time.Time{}, time.Time{}, time.Time{}
	got.FirstSeen, got.LastSeen, got.LastNotified = time.Time{}, time.Time{}, time.Time{}
	if want != got {
		errs = append(errs, fmt.Errorf("got %+v, want %+v", got, want))
	}
	return errors.Join(errs...)
}

func checkStates(t *testing.T, got map[string]store.State, want ...store.State) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Load returned %d states, want %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := got[w.ID]
		if !ok {
			t.Errorf("Load: %q missing", w.ID)
			continue
		}
		if err := sameState(w, g); err != nil {
			t.Errorf("Load %q: %v", w.ID, err)
		}
	}
}

// checkLinks checks that recs are the chain from Seq first on.
func checkLinks(t *testing.T, recs []store.AuditRecord, first int64) {
	t.Helper()
	for i, r := range recs {
		if want := first + int64(i); r.Seq != want {
			t.Fatalf("record %d has Seq %d, want %d", i, r.Seq, want)
		}
		if r.Seq == 1 && !bytes.Equal(r.PrevHash, audit.Genesis) {
			t.Fatalf("record 1: PrevHash %x, want genesis", r.PrevHash)
		}
		if i > 0 && !bytes.Equal(r.PrevHash, recs[i-1].Hash) {
			t.Fatalf("record %d: PrevHash does not match the hash of record %d", r.Seq, r.Seq-1)
		}
		if !bytes.Equal(r.Hash, audit.Link(r.PrevHash, r.Record)) {
			t.Fatalf("record %d: Hash is not audit.Link(PrevHash, Record)", r.Seq)
		}
	}
}

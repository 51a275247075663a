package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

func testRoundTrip(t *testing.T, open Opener) {
	st := fresh(t, open)
	berlin := time.FixedZone("CEST", 2*3600)
	var want []store.State
	for sev := finding.SeverityUnknown; sev <= finding.SeverityCritical; sev++ {
		s := state(fmt.Sprintf("arn:aws:guardduty:eu-central-1:123456789012:detector/x/finding/%d", sev), int(sev))
		s.Severity = sev
		want = append(want, s)
	}
	want[0].LastNotified = time.Time{} // never notified
	want[0].NotifyCount = 0
	want[1].Title = "Ünïcödé – 中文 – emoji 🚨 – quote \" ' \\ and NUL-free"
	want[1].SuppressedBy = "sandbox-default-vpc"
	want[1].Status = store.StatusSuppressed
	want[2].FirstSeen = want[2].FirstSeen.In(berlin) // comes back in UTC
	want[2].Status = store.StatusResolved
	want[3] = store.State{ID: "only-an-id"} // every other field zero
	want[4].FirstSeen = time.Now()          // monotonic reading, nanoseconds
	want[5].NotifyCount = 1 << 30

	es := make([]store.Entry, len(want))
	ids := make([]string, len(want))
	for i, s := range want {
		es[i] = store.Entry{State: s, Record: record(s, i)}
		ids[i] = s.ID
	}
	apply(t, st, es...)
	checkStates(t, load(t, st, ids...), want...)
}

func testUpsertOverwrites(t *testing.T, open Opener) {
	st := fresh(t, open)
	first := state("f-1", 3)
	first.SuppressedBy = "rule-a"
	apply(t, st, store.Entry{State: first, Record: record(first, 0)})

	second := store.State{
		ID: "f-1", Product: "Security Hub", AccountID: "210987654321", Region: "us-east-1",
		Title: "changed", Status: store.StatusResolved, Severity: finding.SeverityCritical,
		Fingerprint: "fp-2", FirstSeen: first.FirstSeen, LastSeen: first.LastSeen.Add(time.Hour),
		NotifyCount: 7, LastVerdict: "resolved", // LastNotified and SuppressedBy back to zero
	}
	apply(t, st, store.Entry{State: second, Record: record(second, 1)})
	checkStates(t, load(t, st, "f-1"), second)

	// The same id twice in one batch: the later entry wins.
	third, fourth := second, second
	third.Title, fourth.Title = "third", "fourth"
	apply(t, st, store.Entry{State: third, Record: record(third, 2)}, store.Entry{State: fourth, Record: record(fourth, 3)})
	checkStates(t, load(t, st, "f-1"), fourth)
	if n := verify(t, st); n != 4 {
		t.Errorf("chain has %d records, want 4 (one per entry, overwritten or not)", n)
	}
}

// testEachFieldUpdates changes one field at a time: a store that skips
// writing unchanged rows must still see every change, and an identical
// re-apply must still append its record.
func testEachFieldUpdates(t *testing.T, open Opener) {
	st := fresh(t, open)
	base := state("one-field", 2)
	base.SuppressedBy = "rule-a"
	base.Status = store.StatusSuppressed
	apply(t, st, store.Entry{State: base, Record: record(base, 0)})
	later := time.Date(2027, 1, 2, 3, 4, 5, 6, time.UTC)
	for i, change := range []struct {
		field string
		set   func(*store.State)
	}{
		{"nothing", func(*store.State) {}},
		{"Product", func(s *store.State) { s.Product = "Inspector" }},
		{"AccountID", func(s *store.State) { s.AccountID = "000000000001" }},
		{"Region", func(s *store.State) { s.Region = "ap-south-2" }},
		{"Title", func(s *store.State) { s.Title = "renamed" }},
		{"Status", func(s *store.State) { s.Status = store.StatusResolved }},
		{"Severity", func(s *store.State) { s.Severity = finding.SeverityCritical }},
		{"Fingerprint", func(s *store.State) { s.Fingerprint = "fp-new" }},
		{"FirstSeen", func(s *store.State) { s.FirstSeen = later }},
		{"LastSeen", func(s *store.State) { s.LastSeen = later }},
		{"LastNotified", func(s *store.State) { s.LastNotified = time.Time{} }},
		{"NotifyCount", func(s *store.State) { s.NotifyCount = 99 }},
		{"SuppressedBy", func(s *store.State) { s.SuppressedBy = "" }},
		{"LastVerdict", func(s *store.State) { s.LastVerdict = "escalate" }},
		{"StatusAndTitle", func(s *store.State) { s.Status, s.Title = store.StatusActive, "both" }},
	} {
		change.set(&base)
		apply(t, st, store.Entry{State: base, Record: record(base, i+1)})
		got := load(t, st, base.ID)
		if err := sameState(base, got[base.ID]); err != nil {
			t.Errorf("after changing %s: %v", change.field, err)
		}
	}
	if n := verify(t, st); n != 16 {
		t.Errorf("chain has %d records, want 16 (identical states are audited too)", n)
	}
}

func testLoadMissing(t *testing.T, open Opener) {
	st := fresh(t, open)
	if got := load(t, st, "nope"); len(got) != 0 {
		t.Errorf("Load on an empty store = %v, want empty", got)
	}
	apply(t, st, entry("a", 1), entry("b", 2))
	got := load(t, st, "a", "missing", "b", "a", "")
	checkStates(t, got, state("a", 1), state("b", 2))
	got = load(t, st)
	if got == nil || len(got) != 0 {
		t.Errorf("Load() = %#v, want an empty non-nil map", got)
	}
}

// testLoadMany loads more ids than one SQL statement can bind.
func testLoadMany(t *testing.T, open Opener) {
	st := fresh(t, open)
	const n = 3000
	es := entries("many", n)
	apply(t, st, es...)
	var ids []string
	var want []store.State
	for i := 0; i < n; i += 2 {
		ids = append(ids, es[i].State.ID, fmt.Sprintf("absent-%d", i))
		want = append(want, es[i].State)
	}
	checkStates(t, load(t, st, ids...), want...)
}

func testRejectsInvalidEntry(t *testing.T, open Opener) {
	for _, c := range []struct {
		name string
		bad  store.Entry
	}{
		{"EmptyID", store.Entry{State: store.State{Title: "no id"}, Record: []byte(`{}`)}},
		{"EmptyRecord", store.Entry{State: state("no-record", 1)}},
		{"TimeOutOfRange", store.Entry{State: store.State{ID: "y3000", LastSeen: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, Record: []byte(`{}`)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := fresh(t, open)
			apply(t, st, entry("before", 0))
			batch := append(entries("batch", 5), c.bad)
			if err := st.Apply(context.Background(), batch); err == nil {
				t.Fatal("Apply with an invalid entry succeeded, want an error")
			}
			ids := []string{c.bad.State.ID}
			for _, e := range batch[:5] {
				ids = append(ids, e.State.ID)
			}
			if got := load(t, st, ids...); len(got) != 0 {
				t.Errorf("failed Apply left %d states behind", len(got))
			}
			if recs := all(t, st); len(recs) != 1 {
				t.Errorf("failed Apply left the chain at %d records, want 1", len(recs))
			}
			apply(t, st, entry("after", 1))
			if n := verify(t, st); n != 2 {
				t.Errorf("chain has %d records after the next Apply, want 2", n)
			}
		})
	}
}

func testCancelledBeforeApply(t *testing.T, open Opener) {
	st := fresh(t, open)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := st.Apply(ctx, entries("c", 10))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context = %v, want context.Canceled", err)
	}
	if got := load(t, st, "c-0", "c-9"); len(got) != 0 {
		t.Errorf("cancelled Apply left %d states behind", len(got))
	}
	if recs := all(t, st); len(recs) != 0 {
		t.Errorf("cancelled Apply left %d audit records behind", len(recs))
	}
}

// testCancelledDuringApply cancels large batches at varying points: each
// must land whole or not at all, whichever the cancellation hit.
func testCancelledDuringApply(t *testing.T, open Opener) {
	st := fresh(t, open)
	const batch = 2000
	var wantRecs int
	for round, delay := range []time.Duration{0, 10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		es := entries(fmt.Sprintf("r%d", round), batch)
		timer := time.AfterFunc(delay, cancel)
		err := st.Apply(ctx, es)
		timer.Stop()
		cancel()
		got := load(t, st, es[0].State.ID, es[batch/2].State.ID, es[batch-1].State.ID)
		switch {
		case err == nil && len(got) != 3:
			t.Errorf("round %d: Apply succeeded but %d of 3 probed states are stored", round, len(got))
		case err != nil && len(got) != 0:
			t.Errorf("round %d: Apply failed (%v) but left %d of 3 probed states behind", round, err, len(got))
		case err != nil && !errors.Is(err, context.Canceled):
			t.Errorf("round %d: Apply = %v, want context.Canceled", round, err)
		}
		if err == nil {
			wantRecs += batch
		}
		if n := verify(t, st); n != int64(wantRecs) {
			t.Fatalf("round %d: chain has %d records, want %d", round, n, wantRecs)
		}
	}
}

func testRecordBytesKept(t *testing.T, open Opener) {
	st := fresh(t, open)
	raw := []byte{0, 1, 2, 0xff, 0xfe, '\n', '"', 0}
	pretty := []byte("{\n  \"verdict\": \"notify\"\n}\n")
	buf := []byte(`{"finding_id":"r-3"}`)
	apply(t, st,
		store.Entry{State: state("r-1", 1), Record: raw},
		store.Entry{State: state("r-2", 2), Record: pretty},
		store.Entry{State: state("r-3", 3), Record: buf},
	)
	copy(buf, "XXXXXXXX") // the caller may reuse its buffer after Apply
	recs := all(t, st)
	for i, want := range [][]byte{raw, pretty, []byte(`{"finding_id":"r-3"}`)} {
		if !bytes.Equal(recs[i].Record, want) {
			t.Errorf("record %d = %q, want %q", i+1, recs[i].Record, want)
		}
	}
	recs[0].Record[0] = 'X' // nor may a reader change the stored chain
	verify(t, st)
}

func testChainLinks(t *testing.T, open Opener) {
	st := fresh(t, open)
	for i := range 5 {
		apply(t, st, entries(fmt.Sprintf("b%d", i), i+1)...)
	}
	recs := all(t, st)
	if len(recs) != 15 {
		t.Fatalf("chain has %d records, want 15", len(recs))
	}
	checkLinks(t, recs, 1)
	if err := st.Apply(context.Background(), nil); err != nil {
		t.Errorf("Apply(nil) = %v, want nil", err)
	}
	if n := verify(t, st); n != 15 {
		t.Errorf("chain has %d records after an empty Apply, want 15", n)
	}
}

// testConcurrentApply races writers and readers; the result must be one
// contiguous chain in which every batch is contiguous and in order.
func testConcurrentApply(t *testing.T, open Opener) {
	st := fresh(t, open)
	const writers, batches, per = 8, 20, 5
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, writers*batches+2*writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				if err := st.Apply(ctx, entries(fmt.Sprintf("w%d-b%d", w, b), per)); err != nil {
					errc <- err
					return
				}
			}
		})
		wg.Go(func() { // readers beside the writers
			for b := range batches {
				if _, err := st.Load(ctx, []string{fmt.Sprintf("w%d-b%d-0", w, b)}); err != nil {
					errc <- err
				}
				if err := st.Audit(ctx, int64(b*per), func(store.AuditRecord) error { return nil }); err != nil {
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
	recs := all(t, st)
	if len(recs) != writers*batches*per {
		t.Fatalf("chain has %d records, want %d", len(recs), writers*batches*per)
	}
	checkLinks(t, recs, 1)
	seen := map[string]bool{}
	for i := 0; i < len(recs); i += per {
		batch := string(recs[i].Record)
		for j := range per {
			var id string
			var n int
			if _, err := fmt.Sscanf(string(recs[i+j].Record), `{"finding_id":%q,"verdict":"notify","n":%d}`, &id, &n); err != nil {
				t.Fatalf("record %d = %q: %v", recs[i+j].Seq, recs[i+j].Record, err)
			}
			if n != j || seen[id] {
				t.Fatalf("record %d (%s, entry %d) breaks up the batch starting %s", recs[i+j].Seq, id, n, batch)
			}
			seen[id] = true
		}
	}
}

func testAuditAfter(t *testing.T, open Opener) {
	st := fresh(t, open)
	const n = 1300 // several pages for paging implementations
	apply(t, st, entries("p", n)...)
	for _, after := range []int64{-5, 0, 1, 511, 512, 513, 1024, n - 1, n, n + 10} {
		var got []store.AuditRecord
		if err := st.Audit(context.Background(), after, func(r store.AuditRecord) error {
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatalf("Audit(after %d): %v", after, err)
		}
		first := max(after+1, 1)
		if want := max(n-first+1, 0); int64(len(got)) != want {
			t.Fatalf("Audit(after %d) yielded %d records, want %d", after, len(got), want)
		}
		checkLinks(t, got, first)
	}
}

func testAuditStopsOnError(t *testing.T, open Opener) {
	st := fresh(t, open)
	apply(t, st, entries("s", 10)...)
	stop := errors.New("enough")
	calls := 0
	err := st.Audit(context.Background(), 0, func(store.AuditRecord) error {
		if calls++; calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("Audit = %v after %d calls, want %v after 3", err, calls, stop)
	}
}

// testAuditCallbackUsesStore calls the store from inside Audit's callback,
// which must not deadlock on a lock or a single connection.
func testAuditCallbackUsesStore(t *testing.T, open Opener) {
	st := fresh(t, open)
	apply(t, st, entries("cb", 3)...)
	ctx := context.Background()
	err := st.Audit(ctx, 0, func(r store.AuditRecord) error {
		if _, err := st.Load(ctx, []string{"cb-0"}); err != nil {
			return err
		}
		if r.Seq == 1 {
			return st.Apply(ctx, []store.Entry{entry("cb-late", 9)})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Audit with a callback using the store: %v", err)
	}
	if n := verify(t, st); n != 4 {
		t.Errorf("chain has %d records, want 4", n)
	}
}

func testSuppressionCounts(t *testing.T, open Opener) {
	st := fresh(t, open)
	counts := func() map[string]int {
		t.Helper()
		got, err := st.SuppressionCounts(context.Background())
		if err != nil {
			t.Fatalf("SuppressionCounts: %v", err)
		}
		return got
	}
	if got := counts(); len(got) != 0 {
		t.Errorf("SuppressionCounts on an empty store = %v, want empty", got)
	}
	var es []store.Entry
	for i, rule := range []string{"a", "a", "a", "b", "", ""} {
		e := entry(fmt.Sprintf("s-%d", i), i)
		e.State.SuppressedBy = rule
		if rule != "" {
			e.State.Status = store.StatusSuppressed
		}
		es = append(es, e)
	}
	apply(t, st, es...)
	if got := counts(); fmt.Sprint(got) != "map[a:3 b:1]" {
		t.Errorf("SuppressionCounts = %v, want map[a:3 b:1]", got)
	}
	unsuppress := es[3] // b's only finding
	unsuppress.State.SuppressedBy, unsuppress.State.Status = "", store.StatusActive
	moved := es[0]
	moved.State.SuppressedBy = "c"
	apply(t, st, unsuppress, moved)
	if got := counts(); fmt.Sprint(got) != "map[a:2 c:1]" {
		t.Errorf("SuppressionCounts = %v, want map[a:2 c:1]", got)
	}
}

func testClosed(t *testing.T, open Opener) {
	st := open(t)
	apply(t, st, entry("x", 1))
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	ctx := context.Background()
	if _, err := st.Load(ctx, []string{"x"}); err == nil {
		t.Error("Load after Close succeeded")
	}
	if err := st.Apply(ctx, []store.Entry{entry("y", 2)}); err == nil {
		t.Error("Apply after Close succeeded")
	}
	if err := st.Audit(ctx, 0, func(store.AuditRecord) error { return nil }); err == nil {
		t.Error("Audit after Close succeeded")
	}
	if _, err := st.SuppressionCounts(ctx); err == nil {
		t.Error("SuppressionCounts after Close succeeded")
	}
}

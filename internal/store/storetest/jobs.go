package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/store"
)

var jt0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func job(finding, target, group string, status store.JobStatus, due time.Time) store.Job {
	return store.Job{Kind: store.JobNotify, Status: status, FindingID: finding, Target: target, Group: group, Due: due,
		Payload: []byte(`{"item":{}}`), Requester: "rule:r", Created: jt0, Updated: jt0}
}

// testJobsWithEntries: jobs of an entry are created with its state and
// record, get IDs, and come back whole and filtered.
func testJobsWithEntries(t *testing.T, open Opener) {
	st := fresh(t, open)
	ctx := context.Background()
	e := entry("f1", 1)
	e.Jobs = []store.Job{job("f1", "soc", "g", store.JobPending, jt0.Add(time.Minute)), job("f1", "jira", "", store.JobPending, jt0)}
	e.Jobs[1].Kind = store.JobRemediate
	e.Jobs[1].Status, e.Jobs[1].Expires = store.JobWaiting, jt0.Add(24*time.Hour)
	apply(t, st, e)
	all, err := st.Jobs(ctx, store.JobFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("Jobs: %d, %v", len(all), err)
	}
	if all[0].Target != "jira" || all[0].ID == 0 || all[1].ID == all[0].ID {
		t.Fatalf("order by due then id, ids set: %+v", all)
	}
	got := all[1]
	want := e.Jobs[0]
	want.ID = got.ID
	if got.Kind != want.Kind || got.Status != want.Status || got.FindingID != want.FindingID || got.Target != want.Target ||
		got.Group != want.Group || !got.Due.Equal(want.Due) || string(got.Payload) != string(want.Payload) || got.Requester != want.Requester ||
		!got.Created.Equal(jt0) {
		t.Fatalf("job round trip:\n got %+v\nwant %+v", got, want)
	}
	for _, c := range []struct {
		f    store.JobFilter
		want int
	}{
		{store.JobFilter{Kind: store.JobNotify}, 1},
		{store.JobFilter{Status: []store.JobStatus{store.JobWaiting}}, 1},
		{store.JobFilter{Status: []store.JobStatus{store.JobWaiting, store.JobPending}}, 2},
		{store.JobFilter{DueBy: jt0}, 1},
		{store.JobFilter{Target: "soc", Group: "g"}, 1},
		{store.JobFilter{FindingID: "f2"}, 0},
		{store.JobFilter{Limit: 1}, 1},
		{store.JobFilter{UpdatedSince: jt0.Add(time.Second)}, 0},
	} {
		js, err := st.Jobs(ctx, c.f)
		if err != nil || len(js) != c.want {
			t.Errorf("Jobs(%+v) = %d jobs, %v; want %d", c.f, len(js), err, c.want)
		}
	}
	one, err := st.Job(ctx, got.ID)
	if err != nil || one.ID != got.ID {
		t.Fatalf("Job(%d): %+v %v", got.ID, one, err)
	}
	if _, err := st.Job(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Job(9999): %v, want ErrNotFound", err)
	}
}

// testUpdateJobs: updates apply only from the expected status, all or
// none, and their audit records extend the one chain.
func testUpdateJobs(t *testing.T, open Opener) {
	st := fresh(t, open)
	ctx := context.Background()
	ids, err := st.EnqueueJobs(ctx, []store.Job{job("a", "r", "", store.JobPending, jt0), job("b", "r", "", store.JobPending, jt0)}, []byte(`{"type":"enqueued"}`))
	if err != nil || len(ids) != 2 {
		t.Fatalf("EnqueueJobs: %v %v", ids, err)
	}
	j, _ := st.Job(ctx, ids[0])
	done := j
	done.Status, done.Result, done.Attempts, done.Updated = store.JobDone, []byte(`{"ok":true}`), 1, jt0.Add(time.Minute)
	done.Payload = nil
	// A batch with one stale update changes nothing.
	stale := store.JobUpdate{ID: ids[1], From: store.JobWaiting, Job: done}
	if err := st.UpdateJobs(ctx, []store.JobUpdate{{ID: ids[0], From: store.JobPending, Job: done, Audit: []byte(`{"type":"x"}`)}, stale}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if j, _ := st.Job(ctx, ids[0]); j.Status != store.JobPending {
		t.Fatalf("a failed batch changed job %d: %s", ids[0], j.Status)
	}
	if err := st.UpdateJobs(ctx, []store.JobUpdate{{ID: ids[0], From: store.JobPending, Job: done, Audit: []byte(`{"type":"delivered"}`)}}); err != nil {
		t.Fatal(err)
	}
	j, _ = st.Job(ctx, ids[0])
	if j.Status != store.JobDone || string(j.Result) != `{"ok":true}` || j.Attempts != 1 || string(j.Payload) != `{"item":{}}` || !j.Updated.Equal(jt0.Add(time.Minute)) {
		t.Fatalf("updated job %+v", j)
	}
	if err := st.UpdateJobs(ctx, []store.JobUpdate{{ID: 12345, From: store.JobPending, Job: done}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
	recs := all(t, st)
	if len(recs) != 2 || string(recs[0].Record) != `{"type":"enqueued"}` || string(recs[1].Record) != `{"type":"delivered"}` {
		t.Fatalf("audit records %d", len(recs))
	}
	if _, err := audit.Verify(ctx, st); err != nil {
		t.Fatal(err)
	}
}

// testRefsAndStates: refs upsert per (target, id); States lists tracked
// findings by status in id order.
func testRefsAndStates(t *testing.T, open Opener) {
	st := fresh(t, open)
	ctx := context.Background()
	if err := st.SetRefs(ctx, []store.Ref{{FindingID: "a", Target: "jira", Value: "SEC-1", Updated: jt0}, {FindingID: "a", Target: "pd", Value: "k"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRefs(ctx, []store.Ref{{FindingID: "a", Target: "jira", Value: "SEC-2", Updated: jt0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	refs, err := st.Refs(ctx, "jira", []string{"a", "b"})
	if err != nil || len(refs) != 1 || refs["a"].Value != "SEC-2" || !refs["a"].Updated.Equal(jt0.Add(time.Hour)) {
		t.Fatalf("Refs: %+v %v", refs, err)
	}
	s1, s2, s3 := state("c", 1), state("a", 2), state("b", 3)
	s2.Status = store.StatusResolved
	apply(t, st, store.Entry{State: s1, Record: record(s1, 1)}, store.Entry{State: s2, Record: record(s2, 2)}, store.Entry{State: s3, Record: record(s3, 3)})
	var ids []string
	if err := st.States(ctx, []store.Status{store.StatusActive}, func(s store.State) error { ids = append(ids, s.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "b" || ids[1] != "c" {
		t.Fatalf("active states %v", ids)
	}
	ids = nil
	if err := st.States(ctx, nil, func(s store.State) error { ids = append(ids, s.ID); return nil }); err != nil || len(ids) != 3 {
		t.Fatalf("all states %v %v", ids, err)
	}
}

// testUpdateJobsAttempts: an update with FromAttempts applies only while
// the attempts still match, so one of two concurrent claims wins.
func testUpdateJobsAttempts(t *testing.T, open Opener) {
	st := fresh(t, open)
	ctx := context.Background()
	ids, err := st.EnqueueJobs(ctx, []store.Job{job("a", "r", "", store.JobPending, jt0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := st.Job(ctx, ids[0])
	claim := j
	claim.Attempts, claim.Payload = 1, nil
	zero := 0
	if err := st.UpdateJobs(ctx, []store.JobUpdate{{ID: j.ID, From: store.JobPending, FromAttempts: &zero, Job: claim}}); err != nil {
		t.Fatal(err)
	}
	// The second claimer read the same job (attempts 0): it loses.
	if err := st.UpdateJobs(ctx, []store.JobUpdate{{ID: j.ID, From: store.JobPending, FromAttempts: &zero, Job: claim}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second claim: %v, want ErrConflict", err)
	}
}

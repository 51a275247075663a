package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/store"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// recv is a receiver whose behaviour a test scripts: each Send takes the
// next error from errs (nil once they run out).
type recv struct {
	name string
	mu   sync.Mutex
	errs []error
	msgs []*notify.Message
	refs map[string]string
}

func (r *recv) Name() string { return r.name }
func (r *recv) Type() string { return "test" }
func (r *recv) Send(_ context.Context, m *notify.Message) (notify.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		err := r.errs[0]
		r.errs = r.errs[1:]
		if err != nil {
			return notify.Result{}, err
		}
	}
	r.msgs = append(r.msgs, m)
	return notify.Result{Refs: r.refs, Detail: fmt.Sprintf("message %d", len(r.msgs))}, nil
}

func (r *recv) sent() []*notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*notify.Message(nil), r.msgs...)
}

func item(id string, sev finding.Severity, kind notify.Kind) notify.Item {
	return notify.Item{Kind: kind, Record: decide.Record{FindingID: id, Severity: sev, Title: "title " + id, AccountID: "111111111111", Region: "eu-west-1"}}
}

func enqueue(t *testing.T, st store.Store, receiver, group string, due time.Time, its ...notify.Item) []int64 {
	t.Helper()
	var jobs []store.Job
	for _, it := range its {
		p, err := json.Marshal(notify.Payload{Item: &it})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, store.Job{Kind: store.JobNotify, Status: store.JobPending, FindingID: it.Record.FindingID, Target: receiver, Group: group, Due: due, Payload: p, Created: due, Updated: due})
	}
	ids, err := st.EnqueueJobs(context.Background(), jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func statuses(t *testing.T, st store.Store) map[store.JobStatus]int {
	t.Helper()
	js, err := st.Jobs(context.Background(), store.JobFilter{Kind: store.JobNotify})
	if err != nil {
		t.Fatal(err)
	}
	out := map[store.JobStatus]int{}
	for _, j := range js {
		out[j.Status]++
	}
	return out
}

func dispatcher(st store.Store, c *clock, rs ...*recv) *Dispatcher {
	m := map[string]notify.Receiver{}
	for _, r := range rs {
		m[r.name] = r
	}
	return &Dispatcher{Store: st, Receivers: m, Clock: c.now, Jitter: func() float64 { return 0.5 }, Backoff: time.Minute, MaxBackoff: time.Hour, MaxAttempts: 4}
}

func run(t *testing.T, d *Dispatcher) Stats {
	t.Helper()
	st, err := d.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func stores(t *testing.T) map[string]func() store.Store {
	return map[string]func() store.Store{
		"memory": func() store.Store { return store.NewMemory() },
		"sqlite": func() store.Store {
			s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "w.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

func TestGroupSentOnceAsOneMessage(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st, c := open(), &clock{t0}
			r := &recv{name: "soc"}
			enqueue(t, st, "soc", "g1", t0, item("a", finding.SeverityLow, notify.KindFiring), item("b", finding.SeverityCritical, notify.KindFiring))
			enqueue(t, st, "soc", "g2", t0, item("c", finding.SeverityHigh, notify.KindRenotify))
			enqueue(t, st, "soc", "g3", t0.Add(time.Hour), item("d", finding.SeverityHigh, notify.KindFiring))
			d := dispatcher(st, c, r)
			s := run(t, d)
			if s.Messages != 2 || s.Jobs != 3 || s.Remaining != 1 {
				t.Fatalf("stats %+v", s)
			}
			msgs := r.sent()
			byGroup := map[string]*notify.Message{}
			for _, m := range msgs {
				byGroup[m.Group] = m
			}
			if g := byGroup["g1"]; g == nil || len(g.Items) != 2 || g.Items[0].Record.FindingID != "b" || g.Kind != notify.KindFiring {
				t.Fatalf("g1 message %+v", g)
			}
			if g := byGroup["g2"]; g == nil || g.Kind != notify.KindRenotify {
				t.Fatalf("g2 message %+v", g)
			}
			// A second pass sends nothing more until g3 is due.
			if s := run(t, d); s.Messages != 0 {
				t.Fatalf("second pass %+v", s)
			}
			c.t = t0.Add(time.Hour)
			if s := run(t, d); s.Messages != 1 || s.Remaining != 0 {
				t.Fatalf("third pass %+v", s)
			}
			if got := statuses(t, st); got[store.JobDone] != 4 {
				t.Fatalf("statuses %v", got)
			}
			// Deliveries are audited and the chain verifies.
			var n int
			if err := st.Audit(context.Background(), 0, func(r store.AuditRecord) error {
				var m map[string]any
				_ = json.Unmarshal(r.Record, &m)
				if m["type"] == "notification" {
					n++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Fatalf("%d notification audit records, want 3", n)
			}
			if _, err := audit.Verify(context.Background(), st); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRetryBackoffThenDeadLetter(t *testing.T) {
	st, c := store.NewMemory(), &clock{t0}
	fail := errors.New("HTTP 500")
	r := &recv{name: "hook", errs: []error{fail, fail, fail, fail}}
	ids := enqueue(t, st, "hook", "", t0, item("a", finding.SeverityHigh, notify.KindFiring))
	d := dispatcher(st, c, r)
	// Back-off with jitter 0.5: 45s, 1m30s, 3m (Backoff 1m doubling,
	// ¾ of each).
	for i, wait := range []time.Duration{45 * time.Second, 90 * time.Second, 3 * time.Minute} {
		if s := run(t, d); s.Retried != 1 {
			t.Fatalf("attempt %d: %+v", i+1, s)
		}
		j, _ := st.Job(context.Background(), ids[0])
		if j.Attempts != i+1 || !j.Due.Equal(c.t.Add(wait)) || j.LastError != "HTTP 500" {
			t.Fatalf("attempt %d: job %+v, want due %s", i+1, j, c.t.Add(wait))
		}
		if s := run(t, d); s.Messages+s.Retried != 0 { // not due yet
			t.Fatalf("early retry: %+v", s)
		}
		c.t = j.Due
	}
	if s := run(t, d); s.Dead != 1 {
		t.Fatalf("4th attempt: %+v", s)
	}
	j, _ := st.Job(context.Background(), ids[0])
	if j.Status != store.JobDead || j.Attempts != 4 {
		t.Fatalf("job %+v", j)
	}
	// warden outbox retry puts it back; the receiver is up again.
	if err := Retry(context.Background(), st, ids[0], "alice", c.t); err != nil {
		t.Fatal(err)
	}
	if s := run(t, d); s.Messages != 1 {
		t.Fatalf("after retry: %+v", s)
	}
	if len(r.sent()) != 1 {
		t.Fatalf("sent %d", len(r.sent()))
	}
	if err := Retry(context.Background(), st, ids[0], "alice", c.t); err == nil {
		t.Fatal("retrying a delivered message succeeded")
	}
}

func TestPermanentAndRetryAfter(t *testing.T) {
	st, c := store.NewMemory(), &clock{t0}
	r := &recv{name: "r", errs: []error{notify.RetryAfter(errors.New("429"), 10*time.Minute), notify.Permanent(errors.New("400 bad"))}}
	ids := enqueue(t, st, "r", "", t0, item("a", finding.SeverityHigh, notify.KindFiring))
	d := dispatcher(st, c, r)
	run(t, d)
	j, _ := st.Job(context.Background(), ids[0])
	if !j.Due.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("Retry-After not respected: due %s", j.Due)
	}
	c.t = j.Due
	if s := run(t, d); s.Dead != 1 {
		t.Fatalf("permanent error not dead-lettered: %+v", s)
	}
	if err := Drop(context.Background(), st, ids[0], "bob", c.t); err != nil {
		t.Fatal(err)
	}
	j, _ = st.Job(context.Background(), ids[0])
	if j.Status != store.JobCancelled || j.DecidedBy != "bob" {
		t.Fatalf("dropped job %+v", j)
	}
}

func TestUnknownReceiverAndBadPayload(t *testing.T) {
	st, c := store.NewMemory(), &clock{t0}
	enqueue(t, st, "nobody", "", t0, item("a", finding.SeverityHigh, notify.KindFiring))
	if _, err := st.EnqueueJobs(context.Background(), []store.Job{{Kind: store.JobNotify, Status: store.JobPending, FindingID: "b", Target: "r", Due: t0, Payload: []byte("{")}}, nil); err != nil {
		t.Fatal(err)
	}
	r := &recv{name: "r"}
	s := run(t, dispatcher(st, c, r))
	if s.Unknown != 1 || s.Dead != 1 || len(r.sent()) != 0 {
		t.Fatalf("stats %+v", s)
	}
	js, _ := st.Jobs(context.Background(), store.JobFilter{Status: []store.JobStatus{store.JobDead}})
	if len(js) != 2 {
		t.Fatalf("dead jobs %d", len(js))
	}
}

func TestGroupIntervalMuteInhibitRateLimit(t *testing.T) {
	st, c := store.NewMemory(), &clock{t0}
	r := &recv{name: "r"}
	d := dispatcher(st, c, r)
	it := item("a", finding.SeverityHigh, notify.KindFiring)
	it.GroupInterval, it.Route = 5*time.Minute, "root/0"
	enqueue(t, st, "r", "gd", t0, it)
	run(t, d)
	// A new finding in the same group one minute later waits for the
	// group interval.
	c.t = t0.Add(time.Minute)
	it2 := item("b", finding.SeverityHigh, notify.KindFiring)
	it2.GroupInterval, it2.Route = 5*time.Minute, "root/0"
	ids := enqueue(t, st, "r", "gd", c.t, it2)
	if s := run(t, d); s.Deferred != 1 {
		t.Fatalf("group interval: %+v", s)
	}
	j, _ := st.Job(context.Background(), ids[0])
	if !j.Due.Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("deferred to %s", j.Due)
	}
	// Muted route: deferred to the end of the mute.
	d.Muted = func(route string, at time.Time) (bool, time.Time) { return route == "root/0", t0.Add(8 * time.Hour) }
	c.t = j.Due
	if s := run(t, d); s.Deferred != 1 {
		t.Fatalf("mute: %+v", s)
	}
	j, _ = st.Job(context.Background(), ids[0])
	if !j.Due.Equal(t0.Add(8 * time.Hour)) {
		t.Fatalf("muted until %s", j.Due)
	}
	d.Muted = nil
	// Inhibited: skipped, never sent.
	d.Inhibited = func(_ context.Context, it *notify.Item) (string, bool) {
		return "inhibit_rules[0]", it.Record.FindingID == "b"
	}
	c.t = j.Due
	if s := run(t, d); s.Skipped != 1 || len(r.sent()) != 1 {
		t.Fatalf("inhibit: %+v, sent %d", s, len(r.sent()))
	}
	d.Inhibited = nil
	// Rate limit 2/min: the third message waits.
	d.Limits = map[string]Limit{"r": {PerMinute: 2}}
	for _, id := range []string{"x", "y", "z"} {
		enqueue(t, st, "r", "", c.t, item(id, finding.SeverityLow, notify.KindFiring))
	}
	if s := run(t, d); s.Messages != 2 || s.Deferred != 1 {
		t.Fatalf("rate limit: %+v", s)
	}
	c.t = c.t.Add(time.Minute)
	if s := run(t, d); s.Messages != 1 {
		t.Fatalf("after a minute: %+v", s)
	}
}

func TestRefsKeptAndPassedBack(t *testing.T) {
	st, c := store.NewMemory(), &clock{t0}
	r := &recv{name: "jira", refs: map[string]string{"a": "SEC-1"}}
	d := dispatcher(st, c, r)
	enqueue(t, st, "jira", "", t0, item("a", finding.SeverityHigh, notify.KindFiring))
	run(t, d)
	r.refs = nil
	c.t = t0.Add(15 * 24 * time.Hour)
	enqueue(t, st, "jira", "", c.t, item("a", finding.SeverityHigh, notify.KindRenotify))
	run(t, d)
	msgs := r.sent()
	if len(msgs) != 2 || msgs[1].Refs["a"] != "SEC-1" {
		t.Fatalf("refs not passed back: %+v", msgs[len(msgs)-1].Refs)
	}
}

// TestDownThenUpAcrossRestart: the receiver fails while a first process
// runs; a second process (new store handle and dispatcher on the same
// file) delivers every message exactly once.
func TestDownThenUpAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	ctx := context.Background()
	c := &clock{t0}
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	down := errors.New("connection refused")
	r := &recv{name: "hook", errs: []error{down, down, down, down, down}}
	for i := 0; i < 5; i++ {
		enqueue(t, st, "hook", "", t0, item(fmt.Sprintf("f%d", i), finding.SeverityHigh, notify.KindFiring))
	}
	d := dispatcher(st, c, r)
	d.MaxAttempts = 10
	run(t, d)
	st.Close()

	st, err = store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = dispatcher(st, c, r)
	d.MaxAttempts = 10
	for i := 0; i < 10; i++ {
		c.t = c.t.Add(10 * time.Minute)
		run(t, d)
	}
	seen := map[string]int{}
	for _, m := range r.sent() {
		for _, it := range m.Items {
			seen[it.Record.FindingID]++
		}
	}
	if len(seen) != 5 {
		t.Fatalf("delivered %v", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

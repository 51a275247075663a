// Package outbox delivers the durable outbox: notify jobs (messages to
// receivers) that decisions wrote into the store in their own
// transaction. A Dispatcher pass takes the due jobs, groups them by
// receiver and group key into one message each, asks the routing tree
// whether the route is muted and the inhibition rules whether a finding
// is inhibited, respects each receiver's rate limit and concurrency,
// sends, and records the outcome: done (with the receiver's references,
// e.g. a Jira issue key, kept per finding), retried later with
// exponential back-off and jitter, or dead-lettered after the maximum
// attempts. Every delivery and every dead letter is audited.
//
// Delivery is at least once per job: a crash after a send and before its
// commit sends that message once more on restart. Receivers that
// implement notify.Idempotent (PagerDuty dedup key, Jira label lookup)
// absorb the repeat; the others show it at most once more.
//
// One Dispatcher per state store delivers at a time (in scale-out mode
// the elected replica runs it); two would not lose messages but could
// send one twice.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/store"
)

// Defaults of the delivery settings.
const (
	DefaultMaxAttempts = 8
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultConcurrency = 2
	// FlushTarget is the refs target under which the last send time of
	// each receiver|group is kept (for group_interval).
	FlushTarget = "outbox:flushed"
)

// Limit is a receiver's delivery limits.
type Limit struct {
	// PerMinute caps sends per minute (0: none).
	PerMinute int
	// Concurrency caps parallel sends (0: DefaultConcurrency).
	Concurrency int
}

// Dispatcher delivers notify jobs.
type Dispatcher struct {
	Store     store.Store
	Receivers map[string]notify.Receiver
	Limits    map[string]Limit
	Clock     func() time.Time
	Log       *slog.Logger

	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// Jitter returns a number in [0,1); default math/rand.
	Jitter func() float64

	// Muted, when set, says whether a route is muted at t and until when.
	Muted func(route string, t time.Time) (bool, time.Time)
	// Inhibited, when set, says whether an item must not be sent now
	// (an inhibition rule holds) and names the rule.
	Inhibited func(ctx context.Context, it *notify.Item) (string, bool)
	// Enrich, when set, updates an item just before it is rendered (e.g.
	// the live state of a pending remediation and its approve command).
	Enrich func(ctx context.Context, it *notify.Item)
	// Prepare, when set, runs at the start of every pass (e.g. to load
	// the active findings inhibition rules compare against).
	Prepare func(ctx context.Context) error
	// Flush sends groups whose group_wait or group_interval has not
	// passed yet (one-shot runs: `warden process --deliver`).
	Flush bool

	mu      sync.Mutex
	windows map[string][]time.Time // receiver → send times in the last minute

	// Outcomes are committed in batches of commitEvery (one transaction
	// for many messages instead of one each): a crash loses at most the
	// last batch's records, and those messages are sent once more.
	bufMu   sync.Mutex
	bufJobs []store.JobUpdate
	bufRefs []store.Ref
	refs    map[string]map[string]string // receiver → finding id → ref, prefetched per pass
	flushed map[string]time.Time         // receiver|group → last send, prefetched per pass
}

// commitEvery is how many job outcomes are committed together.
const commitEvery = 64

// record queues job updates and refs; they are committed when the buffer
// is full and at the end of the pass.
func (d *Dispatcher) record(ctx context.Context, ups []store.JobUpdate, refs []store.Ref) error {
	d.bufMu.Lock()
	defer d.bufMu.Unlock()
	d.bufJobs = append(d.bufJobs, ups...)
	d.bufRefs = append(d.bufRefs, refs...)
	if len(d.bufJobs) < commitEvery {
		return nil
	}
	return d.commitLocked(ctx)
}

// commit writes what record queued.
func (d *Dispatcher) commit(ctx context.Context) error {
	d.bufMu.Lock()
	defer d.bufMu.Unlock()
	return d.commitLocked(ctx)
}

func (d *Dispatcher) commitLocked(ctx context.Context) error {
	// Refs first: if the job update then fails, the message is sent again
	// with the reference known (a Jira comment instead of a second issue).
	if len(d.bufRefs) > 0 {
		if err := d.Store.SetRefs(ctx, d.bufRefs); err != nil {
			return fmt.Errorf("recording receiver references: %w", err)
		}
	}
	if len(d.bufJobs) > 0 {
		if err := d.Store.UpdateJobs(ctx, d.bufJobs); err != nil {
			return fmt.Errorf("recording delivery of %d outbox jobs: %w", len(d.bufJobs), err)
		}
	}
	d.bufJobs, d.bufRefs = d.bufJobs[:0], d.bufRefs[:0]
	return nil
}

// Stats count one pass.
type Stats struct {
	Messages  int `json:"messages"`  // messages sent
	Jobs      int `json:"jobs"`      // jobs delivered (items)
	Retried   int `json:"retried"`   // jobs put back for a later attempt
	Dead      int `json:"dead"`      // jobs dead-lettered
	Skipped   int `json:"skipped"`   // jobs not sent on purpose (inhibited)
	Deferred  int `json:"deferred"`  // jobs waiting for a mute, rate limit or group interval
	Unknown   int `json:"unknown"`   // jobs for receivers not configured (dead-lettered)
	Remaining int `json:"remaining"` // open jobs left after the pass
}

func (s *Stats) add(o Stats) {
	s.Messages += o.Messages
	s.Jobs += o.Jobs
	s.Retried += o.Retried
	s.Dead += o.Dead
	s.Skipped += o.Skipped
	s.Deferred += o.Deferred
	s.Unknown += o.Unknown
}

func (d *Dispatcher) defaults() {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
	if d.Backoff <= 0 {
		d.Backoff = DefaultBackoff
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = DefaultMaxBackoff
	}
	if d.Jitter == nil {
		d.Jitter = rand.Float64
	}
}

// group is the jobs of one message.
type group struct {
	receiver string
	key      string
	jobs     []store.Job
	payloads []notify.Payload
}

// RunDue delivers every due notify job once (a pass), and returns what it
// did. Jobs that fail are rescheduled, not retried within the pass.
func (d *Dispatcher) RunDue(ctx context.Context) (Stats, error) {
	d.defaults()
	now := d.Clock().UTC()
	if d.Prepare != nil {
		if err := d.Prepare(ctx); err != nil {
			return Stats{}, err
		}
	}
	f := store.JobFilter{Kind: store.JobNotify, Status: []store.JobStatus{store.JobPending}}
	if !d.Flush {
		f.DueBy = now
	}
	due, err := d.Store.Jobs(ctx, f)
	if err != nil {
		return Stats{}, fmt.Errorf("reading the outbox: %w", err)
	}
	groups, order := map[[2]string]*group{}, [][2]string{}
	for _, j := range due {
		k := [2]string{j.Target, j.Group}
		if j.Group == "" { // ungrouped: a message of its own
			k[1] = fmt.Sprintf("#%d", j.ID)
		}
		g := groups[k]
		if g == nil {
			g = &group{receiver: j.Target, key: j.Group}
			groups[k] = g
			order = append(order, k)
		}
		g.jobs = append(g.jobs, j)
	}
	if !d.Flush {
		// Jobs of a due group that are not due yet join it: a group is
		// sent whole.
		for _, k := range order {
			if groups[k].key == "" {
				continue
			}
			more, err := d.Store.Jobs(ctx, store.JobFilter{Kind: store.JobNotify, Status: []store.JobStatus{store.JobPending}, Target: k[0], Group: k[1]})
			if err != nil {
				return Stats{}, fmt.Errorf("reading the outbox: %w", err)
			}
			have := map[int64]bool{}
			for _, j := range groups[k].jobs {
				have[j.ID] = true
			}
			for _, j := range more {
				if !have[j.ID] {
					groups[k].jobs = append(groups[k].jobs, j)
				}
			}
		}
	}
	if err := d.prefetch(ctx, groups); err != nil {
		return Stats{}, err
	}
	// Groups run in parallel up to each receiver's concurrency.
	var (
		total Stats
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	sems := map[string]chan struct{}{}
	for _, k := range order {
		g := groups[k]
		sem := sems[g.receiver]
		if sem == nil {
			n := d.Limits[g.receiver].Concurrency
			if n <= 0 {
				n = DefaultConcurrency
			}
			sem = make(chan struct{}, n)
			sems[g.receiver] = sem
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			st, err := d.deliver(ctx, g, now)
			mu.Lock()
			defer mu.Unlock()
			total.add(st)
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	if err := d.commit(ctx); err != nil && first == nil {
		first = err
	}
	if first != nil {
		return total, first
	}
	open, err := d.Store.Jobs(ctx, store.JobFilter{Kind: store.JobNotify, Status: []store.JobStatus{store.JobPending}})
	if err != nil {
		return total, fmt.Errorf("reading the outbox: %w", err)
	}
	total.Remaining = len(open)
	return total, nil
}

// prefetch reads, for the pass, the receivers' references of the due
// findings and the last send time of the due groups: two queries per
// receiver instead of two per message.
func (d *Dispatcher) prefetch(ctx context.Context, groups map[[2]string]*group) error {
	ids := map[string][]string{}
	var keys []string
	for _, g := range groups {
		for _, j := range g.jobs {
			ids[g.receiver] = append(ids[g.receiver], j.FindingID)
		}
		if g.key != "" {
			keys = append(keys, g.receiver+"|"+g.key)
		}
	}
	d.refs = map[string]map[string]string{}
	for rcv, list := range ids {
		refs, err := d.Store.Refs(ctx, rcv, list)
		if err != nil {
			return fmt.Errorf("reading receiver references: %w", err)
		}
		m := make(map[string]string, len(refs))
		for id, r := range refs {
			m[id] = r.Value
		}
		d.refs[rcv] = m
	}
	d.flushed = map[string]time.Time{}
	if len(keys) > 0 {
		refs, err := d.Store.Refs(ctx, FlushTarget, keys)
		if err != nil {
			return fmt.Errorf("reading group flush times: %w", err)
		}
		for k, r := range refs {
			d.flushed[k] = r.Updated
		}
	}
	return nil
}

// deliver sends one group as one message. Only store failures are
// returned; delivery failures are recorded on the jobs.
func (d *Dispatcher) deliver(ctx context.Context, g *group, now time.Time) (Stats, error) {
	var st Stats
	rcv, ok := d.Receivers[g.receiver]
	if !ok {
		st.Unknown += len(g.jobs)
		why := fmt.Sprintf("receiver %q is not configured in receivers.yaml", g.receiver)
		d.Log.Error("notification dead-lettered", "receiver", g.receiver, "jobs", len(g.jobs), "error", why)
		return st, d.finish(ctx, g.jobs, store.JobDead, why, now, jobAudit("notification_dead", g.receiver, g.key, g.jobs, why, now), nil)
	}
	// Decode payloads; a job whose payload does not decode is dead.
	var keep []store.Job
	for _, j := range g.jobs {
		var p notify.Payload
		if err := json.Unmarshal(j.Payload, &p); err != nil || (p.Item == nil && p.Message == nil) {
			if err == nil {
				err = errors.New("neither item nor message")
			}
			st.Dead++
			why := "undecodable payload: " + err.Error()
			if err := d.finish(ctx, []store.Job{j}, store.JobDead, why, now, jobAudit("notification_dead", g.receiver, g.key, []store.Job{j}, why, now), nil); err != nil {
				return st, err
			}
			continue
		}
		keep = append(keep, j)
		g.payloads = append(g.payloads, p)
	}
	g.jobs = keep
	if len(g.jobs) == 0 {
		return st, nil
	}
	// Inhibition, item by item.
	if d.Inhibited != nil {
		var jobs []store.Job
		var pls []notify.Payload
		for i, p := range g.payloads {
			if p.Item != nil {
				if rule, inh := d.Inhibited(ctx, p.Item); inh {
					st.Skipped++
					why := "inhibited by " + rule
					if err := d.finish(ctx, []store.Job{g.jobs[i]}, store.JobSkipped, why, now, jobAudit("notification_inhibited", g.receiver, g.key, []store.Job{g.jobs[i]}, why, now), nil); err != nil {
						return st, err
					}
					continue
				}
			}
			jobs, pls = append(jobs, g.jobs[i]), append(pls, p)
		}
		g.jobs, g.payloads = jobs, pls
		if len(g.jobs) == 0 {
			return st, nil
		}
	}
	if !d.Flush {
		// Mute intervals and group_interval defer the whole group.
		route, interval := "", time.Duration(0)
		for _, p := range g.payloads {
			if p.Item != nil {
				route = p.Item.Route
				interval = max(interval, p.Item.GroupInterval)
			}
		}
		var until time.Time
		if d.Muted != nil && route != "" {
			if muted, u := d.Muted(route, now); muted {
				if u.IsZero() { // muted for good (no active time ahead)
					st.Skipped += len(g.jobs)
					why := "route " + route + " is muted with no active time ahead"
					return st, d.finish(ctx, g.jobs, store.JobSkipped, why, now, jobAudit("notification_muted", g.receiver, g.key, g.jobs, why, now), nil)
				}
				until = u
			}
		}
		if g.key != "" && interval > 0 && until.IsZero() {
			if last, ok := d.flushed[g.receiver+"|"+g.key]; ok {
				if next := last.Add(interval); next.After(now) {
					until = next
				}
			}
		}
		if !until.IsZero() {
			st.Deferred += len(g.jobs)
			return st, d.reschedule(ctx, g.jobs, until, "", now, false)
		}
	}
	// Rate limit.
	if wait := d.take(g.receiver, now); wait > 0 {
		st.Deferred += len(g.jobs)
		return st, d.reschedule(ctx, g.jobs, now.Add(wait), "", now, false)
	}
	msg, err := d.message(ctx, g, now)
	if err != nil {
		return st, err
	}
	res, sendErr := rcv.Send(ctx, msg)
	if sendErr != nil && len(res.Refs) > 0 {
		// Part of the message went out (e.g. some Jira issues were made):
		// keep their references so the retry updates instead of repeating.
		if err := d.record(ctx, nil, refsOf(g.receiver, res, now)); err != nil {
			return st, err
		}
	}
	if sendErr == nil {
		st.Messages++
		st.Jobs += len(g.jobs)
		return st, d.delivered(ctx, g, msg, res, now)
	}
	if ctx.Err() != nil {
		return st, ctx.Err()
	}
	attempts := g.jobs[0].Attempts + 1
	if notify.IsPermanent(sendErr) || attempts >= d.MaxAttempts {
		st.Dead += len(g.jobs)
		d.Log.Error("notification dead-lettered", "receiver", g.receiver, "group", g.key, "findings", len(g.jobs), "attempts", attempts, "error", sendErr.Error())
		return st, d.finish(ctx, g.jobs, store.JobDead, sendErr.Error(), now, auditRecord("notification_dead", g, msg, "", sendErr.Error(), attempts, now), nil)
	}
	wait := d.backoff(attempts)
	if ra, ok := notify.RetryDelay(sendErr); ok && ra > wait {
		wait = ra
	}
	st.Retried += len(g.jobs)
	d.Log.Warn("notification failed; will retry", "receiver", g.receiver, "group", g.key, "attempt", attempts, "retry_at", now.Add(wait).Format(time.RFC3339), "error", sendErr.Error())
	return st, d.reschedule(ctx, g.jobs, now.Add(wait), sendErr.Error(), now, true)
}

// message builds the message of a group.
func (d *Dispatcher) message(ctx context.Context, g *group, now time.Time) (*notify.Message, error) {
	if len(g.payloads) == 1 && g.payloads[0].Message != nil {
		m := *g.payloads[0].Message
		m.Receiver, m.Now = g.receiver, now
		if m.Kind == "" {
			m.Kind = notify.KindDigest
		}
		return &m, nil
	}
	msg := &notify.Message{Receiver: g.receiver, Group: g.key, Now: now}
	ids := make([]string, 0, len(g.payloads))
	for _, p := range g.payloads {
		if p.Item == nil { // a digest job grouped with items: send its items
			msg.Items = append(msg.Items, p.Message.Items...)
			continue
		}
		it := *p.Item
		if d.Enrich != nil {
			d.Enrich(ctx, &it)
		}
		msg.Items = append(msg.Items, it)
		ids = append(ids, it.Record.FindingID)
	}
	sort.SliceStable(msg.Items, func(a, b int) bool { return msg.Items[a].Record.Severity > msg.Items[b].Record.Severity })
	msg.Kind = msg.Items[0].Kind
	for _, it := range msg.Items[1:] {
		if it.Kind != msg.Kind {
			msg.Kind = notify.KindFiring
			break
		}
	}
	for _, id := range ids {
		if v, ok := d.refs[g.receiver][id]; ok {
			if msg.Refs == nil {
				msg.Refs = map[string]string{}
			}
			msg.Refs[id] = v
		}
	}
	if g.key != "" {
		msg.GroupLabels = msg.Items[0].GroupLabels
	}
	return msg, nil
}

// refsOf returns a send's references as store refs.
func refsOf(receiver string, res notify.Result, now time.Time) []store.Ref {
	var refs []store.Ref
	for id, v := range res.Refs {
		refs = append(refs, store.Ref{FindingID: id, Target: receiver, Value: v, Updated: now})
	}
	return refs
}

func (d *Dispatcher) delivered(ctx context.Context, g *group, msg *notify.Message, res notify.Result, now time.Time) error {
	refs := refsOf(g.receiver, res, now)
	if g.key != "" {
		refs = append(refs, store.Ref{FindingID: g.receiver + "|" + g.key, Target: FlushTarget, Value: now.Format(time.RFC3339), Updated: now})
	}
	if err := d.record(ctx, nil, refs); err != nil {
		return err
	}
	result, _ := json.Marshal(map[string]any{"detail": res.Detail, "refs": res.Refs})
	d.Log.Info("notification sent", "receiver", g.receiver, "group", g.key, "kind", string(msg.Kind), "findings", len(g.jobs), "detail", res.Detail)
	return d.finish(ctx, g.jobs, store.JobDone, "", now, auditRecord("notification", g, msg, res.Detail, "", g.jobs[0].Attempts+1, now), result)
}

// finish moves jobs to a final status, with one audit record for the
// group.
func (d *Dispatcher) finish(ctx context.Context, jobs []store.Job, status store.JobStatus, lastErr string, now time.Time, audit, result []byte) error {
	ups := make([]store.JobUpdate, len(jobs))
	for i, j := range jobs {
		n := j
		n.Status, n.LastError, n.Updated = status, lastErr, now
		if status == store.JobDead || status == store.JobDone {
			n.Attempts = j.Attempts + 1
		}
		if result != nil {
			n.Result = result
		}
		n.Payload = nil
		ups[i] = store.JobUpdate{ID: j.ID, From: j.Status, Job: n}
	}
	if len(ups) > 0 {
		ups[0].Audit = audit
	}
	return d.record(ctx, ups, nil)
}

// reschedule puts jobs back with a new due time; failed counts the
// attempt.
func (d *Dispatcher) reschedule(ctx context.Context, jobs []store.Job, due time.Time, lastErr string, now time.Time, failed bool) error {
	ups := make([]store.JobUpdate, len(jobs))
	for i, j := range jobs {
		n := j
		n.Due, n.Updated = due, now
		if failed {
			n.Attempts, n.LastError = j.Attempts+1, lastErr
		}
		n.Payload = nil
		ups[i] = store.JobUpdate{ID: j.ID, From: j.Status, Job: n}
	}
	return d.record(ctx, ups, nil)
}

// backoff is the wait before retry number attempt (1-based): Backoff ×
// 2^(attempt-1), capped at MaxBackoff, with jitter in [½, 1] of that.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	w := d.Backoff
	for i := 1; i < attempt && w < d.MaxBackoff; i++ {
		w *= 2
	}
	w = min(w, d.MaxBackoff)
	return w/2 + time.Duration(d.Jitter()*float64(w/2))
}

// take reserves a send under the receiver's per-minute limit and returns
// 0, or returns how long to wait for the next free slot.
func (d *Dispatcher) take(receiver string, now time.Time) time.Duration {
	lim := d.Limits[receiver].PerMinute
	if lim <= 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.windows == nil {
		d.windows = map[string][]time.Time{}
	}
	w := d.windows[receiver]
	cut := 0
	for cut < len(w) && now.Sub(w[cut]) >= time.Minute {
		cut++
	}
	w = w[cut:]
	if len(w) >= lim {
		d.windows[receiver] = w
		return w[0].Add(time.Minute).Sub(now)
	}
	d.windows[receiver] = append(w, now)
	return 0
}

// jobAudit is the audit record of jobs ended without a send.
func jobAudit(typ, receiver, group string, jobs []store.Job, why string, now time.Time) []byte {
	ids := make([]int64, len(jobs))
	fids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i], fids[i] = j.ID, j.FindingID
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "receiver": receiver, "group": group, "job_ids": ids, "finding_ids": fids, "error": why, "at": now})
	return b
}

// auditRecord is the audit log's record of a delivery or dead letter.
func auditRecord(typ string, g *group, msg *notify.Message, detail, errText string, attempts int, now time.Time) []byte {
	ids := make([]string, 0, len(msg.Items))
	for _, it := range msg.Items {
		ids = append(ids, it.Record.FindingID)
	}
	jobIDs := make([]int64, 0, len(g.jobs))
	for _, j := range g.jobs {
		jobIDs = append(jobIDs, j.ID)
	}
	b, _ := json.Marshal(map[string]any{
		"type": typ, "receiver": g.receiver, "group": g.key, "kind": msg.Kind,
		"finding_ids": ids, "job_ids": jobIDs, "attempts": attempts,
		"detail": detail, "error": errText, "at": now,
	})
	return b
}

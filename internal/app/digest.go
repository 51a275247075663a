package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/route"
	"github.com/wardenhq/warden/internal/store"
)

// DigestTarget is the refs target under which each digest's last
// scheduled time is kept.
const DigestTarget = "digest:last"

// Digests queues the digests whose scheduled time has come: for each
// digest of routes.yaml due at now, one outbox message per group (e.g.
// per owner) listing the tracked findings it selects (open, new since the
// previous digest, overdue). A digest seen for the first time starts its
// schedule at now and sends at its next scheduled time. It returns how
// many messages it queued.
func Digests(ctx context.Context, ps *policy.Set, st store.Store, now time.Time) (int, error) {
	ds := ps.Routes.Digests()
	if len(ds) == 0 {
		return 0, nil
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	last, err := st.Refs(ctx, DigestTarget, names)
	if err != nil {
		return 0, fmt.Errorf("reading digest schedule: %w", err)
	}
	queued := 0
	var refs []store.Ref
	for _, d := range ds {
		prev, seen := last[d.Name]
		if !seen {
			refs = append(refs, store.Ref{FindingID: d.Name, Target: DigestTarget, Value: "scheduled", Updated: now})
			continue
		}
		due := d.Next(prev.Updated)
		if due.IsZero() || now.Before(due) {
			continue
		}
		n, err := queueDigest(ctx, ps, st, d, prev.Updated, now)
		if err != nil {
			return queued, err
		}
		queued += n
		refs = append(refs, store.Ref{FindingID: d.Name, Target: DigestTarget, Value: "sent", Updated: now})
	}
	if err := st.SetRefs(ctx, refs); err != nil {
		return queued, fmt.Errorf("recording digest schedule: %w", err)
	}
	return queued, nil
}

type digestGroup struct {
	labels            map[string]string
	items             []notify.Item
	open, nw, overdue int
}

func queueDigest(ctx context.Context, ps *policy.Set, st store.Store, d *route.Digest, since, now time.Time) (int, error) {
	include := map[string]bool{}
	for _, in := range d.Include {
		include[in] = true
	}
	groups := map[string]*digestGroup{}
	err := st.States(ctx, []store.Status{store.StatusActive}, func(s store.State) error {
		facts := ps.StateFacts(s, now)
		if !d.Matches(facts) {
			return nil
		}
		isNew := s.FirstSeen.After(since)
		if !(include[route.IncludeOpen] || (include[route.IncludeNew] && isNew) || (include[route.IncludeOverdue] && facts.Overdue)) {
			return nil
		}
		key, labels := d.Group(facts)
		g := groups[key]
		if g == nil {
			g = &digestGroup{labels: labels}
			groups[key] = g
		}
		g.open++
		if isNew {
			g.nw++
		}
		if facts.Overdue {
			g.overdue++
		}
		g.items = append(g.items, digestItem(ps, s, now, facts.Overdue))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("digest %s: reading tracked findings: %w", d.Name, err)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var jobs []store.Job
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g.items, func(a, b int) bool { return g.items[a].Record.Severity > g.items[b].Record.Severity })
		msg := notify.Message{
			Receiver: d.Receiver, Kind: notify.KindDigest, Group: k, GroupLabels: g.labels, Items: g.items, Now: now,
			Title: fmt.Sprintf("Warden digest %s: %d open, %d new, %d overdue", d.Name, g.open, g.nw, g.overdue),
		}
		p, err := json.Marshal(notify.Payload{Message: &msg})
		if err != nil {
			return 0, fmt.Errorf("digest %s: %w", d.Name, err)
		}
		jobs = append(jobs, store.Job{Kind: store.JobNotify, Status: store.JobPending, FindingID: "digest:" + d.Name, Target: d.Receiver,
			Group: k, Due: now, Payload: p, Requester: "digest:" + d.Name, Created: now, Updated: now})
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	rec, _ := json.Marshal(map[string]any{"type": "digest", "digest": d.Name, "receiver": d.Receiver, "messages": len(jobs), "since": since, "at": now})
	if _, err := st.EnqueueJobs(ctx, jobs, rec); err != nil {
		return 0, fmt.Errorf("digest %s: queueing: %w", d.Name, err)
	}
	return len(jobs), nil
}

// digestItem is a digest line from a stored state.
func digestItem(ps *policy.Set, s store.State, now time.Time, overdue bool) notify.Item {
	a, known := ps.Account(s.AccountID)
	rec := decide.Record{
		FindingID: s.ID, Product: s.Product, Title: s.Title, AccountID: s.AccountID, Region: s.Region, Severity: s.Severity,
		Verdict: decide.Verdict(s.LastVerdict), Enrichment: enrich.ContextOf(a, known), Actions: []decide.Action{},
		FirstSeen: s.FirstSeen, NotifyCount: s.NotifyCount, DecidedAt: now,
	}
	it := notify.Item{Kind: notify.KindDigest, Record: rec}
	if sla := ps.SLA(s.Severity); sla > 0 {
		it.SLADue = s.FirstSeen.Add(sla)
		rec.SLA = &decide.SLA{Due: it.SLADue, Overdue: overdue, Age: policy.Duration(now.Sub(s.FirstSeen))}
		it.Record = rec
	}
	return it
}

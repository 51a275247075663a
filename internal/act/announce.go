package act

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// announcement is what a result item says.
type announcement struct {
	job      *store.Job
	p        *Payload
	status   string // done, failed, skipped, expired
	mode     string
	summary  string
	escalate bool // also tell remediation.escalate
	only     bool // tell remediation.escalate alone (blast-radius cap)
	verdict  decide.Verdict
}

// receivers says where an announcement goes.
func receivers(ps *policy.Set, rule string, escalate, only bool) []string {
	if ps == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	esc := ps.Settings.Remediation.Escalate
	if only && esc != "" {
		return []string{esc}
	}
	for _, r := range ps.Rules {
		if r.ID == rule {
			add(r.Notify...)
			break
		}
	}
	if escalate || only {
		add(esc)
	}
	if len(out) == 0 {
		add(ps.Settings.Default.Notify...)
	}
	return out
}

// item builds the notify item of an announcement.
func (r *Runner) item(a announcement, now time.Time) notify.Item {
	p := a.p
	rec := decide.Record{
		FindingID:    p.FindingID,
		Product:      p.Product,
		Format:       p.Format,
		Title:        p.Title,
		AccountID:    p.AccountID,
		Region:       p.Region,
		Severity:     p.Severity,
		ResourceID:   resourceKey(p),
		Verdict:      a.verdict,
		Reason:       a.summary,
		MatchedRules: []string{},
		Actions:      []decide.Action{},
		DecidedAt:    now,
	}
	if rec.Verdict == "" {
		rec.Verdict = decide.Remediate
	}
	if p.Rule != "" {
		rec.MatchedRules = append(rec.MatchedRules, p.Rule)
	}
	if r.Policy != nil {
		rec.PolicyCommit = r.Policy.Commit
	}
	names := receivers(r.Policy, p.Rule, a.escalate, a.only)
	if len(names) == 0 && !a.only {
		// The rule names no receiver (routing is in routes.yaml): tell
		// those the decision's messages went to.
		names = r.notifiedAbout(p.FindingID)
	}
	for _, n := range names {
		rec.Actions = append(rec.Actions, decide.Action{Type: decide.ActionNotify, Receiver: n, Mode: string(policy.ModeAuto), Status: decide.StatusPlanned, Rule: p.Rule})
	}
	spec, _ := remediate.Lookup(p.Playbook)
	it := notify.Item{
		Kind:     notify.KindAction,
		Record:   rec,
		Actor:    p.Actor,
		SourceIP: p.SourceIP,
		Action: &notify.ActionInfo{
			JobID:       a.job.ID,
			Playbook:    p.Playbook,
			Mode:        a.mode,
			Status:      a.status,
			Destructive: spec.Destructive,
			Expires:     a.job.Expires,
			Summary:     a.summary,
		},
	}
	if res, ok := p.Resource(""); ok {
		it.ResourceType = res.Type
		it.ResourceTags = res.Tags
	}
	return it
}

// announce hands an item to Announce; a failure is logged and counted,
// never returned: the outcome it reports is already durable.
// notifiedAbout returns the receivers of the finding's outbox messages.
func (r *Runner) notifiedAbout(findingID string) []string {
	jobs, err := r.Store.Jobs(context.Background(), store.JobFilter{Kind: store.JobNotify, FindingID: findingID})
	if err != nil {
		r.Log.Warn("reading the outbox for an announcement", "finding_id", findingID, "error", err.Error())
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, j := range jobs {
		if !seen[j.Target] && j.Requester != "" && !strings.HasPrefix(j.Requester, "remediation") {
			seen[j.Target] = true
			out = append(out, j.Target)
		}
	}
	return out
}

func (r *Runner) announce(ctx context.Context, a announcement, now time.Time, st *Stats) {
	if r.Announce == nil {
		return
	}
	it := r.item(a, now)
	if err := r.Announce(ctx, it); err != nil {
		st.AnnounceErrors++
		r.Log.Error("announcing remediation result failed", "job_id", a.job.ID, "status", a.status, "error", err.Error())
	}
}

// Announcer returns an Announce function that puts each item into the
// outbox: one notify job per notify action in the item's record, due at
// once, delivered by the outbox dispatcher. Items whose record names no
// receiver are dropped.
func Announcer(st store.JobStore) func(ctx context.Context, it notify.Item) error {
	return func(ctx context.Context, it notify.Item) error {
		var jobs []store.Job
		b, err := json.Marshal(notify.Payload{Item: &it})
		if err != nil {
			return fmt.Errorf("encoding announcement of %s: %w", it.Record.FindingID, err)
		}
		now := it.Record.DecidedAt.UTC()
		requester := "remediation"
		if it.Action != nil {
			requester = fmt.Sprintf("remediation:%d", it.Action.JobID)
		}
		for _, a := range it.Record.Actions {
			if a.Type != decide.ActionNotify || a.Receiver == "" {
				continue
			}
			jobs = append(jobs, store.Job{
				Kind: store.JobNotify, Status: store.JobPending, FindingID: it.Record.FindingID,
				Target: a.Receiver, Due: now, Payload: b, Requester: requester, Created: now, Updated: now,
			})
		}
		if len(jobs) == 0 {
			return nil
		}
		if _, err := st.EnqueueJobs(ctx, jobs, nil); err != nil {
			return fmt.Errorf("queueing announcement of %s: %w", it.Record.FindingID, err)
		}
		return nil
	}
}

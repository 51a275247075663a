package decide

import (
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/suppress"
	"github.com/wardenhq/warden/internal/track"
)

// Input is everything one decision depends on.
type Input struct {
	Finding *finding.Finding
	Prev    *store.State // nil when never seen
	Matched []*policy.CompiledRule
	Account *enrich.Account
	Known   bool // account found in the inventory
	Now     time.Time
	DryRun  bool
	// Notified, when not nil, lists the receivers that were sent a
	// message about this finding before (the outbox's notify jobs). A
	// resolution is sent to exactly these; without it the receivers are
	// worked out again from the rules and routes (see planResolved).
	Notified []string
}

// Decide makes the decision for one finding version and returns the record
// and the state to store.
func Decide(ps *policy.Set, in Input) (Record, store.State) {
	f := in.Finding
	fp := f.Fingerprint()
	rec := Record{
		FindingID: f.ID, Product: f.Product, Format: f.Format, Title: f.Title,
		AccountID: f.AccountID, Region: f.Region, Severity: f.Severity, ResourceID: f.ResourceID(),
		MatchedRules: make([]string, 0, len(in.Matched)),
		Enrichment:   enrich.ContextOf(in.Account, in.Known),
		Actions:      []Action{},
		Fingerprint:  fp,
		PolicyCommit: ps.Commit,
		DecidedAt:    in.Now,
		Source:       Source{File: f.Origin.Source, Line: f.Origin.Line, Index: f.Origin.Index, Item: f.Origin.Item},
	}
	// ignore: true drops the finding unless an earlier matching rule
	// already routes it somewhere (evaluation order decides, as for tier).
	ignore, routed, remediates := false, false, false
	for _, r := range in.Matched {
		rec.MatchedRules = append(rec.MatchedRules, r.ID)
		if rec.Tier == 0 && r.Tier != 0 {
			rec.Tier = r.Tier
		}
		if r.Ignore && !routed {
			ignore = true
		}
		routed = routed || len(r.Notify) > 0 || r.Remediate != nil
		remediates = remediates || r.Remediate != nil
	}
	if rec.Tier == 0 {
		rec.Tier = ps.Settings.Default.Tier
	}
	active, expired := suppress.Check(in.Matched, in.Now)
	rec.Suppression, rec.ExpiredSuppressions = active, expired
	for _, e := range expired {
		rec.Notes = append(rec.Notes, fmt.Sprintf("accepted risk %s (%s) expired on %s and no longer suppresses this finding", e.Rule, e.Ticket, e.Expires))
	}
	prev := in.Prev
	rec.SLA = slaOf(ps, f.Severity, prev, in.Now, !f.Resolved() && active == nil)

	p := newPlanner(ps, &rec, in)
	reason := track.Evaluate(prev, f, fp, in.Now, p.renotifyPeriod())
	rec.Reason = string(reason)
	p.facts.Reason = rec.Reason

	repeat := func(v Verdict) bool { // same decision as last time, nothing new
		return prev != nil && prev.LastVerdict == string(v) && (reason == track.Duplicate || reason == track.Changed || reason == track.RenotifyDue)
	}
	status := store.StatusActive
	switch {
	case f.Resolved():
		status = store.StatusResolved
		rec.Verdict = Resolved
		if reason == track.Duplicate {
			rec.Verdict = Duplicate
		} else if prev != nil && !prev.LastNotified.IsZero() && prev.Status != store.StatusResolved {
			p.planResolved()
		}
	case active != nil:
		status = store.StatusSuppressed
		rec.Verdict = Suppressed
		if repeat(Suppressed) && prev.SuppressedBy == active.Rule {
			rec.Verdict = Duplicate
		}
	case ignore:
		rec.Verdict = Ignored
		if repeat(Ignored) {
			rec.Verdict = Duplicate
		}
	case prev != nil && prev.Status == store.StatusSuppressed:
		rec.Verdict = Reopened
		rec.Reason = "suppression_expired"
		if len(expired) == 0 {
			rec.Reason = "suppression_removed"
			rec.Notes = append(rec.Notes, fmt.Sprintf("accepted risk %s no longer matches this finding", prev.SuppressedBy))
		}
		p.facts.Reason = rec.Reason
		p.planFiring(Reopened, true)
	case reason == track.Reopened:
		rec.Verdict = Reopened
		p.planFiring(Reopened, true)
	case reason == track.Escalated:
		rec.Verdict = Escalate
		rec.Notes = append(rec.Notes, fmt.Sprintf("severity rose from %s to %s", prev.Severity, f.Severity))
		p.planFiring(Escalate, true)
	case reason == track.New || !notifiedBefore(prev):
		// First sight, or tracked but never routed anywhere (ignored under
		// an older policy): decide afresh.
		v := Notify
		if remediates {
			v = Remediate
		}
		p.planFiring(v, true)
		rec.Verdict = Notify
		if hasRemediation(rec.Actions) {
			rec.Verdict = Remediate
		} else if len(rec.Actions) == 0 {
			rec.Verdict = Ignored
			rec.Notes = append(rec.Notes, "no receiver and no playbook for this finding")
			if repeat(Ignored) {
				rec.Verdict = Duplicate
			}
		}
	case reason == track.RenotifyDue:
		rec.Verdict = Notify
		rec.Notes = append(rec.Notes, fmt.Sprintf("still active; last notified %s", prev.LastNotified.UTC().Format(time.RFC3339)))
		if p.planRenotify() {
			rec.Verdict = Escalate
		}
		if len(rec.Actions) == 0 {
			rec.Verdict = Duplicate
		}
	default:
		rec.Verdict = Duplicate
	}

	st := store.State{
		ID: f.ID, Product: f.Product, AccountID: f.AccountID, Region: f.Region, Title: f.Title,
		Status: status, Severity: f.Severity, Fingerprint: fp,
		FirstSeen: in.Now, LastSeen: in.Now, LastVerdict: string(rec.Verdict),
	}
	if prev != nil {
		st.FirstSeen, st.LastNotified, st.NotifyCount = prev.FirstSeen, prev.LastNotified, prev.NotifyCount
		if rec.Verdict == Duplicate {
			st.LastVerdict = prev.LastVerdict
		}
	}
	if active != nil {
		st.SuppressedBy = active.Rule
	}
	// Resolution messages do not count as notifications: notify_count
	// counts the messages about the finding being open (escalation
	// counts re-notifications from it).
	for _, a := range rec.Actions {
		if a.Type == ActionNotify && a.Kind != KindResolved {
			st.LastNotified = in.Now
			st.NotifyCount++
			break
		}
	}
	if prev != nil && rec.Verdict == Duplicate && in.Now.Sub(prev.LastSeen) < LastSeenResolution {
		// A re-report that changes nothing but last_seen, within the
		// resolution, leaves the stored row as it is: the store then skips
		// the write (the decision is still audited).
		if same := *prev; sameExceptLastSeen(same, st) {
			st.LastSeen = prev.LastSeen
		}
	}
	rec.FirstSeen, rec.NotifyCount = st.FirstSeen, st.NotifyCount
	return rec, st
}

// LastSeenResolution is how precisely last_seen follows re-reports that
// change nothing else: within this period the stored row is not rewritten.
// Findings are re-reported daily or hourly; an hour keeps last_seen
// meaningful and saves a random-page write per duplicate.
const LastSeenResolution = time.Hour

func sameExceptLastSeen(a, b store.State) bool {
	a.LastSeen = b.LastSeen
	return a == b
}

// notifiedBefore reports whether the finding was ever routed to someone
// or something (nil: never seen).
func notifiedBefore(s *store.State) bool {
	return s != nil && (!s.LastNotified.IsZero() || s.LastVerdict == string(Remediate) || s.LastVerdict == string(Notify))
}

func hasRemediation(actions []Action) bool {
	for _, a := range actions {
		if a.Type == ActionRemediate {
			return true
		}
	}
	return false
}

func destructiveWord(d bool) string {
	if d {
		return "destructive"
	}
	return "non-destructive"
}

package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// What remediation.on_approval_expiry may say.
const (
	ExpiryDeny   = "deny"
	ExpiryRun    = "run"
	ExpiryTicket = "ticket"
)

// ExpiryDecider is the DecidedBy of a job settled by on_approval_expiry.
const ExpiryDecider = "policy:on_approval_expiry"

// expire settles the approvals that lapsed by now.
func (r *Runner) expire(ctx context.Context, now time.Time, st *Stats) error {
	waiting, err := r.Store.Jobs(ctx, store.JobFilter{Kind: store.JobRemediate, Status: []store.JobStatus{store.JobWaiting}})
	if err != nil {
		return fmt.Errorf("reading remediations waiting for approval: %w", err)
	}
	how := r.settings().OnApprovalExpiry
	if how == "" {
		how = ExpiryDeny
	}
	for i := range waiting {
		j := &waiting[i]
		if j.Expires.IsZero() || now.Before(j.Expires) {
			continue
		}
		p, err := DecodePayload(j)
		if err != nil {
			p = Payload{Request: remediate.Request{Playbook: j.Target, FindingID: j.FindingID}, Mode: string(policy.ModeApproval)}
		}
		n := *j
		n.Payload = nil // unchanged
		n.DecidedBy, n.DecidedAt, n.Updated = ExpiryDecider, now, now
		lapsed := fmt.Sprintf("approval expired at %s without a decision", j.Expires.Format(time.RFC3339))
		a := announcement{job: &n, p: &p, status: string(store.JobExpired), mode: p.Mode, escalate: true}
		switch how {
		case ExpiryRun:
			n.Status, n.Due = store.JobPending, now
			n.LastError = lapsed + "; runs as remediation.on_approval_expiry says"
		case ExpiryTicket:
			n.Status = store.JobExpired
			n.LastError = lapsed + "; handed over as a ticket"
			a.mode = string(policy.ModeTicket)
		default:
			n.Status = store.JobExpired
			n.LastError = lapsed
		}
		a.summary = n.LastError
		ar := AuditRecord{
			Type: AuditExpiry, JobID: j.ID, FindingID: j.FindingID, Playbook: j.Target, Rule: p.Rule, Mode: p.Mode,
			AccountID: p.AccountID, Region: p.Region, Status: string(n.Status), RequestedBy: j.Requester,
			By: ExpiryDecider, Reason: "remediation.on_approval_expiry: " + how, At: now,
		}
		err = r.Store.UpdateJobs(ctx, []store.JobUpdate{{ID: j.ID, From: store.JobWaiting, Job: n, Audit: ar.bytes()}})
		if errors.Is(err, store.ErrConflict) {
			st.Conflicts++
			continue
		}
		if err != nil {
			return fmt.Errorf("settling the lapsed approval of remediation %d: %w", j.ID, err)
		}
		r.Log.Info("remediation approval expired", "job_id", j.ID, "playbook", j.Target, "finding_id", j.FindingID, "on_approval_expiry", how)
		if n.Status == store.JobPending {
			st.Released++
			continue // its run is announced
		}
		st.Expired++
		r.announce(ctx, a, now, st)
	}
	return nil
}

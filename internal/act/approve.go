package act

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/store"
)

// Reasons Approve, Deny, Cancel and Retry refuse; match them with errors.Is.
var (
	// ErrUnknownAction: no remediate job has that id.
	ErrUnknownAction = errors.New("no such action")
	// ErrNotWaiting: the action is not waiting for an approval.
	ErrNotWaiting = errors.New("not waiting for approval")
	// ErrFinished: the action has already ended (done, failed, denied, …).
	ErrFinished = errors.New("already finished")
	// ErrRunning: a runner is running the action now.
	ErrRunning = errors.New("running now")
	// ErrLapsed: the approval window has passed.
	ErrLapsed = errors.New("approval has expired")
	// ErrFourEyes: the approver is the requester and policy requires four
	// eyes.
	ErrFourEyes = errors.New("four-eyes rule: the approver must differ from the requester")
	// ErrNoApprover: no name was given for the person deciding.
	ErrNoApprover = errors.New("who decides must be named")
	// ErrNotRetryable: only failed or skipped actions can be run again.
	ErrNotRetryable = errors.New("not failed")
)

// Approve lets a waiting action run now. With fourEyes (remediation.
// four_eyes) the approver may not be the requester (compared without
// case, and without a "user:" prefix on the requester). The approval is
// audited with the reason.
func Approve(ctx context.Context, st store.Store, id int64, who, reason string, now time.Time, fourEyes bool) error {
	now = now.UTC()
	j, err := openJob(ctx, st, id, who)
	if err != nil {
		return err
	}
	switch {
	case j.Status == store.JobPending:
		return fmt.Errorf("approving action %d: it is pending (due %s), %w", id, j.Due.Format(time.RFC3339), ErrNotWaiting)
	case j.Status != store.JobWaiting:
		return fmt.Errorf("approving action %d: it is %s, %w", id, j.Status, ErrFinished)
	case !j.Expires.IsZero() && !now.Before(j.Expires):
		return fmt.Errorf("approving action %d: it lapsed at %s, %w", id, j.Expires.Format(time.RFC3339), ErrLapsed)
	case fourEyes && sameIdentity(who, j.Requester):
		return fmt.Errorf("approving action %d as %s: %w", id, who, ErrFourEyes)
	}
	n := j
	n.Status, n.Due, n.DecidedBy, n.DecidedAt, n.Updated = store.JobPending, now, who, now, now
	return decideJob(ctx, st, j, n, AuditApproval, who, reason, now)
}

// Deny refuses a waiting action: it never runs.
func Deny(ctx context.Context, st store.Store, id int64, who, reason string, now time.Time) error {
	now = now.UTC()
	j, err := openJob(ctx, st, id, who)
	if err != nil {
		return err
	}
	switch {
	case j.Status == store.JobPending:
		return fmt.Errorf("denying action %d: it is pending (due %s; cancel it instead), %w", id, j.Due.Format(time.RFC3339), ErrNotWaiting)
	case j.Status != store.JobWaiting:
		return fmt.Errorf("denying action %d: it is %s, %w", id, j.Status, ErrFinished)
	}
	n := j
	n.Status, n.DecidedBy, n.DecidedAt, n.Updated = store.JobDenied, who, now, now
	n.LastError = "denied by " + who
	return decideJob(ctx, st, j, n, AuditDenial, who, reason, now)
}

// Cancel stops a pending (delayed, approved, retrying) or waiting action
// before it runs. An action a runner is running, or one that ended,
// cannot be cancelled.
func Cancel(ctx context.Context, st store.Store, id int64, who, reason string, now time.Time) error {
	now = now.UTC()
	j, err := openJob(ctx, st, id, who)
	if err != nil {
		return err
	}
	if !j.Status.Open() {
		return fmt.Errorf("cancelling action %d: it is %s, %w", id, j.Status, ErrFinished)
	}
	if l, ok := Running(&j, now); ok {
		return fmt.Errorf("cancelling action %d: %s started it at %s, %w", id, l.Runner, l.Since.Format(time.RFC3339), ErrRunning)
	}
	n := j
	n.Status, n.DecidedBy, n.DecidedAt, n.Updated = store.JobCancelled, who, now, now
	n.LastError = "cancelled by " + who
	return decideJob(ctx, st, j, n, AuditCancellation, who, reason, now)
}

// Retry puts a failed (or skipped) action back, due now with its attempts
// reset: a person decided to run it again (e.g. after fixing a missing
// permission). It is audited.
func Retry(ctx context.Context, st store.Store, id int64, who, reason string, now time.Time) error {
	now = now.UTC()
	j, err := openJob(ctx, st, id, who)
	if err != nil {
		return err
	}
	if j.Status != store.JobFailed && j.Status != store.JobSkipped {
		return fmt.Errorf("retrying action %d: it is %s; only failed or skipped actions can be run again: %w", id, j.Status, ErrNotRetryable)
	}
	n := j
	n.Status, n.Due, n.Attempts, n.LastError, n.Updated = store.JobPending, now, 0, "", now
	n.DecidedBy, n.DecidedAt = who, now
	return decideJob(ctx, st, j, n, AuditRetry, who, reason, now)
}

func openJob(ctx context.Context, st store.Store, id int64, who string) (store.Job, error) {
	if strings.TrimSpace(who) == "" {
		return store.Job{}, fmt.Errorf("action %d: %w", id, ErrNoApprover)
	}
	j, err := st.Job(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && j.Kind != store.JobRemediate) {
		return store.Job{}, fmt.Errorf("action %d: %w", id, ErrUnknownAction)
	}
	if err != nil {
		return store.Job{}, fmt.Errorf("reading action %d: %w", id, err)
	}
	return j, nil
}

func decideJob(ctx context.Context, st store.Store, old, n store.Job, typ, who, reason string, now time.Time) error {
	p, err := DecodePayload(&old)
	if err != nil {
		p = Payload{}
	}
	ar := AuditRecord{
		Type: typ, JobID: old.ID, FindingID: old.FindingID, Playbook: old.Target, Rule: p.Rule, Mode: p.Mode,
		AccountID: p.AccountID, Region: p.Region, Status: string(n.Status), RequestedBy: old.Requester,
		By: who, Reason: reason, At: now,
	}
	n.Payload = nil // unchanged
	err = st.UpdateJobs(ctx, []store.JobUpdate{{ID: old.ID, From: old.Status, Job: n, Audit: ar.bytes()}})
	if errors.Is(err, store.ErrConflict) {
		cur, gerr := st.Job(ctx, old.ID)
		if gerr == nil {
			return fmt.Errorf("action %d changed meanwhile (it is now %s): %w", old.ID, cur.Status, err)
		}
	}
	if err != nil {
		return fmt.Errorf("recording the %s of action %d: %w", typ, old.ID, err)
	}
	return nil
}

// sameIdentity reports whether who is the requester.
func sameIdentity(who, requester string) bool {
	who = strings.TrimSpace(who)
	r := strings.TrimSpace(requester)
	if strings.EqualFold(who, r) {
		return true
	}
	if u, ok := strings.CutPrefix(r, "user:"); ok && strings.EqualFold(who, u) {
		return true
	}
	return false
}

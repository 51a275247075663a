package act

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/secret"
	"github.com/wardenhq/warden/internal/store"
)

// Defaults of the Runner.
const (
	DefaultMaxAttempts = 5
	DefaultBackoff     = time.Minute
	DefaultMaxBackoff  = time.Hour
	DefaultTimeout     = 10 * time.Minute
	DefaultLease       = 30 * time.Minute
)

// CredsFunc returns the SDK configuration for a finding's account and
// region, with credentials of a session named sessionName (internal/awscred
// assumes the remediation role there). The configuration's retryer handles
// throttling.
type CredsFunc func(ctx context.Context, accountID, region, sessionName string) (aws.Config, error)

// ErrNoCredentials is returned by RunDue when there is due work and no
// credentials provider.
var ErrNoCredentials = errors.New("no AWS credentials provider is configured for remediation")

// Runner runs due remediate jobs. Set the fields, then call RunDue; one
// RunDue at a time per Runner (several Runners on one store are safe:
// jobs are claimed). The fields are not changed by RunDue.
type Runner struct {
	Store  store.Store
	Policy *policy.Set
	Creds  CredsFunc
	// HTTP and Secrets are handed to playbooks (http-request).
	HTTP    *http.Client
	Secrets secret.Resolver
	Clock   func() time.Time
	Log     *slog.Logger
	// Kill is the operator's kill switch (flag, signal); the policy's
	// remediation.kill_switch applies as well.
	Kill *KillSwitch
	// Announce, when set, is told about results (see the package doc).
	Announce func(ctx context.Context, it notify.Item) error
	// Lookup finds a playbook by name (default remediate.Get).
	Lookup func(name string) (remediate.Playbook, bool)

	// MaxAttempts is how many runs of a job may start (default 5).
	MaxAttempts int
	// Backoff is the wait before the first retry, doubling up to
	// MaxBackoff (defaults 1m and 1h).
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one run (default 10m); Lease is how long a claimed
	// job is left alone by other runners (default 30m, at least twice
	// Timeout).
	Timeout, Lease time.Duration
	// Name identifies this runner in leases (default host:pid).
	Name string
}

// Stats count one pass.
type Stats struct {
	Expired        int `json:"expired"`         // approvals that lapsed and will not run
	Released       int `json:"released"`        // approvals that lapsed and run (on_approval_expiry: run)
	Done           int `json:"done"`            // runs that succeeded (or found the resource gone)
	DryRun         int `json:"dry_run"`         // runs made as dry runs (kill switch)
	Failed         int `json:"failed"`          // runs or jobs that failed for good
	Retried        int `json:"retried"`         // runs that failed and will be retried
	Skipped        int `json:"skipped"`         // jobs a safety rail stopped
	Deferred       int `json:"deferred"`        // jobs a rate limit put off
	Escalated      int `json:"escalated"`       // blast-radius escalations
	Conflicts      int `json:"conflicts"`       // jobs another runner or a person changed first
	AnnounceErrors int `json:"announce_errors"` // announcements that could not be made
}

// withDefaults returns a copy of r with the defaults filled in.
func (r *Runner) withDefaults() *Runner {
	c := *r
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Lookup == nil {
		c.Lookup = remediate.Get
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	c.Lease = max(c.Lease, 2*c.Timeout)
	if c.Name == "" {
		host, _ := os.Hostname()
		c.Name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	return &c
}

func (r *Runner) settings() policy.RemediationSettings {
	if r.Policy == nil {
		return policy.RemediationSettings{}
	}
	return r.Policy.Settings.Remediation
}

func (r *Runner) now() time.Time { return r.Clock().UTC() }

// RunDue makes one pass: it settles lapsed approvals, then runs every
// due pending remediate job once, in Due order. Only store failures (and
// the context ending) are returned; a run's failure is recorded on its
// job.
func (r *Runner) RunDue(ctx context.Context) (Stats, error) {
	x := r.withDefaults()
	var st Stats
	if x.Store == nil {
		return st, errors.New("running remediations: no store")
	}
	now := x.now()
	if err := x.expire(ctx, now, &st); err != nil {
		return st, err
	}
	due, err := x.Store.Jobs(ctx, store.JobFilter{Kind: store.JobRemediate, Status: []store.JobStatus{store.JobPending}, DueBy: now})
	if err != nil {
		return st, fmt.Errorf("reading due remediations: %w", err)
	}
	if len(due) == 0 {
		return st, nil
	}
	if x.Creds == nil {
		return st, ErrNoCredentials
	}
	w, err := loadWindow(ctx, x.Store, LimitsOf(x.settings()), now)
	if err != nil {
		return st, err
	}
	for i := range due {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := x.runOne(ctx, &due[i], w, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// backoff is the wait before retry number attempt (1-based).
func (r *Runner) backoff(attempt int) time.Duration {
	d := r.Backoff
	for i := 1; i < attempt && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

// runOne takes one due job through the rails, runs it and records the
// outcome.
func (r *Runner) runOne(ctx context.Context, listed *store.Job, w *window, st *Stats) error {
	now := r.now()
	// The listing may be old (a long run came before): read the job
	// again, and leave it if it is no longer due or another runner holds
	// it.
	fresh, err := r.Store.Job(ctx, listed.ID)
	if err != nil {
		return fmt.Errorf("reading remediation %d: %w", listed.ID, err)
	}
	j := &fresh
	if j.Status != store.JobPending || j.Due.After(now) {
		st.Conflicts++
		return nil
	}
	p, hadMode, err := decodePayload(j)
	if err != nil {
		p = Payload{Request: remediate.Request{Playbook: j.Target, FindingID: j.FindingID}, Mode: modeOf(j)}
		return r.stop(ctx, j, &p, store.JobFailed, railNone, err.Error(), now, st)
	}
	p.Playbook = j.Target
	log := r.Log.With("job_id", j.ID, "playbook", j.Target, "finding_id", j.FindingID)
	if j.Attempts >= r.MaxAttempts {
		return r.stop(ctx, j, &p, store.JobFailed, railNone, fmt.Sprintf("gave up: %d runs started and none finished", j.Attempts), now, st)
	}
	pb, ok := r.Lookup(j.Target)
	if !ok {
		return r.stop(ctx, j, &p, store.JobFailed, railNone, fmt.Sprintf("playbook %s is not available in this build (registered: %v)", j.Target, remediate.Registered()), now, st)
	}
	if reason, hit := loopGuard(r.settings(), p.Actor); hit {
		log.Warn("remediation stopped by the loop guard", "actor", p.Actor)
		return r.stop(ctx, j, &p, store.JobSkipped, railLoop, reason, now, st)
	}
	dry := r.Kill.On() || r.settings().KillSwitch
	if !dry {
		v := w.check(&p, j.Target, now)
		switch v.rail {
		case railPlaybook:
			log.Warn("remediation stopped by the blast-radius cap", "reason", v.reason)
			return r.stop(ctx, j, &p, store.JobSkipped, railPlaybook, v.reason, now, st)
		case railResource:
			log.Warn("remediation stopped by the per-resource limit", "reason", v.reason)
			return r.stop(ctx, j, &p, store.JobSkipped, railResource, v.reason, now, st)
		case railAccount:
			n := *j
			n.Payload = nil // unchanged
			n.Due, n.LastError, n.Updated = v.until, v.reason, now
			err := r.Store.UpdateJobs(ctx, []store.JobUpdate{{ID: j.ID, From: store.JobPending, Job: n}})
			if errors.Is(err, store.ErrConflict) {
				st.Conflicts++
				return nil
			}
			if err != nil {
				return fmt.Errorf("deferring remediation %d: %w", j.ID, err)
			}
			log.Info("remediation deferred by the per-account limit", "until", v.until)
			st.Deferred++
			return nil
		}
	}
	claimed, err := r.claim(ctx, j, &p, !hadMode, dry, now)
	if errors.Is(err, store.ErrConflict) {
		st.Conflicts++
		return nil
	}
	if err != nil {
		return err
	}
	return r.run(ctx, j, claimed, &p, pb, dry, w, st)
}

// claim takes the job for this runner (see the package doc).
func (r *Runner) claim(ctx context.Context, j *store.Job, p *Payload, writeMode, dry bool, now time.Time) (store.Job, error) {
	lease := Lease{Runner: r.Name, Token: token(), Since: now, Until: now.Add(r.Lease)}
	n := *j
	n.Payload = nil // unchanged
	if writeMode {
		n.Payload = mustJSON(p)
	}
	n.Attempts++
	n.Due, n.Updated = lease.Until, now
	n.Result = mustJSON(leaseResult{Running: &lease})
	rec := r.auditBase(j, p, now)
	rec.Type, rec.Status, rec.Attempt, rec.DryRun = AuditStarted, "running", n.Attempts, dry
	// Compare-and-swap on status and attempts: of two runners claiming
	// the same pending job, exactly one bumps its attempts.
	from := j.Attempts
	err := r.Store.UpdateJobs(ctx, []store.JobUpdate{{ID: j.ID, From: store.JobPending, FromAttempts: &from, Job: n, Audit: rec.bytes()}})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return n, err
		}
		return n, fmt.Errorf("claiming remediation %d: %w", j.ID, err)
	}
	// The claim is exclusive; reading it back also catches a person or a
	// process without the attempts check changing the job in between.
	cur, err := r.Store.Job(ctx, j.ID)
	if err != nil {
		return n, fmt.Errorf("reading back the claim of remediation %d: %w", j.ID, err)
	}
	if l, ok := Running(&cur, now); !ok || l.Token != lease.Token {
		rec.Type, rec.Status = AuditClaimLost, string(cur.Status)
		rec.Notes = []string{"another runner or a person changed the job right after this runner claimed it; this runner did not run it"}
		if _, err := r.Store.EnqueueJobs(ctx, nil, rec.bytes()); err != nil {
			return n, fmt.Errorf("recording the lost claim of remediation %d: %w", j.ID, err)
		}
		return n, store.ErrConflict
	}
	return n, nil
}

// token returns a random claim token.
func token() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// auditBase fills the fields every record of a job has.
func (r *Runner) auditBase(j *store.Job, p *Payload, now time.Time) AuditRecord {
	return AuditRecord{
		JobID: j.ID, FindingID: j.FindingID, Playbook: j.Target, Rule: p.Rule, Mode: p.Mode,
		AccountID: p.AccountID, Region: p.Region, CaseID: caseID(j, p),
		RequestedBy: j.Requester, ApprovedBy: j.DecidedBy, At: now,
	}
}

func caseID(j *store.Job, p *Payload) string {
	if p.CaseID != "" {
		return p.CaseID
	}
	return fmt.Sprintf("warden-%d", j.ID)
}

// stop ends a job that does not run (a rail, a bad payload, a missing
// playbook) and announces it.
func (r *Runner) stop(ctx context.Context, j *store.Job, p *Payload, status store.JobStatus, rail railKind, reason string, now time.Time, st *Stats) error {
	n := *j
	n.Status, n.LastError, n.Updated = status, reason, now
	n.Payload, n.Result = nil, nil
	rec := r.auditBase(j, p, now)
	rec.Type, rec.Status, rec.Rail = AuditRemediation, string(status), railName(rail)
	if status == store.JobFailed {
		rec.Error = reason
	} else {
		rec.Reason = reason
	}
	// Compare-and-swap on status and attempts: of two runners claiming
	// the same pending job, exactly one bumps its attempts.
	from := j.Attempts
	err := r.Store.UpdateJobs(ctx, []store.JobUpdate{{ID: j.ID, From: store.JobPending, FromAttempts: &from, Job: n, Audit: rec.bytes()}})
	if errors.Is(err, store.ErrConflict) {
		st.Conflicts++
		return nil
	}
	if err != nil {
		return fmt.Errorf("recording remediation %d as %s: %w", j.ID, status, err)
	}
	a := announcement{job: &n, p: p, status: string(status), mode: p.Mode, summary: reason, escalate: true}
	switch {
	case status == store.JobFailed:
		st.Failed++
	case rail == railPlaybook:
		st.Skipped++
		first, err := r.escalateOnce(ctx, j.Target, now)
		if err != nil {
			return err
		}
		if !first {
			return nil // escalated already in this window
		}
		st.Escalated++
		a.only, a.verdict = true, decide.Escalate
	default:
		st.Skipped++
	}
	r.announce(ctx, a, now, st)
	return nil
}

// escalateOnce reports whether the playbook's blast-radius cap has not
// been escalated in the current window, and records that it now is.
func (r *Runner) escalateOnce(ctx context.Context, playbook string, now time.Time) (bool, error) {
	refs, err := r.Store.Refs(ctx, EscalatedTarget, []string{playbook})
	if err != nil {
		return false, fmt.Errorf("reading the escalation of %s: %w", playbook, err)
	}
	if ref, ok := refs[playbook]; ok && !ref.Updated.Before(now.Add(-LimitsOf(r.settings()).Window)) {
		return false, nil
	}
	if err := r.Store.SetRefs(ctx, []store.Ref{{FindingID: playbook, Target: EscalatedTarget, Value: now.Format(time.RFC3339), Updated: now}}); err != nil {
		return false, fmt.Errorf("recording the escalation of %s: %w", playbook, err)
	}
	return true, nil
}

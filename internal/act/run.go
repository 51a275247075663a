package act

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// KillSwitchNote is the note a dry run forced by the kill switch carries.
const KillSwitchNote = "kill switch in force: ran as a dry run, nothing was changed"

// run executes a claimed job and records its outcome. j is the job as it
// was before the claim.
func (r *Runner) run(ctx context.Context, j *store.Job, claimed store.Job, p *Payload, pb remediate.Playbook, dry bool, w *window, st *Stats) error {
	req := p.Request
	req.JobID, req.Playbook, req.CaseID = j.ID, j.Target, caseID(j, p)
	rec := remediate.NewRecorder(j.Target, req.CaseID, dry, r.Clock)
	if dry {
		rec.Note(KillSwitchNote)
	}
	runErr := r.execute(ctx, pb, &req, rec, dry)
	res := rec.Result()
	res.DryRun = dry
	now := r.now()
	oc := classify(ctx, runErr)

	n := claimed
	n.Updated = now
	var retryAt *time.Time
	tell := true
	a := announcement{job: &n, p: p, mode: p.Mode, escalate: true}
	switch {
	case oc == outcomeInterrupt:
		n.Status, n.Due, n.Attempts = store.JobPending, now, j.Attempts
		n.LastError = "interrupted: " + runErr.Error()
		tell = false
	case dry:
		n.Status, n.LastError = store.JobSkipped, KillSwitchNote
		if runErr != nil {
			n.LastError += "; the dry run failed: " + runErr.Error()
		}
		a.summary = n.LastError
		st.DryRun++
	case oc == outcomeDone || oc == outcomeGone:
		n.Status, n.LastError = store.JobDone, ""
		a.summary, a.escalate = summary(res), false
		if oc == outcomeGone {
			res.Notes = append(res.Notes, "the resource no longer exists; nothing to do")
			a.summary = "the resource no longer exists; nothing to do"
		}
		st.Done++
	case oc == outcomeRetry && n.Attempts < r.MaxAttempts:
		n.Status, n.Due, n.LastError = store.JobPending, now.Add(r.backoff(n.Attempts)), runErr.Error()
		retryAt = &n.Due
		tell = false
		st.Retried++
	case oc == outcomeRetry:
		n.Status, n.LastError = store.JobFailed, fmt.Sprintf("gave up after %d attempts: %v", n.Attempts, runErr)
		a.summary = n.LastError
		st.Failed++
	default:
		n.Status, n.LastError = store.JobFailed, runErr.Error()
		a.summary = n.LastError
		st.Failed++
	}
	if runErr != nil {
		res.Error = runErr.Error()
	}
	n.Result = mustJSON(res)
	a.status = string(n.Status)

	ar := r.auditBase(j, p, now)
	ar.Type, ar.Status, ar.Attempt, ar.DryRun = AuditRemediation, string(n.Status), claimed.Attempts, dry
	ar.Steps, ar.Evidence, ar.Rollback, ar.Notes, ar.Error, ar.RetryAt = res.Steps, res.Evidence, res.Rollback, res.Notes, res.Error, retryAt
	if dry {
		ar.Rail = "kill_switch"
	}
	recorded, err := r.record(ctx, j.ID, n, &ar)
	if err != nil {
		return err
	}
	if !recorded {
		st.Conflicts++
		tell = false
	}
	if n.Status == store.JobDone && !dry && recorded {
		w.add(p, j.Target, now)
	}
	if tell {
		r.announce(ctx, a, now, st)
	}
	r.Log.Info("remediation finished", "job_id", j.ID, "playbook", j.Target, "finding_id", j.FindingID, "status", string(n.Status), "dry_run", dry, "attempt", claimed.Attempts, "error", res.Error)
	if oc == outcomeInterrupt {
		return ctx.Err()
	}
	return nil
}

// summary says in one line what a successful run did.
func summary(res *remediate.Result) string {
	var changed, unchanged []string
	for _, s := range res.Steps {
		switch s.Status {
		case remediate.StepChanged:
			changed = append(changed, s.Name)
		case remediate.StepUnchanged:
			unchanged = append(unchanged, s.Name)
		}
	}
	switch {
	case len(changed) > 0:
		return "changed: " + strings.Join(changed, ", ")
	case len(unchanged) > 0:
		return "already as wanted: " + strings.Join(unchanged, ", ")
	}
	return "ran; nothing to change"
}

// execute gets credentials and runs the playbook, with a timeout and
// panic isolation.
func (r *Runner) execute(ctx context.Context, pb remediate.Playbook, req *remediate.Request, rec *remediate.Recorder, dry bool) (err error) {
	rctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			r.Log.Error("playbook panicked", "job_id", req.JobID, "playbook", req.Playbook, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("playbook %s panicked: %v", req.Playbook, v)
		}
	}()
	cfg := aws.Config{Region: req.Region}
	session := SessionName(req.JobID, req.Rule, req.FindingID)
	if spec, ok := remediate.Lookup(req.Playbook); ok && len(spec.IAMActions) == 0 {
		// A playbook that calls no AWS API (http-request) needs no role.
		err = nil
	} else {
		err = rec.Step("credentials", false, func(s *remediate.Step) error {
			s.Request = map[string]string{"account_id": req.AccountID, "region": req.Region, "session_name": session}
			var err error
			cfg, err = r.Creds(rctx, req.AccountID, req.Region, session)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("getting credentials for account %s in %s: %w", req.AccountID, req.Region, err)
	}
	env := &remediate.Env{
		AWS: cfg, HTTP: r.HTTP, Secrets: r.Secrets, DryRun: dry, Now: r.Clock,
		Log: r.Log.With("job_id", req.JobID, "playbook", req.Playbook, "finding_id", req.FindingID, "dry_run", dry),
	}
	if err := pb.Run(rctx, env, req, rec); err != nil {
		return fmt.Errorf("running playbook %s: %w", req.Playbook, err)
	}
	return nil
}

// record writes a run's outcome. It reports false when the job had been
// taken over (the audit record is still appended).
func (r *Runner) record(ctx context.Context, id int64, n store.Job, ar *AuditRecord) (bool, error) {
	wctx := ctx
	if ctx.Err() != nil {
		// The outcome of a run that happened must be kept even when the
		// pass is being stopped.
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	err := r.Store.UpdateJobs(wctx, []store.JobUpdate{{ID: id, From: store.JobPending, Job: n, Audit: ar.bytes()}})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrConflict) {
		return false, fmt.Errorf("recording the outcome of remediation %d: %w", id, err)
	}
	cur, gerr := r.Store.Job(wctx, id)
	if gerr == nil && cur.Status == store.JobCancelled {
		// Cancelled after the run was claimed: the run happened, so the
		// job says what it did; a retry is not made.
		ar.Notes = append(ar.Notes, fmt.Sprintf("cancelled by %s while the run was under way; this is what the run did", cur.DecidedBy))
		n.DecidedBy, n.DecidedAt = cur.DecidedBy, cur.DecidedAt
		if n.Status.Open() {
			n.Status, n.Due = store.JobCancelled, cur.Due
			ar.Status = string(store.JobCancelled)
		}
		err = r.Store.UpdateJobs(wctx, []store.JobUpdate{{ID: id, From: store.JobCancelled, Job: n, Audit: ar.bytes()}})
		if err == nil {
			return true, nil
		}
	}
	// Someone else finished it: keep this run's record in the audit log.
	ar.Notes = append(ar.Notes, "the job was changed by another runner or person before this outcome could be recorded on it")
	if _, aerr := r.Store.EnqueueJobs(wctx, nil, ar.bytes()); aerr != nil {
		return false, fmt.Errorf("recording the outcome of remediation %d: %w", id, errors.Join(err, aerr))
	}
	r.Log.Error("remediation outcome recorded in the audit log only", "job_id", id, "error", err.Error())
	return false, nil
}

// SessionName names the STS session of a run: warden-<job id>-<rule>-<8
// hex digits of the finding id's SHA-256>, cut to the 64 characters STS
// allows, in the characters it allows ([\w+=,.@-]).
func SessionName(jobID int64, rule, findingID string) string {
	h := sha256.Sum256([]byte(findingID))
	suffix := "-" + hex.EncodeToString(h[:4])
	head := fmt.Sprintf("warden-%d", jobID)
	var b strings.Builder
	for _, c := range rule {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("+=,.@_-", c):
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	mid := b.String()
	if mid != "" {
		mid = "-" + mid
	}
	if room := 64 - len(head) - len(suffix); len(mid) > room {
		mid = mid[:max(room, 0)]
	}
	return head + mid + suffix
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "unrecordable result: " + err.Error()})
	}
	return b
}

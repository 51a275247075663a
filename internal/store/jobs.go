package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// JobKind says which stage runs a job.
type JobKind string

// Job kinds.
const (
	// JobNotify is one finding's message to one receiver (the outbox).
	// Jobs with the same Target and Group are delivered as one message.
	JobNotify JobKind = "notify"
	// JobRemediate is one playbook run on one finding (pending actions).
	JobRemediate JobKind = "remediate"
	// JobWriteback is one finding's Security Hub update (batched by the
	// dispatcher, up to 100 per call).
	JobWriteback JobKind = "writeback"
)

// JobStatus is where a job is in its life.
type JobStatus string

// Job statuses. Pending and Waiting jobs are open; the rest are final
// except Dead, which `warden outbox retry` can put back to Pending.
const (
	// JobPending: runs when Due has passed.
	JobPending JobStatus = "pending"
	// JobWaiting: waits for a human (approval); Expires says until when.
	JobWaiting JobStatus = "waiting"
	// JobDone: delivered or executed.
	JobDone JobStatus = "done"
	// JobDead: gave up after the maximum attempts (dead letter).
	JobDead JobStatus = "dead"
	// JobCancelled: cancelled by a person or superseded.
	JobCancelled JobStatus = "cancelled"
	// JobDenied: an approver said no.
	JobDenied JobStatus = "denied"
	// JobExpired: an approval that nobody gave in time.
	JobExpired JobStatus = "expired"
	// JobFailed: ran and failed in a way retrying cannot fix.
	JobFailed JobStatus = "failed"
	// JobSkipped: not run on purpose (inhibited, muted past its use, a
	// safety rail, the kill switch in force); LastError says why.
	JobSkipped JobStatus = "skipped"
)

// Open reports whether the job can still run.
func (s JobStatus) Open() bool { return s == JobPending || s == JobWaiting }

// Job is one durable unit of work of the act stage: a message in the
// outbox, a pending remediation or a Security Hub write-back. Jobs are
// created in the same transaction as the decision that asks for them
// (Entry.Jobs), so a crash never loses one nor creates one without its
// decision.
type Job struct {
	ID        int64 // assigned by the store; 0 in Entry.Jobs
	Kind      JobKind
	Status    JobStatus
	FindingID string
	// Target is the receiver name (notify), playbook name (remediate) or
	// "securityhub" (writeback).
	Target string
	// Group is the notify group key: open jobs of one Target and Group
	// are sent together in one message. Empty for other kinds.
	Group string
	// Due is the earliest time the job may run.
	Due time.Time
	// Expires ends a Waiting job (approval timeout); zero when none.
	Expires time.Time
	// Attempts counts runs that failed and were retried.
	Attempts  int
	LastError string
	// Payload is what the job needs to run, as JSON (notify.Item,
	// remediate.Request, …); it is opaque to the store.
	Payload []byte
	// Result is what the last run produced, as JSON (step log, receiver
	// reference, …).
	Result []byte
	// Requester is who or what asked for the job (a rule id, a user).
	Requester string
	// DecidedBy and DecidedAt record an approval, denial or cancellation.
	DecidedBy string
	DecidedAt time.Time
	Created   time.Time
	Updated   time.Time
}

// JobFilter selects jobs for JobStore.Jobs. Zero fields match everything.
type JobFilter struct {
	Kind      JobKind
	Status    []JobStatus
	FindingID string
	Target    string
	Group     string
	// DueBy selects jobs with Due <= DueBy (zero: any).
	DueBy time.Time
	// UpdatedSince selects jobs with Updated >= UpdatedSince (zero: any).
	UpdatedSince time.Time
	// Limit caps the result (0: no cap). Jobs come ordered by Due, then ID.
	Limit int
}

// Match reports whether j passes the filter.
func (f JobFilter) Match(j *Job) bool {
	if f.Kind != "" && j.Kind != f.Kind {
		return false
	}
	if len(f.Status) > 0 {
		ok := false
		for _, s := range f.Status {
			ok = ok || j.Status == s
		}
		if !ok {
			return false
		}
	}
	if f.FindingID != "" && j.FindingID != f.FindingID {
		return false
	}
	if f.Target != "" && j.Target != f.Target {
		return false
	}
	if f.Group != "" && j.Group != f.Group {
		return false
	}
	if !f.DueBy.IsZero() && j.Due.After(f.DueBy) {
		return false
	}
	if !f.UpdatedSince.IsZero() && j.Updated.Before(f.UpdatedSince) {
		return false
	}
	return true
}

// JobUpdate changes one job. The update applies only while the job's
// status is still From (optimistic concurrency: two dispatchers or an
// approver racing a scheduler cannot both win); ErrConflict otherwise.
type JobUpdate struct {
	ID   int64
	From JobStatus
	// FromAttempts, when not nil, also requires the job's Attempts to be
	// this value: a claim that bumps Attempts then wins exactly once even
	// when the status does not change (two runners claiming one pending
	// job).
	FromAttempts *int
	// Job holds the new values of Status, Due, Expires, Attempts,
	// LastError, Result, DecidedBy, DecidedAt and Payload (when not nil).
	// Other fields are ignored.
	Job Job
	// Audit, when not nil, is appended to the audit chain in the same
	// transaction (a step log, an approval, a delivery).
	Audit []byte
}

// Ref is a reference Warden keeps per finding and target: the Jira issue
// key, the PagerDuty dedup key, the time a notify group was last flushed.
type Ref struct {
	FindingID string // or a group key, for per-group refs
	Target    string
	Value     string
	Updated   time.Time
}

// ErrConflict is returned by UpdateJob when the job is no longer in the
// expected status.
var ErrConflict = errors.New("job changed concurrently")

// JobStore is the durable part of the act stage. Every Store implements
// it; jobs are created through Entry.Jobs in Apply.
type JobStore interface {
	// Jobs returns the jobs the filter selects, by Due then ID.
	Jobs(ctx context.Context, f JobFilter) ([]Job, error)
	// Job returns one job; ErrNotFound if there is none.
	Job(ctx context.Context, id int64) (Job, error)
	// EnqueueJobs creates jobs outside a decision (an announcement of a
	// remediation's result, a digest), with an optional audit record, in
	// one transaction, and returns their IDs in order.
	EnqueueJobs(ctx context.Context, jobs []Job, audit []byte) ([]int64, error)
	// UpdateJobs applies the updates in one transaction: all or none.
	// An update whose job is not in its From status fails the batch with
	// ErrConflict.
	UpdateJobs(ctx context.Context, updates []JobUpdate) error
	// SetRefs upserts references.
	SetRefs(ctx context.Context, refs []Ref) error
	// Refs returns the references of the given finding (or group) ids for
	// target, by id; absent ids have none.
	Refs(ctx context.Context, target string, ids []string) (map[string]Ref, error)
	// States calls fn for every tracked finding whose status is one of
	// statuses (all when empty), in id order.
	States(ctx context.Context, statuses []Status, fn func(State) error) error
}

// validateJob checks a job before it is stored.
func validateJob(j *Job) error {
	switch {
	case j.Kind == "":
		return fmt.Errorf("job for %q has no kind", j.FindingID)
	case j.Target == "":
		return fmt.Errorf("%s job for %q has no target", j.Kind, j.FindingID)
	case j.Status == "":
		return fmt.Errorf("%s job for %q has no status", j.Kind, j.FindingID)
	}
	return nil
}

// normalizeJob gives the job the form every store returns: UTC times.
func normalizeJob(j Job) Job {
	j.Due = fromUnixNano(unixNano(j.Due))
	j.Expires = fromUnixNano(unixNano(j.Expires))
	j.DecidedAt = fromUnixNano(unixNano(j.DecidedAt))
	j.Created = fromUnixNano(unixNano(j.Created))
	j.Updated = fromUnixNano(unixNano(j.Updated))
	return j
}

package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/store"
)

// Retry puts a dead-lettered (or skipped) notify job back in the outbox,
// due now, with its attempts reset. It is audited.
func Retry(ctx context.Context, st store.Store, id int64, who string, now time.Time) error {
	j, err := st.Job(ctx, id)
	if err != nil {
		return err
	}
	if j.Kind != store.JobNotify && j.Kind != store.JobWriteback {
		return fmt.Errorf("job %d is a %s job, not an outbox message", id, j.Kind)
	}
	if j.Status != store.JobDead && j.Status != store.JobSkipped {
		return fmt.Errorf("job %d is %s: only dead or skipped messages can be retried", id, j.Status)
	}
	n := j
	n.Status, n.Due, n.Attempts, n.LastError, n.Updated = store.JobPending, now, 0, "", now
	n.DecidedBy, n.DecidedAt, n.Payload = who, now, nil
	rec, _ := json.Marshal(map[string]any{"type": "outbox_retry", "job_id": id, "receiver": j.Target, "finding_id": j.FindingID, "by": who, "at": now})
	return st.UpdateJobs(ctx, []store.JobUpdate{{ID: id, From: j.Status, Job: n, Audit: rec}})
}

// Drop removes an open or dead message from delivery (status cancelled;
// the row stays for history). It is audited.
func Drop(ctx context.Context, st store.Store, id int64, who string, now time.Time) error {
	j, err := st.Job(ctx, id)
	if err != nil {
		return err
	}
	if j.Kind != store.JobNotify && j.Kind != store.JobWriteback {
		return fmt.Errorf("job %d is a %s job, not an outbox message (use warden actions cancel)", id, j.Kind)
	}
	if j.Status != store.JobPending && j.Status != store.JobDead {
		return fmt.Errorf("job %d is %s: only pending or dead messages can be dropped", id, j.Status)
	}
	n := j
	n.Status, n.Updated, n.DecidedBy, n.DecidedAt, n.Payload = store.JobCancelled, now, who, now, nil
	rec, _ := json.Marshal(map[string]any{"type": "outbox_drop", "job_id": id, "receiver": j.Target, "finding_id": j.FindingID, "by": who, "at": now})
	return st.UpdateJobs(ctx, []store.JobUpdate{{ID: id, From: j.Status, Job: n, Audit: rec}})
}

package outbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/writeback"
)

// writebackBatch is how many write-back jobs one pass takes; the client
// cuts them into calls of at most writeback.MaxBatch findings.
const writebackBatch = 1000

// Writeback delivers due write-back jobs through the Security Hub client
// (one pass): updated and dry-run jobs are done, skipped ones skipped
// (with the reason), retryable failures rescheduled with back-off,
// others dead-lettered. The Jira issue key of each finding, when a jira
// receiver has one, goes into the ticket user-defined field.
func (d *Dispatcher) Writeback(ctx context.Context, c *writeback.Client) (Stats, error) {
	d.defaults()
	var st Stats
	now := d.Clock().UTC()
	f := store.JobFilter{Kind: store.JobWriteback, Status: []store.JobStatus{store.JobPending}, Limit: writebackBatch}
	if !d.Flush {
		f.DueBy = now
	}
	jobs, err := d.Store.Jobs(ctx, f)
	if err != nil || len(jobs) == 0 {
		return st, err
	}
	ups := make([]writeback.Update, 0, len(jobs))
	var keep []store.Job
	ids := make([]string, 0, len(jobs))
	for _, j := range jobs {
		var u writeback.Update
		if err := json.Unmarshal(j.Payload, &u); err != nil {
			st.Dead++
			if err := d.finish(ctx, []store.Job{j}, store.JobDead, "undecodable payload: "+err.Error(), now, nil, nil); err != nil {
				return st, err
			}
			continue
		}
		ups, keep, ids = append(ups, u), append(keep, j), append(ids, j.FindingID)
	}
	if err := d.commit(ctx); err != nil { // the undecodable ones
		return st, err
	}
	if err := d.addTickets(ctx, ups, ids); err != nil {
		return st, err
	}
	outs, _ := c.Apply(ctx, ups) // per-update outcomes carry the errors
	var updates []store.JobUpdate
	var calls []map[string]any
	seen := map[*writeback.Call]bool{}
	for i, o := range outs {
		j := keep[i]
		n := j
		n.Updated, n.Payload = now, nil
		res := map[string]any{"status": o.Status, "notes": o.Notes}
		if o.Call != nil {
			res["op"], res["region"] = o.Call.Op, o.Call.Region
			if !seen[o.Call] {
				seen[o.Call] = true
				calls = append(calls, map[string]any{"op": o.Call.Op, "region": o.Call.Region, "finding_ids": o.Call.FindingIDs})
			}
		}
		switch o.Status {
		case writeback.Updated, writeback.DryRun:
			n.Status, n.Attempts = store.JobDone, j.Attempts+1
			st.Jobs++
		case writeback.Skipped:
			n.Status = store.JobSkipped
			n.LastError = fmt.Sprint(o.Notes)
			st.Skipped++
		default:
			n.Attempts, n.LastError = j.Attempts+1, errText(o)
			res["error_code"] = o.ErrorCode
			if o.Retryable && n.Attempts < d.MaxAttempts {
				n.Due = now.Add(d.backoff(n.Attempts))
				st.Retried++
			} else {
				n.Status = store.JobDead
				st.Dead++
				d.Log.Error("security hub write-back dead-lettered", "finding", j.FindingID, "error", n.LastError)
			}
		}
		n.Result, _ = json.Marshal(res)
		updates = append(updates, store.JobUpdate{ID: j.ID, From: j.Status, Job: n})
	}
	if len(updates) > 0 {
		st.Messages = len(calls)
		updates[0].Audit, _ = json.Marshal(map[string]any{
			"type": "securityhub_writeback", "calls": calls, "jobs": len(updates),
			"done": st.Jobs, "skipped": st.Skipped, "retried": st.Retried, "dead": st.Dead, "at": now,
		})
	}
	if err := d.Store.UpdateJobs(ctx, updates); err != nil {
		return st, fmt.Errorf("recording security hub write-back: %w", err)
	}
	return st, nil
}

func errText(o writeback.Outcome) string {
	if o.Err != nil {
		return o.Err.Error()
	}
	return o.ErrorCode
}

// addTickets fills the ticket field from the jira receivers' references.
func (d *Dispatcher) addTickets(ctx context.Context, ups []writeback.Update, ids []string) error {
	for name, r := range d.Receivers {
		if r.Type() != "jira" {
			continue
		}
		refs, err := d.Store.Refs(ctx, name, ids)
		if err != nil {
			return fmt.Errorf("reading ticket references: %w", err)
		}
		for i := range ups {
			if ref, ok := refs[ups[i].FindingID]; ok && ups[i].UserDefinedFields != nil {
				if _, set := ups[i].UserDefinedFields["ticket"]; !set {
					ups[i].UserDefinedFields["ticket"] = ref.Value
				}
			}
		}
	}
	return nil
}

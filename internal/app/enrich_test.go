package app

import (
	"context"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/act"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// TestEnrichActionNamesTheCommands: a message about a finding whose
// remediation waits for approval carries the live job id and the
// commands that approve or deny it; once approved (pending), the cancel
// command; a ticket-mode action none.
func TestEnrichActionNamesTheCommands(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	exp := now.Add(24 * time.Hour)
	j, ok := act.NewJob(decide.Action{Type: decide.ActionRemediate, Playbook: "ec2-isolate", Mode: "approval", Rule: "c2", Expires: &exp},
		remediate.Request{FindingID: "f1", AccountID: "111111111111", Region: "us-east-1"}, now)
	if !ok {
		t.Fatal("no job")
	}
	ids, err := st.EnqueueJobs(ctx, []store.Job{j}, nil)
	if err != nil {
		t.Fatal(err)
	}
	enrich := EnrichAction(st)
	it := notify.Item{Record: decide.Record{FindingID: "f1"}, Action: &notify.ActionInfo{Playbook: "ec2-isolate", Mode: "approval", Status: "planned"}}
	enrich(ctx, &it)
	if it.Action.JobID != ids[0] || it.Action.Status != "waiting" || it.Action.ApproveCommand != "warden actions approve 1" || it.Action.CancelCommand != "warden actions deny 1" {
		t.Fatalf("waiting: %+v", it.Action)
	}
	if err := act.Approve(ctx, st, ids[0], "alice", "", now, false); err != nil {
		t.Fatal(err)
	}
	it.Action = &notify.ActionInfo{Playbook: "ec2-isolate", Mode: "approval", Status: "planned"}
	enrich(ctx, &it)
	if it.Action.Status != "pending" || it.Action.ApproveCommand != "" || it.Action.CancelCommand != "warden actions cancel 1" {
		t.Fatalf("approved: %+v", it.Action)
	}
	tk := notify.Item{Record: decide.Record{FindingID: "f1"}, Action: &notify.ActionInfo{Playbook: "ec2-isolate", Mode: "ticket", Status: "planned"}}
	enrich(ctx, &tk)
	if tk.Action.JobID != 0 || tk.Action.ApproveCommand != "" {
		t.Fatalf("ticket: %+v", tk.Action)
	}
}

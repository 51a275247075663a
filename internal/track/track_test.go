package track

import (
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	active := &finding.Finding{ID: "f", Severity: finding.SeverityMedium, RecordState: "ACTIVE", Compliance: "FAILED"}
	fp := active.Fingerprint()
	higher := *active
	higher.Severity = finding.SeverityHigh
	lower := *active
	lower.Severity = finding.SeverityLow
	archived := *active
	archived.RecordState = "ARCHIVED"
	passed := *active
	passed.Compliance = "PASSED"
	resolvedWF := *active
	resolvedWF.WorkflowStatus = "RESOLVED"
	notifiedWF := *active
	notifiedWF.WorkflowStatus = "NOTIFIED"

	st := func(status store.Status, notifiedAgo time.Duration) *store.State {
		s := &store.State{ID: "f", Status: status, Severity: finding.SeverityMedium, Fingerprint: fp}
		if notifiedAgo > 0 {
			s.LastNotified = now.Add(-notifiedAgo)
		}
		return s
	}
	day := 24 * time.Hour
	tests := []struct {
		name string
		prev *store.State
		f    *finding.Finding
		want Reason
	}{
		{"first sight", nil, active, New},
		{"first sight already archived", nil, &archived, Resolved},
		{"same version again", st(store.StatusActive, day), active, Duplicate},
		{"workflow NOTIFIED written back by Warden", st(store.StatusActive, day), &notifiedWF, Duplicate},
		{"severity up", st(store.StatusActive, day), &higher, Escalated},
		{"severity down is a change", st(store.StatusActive, day), &lower, Changed},
		{"archived", st(store.StatusActive, day), &archived, Resolved},
		{"compliance passed", st(store.StatusActive, day), &passed, Resolved},
		{"workflow resolved", st(store.StatusActive, day), &resolvedWF, Resolved},
		{"resolved seen again", st(store.StatusResolved, day), &archived, Duplicate},
		{"active after notified and resolved", st(store.StatusResolved, day), active, Reopened},
		{"quiet 14 days", st(store.StatusActive, 14*day), active, Duplicate},
		{"quiet 15 days", st(store.StatusActive, 15*day), active, RenotifyDue},
		{"never notified is never due", st(store.StatusActive, 0), active, Duplicate},
		{"suppressed stays tracked", st(store.StatusSuppressed, 0), active, Duplicate},
		{"resolved before anyone was told, now failing", st(store.StatusResolved, 0), active, New},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.prev, tt.f, tt.f.Fingerprint(), now, 15*day)
			if got != tt.want {
				t.Fatalf("Evaluate = %s, want %s", got, tt.want)
			}
		})
	}
}

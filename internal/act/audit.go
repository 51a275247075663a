package act

import (
	"encoding/json"
	"time"

	"github.com/wardenhq/warden/internal/remediate"
)

// Audit record types.
const (
	AuditRemediation  = "remediation"            // a run's outcome, or a job stopped before it ran
	AuditStarted      = "remediation_started"    // a run was claimed and is starting
	AuditClaimLost    = "remediation_claim_lost" // a claim was overtaken; the run did not start
	AuditApproval     = "approval"
	AuditDenial       = "denial"
	AuditCancellation = "cancellation"
	AuditRetry        = "retry"
	AuditExpiry       = "approval_expiry"
	AuditEscalation   = "remediation_escalation"
)

// AuditRecord is what act appends to the audit chain. Field names are
// stable: scripts read them.
type AuditRecord struct {
	Type      string `json:"type"`
	JobID     int64  `json:"job_id"`
	FindingID string `json:"finding_id,omitempty"`
	Playbook  string `json:"playbook,omitempty"`
	Rule      string `json:"rule,omitempty"`
	Mode      string `json:"mode,omitempty"`
	AccountID string `json:"account_id,omitempty"`
	Region    string `json:"region,omitempty"`
	CaseID    string `json:"case_id,omitempty"`
	DryRun    bool   `json:"dry_run"`
	// Status is the job's status after this record.
	Status  string `json:"status,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
	// Rail names the safety rail that stopped the job, if one did.
	Rail     string           `json:"rail,omitempty"`
	Steps    []remediate.Step `json:"steps,omitempty"`
	Evidence map[string]any   `json:"evidence,omitempty"`
	Rollback []string         `json:"rollback,omitempty"`
	Notes    []string         `json:"notes,omitempty"`
	Error    string           `json:"error,omitempty"`
	RetryAt  *time.Time       `json:"retry_at,omitempty"`
	// RequestedBy is the job's requester (rule:<id>); ApprovedBy who
	// approved it (or policy:on_approval_expiry).
	RequestedBy string `json:"requested_by,omitempty"`
	ApprovedBy  string `json:"approved_by,omitempty"`
	// By and Reason are set on approvals, denials and cancellations.
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

func (a *AuditRecord) bytes() []byte {
	b, err := json.Marshal(a)
	if err != nil {
		// Evidence holds values a playbook recorded; one that does not
		// marshal must not lose the record.
		a.Evidence = map[string]any{"unrecordable": err.Error()}
		b, _ = json.Marshal(a)
	}
	return b
}

func railName(k railKind) string {
	switch k {
	case railLoop:
		return "loop_guard"
	case railResource:
		return "per_resource"
	case railAccount:
		return "per_account"
	case railPlaybook:
		return "blast_radius"
	}
	return ""
}

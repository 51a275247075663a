// Package decide turns a finding, its tracked state and the policy set into
// a decision: a verdict, a tier, the actions planned and the reasons, as the
// decision record of DESIGN §7. It is deterministic: the same finding,
// state, policy commit and clock give the same record.
package decide

import (
	"time"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/suppress"
)

// Verdict is the outcome of a decision.
type Verdict string

// Verdicts (DESIGN §7).
const (
	Suppressed Verdict = "suppressed"
	Duplicate  Verdict = "duplicate"
	Resolved   Verdict = "resolved"
	Reopened   Verdict = "reopened"
	Notify     Verdict = "notify"
	Remediate  Verdict = "remediate"
	Escalate   Verdict = "escalate"
	Ignored    Verdict = "ignored"
)

// Action kinds.
const (
	ActionNotify    = "notify"
	ActionRemediate = "remediate"
)

// Action statuses.
const (
	StatusPlanned = "planned" // recorded; executed by the notify/remediate stages
	StatusDryRun  = "dry-run" // --dry-run: would be planned, nothing stored
)

// Action is one planned notification or remediation.
type Action struct {
	Type        string         `json:"type"`
	Receiver    string         `json:"receiver,omitempty"`
	Playbook    string         `json:"playbook,omitempty"`
	Destructive bool           `json:"destructive,omitempty"`
	Mode        string         `json:"mode"`
	Status      string         `json:"status"`
	Rule        string         `json:"rule,omitempty"` // the rule that asked for it; "" for the default route
	Params      map[string]any `json:"params,omitempty"`
	// NotBefore is when a delayed action may run; Expires when an approval
	// lapses.
	NotBefore *time.Time `json:"not_before,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
}

// Source says where the finding was read.
type Source struct {
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	Index int    `json:"index"`
	Item  int    `json:"item,omitempty"`
}

// Record is the decision record. Field names are stable: scripts and other
// tools read them.
type Record struct {
	FindingID    string           `json:"finding_id"`
	Product      string           `json:"product"`
	Format       finding.Format   `json:"format"`
	Title        string           `json:"title,omitempty"`
	AccountID    string           `json:"account_id"`
	Region       string           `json:"region"`
	Severity     finding.Severity `json:"severity"`
	ResourceID   string           `json:"resource_id,omitempty"`
	Verdict      Verdict          `json:"verdict"`
	Reason       string           `json:"reason"`
	Tier         int              `json:"tier"`
	MatchedRules []string         `json:"matched_rules"`
	Suppression  *suppress.Hit    `json:"suppression,omitempty"`
	// ExpiredSuppressions lists accepted risks that matched but have
	// expired: they no longer hide the finding.
	ExpiredSuppressions []suppress.Hit `json:"expired_suppressions,omitempty"`
	Enrichment          enrich.Context `json:"enrichment"`
	Actions             []Action       `json:"actions"`
	Notes               []string       `json:"notes,omitempty"`
	FirstSeen           time.Time      `json:"first_seen"`
	NotifyCount         int            `json:"notify_count"`
	Fingerprint         string         `json:"fingerprint"`
	PolicyCommit        string         `json:"policy_commit"`
	DecidedAt           time.Time      `json:"decided_at"`
	Source              Source         `json:"source"`
}

// Package decide turns a finding, its tracked state and the policy set into
// a decision: a verdict, a tier, the actions planned and the reasons, as the
// decision record of DESIGN §7. It is deterministic: the same finding,
// state, policy commit and clock give the same record.
package decide

import (
	"time"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/route"
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

// Notification kinds (Action.Kind), the message kinds of package notify.
const (
	KindFiring    = "firing"    // new, reopened, severity up
	KindRenotify  = "renotify"  // still active after the re-notification period
	KindEscalated = "escalated" // re-notified escalate.after times: the escalation receiver
	KindResolved  = "resolved"  // resolved after it was notified
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
	Rule        string         `json:"rule,omitempty"` // the rule that asked for it; "" for the routing tree
	Params      map[string]any `json:"params,omitempty"`
	// NotBefore is when a delayed action may run (for a notification:
	// the end of its route's mute); Expires when an approval lapses.
	NotBefore *time.Time `json:"not_before,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`

	// The routing of a notify action. Kind is KindFiring, KindRenotify,
	// KindEscalated or KindResolved. Route is the routing-tree route that
	// chose the receiver ("root" for the root's fallback: its receiver,
	// or default.notify; "" for a rule's notify list). Group is the
	// group key (receiver/route{label="value",...}): notifications with
	// the same receiver and group go out as one message. GroupWait is how
	// long a new group waits for more findings before it is sent (the
	// job is due at decided_at + group_wait, or not_before when later);
	// GroupInterval how long after a group was sent it may be sent again
	// with new findings. Both are written as durations ("30s", "5m0s").
	Kind          string            `json:"kind,omitempty"`
	Route         string            `json:"route,omitempty"`
	Group         string            `json:"group,omitempty"`
	GroupLabels   map[string]string `json:"group_labels,omitempty"`
	GroupWait     policy.Duration   `json:"group_wait,omitempty"`
	GroupInterval policy.Duration   `json:"group_interval,omitempty"`
}

// Due is when a notify action's job may first run: after its group wait,
// and not before the end of its route's mute.
func (a *Action) Due(decidedAt time.Time) time.Time {
	due := decidedAt.Add(time.Duration(a.GroupWait))
	if a.NotBefore != nil && a.NotBefore.After(due) {
		due = *a.NotBefore
	}
	return due
}

// SLA is a finding's service-level deadline (warden.yaml sla): Due is
// first seen plus the SLA of its severity, Overdue says an active finding
// is past it, Age is how long it has been open (since first seen).
type SLA struct {
	Due     time.Time       `json:"due"`
	Overdue bool            `json:"overdue"`
	Age     policy.Duration `json:"age"`
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
	// SLA is set when warden.yaml gives an SLA for the finding's severity.
	SLA          *SLA      `json:"sla,omitempty"`
	FirstSeen    time.Time `json:"first_seen"`
	NotifyCount  int       `json:"notify_count"`
	Fingerprint  string    `json:"fingerprint"`
	PolicyCommit string    `json:"policy_commit"`
	DecidedAt    time.Time `json:"decided_at"`
	Source       Source    `json:"source"`
}

// Facts returns the labels a decision record carries, for the routing
// tree (inhibition targets): every label except type, resource_type,
// control, compliance, generator and tag:KEY, which need the finding
// (resource_id is the first resource's only). The dispatcher adds what
// the outbox item holds (Types, Resources) to the result.
func (r *Record) Facts() *route.Facts {
	f := &route.Facts{
		FindingID: r.FindingID, Product: r.Product, Format: string(r.Format), Severity: r.Severity.String(),
		Verdict: string(r.Verdict), Reason: r.Reason, Title: r.Title, Region: r.Region, AccountID: r.AccountID,
		Tier: r.Tier, Rules: r.MatchedRules, Account: r.Enrichment,
	}
	if r.ResourceID != "" {
		f.Resources = []finding.Resource{{ID: r.ResourceID}}
	}
	if r.SLA != nil {
		f.Overdue = r.SLA.Overdue
	}
	return f
}

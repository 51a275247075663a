package policy

import (
	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/enrich"
)

// Settings is warden.yaml.
type Settings struct {
	Version    int              `yaml:"version" json:"version"`
	State      StateSettings    `yaml:"state" json:"state"`
	Tracking   TrackingSettings `yaml:"tracking" json:"tracking"`
	Detections DetectionToggle  `yaml:"detections" json:"detections"`
	Default    DefaultRoute     `yaml:"default" json:"default"`
	Strategy   Strategy         `yaml:"strategy" json:"strategy"`
	// Notifications configures the outbox dispatcher.
	Notifications NotificationSettings `yaml:"notifications" json:"notifications"`
	// Remediation configures playbook execution and its safety rails.
	Remediation RemediationSettings `yaml:"remediation" json:"remediation"`
	// SecurityHub configures the write-back of decisions to Security Hub.
	SecurityHub WritebackSettings `yaml:"securityhub" json:"securityhub"`
	// SLA is how long a finding of each severity may stay open (from
	// first seen) before it is overdue.
	SLA map[string]Duration `yaml:"sla" json:"sla,omitempty"`
}

// NotificationSettings configures delivery of the outbox.
type NotificationSettings struct {
	// MaxAttempts is how many failed deliveries a message gets before it
	// is dead-lettered (default 8).
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts,omitempty"`
	// Backoff is the first retry's wait (default 30s); each retry doubles
	// it, with jitter, up to MaxBackoff (default 1h).
	Backoff    Duration `yaml:"backoff" json:"backoff,omitempty"`
	MaxBackoff Duration `yaml:"max_backoff" json:"max_backoff,omitempty"`
}

// RemediationSettings configures playbook execution (DESIGN C8, C10).
type RemediationSettings struct {
	// KillSwitch turns every remediation into a dry run.
	KillSwitch bool `yaml:"kill_switch" json:"kill_switch,omitempty"`
	// RoleName is the role assumed in member accounts (default
	// WardenRemediation); {account_id} and {region} are substituted.
	RoleName string `yaml:"role_name" json:"role_name,omitempty"`
	// ExternalID is passed to AssumeRole; a reference (env:, ssm:, …) or
	// a literal (it is not a secret, it prevents confused deputies).
	ExternalID string `yaml:"external_id" json:"external_id,omitempty"`
	// EngineAccount is the account Warden runs in: no role is assumed
	// there.
	EngineAccount string `yaml:"engine_account" json:"engine_account,omitempty"`
	// OnApprovalExpiry is what happens to an approval nobody gives in
	// time: deny (default), run or ticket.
	OnApprovalExpiry string `yaml:"on_approval_expiry" json:"on_approval_expiry,omitempty"`
	// FourEyes requires the approver to differ from the requester.
	FourEyes bool `yaml:"four_eyes" json:"four_eyes,omitempty"`
	// Limits are the rate limits and the blast-radius cap.
	Limits RemediationLimits `yaml:"limits" json:"limits,omitempty"`
	// WardenPrincipals are ARN globs of Warden's own roles: findings whose
	// actor matches are never remediated (loop guard).
	WardenPrincipals []string `yaml:"warden_principals" json:"warden_principals,omitempty"`
	// Escalate names the receiver told when a rail stops a remediation.
	Escalate string `yaml:"escalate" json:"escalate,omitempty"`
}

// RemediationLimits are the safety rails' numbers. Zero means the
// default; see docs/PLAYBOOKS.md.
type RemediationLimits struct {
	// PerResource: at most this many runs on one resource per Window.
	PerResource int `yaml:"per_resource" json:"per_resource,omitempty"`
	// PerAccount: at most this many runs in one account per Window.
	PerAccount int `yaml:"per_account" json:"per_account,omitempty"`
	// PerPlaybook: at most this many runs of one playbook per Window; past
	// it the blast-radius cap stops that playbook and escalates.
	PerPlaybook int      `yaml:"per_playbook" json:"per_playbook,omitempty"`
	Window      Duration `yaml:"window" json:"window,omitempty"`
}

// WritebackSettings configures Security Hub write-back.
type WritebackSettings struct {
	// WriteBack updates findings in Security Hub (workflow status, note,
	// user-defined fields) as decided. Rules may switch it off.
	WriteBack bool `yaml:"write_back" json:"write_back,omitempty"`
	// NoteKey is the key Warden's part of the finding note is kept under
	// (default "warden").
	NoteKey string `yaml:"note_key" json:"note_key,omitempty"`
}

// StateSettings selects the state store.
type StateSettings struct {
	Driver string `yaml:"driver" json:"driver"` // sqlite (default)
	Path   string `yaml:"path" json:"path"`     // relative to the working directory
}

// TrackingSettings configures deduplication and re-notification.
type TrackingSettings struct {
	// RenotifyAfter is how long a still-active finding stays quiet before it
	// is notified again (default 360h = 15 days).
	RenotifyAfter Duration `yaml:"renotify_after" json:"renotify_after"`
	// RenotifyAfterBySeverity overrides RenotifyAfter per severity label.
	RenotifyAfterBySeverity map[string]Duration `yaml:"renotify_after_by_severity" json:"renotify_after_by_severity"`
}

// DetectionToggle switches the built-in detection pack.
type DetectionToggle struct {
	Builtin bool     `yaml:"builtin" json:"builtin"`
	Disable []string `yaml:"disable" json:"disable"`
}

// DefaultRoute applies to findings no rule routes (Alertmanager's root route).
type DefaultRoute struct {
	Tier   int      `yaml:"tier" json:"tier"`
	Notify []string `yaml:"notify" json:"notify"`
}

// Strategy is the remediation strategy matrix (DESIGN C8).
type Strategy struct {
	// Delay is how long a `delay` action waits before it runs.
	Delay Duration `yaml:"delay" json:"delay"`
	// ApprovalTimeout is how long an `approval` action waits for a decision.
	ApprovalTimeout Duration `yaml:"approval_timeout" json:"approval_timeout"`
	// TicketReceiver gets a message (an issue, for a jira receiver) for
	// every remediation in `ticket` mode, with the playbook it proposes.
	// Without it, ticket-mode remediations are only announced in the
	// decision's other messages.
	TicketReceiver string `yaml:"ticket_receiver" json:"ticket_receiver,omitempty"`
	// Matrix rows are tried in order; the first whose environments contain
	// the finding account's environment (or "*") applies.
	Matrix []StrategyRow `yaml:"matrix" json:"matrix"`
}

// StrategyRow gives the modes for a set of environments.
type StrategyRow struct {
	Environments   []string `yaml:"environments" json:"environments"`
	Destructive    Mode     `yaml:"destructive" json:"destructive"`
	NonDestructive Mode     `yaml:"non_destructive" json:"non_destructive"`
}

// Mode is how a remediation runs.
type Mode string

// Remediation modes, from least to most restrictive.
const (
	ModeAuto     Mode = "auto"
	ModeDelay    Mode = "delay"
	ModeApproval Mode = "approval"
	ModeTicket   Mode = "ticket"
)

// Strictness orders modes: a rule may make a mode stricter than the matrix
// allows, never looser.
func (m Mode) Strictness() int {
	switch m {
	case ModeAuto:
		return 0
	case ModeDelay:
		return 1
	case ModeApproval:
		return 2
	case ModeTicket:
		return 3
	}
	return -1
}

// Inventory is accounts.yaml.
type Inventory struct {
	Accounts []*enrich.Account `yaml:"accounts" json:"accounts"`
	Groups   map[string]Group  `yaml:"groups" json:"groups"`
}

// Group names a set of accounts, by list and/or by selector.
type Group struct {
	Description string        `yaml:"description" json:"description,omitempty"`
	Accounts    []string      `yaml:"accounts" json:"accounts,omitempty"` // ids or names
	Select      *AccountMatch `yaml:"select" json:"select,omitempty"`
}

// AccountMatch selects accounts. Within a list values are alternatives;
// across fields all that are given must hold.
type AccountMatch struct {
	ID           []string            `yaml:"id" json:"id,omitempty"`
	Name         []string            `yaml:"name" json:"name,omitempty"` // glob (path.Match)
	Group        []string            `yaml:"group" json:"group,omitempty"`
	Environment  []string            `yaml:"environment" json:"environment,omitempty"`
	OU           []string            `yaml:"ou" json:"ou,omitempty"` // path prefix by segment
	BusinessUnit []string            `yaml:"business_unit" json:"business_unit,omitempty"`
	Tags         map[string][]string `yaml:"tags" json:"tags,omitempty"`
}

// RuleFile is one rules/*.yaml.
type RuleFile struct {
	Rules []Rule `yaml:"rules" json:"rules"`
}

// Rule is one finding rule.
type Rule struct {
	ID          string     `yaml:"id" json:"id"`
	Description string     `yaml:"description" json:"description,omitempty"`
	Match       Match      `yaml:"match" json:"match"`
	Suppress    *Suppress  `yaml:"suppress" json:"suppress,omitempty"`
	Tier        int        `yaml:"tier" json:"tier,omitempty"`
	Notify      []string   `yaml:"notify" json:"notify,omitempty"`
	Remediate   *Remediate `yaml:"remediate" json:"remediate,omitempty"`
	Ignore      bool       `yaml:"ignore" json:"ignore,omitempty"`
	// Stop ends rule evaluation when this rule matches.
	Stop bool `yaml:"stop" json:"stop,omitempty"`
	// WriteBack, when set, overrides securityhub.write_back for findings
	// this rule matches (the first matching rule that sets it wins).
	WriteBack *bool `yaml:"write_back" json:"write_back,omitempty"`
}

// Match is a rule's selector: scope, then pattern.
type Match struct {
	Accounts *AccountMatch  `yaml:"accounts" json:"accounts,omitempty"`
	Regions  []string       `yaml:"regions" json:"regions,omitempty"`
	Exclude  *Exclude       `yaml:"exclude" json:"exclude,omitempty"`
	Finding  map[string]any `yaml:"finding" json:"finding,omitempty"`
}

// Exclude removes accounts and regions from a rule's scope before the
// include part is applied.
type Exclude struct {
	Accounts *AccountMatch `yaml:"accounts" json:"accounts,omitempty"`
	Regions  []string      `yaml:"regions" json:"regions,omitempty"`
}

// Suppress is an accepted risk.
type Suppress struct {
	Reason     string `yaml:"reason" json:"reason"`
	Owner      string `yaml:"owner" json:"owner"`
	Ticket     string `yaml:"ticket" json:"ticket"`
	ApprovedBy string `yaml:"approved_by" json:"approved_by"`
	Expires    Date   `yaml:"expires" json:"expires"`
	Created    Date   `yaml:"created" json:"created,omitempty"`
}

// Remediate is a rule's remediation intent.
type Remediate struct {
	Playbook string         `yaml:"playbook" json:"playbook"`
	Mode     Mode           `yaml:"mode" json:"mode,omitempty"`
	Params   map[string]any `yaml:"params" json:"params,omitempty"`
}

// ReceiverFile is receivers.yaml.
type ReceiverFile struct {
	Receivers []Receiver `yaml:"receivers" json:"receivers"`
}

// Receiver is a notification destination. Type-specific settings are
// checked by the receiver's own package; secrets must be references.
type Receiver struct {
	Name   string         `yaml:"name" json:"name"`
	Type   string         `yaml:"type" json:"type"`
	Config map[string]any `yaml:"config" json:"config,omitempty"`
	// RatePerMinute caps deliveries to this receiver (0: no cap).
	RatePerMinute int `yaml:"rate_per_minute" json:"rate_per_minute,omitempty"`
	// Concurrency caps parallel deliveries (default 2).
	Concurrency int `yaml:"concurrency" json:"concurrency,omitempty"`
}

// DetectionFile is one detections/*.yaml.
type DetectionFile struct {
	Detections []detect.Rule `yaml:"detections" json:"detections"`
}

// Package finding defines Warden's one normalized finding model. Every
// decoder in package normalize produces it, every later stage consumes it.
//
// A Finding is immutable once built: stages read it and never change it, so
// it may be shared between goroutines.
package finding

import (
	"time"
)

// Format names the wire format a finding arrived in.
type Format string

// The formats Warden decodes. See docs/FINDINGS.md for the identity rule of
// each.
const (
	FormatASFF           Format = "asff"            // Security Hub CSPM (ASFF), any envelope
	FormatOCSF           Format = "ocsf"            // Security Hub "Findings Imported V2", Security Lake
	FormatGuardDuty      Format = "guardduty"       // native "GuardDuty Finding" event
	FormatConfig         Format = "config"          // "Config Rules Compliance Change"
	FormatTrustedAdvisor Format = "trusted-advisor" // "Trusted Advisor Check Item Refresh Notification"
	FormatInspector      Format = "inspector2"      // native "Inspector2 Finding"
	FormatMacie          Format = "macie"           // native "Macie Finding"
	FormatDetection      Format = "detection"       // produced by a Warden detection from a raw event
)

// Resource is one affected resource.
type Resource struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	Region    string            `json:"region,omitempty"`
	Partition string            `json:"partition,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Origin says where a record was read, for error messages and the audit log.
type Origin struct {
	Source string `json:"source"`         // file path, "-" for stdin, queue URL, …
	Line   int    `json:"line,omitempty"` // 1-based line for JSONL input, 0 otherwise
	Index  int    `json:"index"`          // 0-based record index within Source
	Item   int    `json:"item,omitempty"` // 0-based finding index within the record (detail.findings[i])
}

// Finding is the normalized finding. Field comments give the ASFF field the
// value comes from; docs/FINDINGS.md gives the mapping for every format.
type Finding struct {
	// ID is the identity: one finding, one ID, whatever the channel
	// (a GuardDuty finding natively and through Security Hub share it).
	ID          string
	Format      Format
	Product     string // ProductName: "Security Hub", "GuardDuty", "Config", …
	ProductArn  string
	GeneratorID string
	// ControlID is the Security Hub control (Compliance.SecurityControlId or
	// ProductFields.ControlId / RuleId), or the Config rule name.
	ControlID   string
	Types       []string
	Title       string
	Description string

	// AccountID and Region are the affected resource's, never those of the
	// aggregation account that forwarded the event.
	AccountID string
	Region    string
	Partition string

	Severity  Severity
	Resources []Resource

	Compliance     string // PASSED, FAILED, WARNING, NOT_AVAILABLE, or ""
	RecordState    string // ACTIVE or ARCHIVED
	WorkflowStatus string // NEW, NOTIFIED, SUPPRESSED, RESOLVED

	FirstObservedAt time.Time
	LastObservedAt  time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

	RemediationText string
	RemediationURL  string

	// Actor is the principal that caused the finding when known
	// (CloudTrail userIdentity ARN, GuardDuty access key user).
	Actor    string
	SourceIP string

	// Doc is the ASFF-shaped JSON document that policy patterns
	// (`match.finding`) are matched against. For ASFF input it is the
	// finding object as received; other formats are mapped onto ASFF field
	// names so one rule can match a finding whatever channel it came from.
	Doc []byte
	// Raw is the original document exactly as received (for ASFF, the
	// finding object; for other formats, the whole event).
	Raw []byte

	Origin Origin
}

// Resolved reports whether the finding says it is no longer active:
// RecordState ARCHIVED, Compliance PASSED or Workflow RESOLVED.
func (f *Finding) Resolved() bool {
	return f.RecordState == "ARCHIVED" || f.Compliance == "PASSED" || f.WorkflowStatus == "RESOLVED"
}

// ResourceID returns the first resource's ID, or "".
func (f *Finding) ResourceID() string {
	if len(f.Resources) == 0 {
		return ""
	}
	return f.Resources[0].ID
}

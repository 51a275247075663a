// Package detect turns raw events (CloudTrail and other EventBridge events)
// into findings: each detection rule is an EventBridge pattern plus what the
// finding it raises looks like. A built-in pack covers the incident response
// guide's event-driven cases; policy repos add their own under detections/.
package detect

// Rule is one detection as written in a policy repo's detections/*.yaml or
// the built-in pack. The policy loader decodes and position-checks it; New
// compiles a set of them.
type Rule struct {
	ID          string   `yaml:"id" json:"id"`
	Title       string   `yaml:"title" json:"title"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Severity    string   `yaml:"severity" json:"severity"` // INFORMATIONAL … CRITICAL
	Types       []string `yaml:"types,omitempty" json:"types,omitempty"`
	// Match is an EventBridge event pattern over the event in EventBridge
	// envelope shape (detail-type, source, account, region, detail.*).
	Match map[string]any `yaml:"match" json:"match"`
	// Resource says which event field names the affected resource.
	Resource ResourceSpec `yaml:"resource,omitempty" json:"resource,omitempty"`
	// Key lists the event field paths whose values, with the rule id,
	// account and region, form the finding identity. Default: detail.eventID
	// (every event is its own finding).
	Key []string `yaml:"key,omitempty" json:"key,omitempty"`
	// Remediation is the text shown to responders.
	Remediation string `yaml:"remediation,omitempty" json:"remediation,omitempty"`
	// RemediationURL links to the runbook.
	RemediationURL string `yaml:"remediation_url,omitempty" json:"remediation_url,omitempty"`
}

// ResourceSpec names the resource a detection's finding is about.
type ResourceSpec struct {
	Type string `yaml:"type,omitempty" json:"type,omitempty"` // ASFF resource type, e.g. AwsCloudTrailTrail
	// ID is a dotted event field path whose value is the resource id, e.g.
	// detail.requestParameters.name; default: the actor's ARN.
	ID string `yaml:"id,omitempty" json:"id,omitempty"`
}

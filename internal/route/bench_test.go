package route

import (
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
)

// BenchmarkMatch routes one finding through a tree like the example
// repo's (four routes, globs, a multi-valued label, grouping by two
// labels).
func BenchmarkMatch(b *testing.B) {
	tree := compile(&testing.T{}, `{"route": {"receiver": "team", "routes": [
		{"id": "gd", "match": {"product": ["GuardDuty"], "resource_type": ["AwsEc2Instance"]}, "receiver": "pager", "group_by": ["account_id", "resource_id"], "continue": true},
		{"id": "crit", "match": {"tier": [3], "environment": ["prod"], "severity": ["CRITICAL"]}, "receiver": "pager", "continue": true},
		{"id": "overdue", "match": {"overdue": [true]}, "receiver": "owner", "continue": true},
		{"id": "low", "match": {"environment": ["dev", "staging", "sandbox"], "severity": ["LOW"], "type": ["Software*"]}, "receiver": "owner"}
	]}}`)
	f := &Facts{FindingID: "arn:aws:guardduty:us-east-1:111111111111:detector/x/finding/y", Product: "GuardDuty", Severity: "HIGH", Tier: 3,
		AccountID: "111111111111", Types: []string{"TTPs/Command and Control/Backdoor:EC2-C&CActivity.B"},
		Resources: []finding.Resource{{Type: "AwsEc2Instance", ID: "arn:aws:ec2:us-east-1:111111111111:instance/i-1"}},
		Account:   enrich.Context{Environment: "prod", Groups: []string{"pci", "all-prod"}}}
	b.ReportAllocs()
	for b.Loop() {
		if len(tree.Match(f)) != 1 {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMutedUntil: the end of a weekend mute (the dispatcher's
// question for a held message).
func BenchmarkMutedUntil(b *testing.B) {
	tree := compile(&testing.T{}, mutedTree)
	sat := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if muted, _ := tree.Muted("mute-off-hours", sat); !muted {
			b.Fatal("not muted")
		}
	}
}

package detect

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// pantherMapping maps each Panther CloudTrail rule that means the same as
// Warden built-in detections to those detections: Warden "fires" on a
// record when any of them produces a finding. Panther rules not listed
// here have no Warden counterpart (yet); see docs/DETECTIONS.md.
var pantherMapping = map[string][]string{
	"AWS.CloudTrail.Stopped":                {"builtin.cloudtrail-stopped"},
	"AWS.CloudTrail.EventSelectorsDisabled": {"builtin.cloudtrail-management-events-excluded"},
	// Panther's catch-all for account-wide security switches: CloudTrail,
	// GuardDuty, Config, account public access block, flow logs, EBS
	// default encryption, EventBridge rules.
	"AWS.CloudTrail.SecurityConfigurationChange": {
		"builtin.cloudtrail-stopped",
		"builtin.guardduty-disabled",
		"builtin.config-disabled",
		"builtin.s3-account-public-access-block-removed",
	},
	"AWS.ConfigService.DisabledDeleted":   {"builtin.config-disabled"},
	"AWS.Console.RootLogin":               {"builtin.root-console-login"},
	"AWS.Root.Activity":                   {"builtin.root-activity", "builtin.root-console-login"},
	"AWS.Console.LoginWithoutMFA":         {"builtin.console-login-without-mfa"},
	"AWS.CloudTrail.RootAccessKeyCreated": {"builtin.root-access-key-created"},
	"AWS.S3.DeletePublicAccessBlock":      {"builtin.s3-bucket-public-access-block-removed"},
	"AWS.CloudTrail.ResourceMadePublic":   {"builtin.s3-bucket-policy-public", "builtin.s3-bucket-acl-public"},
	// Panther fires on any security group change; Warden only on ingress
	// opened to the world, so Warden is the narrower rule (see exceptions).
	"AWS.EC2.SecurityGroupModified":            {"builtin.security-group-open-to-world"},
	"AWS.CloudTrail.NetworkACLPermissiveEntry": {"builtin.network-acl-open-to-world"},
}

// pantherExceptions lists the records where Warden deliberately disagrees
// with Panther's expected result, keyed "rule_id / test_name", with why.
var pantherExceptions = map[string]string{
	// Panther ignores read-only root calls; Warden follows CIS 3.3 and the
	// incident response guide: any root use is an event, and enumeration
	// with root credentials is an indicator in itself.
	"AWS.Root.Activity / Root Read-Only Enumeration": "Warden counts read-only root calls",

	// Panther suppresses logins by users (or in accounts) younger than three
	// days through its own cache, mocked to "new" in this test. Warden has
	// no such state; a policy rule can suppress by account age instead.
	"AWS.Console.LoginWithoutMFA / No MFA Login - New User": "Panther suppresses new users from its cache",

	// ResourceMadePublic covers resource policies of ECR, OpenSearch, KMS,
	// SNS, SQS, Glacier and Secrets Manager, evaluated in Python with
	// policyuniverse. In real CloudTrail these policies are JSON text
	// inside a string field, which an event pattern cannot look into;
	// Warden covers S3 bucket policies (recorded as JSON objects) and
	// ACLs, and leaves the rest to IAM Access Analyzer findings.
	"AWS.CloudTrail.ResourceMadePublic / ECR Made Public":                                  "policy inside a JSON string: not pattern-matchable",
	"AWS.CloudTrail.ResourceMadePublic / Public Finding Keywords (Should Alert)":           "OpenSearch access policy: not covered",
	"AWS.CloudTrail.ResourceMadePublic / Wildcard Principal No Conditions (Should Alert)":  "KMS key policy: not covered",
	"AWS.CloudTrail.ResourceMadePublic / Mixed Conditions Some Restrictive (Should Alert)": "SQS queue policy: not covered",

	// Panther's rule fires on every security group change; Warden's only on
	// ingress from 0.0.0.0/0 or ::/0. This record opens SSH to 127.0.0.1/32.
	"AWS.EC2.SecurityGroupModified / Security Group Modified": "Warden fires only for world-open ingress",
}

// TestPantherAgreement runs the built-in pack over Panther's labelled
// CloudTrail records (wrapped in the EventBridge envelope) and checks that,
// for every mapped rule, Warden fires exactly when Panther expects its rule
// to, apart from the listed exceptions.
func TestPantherAgreement(t *testing.T) {
	recs := loadPanther(t)
	e := builtinEngine(t)
	type tally struct{ agree, total, excepted int }
	per := map[string]*tally{}
	usedExceptions := map[string]bool{}
	for i, r := range recs {
		ids, ok := pantherMapping[r.RuleID]
		if !ok {
			// Not comparable, but worth a look: what fires on records
			// written for other rules.
			if fired := firedIDs(t, e, envelope(t, r.Event)); len(fired) > 0 {
				t.Logf("unmapped %s / %s (Panther %v): Warden fired %v", r.RuleID, r.TestName, r.ExpectedResult, fired)
			}
			continue
		}
		tl := per[r.RuleID]
		if tl == nil {
			tl = &tally{}
			per[r.RuleID] = tl
		}
		tl.total++
		fired := firedIDs(t, e, envelope(t, r.Event))
		got := false
		for _, id := range fired {
			if slices.Contains(ids, id) {
				got = true
			}
		}
		key := r.RuleID + " / " + r.TestName
		if got == r.ExpectedResult {
			tl.agree++
			if _, ok := pantherExceptions[key]; ok {
				t.Errorf("record %d (%s): listed as an exception but Warden agrees; remove it", i+1, key)
			}
			continue
		}
		if why, ok := pantherExceptions[key]; ok {
			tl.excepted++
			usedExceptions[key] = true
			t.Logf("exception %s: Panther %v, Warden %v (%s)", key, r.ExpectedResult, got, why)
			continue
		}
		t.Errorf("record %d (%s): Panther expects %v, Warden fired %v (%v)", i+1, key, r.ExpectedResult, got, fired)
	}
	for key := range pantherExceptions {
		if !usedExceptions[key] {
			t.Errorf("exception %q matches no disagreeing record", key)
		}
	}
	rules := make([]string, 0, len(per))
	for id := range per {
		rules = append(rules, id)
	}
	sort.Strings(rules)
	var sb strings.Builder
	var agree, total int
	fmt.Fprintf(&sb, "Panther agreement (agree / records, exceptions):\n")
	for _, id := range rules {
		tl := per[id]
		agree += tl.agree
		total += tl.total
		fmt.Fprintf(&sb, "  %-45s %2d / %2d  (%d exception(s))\n", id, tl.agree, tl.total, tl.excepted)
	}
	fmt.Fprintf(&sb, "  %-45s %2d / %2d\n", "total", agree, total)
	t.Log(sb.String())
	for id := range pantherMapping {
		if per[id] == nil {
			t.Errorf("mapped Panther rule %s has no records in the corpus", id)
		}
	}
}

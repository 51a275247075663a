package detect

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
)

// TestBuiltinFixtures runs the built-in pack over one fixture per case
// (testdata/events, see testdata/README.md for where each comes from) and
// checks exactly which detections fire.
func TestBuiltinFixtures(t *testing.T) {
	const (
		ctStopped   = "builtin.cloudtrail-stopped"
		ctUpdated   = "builtin.cloudtrail-updated"
		ctSelectors = "builtin.cloudtrail-management-events-excluded"
		gdDisabled  = "builtin.guardduty-disabled"
		shDisabled  = "builtin.securityhub-disabled"
		cfgDisabled = "builtin.config-disabled"
		rootAct     = "builtin.root-activity"
		rootLogin   = "builtin.root-console-login"
		rootKey     = "builtin.root-access-key-created"
		rootCreds   = "builtin.root-created-iam-credentials"
		noMFA       = "builtin.console-login-without-mfa"
		sgWorld     = "builtin.security-group-open-to-world"
		naclWorld   = "builtin.network-acl-open-to-world"
		s3ACL       = "builtin.s3-bucket-acl-public"
		s3Policy    = "builtin.s3-bucket-policy-public"
		s3BPA       = "builtin.s3-bucket-public-access-block-removed"
		s3AcctBPA   = "builtin.s3-account-public-access-block-removed"
		tagIsolate  = "builtin.response-tag-isolate"
		tagMemory   = "builtin.response-tag-memory-capture"
	)
	cases := []struct {
		fixture string
		want    []string
	}{
		// CloudTrail
		{"cloudtrail-stop-logging", []string{ctStopped}},
		{"eventbridge-stop-logging", []string{ctStopped}},
		{"cloudtrail-delete-trail", []string{ctStopped}},
		{"cloudtrail-stop-logging-error", nil},
		{"cloudtrail-start-logging", nil},
		{"cloudtrail-update-trail", []string{ctUpdated}},
		{"cloudtrail-update-trail-error", nil},
		{"cloudtrail-put-event-selectors-no-management", []string{ctSelectors}},
		{"cloudtrail-put-event-selectors-read-only", []string{ctSelectors}},
		{"cloudtrail-put-event-selectors-all", nil},
		// GuardDuty, Security Hub, Config
		{"guardduty-delete-detector", []string{gdDisabled}},
		{"guardduty-update-detector-disable", []string{gdDisabled}},
		{"guardduty-update-detector-frequency", nil},
		{"guardduty-create-archive-filter", []string{gdDisabled}},
		{"guardduty-disassociate-from-administrator", []string{gdDisabled}},
		{"securityhub-disable", []string{shDisabled}},
		{"securityhub-batch-disable-standards", []string{shDisabled}},
		{"securityhub-get-findings", nil},
		{"config-stop-recorder", []string{cfgDisabled}},
		{"config-delete-recorder", []string{cfgDisabled}},
		{"config-delete-delivery-channel", []string{cfgDisabled}},
		{"config-start-recorder", nil},
		// Sign-in (AWS CloudTrail user guide examples) and root
		{"signin-iam-user-no-mfa", []string{noMFA}},
		{"signin-iam-user-mfa", nil},
		{"signin-iam-user-failure", nil},
		{"signin-iam-user-check-mfa", nil},
		{"signin-root-no-mfa", []string{noMFA, rootLogin}},
		{"signin-root-mfa", []string{rootLogin}},
		{"signin-root-failure", nil},
		{"root-enable-mfa-device", []string{rootAct}},
		{"root-password-updated", []string{rootAct}},
		{"root-create-access-key-self", []string{rootKey, rootAct}},
		{"root-create-access-key-for-user", []string{rootAct, rootCreds}},
		{"root-create-user", []string{rootAct, rootCreds}},
		{"root-list-access-keys", []string{rootAct}},
		{"root-create-service-linked-role", nil},
		{"root-invoked-by-service", nil},
		{"root-service-event", nil},
		{"root-denied-call", nil},
		{"iam-user-create-user", nil},
		// Network exposure
		{"ec2-sg-ingress-ssh-world", []string{sgWorld}},
		{"ec2-sg-ingress-ipv6-world", []string{sgWorld}},
		{"ec2-sg-ingress-private", nil},
		{"ec2-sg-ingress-world-denied", nil},
		{"ec2-sg-egress-world", nil},
		{"ec2-nacl-entry-ingress-world", []string{naclWorld}},
		{"ec2-nacl-entry-egress-world", nil},
		// S3 exposure
		{"s3-put-bucket-acl-all-users", []string{s3ACL}},
		{"s3-put-bucket-acl-canned-public-read", []string{s3ACL}},
		{"s3-put-bucket-acl-grant-header-authenticated", []string{s3ACL}},
		{"s3-put-bucket-acl-owner-only", nil},
		{"s3-put-bucket-acl-log-delivery", nil},
		{"s3-put-bucket-policy-public", []string{s3Policy}},
		{"s3-put-bucket-policy-public-aws-star", []string{s3Policy}},
		{"s3-put-bucket-policy-org-only", nil},
		{"s3-put-bucket-policy-deny-insecure-transport", nil},
		{"s3-put-bucket-policy-deny-star-no-condition", nil},
		{"s3-delete-bucket-public-access-block", []string{s3BPA}},
		{"s3-put-bucket-public-access-block-relaxed", []string{s3BPA}},
		{"s3-put-bucket-public-access-block-all-on", nil},
		{"s3-delete-account-public-access-block", []string{s3AcctBPA}},
		// Responses requested by tag (Response=Isolate+MemoryCapture)
		{"ec2-create-tags-response-isolate-memory", []string{tagIsolate, tagMemory}},
		{"ec2-create-tags-response-isolate", []string{tagIsolate}},
		{"ec2-create-tags-response-memory-capture", []string{tagMemory}},
		{"ec2-create-tags-quarantine", nil}, // ec2-isolate's own tag: no loop
		{"ec2-create-tags-response-volume-only", nil},
		{"ec2-create-tags-response-denied", nil},
		{"ec2-create-tags-response-split", nil}, // key and value in different tags
	}
	e := builtinEngine(t)
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.fixture] = true
		t.Run(tc.fixture, func(t *testing.T) {
			got := firedIDs(t, e, fixture(t, tc.fixture))
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fired %v, want %v", got, want)
			}
		})
	}

	// Every fixture has a case, and every built-in detection fires on at
	// least one fixture.
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !seen[name] {
			t.Errorf("fixture %s has no case in TestBuiltinFixtures", name)
		}
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	for _, r := range e.Rules() {
		if !covered[r.ID] {
			t.Errorf("built-in detection %s has no positive fixture", r.ID)
		}
	}
}

func TestLoadBuiltin(t *testing.T) {
	rules, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 15 {
		t.Fatalf("LoadBuiltin returned %d detections", len(rules))
	}
	for _, r := range rules {
		if !strings.HasPrefix(r.ID, BuiltinPrefix) {
			t.Errorf("%s: id without %q", r.ID, BuiltinPrefix)
		}
		if r.Description == "" || r.Remediation == "" || r.RemediationURL == "" || len(r.Types) == 0 {
			t.Errorf("%s: description, remediation, remediation_url and types are required in the built-in pack", r.ID)
		}
	}
}

func TestParseFileStrict(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "detections-unknown-field.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseFile("detections-unknown-field.yaml", src)
	if err == nil || !strings.Contains(err.Error(), "remediaton") {
		t.Fatalf("ParseFile: got %v, want an error naming the misspelt field", err)
	}
}

// TestResponseTagFinding checks the tag-driven response findings: about
// the instance (ec2-isolate and ssm-capture-memory pick the instance ids
// among the resources), one finding per instance and detection.
func TestResponseTagFinding(t *testing.T) {
	e := builtinEngine(t)
	fs, err := e.Detect(fixture(t, "ec2-create-tags-response-isolate"), finding.Origin{Source: "test"}, nil)
	if err != nil || len(fs) != 1 {
		t.Fatalf("Detect: %d findings, %v", len(fs), err)
	}
	f := fs[0]
	want := []finding.Resource{
		{Type: "AwsEc2Instance", ID: "vol-01111111111111111", Region: "eu-west-1", Partition: "aws"},
		{Type: "AwsEc2Instance", ID: "i-0abc1234def567890", Region: "eu-west-1", Partition: "aws"},
	}
	if !reflect.DeepEqual(f.Resources, want) {
		t.Errorf("resources %v, want %v", f.Resources, want)
	}
	if f.ID != "arn:aws:warden:eu-west-1:111122223333:detection/builtin.response-tag-isolate/vol-01111111111111111,i-0abc1234def567890" {
		t.Errorf("id %s", f.ID)
	}
	if f.Title != "Isolation of vol-01111111111111111, i-0abc1234def567890 requested by tag Response" || f.Severity != finding.SeverityHigh {
		t.Errorf("title %q severity %v", f.Title, f.Severity)
	}
	if f.Actor != "arn:aws:sts::111122223333:assumed-role/IncidentResponder/responder" {
		t.Errorf("actor %s", f.Actor)
	}
}

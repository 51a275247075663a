package playbook

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

const exposedKey = "AKIAIOSFODNN7EXAMPLE"

// iamXML wraps a result in IAM's query-protocol response envelope.
func iamXML(op, result string) awstest.Reply {
	return awstest.Reply{Body: `<` + op + `Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><` + op + `Result>` + result + `</` + op + `Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></` + op + `Response>`}
}

func iamEmpty(op string) awstest.Reply {
	return awstest.Reply{Body: `<` + op + `Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></` + op + `Response>`}
}

func listKeys(user string, keys ...[2]string) awstest.Reply {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(`<member><UserName>` + user + `</UserName><AccessKeyId>` + k[0] + `</AccessKeyId><Status>` + k[1] + `</Status><CreateDate>2025-06-01T10:00:00Z</CreateDate></member>`)
	}
	return iamXML("ListAccessKeys", `<AccessKeyMetadata>`+b.String()+`</AccessKeyMetadata><IsTruncated>false</IsTruncated>`)
}

// trustedAdvisorDoc is the ASFF document Warden builds from the Trusted
// Advisor "Exposed Access Keys" event of the incident response guide.
var trustedAdvisorDoc = json.RawMessage(`{"ProductFields":{"aws/securityhub/ProductName":"Trusted Advisor",
  "aws/trustedadvisor/check-item-detail/Access Key ID":"AKIAIOSFODNN7EXAMPLE",
  "aws/trustedadvisor/check-item-detail/User Name (IAM or Root)":"jane-roe-test",
  "aws/trustedadvisor/check-item-detail/Location":"www.github.com"}}`)

// guardDutyKeyEvent is a native GuardDuty finding on an access key.
var guardDutyKeyEvent = json.RawMessage(`{"detail-type":"GuardDuty Finding","detail":{"type":"UnauthorizedAccess:IAMUser/MaliciousIPCaller",
  "resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"AKIAGDEXAMPLE0000001","principalId":"AIDAEXAMPLE","userName":"ci-bot","userType":"IAMUser"}}}}`)

func TestIAMDeactivateAccessKey(t *testing.T) {
	var log actionLog
	taReq := func() remediate.Request {
		return remediate.Request{Resources: res("AwsIamAccessKey", "AWS::IAM::AccessKey:"+exposedKey), Doc: trustedAdvisorDoc}
	}
	update := awstest.Expect{Op: "UpdateAccessKey", Check: checks(form("UserName", "jane-roe-test"), form("AccessKeyId", exposedKey), form("Status", "Inactive")), Reply: iamEmpty("UpdateAccessKey")}
	tests := []struct {
		name     string
		dry      bool
		req      remediate.Request
		script   []awstest.Expect
		steps    []string
		err      string
		is       error
		rollback string
	}{
		{
			name: "exposed key (Trusted Advisor): confirm and deactivate",
			req:  taReq(),
			script: []awstest.Expect{
				{Op: "ListAccessKeys", Check: form("UserName", "jane-roe-test"), Reply: listKeys("jane-roe-test", [2]string{"AKIAOTHERKEY00000001", "Active"}, [2]string{exposedKey, "Active"})},
				update,
			},
			steps:    []string{"read-access-keys=read", "deactivate-access-key=changed"},
			rollback: "aws iam update-access-key --user-name jane-roe-test --access-key-id AKIAIOSFODNN7EXAMPLE --status Active",
		},
		{
			name: "only the key id known: owner from GetAccessKeyLastUsed",
			req:  remediate.Request{Params: map[string]any{"access_key_id": "AKIAONLYKEYKNOWN0001"}},
			script: []awstest.Expect{
				{Op: "GetAccessKeyLastUsed", Check: form("AccessKeyId", "AKIAONLYKEYKNOWN0001"), Reply: iamXML("GetAccessKeyLastUsed", `<UserName>bob</UserName><AccessKeyLastUsed><LastUsedDate>2026-01-30T12:00:00Z</LastUsedDate><ServiceName>s3</ServiceName><Region>us-east-1</Region></AccessKeyLastUsed>`)},
				{Op: "ListAccessKeys", Check: form("UserName", "bob"), Reply: listKeys("bob", [2]string{"AKIAONLYKEYKNOWN0001", "Active"})},
				{Op: "UpdateAccessKey", Check: checks(form("UserName", "bob"), form("Status", "Inactive")), Reply: iamEmpty("UpdateAccessKey")},
			},
			steps: []string{"resolve-key-owner=read", "read-access-keys=read", "deactivate-access-key=changed"},
		},
		{
			name: "GuardDuty native finding names key and user",
			req:  remediate.Request{Doc: guardDutyKeyEvent},
			script: []awstest.Expect{
				{Op: "ListAccessKeys", Check: form("UserName", "ci-bot"), Reply: listKeys("ci-bot", [2]string{"AKIAGDEXAMPLE0000001", "Active"})},
				{Op: "UpdateAccessKey", Check: form("AccessKeyId", "AKIAGDEXAMPLE0000001"), Reply: iamEmpty("UpdateAccessKey")},
			},
			steps: []string{"read-access-keys=read", "deactivate-access-key=changed"},
		},
		{
			name:   "already inactive: unchanged, no write",
			req:    taReq(),
			script: []awstest.Expect{{Op: "ListAccessKeys", Reply: listKeys("jane-roe-test", [2]string{exposedKey, "Inactive"})}},
			steps:  []string{"read-access-keys=read", "deactivate-access-key=unchanged"},
		},
		{
			name:   "dry run: would change, no write",
			dry:    true,
			req:    taReq(),
			script: []awstest.Expect{{Op: "ListAccessKeys", Reply: listKeys("jane-roe-test", [2]string{exposedKey, "Active"})}},
			steps:  []string{"read-access-keys=read", "deactivate-access-key=would-change"},
		},
		{
			name:   "forged or stale: the key is not the user's",
			req:    taReq(),
			script: []awstest.Expect{{Op: "ListAccessKeys", Reply: listKeys("jane-roe-test", [2]string{"AKIAOTHERKEY00000001", "Active"})}},
			steps:  []string{"read-access-keys=failed"},
			err:    "is not a key of IAM user jane-roe-test", is: remediate.ErrGone,
		},
		{
			name:   "user deleted",
			req:    taReq(),
			script: []awstest.Expect{{Op: "ListAccessKeys", Reply: awstest.QueryError(404, "NoSuchEntity", "The user with name jane-roe-test cannot be found.")}},
			steps:  []string{"read-access-keys=failed"},
			err:    "IAM user jane-roe-test no longer exists", is: remediate.ErrGone,
		},
		{
			name: "throttled list is retried",
			req:  taReq(),
			script: []awstest.Expect{
				{Op: "ListAccessKeys", Reply: awstest.QueryError(400, "Throttling", "Rate exceeded")},
				{Op: "ListAccessKeys", Reply: listKeys("jane-roe-test", [2]string{exposedKey, "Active"})},
				update,
			},
			steps: []string{"read-access-keys=read", "deactivate-access-key=changed"},
		},
		{
			name: "access denied on UpdateAccessKey",
			req:  taReq(),
			script: []awstest.Expect{
				{Op: "ListAccessKeys", Reply: listKeys("jane-roe-test", [2]string{exposedKey, "Active"})},
				{Op: "UpdateAccessKey", Reply: awstest.QueryError(403, "AccessDenied", "User is not authorized to perform: iam:UpdateAccessKey")},
			},
			steps: []string{"read-access-keys=read", "deactivate-access-key=failed"},
			err:   "step deactivate-access-key: access denied to iam:UpdateAccessKey",
		},
		{
			name: "temporary credentials are not applicable",
			req:  remediate.Request{Resources: res("AwsIamAccessKey", "AWS::IAM::AccessKey:ASIAEXAMPLETEMP0001")},
			err:  "temporary credential", is: remediate.ErrNotApplicable,
		},
		{
			name: "root keys are not applicable",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"resource":{"accessKeyDetails":{"accessKeyId":"AKIAROOTKEY000000001","userName":"Root","userType":"Root"}}}}`)},
			err:  "root user", is: remediate.ErrNotApplicable,
		},
		{
			name: "no key at all",
			req:  remediate.Request{Resources: res("AwsEc2Instance", "i-1")},
			err:  "names no access key", is: remediate.ErrNotApplicable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "iam-deactivate-access-key", pbEnv(srv, tt.dry), &tt.req)
			log.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.rollback != "" && (len(r.Rollback) != 1 || r.Rollback[0] != tt.rollback) {
				t.Errorf("rollback %q, want %q", r.Rollback, tt.rollback)
			}
		})
	}
	log.check(t, "iam-deactivate-access-key")
}

package playbook

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

func getUser(name string) awstest.Reply {
	return iamXML("GetUser", `<User><Path>/</Path><UserName>`+name+`</UserName><UserId>AIDAEXAMPLE000000001</UserId><Arn>arn:aws:iam::111122223333:user/`+name+`</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate></User>`)
}

func getRole(name, path string) awstest.Reply {
	return iamXML("GetRole", `<Role><Path>`+path+`</Path><RoleName>`+name+`</RoleName><RoleId>AROAEXAMPLE000000001</RoleId><Arn>arn:aws:iam::111122223333:role`+path+name+`</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument><MaxSessionDuration>7200</MaxSessionDuration></Role>`)
}

// inlinePolicy is a Get{User,Role}Policy answer; IAM URL-encodes the
// document.
func inlinePolicy(op, name, doc string) awstest.Reply {
	return iamXML(op, `<PolicyName>`+name+`</PolicyName><PolicyDocument>`+url.PathEscape(doc)+`</PolicyDocument>`)
}

func noSuchEntity() awstest.Reply {
	return awstest.QueryError(404, "NoSuchEntity", "The policy cannot be found.")
}

// policyDoc checks the PolicyName and the decoded PolicyDocument of a
// Put{User,Role}Policy call.
func policyDoc(name string, want map[string]any) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		if got := c.Form.Get("PolicyName"); got != name {
			t.Errorf("%s: PolicyName %q, want %q", c.Op, got, name)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(c.Form.Get("PolicyDocument")), &got); err != nil {
			t.Fatalf("%s: PolicyDocument is not JSON: %v", c.Op, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: PolicyDocument %v, want %v", c.Op, got, want)
		}
	}
}

var denyAllWant = map[string]any{"Version": "2012-10-17", "Statement": []any{
	map[string]any{"Sid": "WardenQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"},
}}

var revokeWant = map[string]any{"Version": "2012-10-17", "Statement": []any{
	map[string]any{"Sid": "WardenRevokeSessionswarden42", "Effect": "Deny", "Action": "*", "Resource": "*",
		"Condition": map[string]any{"DateLessThan": map[string]any{"aws:TokenIssueTime": "2026-01-31T09:00:00Z"}}},
}}

// assumedRoleEvent is a CloudTrail record made by a role session.
var assumedRoleEvent = json.RawMessage(`{"detail":{"eventName":"GetSecretValue","userIdentity":{"type":"AssumedRole",
  "arn":"arn:aws:sts::111122223333:assumed-role/Deployer/i-0abc","sessionContext":{"sessionIssuer":{"type":"Role","userName":"Deployer","arn":"arn:aws:iam::111122223333:role/Deployer"}}}}}`)

func TestIAMQuarantinePrincipal(t *testing.T) {
	var log actionLog
	userReq := func() remediate.Request {
		return remediate.Request{Resources: res("AwsIamUser", "arn:aws:iam::111122223333:user/mallory")}
	}
	roleReq := func() remediate.Request { return remediate.Request{Doc: assumedRoleEvent} }
	tests := []struct {
		name   string
		dry    bool
		req    remediate.Request
		script []awstest.Expect
		steps  []string
		err    string
		is     error
		notes  string
	}{
		{
			name: "user: deny-all put",
			req:  userReq(),
			script: []awstest.Expect{
				{Op: "GetUser", Check: form("UserName", "mallory"), Reply: getUser("mallory")},
				{Op: "GetUserPolicy", Check: checks(form("UserName", "mallory"), form("PolicyName", "WardenQuarantine")), Reply: noSuchEntity()},
				{Op: "PutUserPolicy", Check: checks(form("UserName", "mallory"), policyDoc("WardenQuarantine", denyAllWant)), Reply: iamEmpty("PutUserPolicy")},
			},
			steps: []string{"read-principal=read", "attach-deny-all=changed"},
			notes: "deactivate the keys",
		},
		{
			name: "user already quarantined (another layout of the same policy)",
			req:  userReq(),
			script: []awstest.Expect{
				{Op: "GetUser", Reply: getUser("mallory")},
				{Op: "GetUserPolicy", Reply: inlinePolicy("GetUserPolicy", "WardenQuarantine", `{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": ["*"], "Resource": ["*"]}}`)},
			},
			steps: []string{"read-principal=read", "attach-deny-all=unchanged"},
		},
		{
			name: "user's quarantine policy weakened by someone: put again",
			req:  userReq(),
			script: []awstest.Expect{
				{Op: "GetUser", Reply: getUser("mallory")},
				{Op: "GetUserPolicy", Reply: inlinePolicy("GetUserPolicy", "WardenQuarantine", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}`)},
				{Op: "PutUserPolicy", Check: policyDoc("WardenQuarantine", denyAllWant), Reply: iamEmpty("PutUserPolicy")},
			},
			steps: []string{"read-principal=read", "attach-deny-all=changed"},
		},
		{
			name: "role from the caller of a CloudTrail event: deny-all and revoke older sessions",
			req:  roleReq(),
			script: []awstest.Expect{
				{Op: "GetRole", Check: form("RoleName", "Deployer"), Reply: getRole("Deployer", "/")},
				{Op: "GetRolePolicy", Check: form("PolicyName", "WardenQuarantine"), Reply: noSuchEntity()},
				{Op: "PutRolePolicy", Check: checks(form("RoleName", "Deployer"), policyDoc("WardenQuarantine", denyAllWant)), Reply: iamEmpty("PutRolePolicy")},
				{Op: "GetRolePolicy", Check: form("PolicyName", "WardenRevokeSessions"), Reply: noSuchEntity()},
				{Op: "PutRolePolicy", Check: checks(form("RoleName", "Deployer"), policyDoc("WardenRevokeSessions", revokeWant)), Reply: iamEmpty("PutRolePolicy")},
			},
			steps: []string{"read-principal=read", "attach-deny-all=changed", "revoke-older-sessions=changed"},
			notes: "sessions issued before 2026-01-31T09:00:00Z stay denied",
		},
		{
			name: "role: second run of the same case changes nothing",
			req:  roleReq(),
			script: []awstest.Expect{
				{Op: "GetRole", Reply: getRole("Deployer", "/")},
				{Op: "GetRolePolicy", Reply: inlinePolicy("GetRolePolicy", "WardenQuarantine", policyJSON(denyStatement("WardenQuarantine", nil)))},
				{Op: "GetRolePolicy", Reply: inlinePolicy("GetRolePolicy", "WardenRevokeSessions", `{"Version":"2012-10-17","Statement":[{"Sid":"WardenRevokeSessionswarden42","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-01-31T08:00:00Z"}}}]}`)},
			},
			steps: []string{"read-principal=read", "attach-deny-all=unchanged", "revoke-older-sessions=unchanged"},
		},
		{
			name: "role: an older case's cut-off is moved forward",
			req:  remediate.Request{Params: map[string]any{"role_name": "Deployer"}},
			script: []awstest.Expect{
				{Op: "GetRole", Reply: getRole("Deployer", "/")},
				{Op: "GetRolePolicy", Reply: inlinePolicy("GetRolePolicy", "WardenQuarantine", policyJSON(denyStatement("WardenQuarantine", nil)))},
				{Op: "GetRolePolicy", Reply: inlinePolicy("GetRolePolicy", "WardenRevokeSessions", `{"Version":"2012-10-17","Statement":[{"Sid":"WardenRevokeSessionswarden7","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2025-12-01T00:00:00Z"}}}]}`)},
				{Op: "PutRolePolicy", Check: policyDoc("WardenRevokeSessions", revokeWant), Reply: iamEmpty("PutRolePolicy")},
			},
			steps: []string{"read-principal=read", "attach-deny-all=unchanged", "revoke-older-sessions=changed"},
		},
		{
			name: "role: dry run reads and changes nothing",
			dry:  true,
			req:  roleReq(),
			script: []awstest.Expect{
				{Op: "GetRole", Reply: getRole("Deployer", "/")},
				{Op: "GetRolePolicy", Reply: noSuchEntity()},
				{Op: "GetRolePolicy", Reply: noSuchEntity()},
			},
			steps: []string{"read-principal=read", "attach-deny-all=would-change", "revoke-older-sessions=would-change"},
		},
		{
			name: "throttled read is retried",
			req:  userReq(),
			script: []awstest.Expect{
				{Op: "GetUser", Reply: awstest.QueryError(400, "Throttling", "Rate exceeded")},
				{Op: "GetUser", Reply: getUser("mallory")},
				{Op: "GetUserPolicy", Reply: inlinePolicy("GetUserPolicy", "WardenQuarantine", policyJSON(denyStatement("WardenQuarantine", nil)))},
			},
			steps: []string{"read-principal=read", "attach-deny-all=unchanged"},
		},
		{
			name:   "user gone",
			req:    userReq(),
			script: []awstest.Expect{{Op: "GetUser", Reply: awstest.QueryError(404, "NoSuchEntity", "The user with name mallory cannot be found.")}},
			steps:  []string{"read-principal=failed"},
			err:    "IAM user mallory no longer exists", is: remediate.ErrGone,
		},
		{
			name: "access denied on PutRolePolicy",
			req:  roleReq(),
			script: []awstest.Expect{
				{Op: "GetRole", Reply: getRole("Deployer", "/")},
				{Op: "GetRolePolicy", Reply: noSuchEntity()},
				{Op: "PutRolePolicy", Reply: awstest.QueryError(403, "AccessDenied", "not authorized to perform iam:PutRolePolicy")},
			},
			steps: []string{"read-principal=read", "attach-deny-all=failed"},
			err:   "step attach-deny-all: access denied to iam:PutRolePolicy",
		},
		{
			name: "Warden's own role is refused before any call",
			req:  remediate.Request{Resources: res("AwsIamRole", "arn:aws:iam::111122223333:role/WardenRemediation")},
			err:  `refusing to quarantine role WardenRemediation: it matches protected principal "WardenRemediation"`, is: remediate.ErrNotApplicable,
		},
		{
			name:   "protect glob on the live ARN",
			req:    remediate.Request{Params: map[string]any{"role_name": "Responder", "protect": []any{"arn:aws:iam::*:role/security/*"}}},
			script: []awstest.Expect{{Op: "GetRole", Reply: getRole("Responder", "/security/")}},
			steps:  []string{"read-principal=failed"},
			err:    `matches protected principal "arn:aws:iam::*:role/security/*"`, is: remediate.ErrNotApplicable,
		},
		{
			name:   "service-linked roles are refused",
			req:    remediate.Request{Params: map[string]any{"role_name": "AWSServiceRoleForConfig"}},
			script: []awstest.Expect{{Op: "GetRole", Reply: getRole("AWSServiceRoleForConfig", "/aws-service-role/config.amazonaws.com/")}},
			steps:  []string{"read-principal=failed"},
			err:    "service-linked role", is: remediate.ErrNotApplicable,
		},
		{
			name: "principal of another account",
			req:  remediate.Request{Resources: res("AwsIamRole", "arn:aws:iam::999999999999:role/Admin")},
			err:  "not the finding's account 111122223333", is: remediate.ErrNotApplicable,
		},
		{
			name: "root",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}}`)},
			err:  "root user", is: remediate.ErrNotApplicable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "iam-quarantine-principal", pbEnv(srv, tt.dry), &tt.req)
			log.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.notes != "" && !strings.Contains(strings.Join(r.Notes, "\n"), tt.notes) {
				t.Errorf("notes %q lack %q", r.Notes, tt.notes)
			}
		})
	}
	log.check(t, "iam-quarantine-principal")
}

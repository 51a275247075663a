package playbook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/wardenhq/warden/internal/remediate"
)

// IAMQuarantinePrincipal cuts an IAM user or role off: it puts an inline
// policy named WardenQuarantine that denies every action, and for a role
// also an inline policy that denies every action to sessions issued
// before now (aws:TokenIssueTime, the IAM console's "revoke active
// sessions"), which stays useful after the quarantine is lifted: stolen
// session tokens remain dead. Both are checked first (GetUserPolicy,
// GetRolePolicy) so a second run changes nothing.
//
// The principal is the parameter user_name or role_name, else the
// AwsIamUser or AwsIamRole resource, else the principal the finding names
// (GuardDuty accessKeyDetails, CloudTrail userIdentity, the actor ARN).
// It must be in the finding's account. The playbook refuses Warden's own
// role — the names or ARN globs of the parameter protect, and always
// WardenRemediation — service-linked roles and the root user, and says
// why.
type IAMQuarantinePrincipal struct{}

// Name implements remediate.Playbook.
func (IAMQuarantinePrincipal) Name() string { return "iam-quarantine-principal" }

// Policy names the playbook puts.
const (
	QuarantinePolicyName     = "WardenQuarantine"
	RevokeSessionsPolicyName = "WardenRevokeSessions"
)

// defaultProtected is always protected: the default remediation role name.
const defaultProtected = "WardenRemediation"

type principal struct {
	kind, name string // kind: "user" or "role"
}

// Run implements remediate.Playbook.
func (IAMQuarantinePrincipal) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	pr, err := quarantineTarget(req, parseDoc(req.Doc))
	if err != nil {
		return err
	}
	protect := append(paramStrings(req, "protect"), defaultProtected)
	if p := protectedBy(protect, pr.name, ""); p != "" {
		return notApplicable("refusing to quarantine %s %s: it matches protected principal %q (Warden's own role must keep working)", pr.kind, pr.name, p)
	}
	client := iam.NewFromConfig(env.AWS)
	now := clock(env)().UTC().Truncate(time.Second)

	var arnStr string
	var maxSession int32
	err = rec.Step("read-principal", false, func(s *remediate.Step) error {
		var info map[string]any
		var err error
		if pr.kind == "user" {
			s.Request = map[string]any{"operation": "iam:GetUser", "user_name": pr.name}
			var out *iam.GetUserOutput
			if out, err = client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(pr.name)}); err == nil {
				u := out.User
				arnStr = aws.ToString(u.Arn)
				info = map[string]any{"arn": arnStr, "user_id": aws.ToString(u.UserId), "path": aws.ToString(u.Path), "created": fmtTime(u.CreateDate)}
			}
		} else {
			s.Request = map[string]any{"operation": "iam:GetRole", "role_name": pr.name}
			var out *iam.GetRoleOutput
			if out, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(pr.name)}); err == nil {
				r := out.Role
				arnStr, maxSession = aws.ToString(r.Arn), aws.ToInt32(r.MaxSessionDuration)
				info = map[string]any{"arn": arnStr, "role_id": aws.ToString(r.RoleId), "path": aws.ToString(r.Path), "created": fmtTime(r.CreateDate), "max_session_duration_s": maxSession}
				if strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/") {
					return notApplicable("role %s is a service-linked role: AWS manages its permissions", pr.name)
				}
			}
		}
		if err != nil {
			if errorCode(err) == "NoSuchEntity" {
				return goneError(fmt.Sprintf("IAM %s %s no longer exists", pr.kind, pr.name), err)
			}
			return callError("iam:Get"+title(pr.kind), err)
		}
		if p := protectedBy(protect, pr.name, arnStr); p != "" {
			return notApplicable("refusing to quarantine %s: it matches protected principal %q (Warden's own role must keep working)", arnStr, p)
		}
		s.Before, s.Detail = info, pr.kind+" "+arnStr
		return nil
	})
	if err != nil {
		return err
	}
	rec.Evidence("principal", map[string]any{"type": pr.kind, "name": pr.name, "arn": arnStr})

	deny := policyJSON(denyStatement(QuarantinePolicyName, nil))
	err = rec.Step("attach-deny-all", true, func(s *remediate.Step) error {
		existing, err := getInlinePolicy(ctx, client, pr, QuarantinePolicyName)
		if err != nil {
			return err
		}
		if existing != "" {
			s.Before = map[string]any{"policy_name": QuarantinePolicyName, "document": existing}
		}
		if deniesAll(existing) {
			s.Status, s.Detail = remediate.StepUnchanged, pr.kind+" "+pr.name+" already has the deny-all policy "+QuarantinePolicyName
			return nil
		}
		s.Request = map[string]any{"operation": "iam:Put" + title(pr.kind) + "Policy", pr.kind + "_name": pr.name, "policy_name": QuarantinePolicyName, "document": deny}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would put deny-all policy "+QuarantinePolicyName+" on "+pr.kind+" "+pr.name
			return nil
		}
		if err := putInlinePolicy(ctx, client, pr, QuarantinePolicyName, deny); err != nil {
			return err
		}
		s.After = map[string]any{"policy_name": QuarantinePolicyName, "document": deny}
		s.Status, s.Detail = remediate.StepChanged, "deny-all policy "+QuarantinePolicyName+" put on "+pr.kind+" "+pr.name
		rec.Rollback(fmt.Sprintf("aws iam delete-%s-policy --%s-name %s --policy-name %s", pr.kind, pr.kind, pr.name, QuarantinePolicyName))
		return nil
	})
	if err != nil {
		return err
	}
	if pr.kind == "user" {
		rec.Note(fmt.Sprintf("IAM user %s can call no API while %s is attached. Its access keys and console password still exist: deactivate the keys (iam-deactivate-access-key) and reset the password before lifting the quarantine.", pr.name, QuarantinePolicyName))
		return nil
	}
	if !paramBool(req, "revoke_sessions", true) {
		rec.Note(fmt.Sprintf("Role %s can do nothing while %s is attached; older sessions were not revoked (revoke_sessions: false).", pr.name, QuarantinePolicyName))
		return nil
	}

	sid := revokeSid(req.CaseID)
	revoke := policyJSON(denyStatement(sid, map[string]any{"DateLessThan": map[string]string{"aws:TokenIssueTime": now.Format(time.RFC3339)}}))
	err = rec.Step("revoke-older-sessions", true, func(s *remediate.Step) error {
		existing, err := getInlinePolicy(ctx, client, pr, RevokeSessionsPolicyName)
		if err != nil {
			return err
		}
		if existing != "" {
			s.Before = map[string]any{"policy_name": RevokeSessionsPolicyName, "document": existing}
		}
		if revokes(existing, sid, now) {
			s.Status, s.Detail = remediate.StepUnchanged, "sessions of role "+pr.name+" issued before this case are already revoked"
			return nil
		}
		s.Request = map[string]any{"operation": "iam:PutRolePolicy", "role_name": pr.name, "policy_name": RevokeSessionsPolicyName, "document": revoke}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would deny sessions of role "+pr.name+" issued before "+now.Format(time.RFC3339)
			return nil
		}
		if err := putInlinePolicy(ctx, client, pr, RevokeSessionsPolicyName, revoke); err != nil {
			return err
		}
		s.After = map[string]any{"policy_name": RevokeSessionsPolicyName, "document": revoke}
		s.Status, s.Detail = remediate.StepChanged, "sessions of role "+pr.name+" issued before "+now.Format(time.RFC3339)+" are denied"
		hours := int32(12)
		if maxSession > 0 {
			hours = (maxSession + 3599) / 3600
		}
		rec.Rollback(fmt.Sprintf("after %s (sessions issued before it have expired): aws iam delete-role-policy --role-name %s --policy-name %s",
			now.Add(time.Duration(hours)*time.Hour).Format(time.RFC3339), pr.name, RevokeSessionsPolicyName))
		return nil
	})
	if err != nil {
		return err
	}
	rec.Note(fmt.Sprintf("Role %s can do nothing while %s is attached; sessions issued before %s stay denied by %s even after the quarantine is lifted. Find how the role's credentials were obtained before lifting it.", pr.name, QuarantinePolicyName, now.Format(time.RFC3339), RevokeSessionsPolicyName))
	return nil
}

// quarantineTarget resolves the user or role to quarantine.
func quarantineTarget(req *remediate.Request, doc docTree) (principal, error) {
	if u := paramString(req, "user_name"); u != "" {
		return principal{"user", u}, nil
	}
	if r := paramString(req, "role_name"); r != "" {
		return principal{"role", r}, nil
	}
	var candidates []principal
	check := func(id, kind string) (principal, bool, error) {
		if id == "" {
			return principal{}, false, nil
		}
		name, acct, ok := iamName(id, kind)
		if !ok {
			return principal{}, false, nil
		}
		if acct != "" && req.AccountID != "" && acct != req.AccountID {
			return principal{}, false, notApplicable("%s is in account %s, not the finding's account %s", id, acct, req.AccountID)
		}
		return principal{kind, name}, true, nil
	}
	for _, c := range []struct{ id, kind string }{
		{resourceID(req, "AwsIamUser"), "user"},
		{resourceID(req, "AwsIamRole"), "role"},
	} {
		p, ok, err := check(c.id, c.kind)
		if err != nil {
			return principal{}, err
		}
		if ok {
			return p, nil
		}
	}
	// What the finding says about the caller.
	typ := first(doc.event("resource", "accessKeyDetails", "userType"),
		doc.str("Resources", "Details", "AwsIamAccessKey", "PrincipalType"),
		doc.event("userIdentity", "type"))
	switch typ {
	case "Root":
		return principal{}, notApplicable("the principal is the root user: it cannot be quarantined with an IAM policy (follow the root-user-activity runbook)")
	case "IAMUser":
		candidates = append(candidates, principal{"user", first(doc.event("userIdentity", "userName"),
			doc.event("resource", "accessKeyDetails", "userName"),
			doc.str("Resources", "Details", "AwsIamAccessKey", "PrincipalName"))})
	case "AssumedRole", "Role":
		candidates = append(candidates, principal{"role", first(doc.event("userIdentity", "sessionContext", "sessionIssuer", "userName"),
			doc.event("resource", "accessKeyDetails", "userName"),
			doc.str("Resources", "Details", "AwsIamAccessKey", "SessionContext", "SessionIssuer", "UserName"))})
	}
	for _, c := range candidates {
		if c.name != "" {
			return c, nil
		}
	}
	for _, id := range []string{doc.event("userIdentity", "arn"), req.Actor} {
		for _, kind := range []string{"user", "role"} {
			p, ok, err := check(id, kind)
			if err != nil {
				return principal{}, err
			}
			if ok && strings.HasPrefix(id, "arn:") {
				return p, nil
			}
		}
	}
	return principal{}, notApplicable("the finding names no IAM user or role (no AwsIamUser/AwsIamRole resource, no IAM caller, no user_name/role_name parameter)")
}

// protectedBy returns the protect entry (a name or ARN, '*' matching any
// run of characters) that matches the principal's name or ARN, or "".
func protectedBy(protect []string, name, arn string) string {
	for _, p := range protect {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, ".*") + "$")
		if re.MatchString(name) || (arn != "" && re.MatchString(arn)) {
			return p
		}
	}
	return ""
}

func title(kind string) string {
	if kind == "" {
		return ""
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}

// revokeSid tags the revoke statement with the case, so a rerun of the
// same case finds its own cut-off instead of moving it.
func revokeSid(caseID string) string {
	var b strings.Builder
	b.WriteString("WardenRevokeSessions")
	for _, r := range caseID {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

func denyStatement(sid string, cond map[string]any) map[string]any {
	st := map[string]any{"Sid": sid, "Effect": "Deny", "Action": "*", "Resource": "*"}
	if cond != nil {
		st["Condition"] = cond
	}
	return st
}

func policyJSON(statements ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b)
}

// getInlinePolicy returns the decoded document of a user's or role's
// inline policy, "" when there is none.
func getInlinePolicy(ctx context.Context, c *iam.Client, pr principal, name string) (string, error) {
	var doc *string
	var err error
	if pr.kind == "user" {
		var out *iam.GetUserPolicyOutput
		if out, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(pr.name), PolicyName: aws.String(name)}); err == nil {
			doc = out.PolicyDocument
		}
	} else {
		var out *iam.GetRolePolicyOutput
		if out, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(pr.name), PolicyName: aws.String(name)}); err == nil {
			doc = out.PolicyDocument
		}
	}
	if err != nil {
		if errorCode(err) == "NoSuchEntity" {
			return "", nil // no such policy (a vanished principal was caught by read-principal)
		}
		return "", callError("iam:Get"+title(pr.kind)+"Policy", err)
	}
	// IAM returns policy documents URL-encoded (RFC 3986).
	s, uerr := url.PathUnescape(aws.ToString(doc))
	if uerr != nil {
		s = aws.ToString(doc)
	}
	return s, nil
}

func putInlinePolicy(ctx context.Context, c *iam.Client, pr principal, name, doc string) error {
	var err error
	if pr.kind == "user" {
		_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(pr.name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	} else {
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(pr.name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	}
	if err != nil {
		if errorCode(err) == "NoSuchEntity" {
			return goneError(fmt.Sprintf("IAM %s %s was deleted", pr.kind, pr.name), err)
		}
		return callError("iam:Put"+title(pr.kind)+"Policy", err)
	}
	return nil
}

// policyStatement is the part of an IAM statement the checks read.
type policyStatement struct {
	Sid         string          `json:"Sid"`
	Effect      string          `json:"Effect"`
	Action      json.RawMessage `json:"Action"`
	NotAction   json.RawMessage `json:"NotAction"`
	Resource    json.RawMessage `json:"Resource"`
	NotResource json.RawMessage `json:"NotResource"`
	Condition   map[string]map[string]json.RawMessage
}

func statements(doc string) []policyStatement {
	var d struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return nil
	}
	var list []policyStatement
	if json.Unmarshal(d.Statement, &list) == nil {
		return list
	}
	var one policyStatement
	if json.Unmarshal(d.Statement, &one) == nil {
		return []policyStatement{one}
	}
	return nil
}

// isStar reports whether an Action or Resource element is "*" or
// contains it.
func isStar(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		for _, v := range l {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// deniesAll reports whether a policy has an unconditional deny of every
// action on every resource.
func deniesAll(doc string) bool {
	for _, st := range statements(doc) {
		if st.Effect == "Deny" && isStar(st.Action) && isStar(st.Resource) && len(st.NotAction) == 0 && len(st.NotResource) == 0 && len(st.Condition) == 0 {
			return true
		}
	}
	return false
}

// revokes reports whether a revoke policy already denies every action to
// sessions issued before this case (its statement carries the case's Sid)
// or before a time at or after now.
func revokes(doc, sid string, now time.Time) bool {
	for _, st := range statements(doc) {
		if st.Effect != "Deny" || !isStar(st.Action) || !isStar(st.Resource) || len(st.Condition) != 1 {
			continue
		}
		raw, ok := st.Condition["DateLessThan"]["aws:TokenIssueTime"]
		if !ok {
			continue
		}
		if st.Sid == sid {
			return true
		}
		var ts string
		if json.Unmarshal(raw, &ts) == nil {
			if t, err := time.Parse(time.RFC3339, ts); err == nil && !t.Before(now) {
				return true
			}
		}
	}
	return false
}

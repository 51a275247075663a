// Package remediate holds the playbook library. This file is the catalog:
// what each playbook is called, whether it is destructive, which parameters
// it takes and which IAM actions it needs. The policy loader checks rules
// against it and the strategy matrix reads the destructive flag from it.
package remediate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ParamType is the type of a playbook parameter.
type ParamType string

// Parameter types.
const (
	ParamString   ParamType = "string"
	ParamBool     ParamType = "bool"
	ParamInt      ParamType = "int"
	ParamStrings  ParamType = "strings"
	ParamDuration ParamType = "duration"
)

// Param declares one playbook parameter.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	Doc      string
}

// Spec describes a playbook.
type Spec struct {
	Name        string
	Description string
	// Destructive playbooks can break a running workload; the strategy
	// matrix treats them with more care.
	Destructive bool
	Params      []Param
	// IAMActions lists what the playbook's role needs, for `warden
	// iam-policy`.
	IAMActions []string
}

// Catalog lists every playbook Warden knows, by name.
var Catalog = map[string]Spec{
	"ec2-isolate": {
		Name:        "ec2-isolate",
		Description: "Isolate an EC2 instance: capture metadata, termination protection, isolation security group, detach from Auto Scaling and load balancers, snapshot volumes, tag Quarantine=<case>.",
		Destructive: true,
		Params: []Param{
			{Name: "isolation_group_name", Type: ParamString, Doc: "name of the per-VPC isolation security group (default warden-isolation)"},
			{Name: "snapshot", Type: ParamBool, Doc: "snapshot every EBS volume (default true)"},
			{Name: "detach_from_asg", Type: ParamBool, Doc: "detach from Auto Scaling groups (default true)"},
			{Name: "replace_in_asg", Type: ParamBool, Doc: "let the Auto Scaling group launch a replacement (default false: the desired capacity is decremented)"},
			{Name: "cut_tracked_connections", Type: ParamBool, Doc: "also deny the instance's addresses in its subnets' network ACLs, which ends tracked connections (default false)"},
		},
		IAMActions: []string{
			"ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceAttribute",
			"ec2:DescribeSecurityGroups", "ec2:CreateSecurityGroup", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
			"ec2:ModifyNetworkInterfaceAttribute", "ec2:DescribeNetworkAcls", "ec2:CreateNetworkAclEntry",
			"ec2:DescribeSnapshots", "ec2:CreateSnapshot", "ec2:CreateTags",
			"autoscaling:DescribeAutoScalingInstances", "autoscaling:DetachInstances",
			"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
			"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DeregisterTargets",
		},
	},
	"cloudtrail-restart-logging": {
		Name:        "cloudtrail-restart-logging",
		Description: "StartLogging on the trail that was stopped and report who stopped it.",
		Params: []Param{
			{Name: "trail_name", Type: ParamString, Doc: "trail name or ARN; default: the finding's trail (resource or requestParameters.name)"},
		},
		IAMActions: []string{"cloudtrail:GetTrailStatus", "cloudtrail:StartLogging", "cloudtrail:LookupEvents"},
	},
	"iam-deactivate-access-key": {
		Name:        "iam-deactivate-access-key",
		Description: "Set an exposed or misused access key to Inactive.",
		Destructive: true,
		Params: []Param{
			{Name: "access_key_id", Type: ParamString, Doc: "the key (AKIA...); default: the finding's access key"},
			{Name: "user_name", Type: ParamString, Doc: "the key's IAM user; default: the finding's user, else the key's owner per GetAccessKeyLastUsed"},
		},
		IAMActions: []string{"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"},
	},
	"iam-quarantine-principal": {
		Name:        "iam-quarantine-principal",
		Description: "Attach a deny-all inline policy to a user or role and revoke older role sessions.",
		Destructive: true,
		Params: []Param{
			{Name: "user_name", Type: ParamString, Doc: "quarantine this IAM user instead of the finding's principal"},
			{Name: "role_name", Type: ParamString, Doc: "quarantine this IAM role instead of the finding's principal"},
			{Name: "protect", Type: ParamStrings, Doc: "names or ARN globs never quarantined (Warden's own role); WardenRemediation always is"},
			{Name: "revoke_sessions", Type: ParamBool, Doc: "for roles, also deny sessions issued before now (default true)"},
		},
		IAMActions: []string{"iam:GetUser", "iam:GetRole", "iam:GetUserPolicy", "iam:GetRolePolicy", "iam:PutUserPolicy", "iam:PutRolePolicy"},
	},
	"s3-block-public-access": {
		Name:        "s3-block-public-access",
		Description: "Turn on all four S3 Block Public Access settings of a bucket.",
		Destructive: true,
		Params: []Param{
			{Name: "bucket", Type: ParamString, Doc: "bucket name; default: the finding's bucket"},
		},
		IAMActions: []string{"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
	},
	"sg-revoke-world-ingress": {
		Name:        "sg-revoke-world-ingress",
		Description: "Remove ingress rules open to 0.0.0.0/0 or ::/0 from a security group.",
		Destructive: true,
		Params:      []Param{{Name: "ports", Type: ParamStrings, Doc: "only rules reaching these ports or ranges (e.g. 22, 3389, 0-65535); default all rules"}},
		IAMActions:  []string{"ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"},
	},
	"ssm-capture-memory": {
		Name:        "ssm-capture-memory",
		Description: "Run an SSM command document on the instance to capture its memory.",
		Params: []Param{
			{Name: "document", Type: ParamString, Doc: "SSM document name (default AWS-RunShellScript)"},
			{Name: "commands", Type: ParamStrings, Doc: "the document's commands parameter (default: an avml or LiME capture to /var/tmp/warden/<case>)"},
			{Name: "output_s3_bucket", Type: ParamString, Doc: "S3 bucket for the command output and, with the default commands, the memory image"},
		},
		IAMActions: []string{"ssm:DescribeInstanceInformation", "ssm:ListCommands", "ssm:SendCommand", "ssm:GetCommandInvocation"},
	},
	"securityhub-update": {
		Name:        "securityhub-update",
		Description: "Update the finding in Security Hub: workflow status, note, severity, user-defined fields.",
		Params: []Param{
			{Name: "workflow_status", Type: ParamString, Doc: "NEW, NOTIFIED, RESOLVED or SUPPRESSED"},
			{Name: "note", Type: ParamString, Doc: "note text (at most 512 characters), written by \"warden\""},
			{Name: "severity", Type: ParamString, Doc: "severity label: INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL"},
			{Name: "user_defined_fields", Type: ParamStrings, Doc: "key=value entries merged into the finding's user-defined fields"},
		},
		IAMActions: []string{"securityhub:GetFindings", "securityhub:BatchUpdateFindings"},
	},
	"http-request": {
		Name:        "http-request",
		Description: "A templated call to a third-party security platform.",
		Params: []Param{
			{Name: "method", Type: ParamString, Doc: "GET, POST (default), PUT, PATCH or DELETE"},
			{Name: "url", Type: ParamString, Required: true, Doc: "https URL (http only to localhost); may hold {secret}"},
			{Name: "headers", Type: ParamStrings, Doc: "\"Name: value\" entries; a value may hold {secret}"},
			{Name: "body", Type: ParamString, Doc: "Go text/template over the request; every value must go through json, e.g. {{json .Title}}"},
			{Name: "secret", Type: ParamString, Doc: "secret reference (env:, file:, ssm:, secretsmanager:)"},
			{Name: "timeout", Type: ParamDuration, Doc: "per attempt, e.g. 10s (default), at most 2m"},
		},
	},
	"root-user-activity": {
		Name:        "root-user-activity",
		Description: "Runbook: list what root did recently (CloudTrail LookupEvents: source IPs, user agents, MFA, calls, what it created); changes nothing. Paging and the ticket come from the rule's routing.",
		Params: []Param{
			{Name: "lookback", Type: ParamDuration, Doc: "how far back to look (default 24h, at most 90 days)"},
			{Name: "username", Type: ParamString, Doc: "event history user name to look up (default root)"},
			{Name: "max_events", Type: ParamInt, Doc: "most events kept as evidence (default 200)"},
			{Name: "regions", Type: ParamStrings, Doc: "regions to search (default: the finding's region and the partition's global-events region)"},
		},
		IAMActions: []string{"cloudtrail:LookupEvents"},
	},
}

// Lookup returns the spec of a playbook.
func Lookup(name string) (Spec, bool) {
	s, ok := Catalog[name]
	return s, ok
}

// Names returns the playbook names, sorted.
func Names() []string {
	out := make([]string, 0, len(Catalog))
	for n := range Catalog {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CheckParams validates rule-supplied parameters against the spec and
// returns one error per problem, each naming the parameter.
func (s Spec) CheckParams(params map[string]any) []error {
	var errs []error
	known := map[string]Param{}
	for _, p := range s.Params {
		known[p.Name] = p
		if _, ok := params[p.Name]; p.Required && !ok {
			errs = append(errs, fmt.Errorf("params: %q is required by playbook %s", p.Name, s.Name))
		}
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p, ok := known[n]
		if !ok {
			errs = append(errs, fmt.Errorf("params.%s: playbook %s has no parameter %q", n, s.Name, n))
			continue
		}
		if !typeOK(p.Type, params[n]) {
			errs = append(errs, fmt.Errorf("params.%s: want %s", n, p.Type))
		}
	}
	return errs
}

// ParseDuration reads a playbook duration parameter: Go durations (30s,
// 1h30m) and whole days (7d).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 30s, 24h, 7d)", s)
	}
	return d, nil
}

func typeOK(t ParamType, v any) bool {
	switch t {
	case ParamDuration:
		switch x := v.(type) {
		case string:
			_, err := ParseDuration(x)
			return err == nil
		case int, int64, uint64, float64: // seconds
			return true
		}
		return false
	case ParamBool:
		_, ok := v.(bool)
		return ok
	case ParamInt:
		switch n := v.(type) {
		case int, int64, uint64:
			return true
		case float64:
			return n == float64(int64(n))
		}
		return false
	case ParamStrings:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range l {
			switch e.(type) {
			case string, int, int64, uint64, float64: // ports may be numbers
			default:
				return false
			}
		}
		return true
	default:
		_, ok := v.(string)
		return ok
	}
}

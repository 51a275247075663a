// Package remediate holds the playbook library. This file is the catalog:
// what each playbook is called, whether it is destructive, which parameters
// it takes and which IAM actions it needs. The policy loader checks rules
// against it and the strategy matrix reads the destructive flag from it.
package remediate

import (
	"fmt"
	"sort"
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
			{Name: "isolation_group_name", Type: ParamString, Doc: "name of the per-VPC isolation security group"},
			{Name: "snapshot", Type: ParamBool, Doc: "snapshot every EBS volume (default true)"},
			{Name: "detach_from_asg", Type: ParamBool, Doc: "detach from Auto Scaling groups (default true)"},
			{Name: "cut_tracked_connections", Type: ParamBool, Doc: "also deny the instance's address in the subnet's network ACL"},
		},
		IAMActions: []string{"ec2:DescribeInstances", "ec2:ModifyInstanceAttribute", "ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress", "ec2:ModifyNetworkInterfaceAttribute", "ec2:CreateSnapshot", "ec2:CreateTags", "autoscaling:DescribeAutoScalingInstances", "autoscaling:DetachInstances", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DeregisterTargets"},
	},
	"cloudtrail-restart-logging": {
		Name:        "cloudtrail-restart-logging",
		Description: "StartLogging on the trail that was stopped and report who stopped it.",
		IAMActions:  []string{"cloudtrail:GetTrailStatus", "cloudtrail:StartLogging", "cloudtrail:LookupEvents"},
	},
	"iam-deactivate-access-key": {
		Name:        "iam-deactivate-access-key",
		Description: "Set an exposed or misused access key to Inactive.",
		Destructive: true,
		IAMActions:  []string{"iam:ListAccessKeys", "iam:UpdateAccessKey"},
	},
	"iam-quarantine-principal": {
		Name:        "iam-quarantine-principal",
		Description: "Attach a deny-all inline policy to a user or role and revoke older role sessions.",
		Destructive: true,
		IAMActions:  []string{"iam:GetUser", "iam:GetRole", "iam:PutUserPolicy", "iam:PutRolePolicy"},
	},
	"s3-block-public-access": {
		Name:        "s3-block-public-access",
		Description: "Turn on all four S3 Block Public Access settings of a bucket.",
		Destructive: true,
		IAMActions:  []string{"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
	},
	"sg-revoke-world-ingress": {
		Name:        "sg-revoke-world-ingress",
		Description: "Remove ingress rules open to 0.0.0.0/0 or ::/0 from a security group.",
		Destructive: true,
		Params:      []Param{{Name: "ports", Type: ParamStrings, Doc: "only these ports or ranges (e.g. 22, 3389, 0-65535); default all"}},
		IAMActions:  []string{"ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"},
	},
	"ssm-capture-memory": {
		Name:        "ssm-capture-memory",
		Description: "Run an SSM command document on the instance to capture its memory.",
		Params: []Param{
			{Name: "document", Type: ParamString, Doc: "SSM document name"},
			{Name: "commands", Type: ParamStrings, Doc: "commands passed to the document"},
		},
		IAMActions: []string{"ssm:SendCommand", "ssm:GetCommandInvocation"},
	},
	"securityhub-update": {
		Name:        "securityhub-update",
		Description: "Update the finding in Security Hub: workflow status, note, severity, user-defined fields.",
		Params: []Param{
			{Name: "workflow_status", Type: ParamString},
			{Name: "note", Type: ParamString},
			{Name: "severity", Type: ParamString},
		},
		IAMActions: []string{"securityhub:BatchUpdateFindings"},
	},
	"http-request": {
		Name:        "http-request",
		Description: "A templated call to a third-party security platform.",
		Params: []Param{
			{Name: "method", Type: ParamString},
			{Name: "url", Type: ParamString, Required: true},
			{Name: "headers", Type: ParamStrings},
			{Name: "body", Type: ParamString},
			{Name: "secret", Type: ParamString, Doc: "secret reference (env:, file:, ssm:, secretsmanager:)"},
		},
	},
	"root-user-activity": {
		Name:        "root-user-activity",
		Description: "Runbook: notify at top severity with what root did recently (CloudTrail LookupEvents) and open a ticket; changes nothing.",
		IAMActions:  []string{"cloudtrail:LookupEvents"},
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

func typeOK(t ParamType, v any) bool {
	switch t {
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

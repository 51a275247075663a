// Package deploy generates what must exist in AWS for a policy repo to
// run (DESIGN C13): the least-privilege IAM policy of the playbooks its
// rules use, the engine's AssumeRole policy, and the member-account
// remediation role as a CloudFormation (StackSets-ready) template or
// Terraform JSON. Permissions are generated from the playbook catalog,
// never written by hand.
package deploy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
)

// PolicyVersion is the IAM policy language version.
const PolicyVersion = "2012-10-17"

// PolicyDocument is an IAM policy.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement.
type Statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// Actions returns every action the policy allows, sorted.
func (d PolicyDocument) Actions() []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Action...)
	}
	sort.Strings(out)
	return out
}

// Playbooks returns the playbooks the set's rules remediate with, sorted
// and without repeats.
func Playbooks(ps *policy.Set) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range ps.Rules {
		if r.Remediate == nil || seen[r.Remediate.Playbook] {
			continue
		}
		seen[r.Remediate.Playbook] = true
		out = append(out, r.Remediate.Playbook)
	}
	sort.Strings(out)
	return out
}

// MemberPolicy is the least-privilege policy of the member-account role
// for the playbooks: the catalog's IAM actions, one statement per service,
// actions sorted. Playbooks that call no AWS API (http-request) add
// nothing; the policy has no statement when none does.
func MemberPolicy(playbooks []string) (PolicyDocument, error) {
	byService := map[string]map[string]bool{}
	for _, name := range playbooks {
		spec, ok := remediate.Lookup(name)
		if !ok {
			return PolicyDocument{}, fmt.Errorf("unknown playbook %q (known: %s)", name, strings.Join(remediate.Names(), ", "))
		}
		for _, a := range spec.IAMActions {
			svc, op, ok := strings.Cut(a, ":")
			if !ok || svc == "" || op == "" {
				return PolicyDocument{}, fmt.Errorf("playbook %s: IAM action %q is not service:Action", name, a)
			}
			if byService[svc] == nil {
				byService[svc] = map[string]bool{}
			}
			byService[svc][a] = true
		}
	}
	doc := PolicyDocument{Version: PolicyVersion, Statement: []Statement{}}
	for _, svc := range sortedKeys(byService) {
		doc.Statement = append(doc.Statement, Statement{Sid: sid(svc), Effect: "Allow", Action: sortedKeys(byService[svc]), Resource: "*"})
	}
	return doc, nil
}

// EnginePolicy is what the engine's own role needs to reach the member
// roles: sts:AssumeRole on the role in every account (the role name's
// {account_id} and {region} become wildcards). In the engine account
// itself no role is assumed, so there the engine's role also needs the
// member policy.
func EnginePolicy(roleName, partition string) PolicyDocument {
	if partition == "" {
		partition = "aws"
	}
	name := strings.NewReplacer("{account_id}", "*", "{region}", "*").Replace(roleName)
	return PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
		Sid: "WardenAssumeMemberRole", Effect: "Allow", Action: []string{"sts:AssumeRole"},
		Resource: "arn:" + partition + ":iam::*:role/" + name,
	}}}
}

// sid makes a statement id from a service prefix (letters and digits
// only, as IAM requires).
func sid(service string) string {
	var b strings.Builder
	b.WriteString("Warden")
	up := true
	for _, r := range service {
		switch {
		case r >= 'a' && r <= 'z' && up:
			b.WriteRune(r - 'a' + 'A')
			up = false
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

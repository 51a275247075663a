package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/deploy"
	"github.com/wardenhq/warden/internal/policy"
)

// runIAMPolicy prints the least-privilege IAM policy of the member-account
// remediation role: the catalog's actions of the playbooks the repo's
// rules use. With --engine it prints the engine role's policy instead.
func runIAMPolicy(_ context.Context, env *Env, args []string) int {
	fs := newFlags(env, "iam-policy", "--policy DIR [--engine] [--role-name NAME] [--partition aws]")
	dir := fs.String("policy", "", "policy repo `DIR`")
	engine := fs.Bool("engine", false, "print the engine role's policy (sts:AssumeRole on the member role in every account) instead")
	roleName := fs.String("role-name", "", "member role `NAME` (default: warden.yaml remediation.role_name, else "+deploy.DefaultRoleName+")")
	partition := fs.String("partition", "aws", "AWS `partition` of the member role ARN in the engine policy")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	ps, code := loadPolicy(env, *dir)
	if ps == nil {
		return code
	}
	role := memberRoleName(*roleName, ps)
	playbooks := deploy.Playbooks(ps)
	var doc deploy.PolicyDocument
	if *engine {
		doc = deploy.EnginePolicy(role, *partition)
	} else {
		var err error
		if doc, err = deploy.MemberPolicy(playbooks); err != nil {
			fmt.Fprintln(env.Stderr, "warden iam-policy:", err)
			return ExitUsage
		}
		if len(doc.Statement) == 0 {
			fmt.Fprintf(env.Stderr, "warden iam-policy: no rule in %s remediates with a playbook that calls AWS (%s): the member role needs no permissions\n", *dir, strings.Join(playbooks, ", "))
			return ExitOK
		}
	}
	b, err := deploy.MarshalJSON(doc)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden iam-policy:", err)
		return ExitRuntime
	}
	if _, err := env.Stdout.Write(b); err != nil {
		return ExitRuntime
	}
	if *engine {
		fmt.Fprintf(env.Stderr, "warden iam-policy: the engine role's policy; in the engine account itself no role is assumed, so give the engine role the member policy too (warden iam-policy --policy %s) if Warden remediates there\n", *dir)
	} else {
		fmt.Fprintf(env.Stderr, "warden iam-policy: permissions of role %s for playbooks %s; the engine role needs sts:AssumeRole on it (warden iam-policy --engine), and warden deploy member-role creates it\n", role, strings.Join(playbooks, ", "))
	}
	return ExitOK
}

// memberRoleName is the flag, else warden.yaml's role name, else the
// default.
func memberRoleName(flagValue string, ps *policy.Set) string {
	switch {
	case flagValue != "":
		return flagValue
	case ps.Settings.Remediation.RoleName != "":
		return ps.Settings.Remediation.RoleName
	}
	return deploy.DefaultRoleName
}

package cli

import (
	"context"
	"fmt"

	"github.com/wardenhq/warden/internal/deploy"
)

const deploySynopsis = "member-role --policy DIR [--format cloudformation|cloudformation-json|terraform] [--engine-account ID] [--role-name NAME]"

// runDeploy prints what must exist in AWS for the policy repo. Today:
// `deploy member-role`, the member-account remediation role with the
// least privilege of the repo's playbooks, as a CloudFormation template
// (StackSets-ready) or Terraform JSON.
func runDeploy(_ context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "member-role" {
		fmt.Fprintf(env.Stderr, "Usage: warden deploy %s\n", deploySynopsis)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return ExitOK
		}
		return ExitUsage
	}
	fs := newFlags(env, "deploy member-role", "--policy DIR [--format cloudformation|cloudformation-json|terraform] [--engine-account ID] [--role-name NAME]")
	dir := fs.String("policy", "", "policy repo `DIR`")
	format := fs.String("format", "cloudformation", "output `format`: cloudformation (YAML), cloudformation-json or terraform (.tf.json)")
	engine := fs.String("engine-account", "", "default of the engine account parameter (default: warden.yaml remediation.engine_account)")
	roleName := fs.String("role-name", "", "default of the role name parameter (default: warden.yaml remediation.role_name, else "+deploy.DefaultRoleName+")")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	switch *format {
	case "cloudformation", "cloudformation-json", "terraform":
	default:
		fmt.Fprintf(env.Stderr, "warden deploy member-role: --format %q: want cloudformation, cloudformation-json or terraform\n", *format)
		return ExitUsage
	}
	ps, code := loadPolicy(env, *dir)
	if ps == nil {
		return code
	}
	account := *engine
	if account == "" {
		account = ps.Settings.Remediation.EngineAccount
	}
	m, err := deploy.NewMemberRole(deploy.Playbooks(ps), memberRoleName(*roleName, ps), account)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden deploy member-role:", err)
		return ExitUsage
	}
	var out []byte
	switch *format {
	case "cloudformation":
		out, err = m.CloudFormationYAML()
	case "cloudformation-json":
		out, err = m.CloudFormationJSON()
	default:
		out, err = m.Terraform()
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden deploy member-role:", err)
		return ExitRuntime
	}
	if _, err := env.Stdout.Write(out); err != nil {
		return ExitRuntime
	}
	return ExitOK
}

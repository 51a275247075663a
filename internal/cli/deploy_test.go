package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestDeployMemberRoleExamples(t *testing.T) {
	for _, tt := range []struct{ format, golden string }{
		{"cloudformation", "examples.member-role.cfn.yaml"},
		{"cloudformation-json", "examples.member-role.cfn.json"},
		{"terraform", "examples.member-role.tf.json"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			code, out, errs := runCommand(t, runDeploy, "member-role", "--policy", examples, "--format", tt.format, "--engine-account", "111122223333")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			want, err := os.ReadFile("../deploy/testdata/" + tt.golden)
			if err != nil || out != string(want) {
				t.Errorf("output differs from internal/deploy/testdata/%s (%v):\n%s", tt.golden, err, out)
			}
		})
	}
}

func TestDeployMemberRoleSettings(t *testing.T) {
	dir := repoWith(t, "iam-deactivate-access-key", "remediation:\n  role_name: SecOps-Warden\n  engine_account: \"999988887777\"\n")
	code, out, errs := runCommand(t, runDeploy, "member-role", "--policy", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var tmpl map[string]any
	if err := yaml.Unmarshal([]byte(out), &tmpl); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	params, _ := tmpl["Parameters"].(map[string]any)
	role, _ := params["RoleName"].(map[string]any)
	eng, _ := params["EngineAccountId"].(map[string]any)
	if role["Default"] != "SecOps-Warden" || eng["Default"] != "999988887777" {
		t.Errorf("defaults from warden.yaml not used: %v %v", role, eng)
	}
	code, out, _ = runCommand(t, runDeploy, "member-role", "--policy", dir, "--format", "terraform", "--role-name", "Other")
	var tf map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &tf) != nil || !strings.Contains(out, `"default": "Other"`) || !strings.Contains(out, "iam:UpdateAccessKey") {
		t.Errorf("terraform: exit %d\n%s", code, out)
	}
}

func TestDeployUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{nil, ExitUsage, "Usage: warden deploy member-role"},
		{[]string{"--help"}, ExitOK, "Usage: warden deploy member-role"},
		{[]string{"event-rules"}, ExitUsage, "Usage: warden deploy member-role"},
		{[]string{"member-role", "--policy", examples, "--format", "pulumi"}, ExitUsage, `--format "pulumi"`},
		{[]string{"member-role"}, ExitUsage, "--policy DIR is required"},
		{[]string{"member-role", "--policy", examples, "--engine-account", "12"}, ExitUsage, `engine account "12"`},
		{[]string{"member-role", "--policy", examples, "--role-name", "Warden-{region}"}, ExitUsage, "has placeholders"},
		{[]string{"member-role", "--policy", repoWith(t, "http-request", "")}, ExitUsage, "no member role is needed"},
	}
	for _, tt := range tests {
		code, out, errs := runCommand(t, runDeploy, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.err) || (code != ExitOK && out != "") {
			t.Errorf("deploy %v = %d, stderr %q; want %d, %q", tt.args, code, errs, tt.code, tt.err)
		}
	}
}

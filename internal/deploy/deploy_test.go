package deploy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const examplesDir = "../../examples"

// catalogActions is the union of the playbooks' catalog IAM actions.
func catalogActions(playbooks []string) []string {
	set := map[string]bool{}
	for _, p := range playbooks {
		for _, a := range remediate.Catalog[p].IAMActions {
			set[a] = true
		}
	}
	return sortedKeys(set)
}

func examplesPlaybooks(t *testing.T) []string {
	t.Helper()
	ps, err := policy.Load(examplesDir)
	if err != nil {
		t.Fatalf("loading the example policy repo: %v", err)
	}
	return Playbooks(ps)
}

func TestPlaybooksOfExamples(t *testing.T) {
	got := examplesPlaybooks(t)
	// The example rules (examples/rules/*.yaml) remediate with these.
	for _, want := range []string{"cloudtrail-restart-logging", "ec2-isolate", "iam-deactivate-access-key", "root-user-activity", "s3-block-public-access", "sg-revoke-world-ingress", "ssm-capture-memory"} {
		found := false
		for _, p := range got {
			found = found || p == want
		}
		if !found {
			t.Errorf("playbooks %v lack %s", got, want)
		}
	}
	if !sort.StringsAreSorted(got) {
		t.Errorf("not sorted: %v", got)
	}
}

func TestMemberPolicy(t *testing.T) {
	tests := []struct {
		name      string
		playbooks []string
		sids      []string
		err       string
	}{
		{"one service", []string{"s3-block-public-access"}, []string{"WardenS3"}, ""},
		{"shared actions once", []string{"cloudtrail-restart-logging", "root-user-activity"}, []string{"WardenCloudtrail"}, ""},
		{"grouped and sorted by service", []string{"securityhub-update", "iam-quarantine-principal", "iam-deactivate-access-key"}, []string{"WardenIam", "WardenSecurityhub"}, ""},
		{"no AWS calls", []string{"http-request"}, nil, ""},
		{"unknown", []string{"nope"}, nil, `unknown playbook "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := MemberPolicy(tt.playbooks)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var sids []string
			for _, s := range doc.Statement {
				sids = append(sids, s.Sid)
				if s.Effect != "Allow" || s.Resource != "*" || !sort.StringsAreSorted(s.Action) {
					t.Errorf("statement %+v", s)
				}
				for _, a := range s.Action {
					if !strings.HasPrefix(a, strings.ToLower(strings.TrimPrefix(s.Sid, "Warden"))+":") {
						t.Errorf("%s in statement %s", a, s.Sid)
					}
				}
			}
			if !reflect.DeepEqual(sids, tt.sids) {
				t.Errorf("sids %v, want %v", sids, tt.sids)
			}
			if got, want := doc.Actions(), catalogActions(tt.playbooks); !reflect.DeepEqual(got, want) && len(want) > 0 {
				t.Errorf("actions %v, want %v", got, want)
			}
			if doc.Version != "2012-10-17" {
				t.Errorf("version %q", doc.Version)
			}
		})
	}
}

func TestEnginePolicy(t *testing.T) {
	d := EnginePolicy("sec/Warden-{region}", "aws-cn")
	if len(d.Statement) != 1 || d.Statement[0].Resource != "arn:aws-cn:iam::*:role/sec/Warden-*" || !reflect.DeepEqual(d.Statement[0].Action, []string{"sts:AssumeRole"}) {
		t.Errorf("engine policy %+v", d)
	}
}

func TestNewMemberRoleErrors(t *testing.T) {
	tests := []struct {
		playbooks         []string
		role, engine, err string
	}{
		{[]string{"s3-block-public-access"}, "Warden-{account_id}", "", "has placeholders"},
		{[]string{"s3-block-public-access"}, "bad name", "", "want 1-64 letters"},
		{[]string{"s3-block-public-access"}, "", "12", "engine account \"12\""},
		{[]string{"http-request"}, "", "", "no member role is needed"},
		{nil, "", "", "no rule remediates"},
	}
	for _, tt := range tests {
		_, err := NewMemberRole(tt.playbooks, tt.role, tt.engine)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("NewMemberRole(%v, %q, %q) = %v, want %q", tt.playbooks, tt.role, tt.engine, err, tt.err)
		}
	}
}

// golden compares out with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, out []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/deploy -update)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("%s differs from the golden file (the catalog or the generator changed? review, then go test ./internal/deploy -update):\n%s", name, out)
	}
}

func TestGoldenExamples(t *testing.T) {
	pbs := examplesPlaybooks(t)
	pol, err := MemberPolicy(pbs)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMemberRole(pbs, "", "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	polJSON, _ := MarshalJSON(pol)
	engJSON, _ := MarshalJSON(EnginePolicy(DefaultRoleName, "aws"))
	cfnY, err := m.CloudFormationYAML()
	if err != nil {
		t.Fatal(err)
	}
	cfnJ, err := m.CloudFormationJSON()
	if err != nil {
		t.Fatal(err)
	}
	tf, err := m.Terraform()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "examples.policy.json", polJSON)
	golden(t, "examples.engine-policy.json", engJSON)
	golden(t, "examples.member-role.cfn.yaml", cfnY)
	golden(t, "examples.member-role.cfn.json", cfnJ)
	golden(t, "examples.member-role.tf.json", tf)

	// Every action the catalog lists for the examples' playbooks is in
	// each output, and nothing else.
	want := catalogActions(pbs)
	var cfnYDoc, cfnJDoc, tfDoc, polDoc map[string]any
	if err := yaml.Unmarshal(cfnY, &cfnYDoc); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		b []byte
		v *map[string]any
	}{{cfnJ, &cfnJDoc}, {tf, &tfDoc}, {polJSON, &polDoc}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			t.Fatal(err)
		}
	}
	for name, doc := range map[string]any{
		"policy":    polDoc,
		"cfn yaml":  get(t, cfnYDoc, "Resources", "WardenRemediationRole", "Properties", "Policies", 0, "PolicyDocument"),
		"cfn json":  get(t, cfnJDoc, "Resources", "WardenRemediationRole", "Properties", "Policies", 0, "PolicyDocument"),
		"terraform": get(t, tfDoc, "locals", "remediation_policy"),
	} {
		if got := statementActions(t, doc); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: actions %v, want %v", name, got, want)
		}
	}
}

// get walks a decoded document.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: %T is not an object", k, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at [%d]: %T is not a long enough list", k, v)
			}
			v = l[k]
		}
	}
	return v
}

// statementActions collects the actions of a decoded policy document.
func statementActions(t *testing.T, doc any) []string {
	t.Helper()
	var out []string
	for _, s := range get(t, doc, "Statement").([]any) {
		if get(t, s, "Effect") != "Allow" || get(t, s, "Resource") != "*" {
			t.Errorf("statement %v", s)
		}
		for _, a := range get(t, s, "Action").([]any) {
			out = append(out, a.(string))
		}
	}
	sort.Strings(out)
	return out
}

func TestTemplatesReadBack(t *testing.T) {
	pbs := []string{"cloudtrail-restart-logging", "http-request", "iam-deactivate-access-key", "iam-quarantine-principal", "root-user-activity", "s3-block-public-access", "securityhub-update"}
	want := catalogActions(pbs)
	m, err := NewMemberRole(pbs, "SecResponder", "")
	if err != nil {
		t.Fatal(err)
	}
	checkCFN := func(t *testing.T, tmpl map[string]any) {
		if get(t, tmpl, "AWSTemplateFormatVersion") != "2010-09-09" {
			t.Errorf("format version %v", get(t, tmpl, "AWSTemplateFormatVersion"))
		}
		for _, p := range []string{"EngineAccountId", "ExternalId", "RoleName"} {
			if get(t, tmpl, "Parameters", p, "Type") != "String" {
				t.Errorf("parameter %s missing", p)
			}
		}
		if get(t, tmpl, "Parameters", "RoleName", "Default") != "SecResponder" {
			t.Errorf("role name default %v", get(t, tmpl, "Parameters", "RoleName", "Default"))
		}
		if d := get(t, tmpl, "Parameters", "EngineAccountId", "Default"); d != nil {
			t.Errorf("engine account default %v, want none", d)
		}
		role := get(t, tmpl, "Resources", "WardenRemediationRole")
		if get(t, role, "Type") != "AWS::IAM::Role" || !reflect.DeepEqual(get(t, role, "Properties", "RoleName"), map[string]any{"Ref": "RoleName"}) {
			t.Errorf("role %v", role)
		}
		trust := get(t, role, "Properties", "AssumeRolePolicyDocument", "Statement", 0)
		if get(t, trust, "Action") != "sts:AssumeRole" ||
			!reflect.DeepEqual(get(t, trust, "Condition", "StringEquals", "sts:ExternalId"), map[string]any{"Ref": "ExternalId"}) ||
			!reflect.DeepEqual(get(t, trust, "Principal", "AWS"), map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${EngineAccountId}:root"}) {
			t.Errorf("trust %v", trust)
		}
		if got := statementActions(t, get(t, role, "Properties", "Policies", 0, "PolicyDocument")); !reflect.DeepEqual(got, want) {
			t.Errorf("template actions %v, want %v", got, want)
		}
	}
	t.Run("cloudformation yaml", func(t *testing.T) {
		b, err := m.CloudFormationYAML()
		if err != nil {
			t.Fatal(err)
		}
		var tmpl map[string]any
		if err := yaml.Unmarshal(b, &tmpl); err != nil {
			t.Fatalf("YAML does not parse: %v\n%s", err, b)
		}
		checkCFN(t, tmpl)
	})
	t.Run("cloudformation json", func(t *testing.T) {
		b, err := m.CloudFormationJSON()
		if err != nil {
			t.Fatal(err)
		}
		var tmpl map[string]any
		if err := json.Unmarshal(b, &tmpl); err != nil {
			t.Fatalf("JSON does not parse: %v", err)
		}
		checkCFN(t, tmpl)
	})
	t.Run("terraform", func(t *testing.T) {
		b, err := m.Terraform()
		if err != nil {
			t.Fatal(err)
		}
		var tf map[string]any
		if err := json.Unmarshal(b, &tf); err != nil {
			t.Fatalf("JSON does not parse: %v", err)
		}
		role := get(t, tf, "resource", "aws_iam_role", "warden_remediation")
		if get(t, role, "assume_role_policy") != "${jsonencode(local.trust_policy)}" || get(t, role, "name") != "${var.role_name}" {
			t.Errorf("role %v", role)
		}
		rp := get(t, tf, "resource", "aws_iam_role_policy", "warden_remediation")
		if get(t, rp, "policy") != "${jsonencode(local.remediation_policy)}" || get(t, rp, "role") != "${aws_iam_role.warden_remediation.id}" {
			t.Errorf("role policy %v", rp)
		}
		trust := get(t, tf, "locals", "trust_policy", "Statement", 0)
		if get(t, trust, "Condition", "StringEquals", "sts:ExternalId") != "${var.external_id}" ||
			get(t, trust, "Principal", "AWS") != "arn:${data.aws_partition.current.partition}:iam::${var.engine_account_id}:root" {
			t.Errorf("trust %v", trust)
		}
		for _, v := range []string{"engine_account_id", "external_id", "role_name"} {
			if get(t, tf, "variable", v, "type") != "string" {
				t.Errorf("variable %s missing", v)
			}
		}
		if get(t, tf, "variable", "role_name", "default") != "SecResponder" {
			t.Errorf("role_name default %v", get(t, tf, "variable", "role_name", "default"))
		}
		if got := statementActions(t, get(t, tf, "locals", "remediation_policy")); !reflect.DeepEqual(got, want) {
			t.Errorf("terraform actions %v, want %v", got, want)
		}
	})
}

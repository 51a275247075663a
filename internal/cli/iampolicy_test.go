package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/deploy"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
)

// runCommand calls one command function in-process.
func runCommand(t *testing.T, fn func(context.Context, *Env, []string) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := fn(context.Background(), &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// repoWith writes a minimal policy repo whose one rule runs playbook.
func repoWith(t *testing.T, playbook, settings string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"warden.yaml": "version: 1\n" + settings,
		"rules/r.yaml": "rules:\n  - id: r1\n    match:\n      finding: {ProductName: [GuardDuty]}\n    remediate:\n      playbook: " + playbook +
			"\n      params: {url: 'https://soar.example.com/hook'}\n",
	}
	if playbook != "http-request" {
		files["rules/r.yaml"] = "rules:\n  - id: r1\n    match:\n      finding: {ProductName: [GuardDuty]}\n    remediate:\n      playbook: " + playbook + "\n"
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func examplesActions(t *testing.T) []string {
	t.Helper()
	ps, err := policy.Load(examples)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, p := range deploy.Playbooks(ps) {
		for _, a := range remediate.Catalog[p].IAMActions {
			set[a] = true
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func TestIAMPolicyExamples(t *testing.T) {
	code, out, errs := runCommand(t, runIAMPolicy, "--policy", examples)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc deploy.PolicyDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not a policy: %v\n%s", err, out)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("version %q", doc.Version)
	}
	if got, want := doc.Actions(), examplesActions(t); !reflect.DeepEqual(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	// The same document deploy's golden file holds.
	if want, err := os.ReadFile("../deploy/testdata/examples.policy.json"); err != nil || out != string(want) {
		t.Errorf("stdout differs from internal/deploy/testdata/examples.policy.json (%v)", err)
	}
	if !strings.Contains(errs, "sts:AssumeRole") {
		t.Errorf("stderr lacks the engine note: %q", errs)
	}
}

func TestIAMPolicyEngine(t *testing.T) {
	dir := repoWith(t, "s3-block-public-access", "remediation:\n  role_name: SecOps-Warden\n")
	code, out, errs := runCommand(t, runIAMPolicy, "--policy", dir, "--engine")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc deploy.PolicyDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 || doc.Statement[0].Resource != "arn:aws:iam::*:role/SecOps-Warden" || doc.Statement[0].Action[0] != "sts:AssumeRole" {
		t.Errorf("engine policy %s", out)
	}
}

func TestIAMPolicyUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{nil, ExitUsage, "", "--policy DIR is required"},
		{[]string{"--policy", "/nonexistent"}, ExitUsage, "", "does not load"},
		{[]string{"--bogus"}, ExitUsage, "", "flag provided but not defined"},
		{[]string{"--policy", repoWith(t, "http-request", "")}, ExitOK, "", "the member role needs no permissions"},
		{[]string{"--policy", repoWith(t, "iam-quarantine-principal", "")}, ExitOK, `"iam:PutRolePolicy"`, "iam-quarantine-principal"},
	}
	for _, tt := range tests {
		code, out, errs := runCommand(t, runIAMPolicy, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
			t.Errorf("iam-policy %v = %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, code, out, errs, tt.code, tt.out, tt.err)
		}
	}
}

package policy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestLoadErrors checks the exact, positioned error list for each broken
// repo against testdata/<repo>.golden.
func TestLoadErrors(t *testing.T) {
	for _, name := range []string{"bad-refs", "bad-schema", "bad-pattern", "bad-syntax"} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", name))
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			got := err.Error() + "\n"
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden (run with -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !strings.Contains(line, ":") {
					t.Errorf("error without a position: %q", line)
				}
			}
		})
	}
}

func loadGood(t *testing.T) *Set {
	t.Helper()
	ps, err := Load(filepath.Join("testdata", "good"))
	if err != nil {
		t.Fatalf("Load(good): %v", err)
	}
	return ps
}

func TestLoadGood(t *testing.T) {
	ps := loadGood(t)
	if len(ps.Rules) != 5 {
		t.Fatalf("rules = %d, want 5", len(ps.Rules))
	}
	if got := ps.RenotifyAfter(finding.SeverityCritical); got != 24*time.Hour {
		t.Errorf("RenotifyAfter(CRITICAL) = %v", got)
	}
	if got := ps.RenotifyAfter(finding.SeverityLow); got != 15*24*time.Hour {
		t.Errorf("RenotifyAfter(LOW) = %v", got)
	}
	a, ok := ps.Account("111111111111")
	if !ok || strings.Join(a.Groups, ",") != "pci,prod" {
		t.Errorf("account groups = %v (known %v), want pci,prod", a.Groups, ok)
	}
	if ps.Rules[0].Line != 2 || ps.Rules[0].File != "rules/a.yaml" {
		t.Errorf("rule position = %s:%d", ps.Rules[0].File, ps.Rules[0].Line)
	}
	if ps.ModeFor("prod", true) != ModeTicket || ps.ModeFor("dev", true) != ModeApproval || ps.ModeFor("dev", false) != ModeAuto {
		t.Error("default strategy matrix is not DESIGN C8's")
	}
}

func TestScope(t *testing.T) {
	ps := loadGood(t)
	rule := func(id string) *CompiledRule {
		for _, r := range ps.Rules {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no rule %s", id)
		return nil
	}
	tests := []struct {
		rule, account, region string
		want                  bool
		why                   string
	}{
		{"sandbox-vpc", "333333333333", "us-east-1", true, ""},
		{"sandbox-vpc", "111111111111", "us-east-1", false, "environment prod not listed"},
		{"sandbox-vpc", "999999999999", "us-east-1", false, "environment unknown not listed"},
		{"workloads-only", "111111111111", "us-east-1", false, "account pay-prod excluded"}, // in group pci
		{"workloads-only", "333333333333", "us-east-1", false, "OU /Root/Sandbox not under the listed OUs"},
		{"workloads-only", "444444444444", "us-east-1", false, "OU /Root/WorkloadsOld not under the listed OUs"},
		{"c2", "999999999999", "eu-west-1", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.account, func(t *testing.T) {
			a, _ := ps.Account(tt.account)
			got, why := rule(tt.rule).scope.allows(a, tt.region)
			if got != tt.want || why != tt.why {
				t.Errorf("allows = %v %q, want %v %q", got, why, tt.want, tt.why)
			}
		})
	}
	// exclude-then-include: a region exclusion beats an include.
	r := rule("workloads-only")
	a := ps.Inventory.Accounts()[0]
	a2, _ := ps.Account("222222222222")
	_ = a
	if ok, _ := r.scope.allows(a2, "ap-southeast-2"); ok {
		t.Error("excluded region allowed")
	}
}

func TestSchemaCopiesInDocs(t *testing.T) {
	entries, err := Schemas.ReadDir("schema")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		embedded, _ := Schemas.ReadFile("schema/" + e.Name())
		published, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema", e.Name()))
		if err != nil || string(published) != string(embedded) {
			t.Errorf("docs/schema/%s is missing or stale: copy internal/policy/schema/%s there", e.Name(), e.Name())
		}
	}
}

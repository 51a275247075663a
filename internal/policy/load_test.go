package policy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/route"
	"github.com/wardenhq/warden/internal/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestLoadErrors checks the exact, positioned error list for each broken
// repo against testdata/<repo>.golden.
func TestLoadErrors(t *testing.T) {
	for _, name := range []string{"bad-refs", "bad-schema", "bad-pattern", "bad-syntax", "bad-routes"} {
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

func TestRoutesWithoutRoutesFile(t *testing.T) {
	ps := loadGood(t)
	ms := ps.Routes.Match(route.Map{"finding_id": {"f1"}})
	if len(ms) != 1 || ms[0].Receiver != "sec" || !ms[0].Root || ms[0].GroupKey != `sec/root{finding_id="f1"}` {
		t.Errorf("default.notify as the root route: %+v", ms)
	}
	if ps.SLA(finding.SeverityHigh) != 0 {
		t.Error("SLA without sla settings")
	}
}

func TestRoutesFile(t *testing.T) {
	ps, err := Load(filepath.Join("testdata", "good-routes"))
	if err != nil {
		t.Fatal(err)
	}
	if got := ps.SLA(finding.SeverityCritical); got != 24*time.Hour {
		t.Errorf("SLA(CRITICAL) = %v", got)
	}
	a, _ := ps.Account("111111111111")
	f := &route.Facts{FindingID: "f1", Severity: "HIGH", AccountID: a.ID, Account: enrich.ContextOf(a, true)}
	if ms := ps.Routes.Match(f); len(ms) != 1 || ms[0].RouteID != "prod-pager" || ms[0].Receiver != "pager" {
		t.Errorf("match: %+v", ms)
	}
	noon := time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)
	if muted, until := ps.Routes.Muted("prod-pager", noon); !muted || !until.Equal(noon.Add(30*time.Minute)) {
		t.Errorf("Muted at lunch = %v %s", muted, until)
	}
	// StateFacts: a tracked GuardDuty finding first seen two days ago is
	// overdue (CRITICAL: 1d) and inhibits a Config finding of its account.
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	st := store.State{ID: "gd", Product: "GuardDuty", AccountID: "111111111111", Severity: finding.SeverityCritical,
		Status: store.StatusActive, FirstSeen: now.Add(-48 * time.Hour)}
	src := ps.StateFacts(st, now)
	if !src.Overdue || src.Account.Owner != "pay@example.com" {
		t.Errorf("StateFacts = %+v", src)
	}
	target := &route.Facts{FindingID: "cfg", Product: "Config", AccountID: "111111111111", Account: enrich.ContextOf(a, true)}
	if i, ok := ps.Routes.Inhibited(target, []route.Labels{src}); !ok || ps.Routes.InhibitRules()[i].Name != "gd-first" {
		t.Errorf("not inhibited by an overdue GuardDuty finding")
	}
	st.FirstSeen = now.Add(-time.Hour)
	if _, ok := ps.Routes.Inhibited(target, []route.Labels{ps.StateFacts(st, now)}); ok {
		t.Errorf("inhibited by a GuardDuty finding that is not overdue")
	}
	if d := ps.Routes.Digests(); len(d) != 1 || !d[0].Next(now).Equal(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("digests: %+v", d)
	}
}

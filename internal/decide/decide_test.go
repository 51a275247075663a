package decide

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
)

func loadPolicy(t *testing.T) *policy.Set {
	t.Helper()
	ps, err := policy.Load(filepath.Join("..", "policy", "testdata", "good"))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// mk builds a finding whose Doc is the ASFF document patterns see.
func mk(id, acct, product, control, sev string, types ...string) *finding.Finding {
	s, _ := finding.ParseSeverity(sev)
	doc := map[string]any{
		"Id": id, "ProductName": product, "AwsAccountId": acct, "Region": "us-east-1",
		"Types": types, "Severity": map[string]any{"Label": sev},
		"Compliance":  map[string]any{"Status": "FAILED", "SecurityControlId": control},
		"RecordState": "ACTIVE",
	}
	b, _ := json.Marshal(doc)
	return &finding.Finding{ID: id, Product: product, AccountID: acct, Region: "us-east-1", ControlID: control,
		Types: types, Severity: s, Compliance: "FAILED", RecordState: "ACTIVE", Doc: b,
		Resources: []finding.Resource{{Type: "AwsEc2Instance", ID: "i-1"}}}
}

// decider runs decisions against an in-memory state, like the pipeline.
type decider struct {
	t     *testing.T
	ps    *policy.Set
	state map[string]store.State
	now   time.Time
}

func (d *decider) decide(f *finding.Finding) Record {
	d.t.Helper()
	a, known := d.ps.Account(f.AccountID)
	m, err := d.ps.Match(f, a, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	var prev *store.State
	if s, ok := d.state[f.ID]; ok {
		prev = &s
	}
	rec, st := Decide(d.ps, Input{Finding: f, Prev: prev, Matched: m, Account: a, Known: known, Now: d.now})
	d.state[f.ID] = st
	return rec
}

func summary(r Record) string {
	var acts []string
	for _, a := range r.Actions {
		if a.Type == ActionNotify {
			acts = append(acts, "notify:"+a.Receiver)
		} else {
			acts = append(acts, fmt.Sprintf("%s:%s", a.Playbook, a.Mode))
		}
	}
	return fmt.Sprintf("%s/%s tier=%d rules=%s actions=%s", r.Verdict, r.Reason, r.Tier, strings.Join(r.MatchedRules, ","), strings.Join(acts, ","))
}

func TestDecideSequences(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	c2 := func(acct string) *finding.Finding {
		return mk("gd-"+acct, acct, "GuardDuty", "", "HIGH", "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS")
	}
	type step struct {
		at   time.Duration
		f    *finding.Finding
		want string
	}
	archived := func(f *finding.Finding) *finding.Finding { g := *f; g.RecordState = "ARCHIVED"; return &g }
	severity := func(f *finding.Finding, s finding.Severity) *finding.Finding { g := *f; g.Severity = s; return &g }
	plain := mk("ctl-1", "222222222222", "Security Hub", "IAM.1", "MEDIUM")
	tests := []struct {
		name  string
		steps []step
	}{
		{"c2 in prod: isolate is destructive, so a ticket", []step{
			{0, c2("111111111111"), "remediate/new tier=1 rules=c2 actions=notify:pager,ec2-isolate:ticket"},
		}},
		{"c2 in dev: approval", []step{
			{0, c2("222222222222"), "remediate/new tier=1 rules=c2 actions=notify:pager,ec2-isolate:approval"},
		}},
		{"same version twice is a duplicate, notified once", []step{
			{0, plain, "notify/new tier=3 rules= actions=notify:sec"},
			{time.Hour, plain, "duplicate/duplicate tier=3 rules= actions="},
			{2 * time.Hour, plain, "duplicate/duplicate tier=3 rules= actions="},
		}},
		{"re-notify after 15 days, once", []step{
			{0, plain, "notify/new tier=3 rules= actions=notify:sec"},
			{14 * day, plain, "duplicate/duplicate tier=3 rules= actions="},
			{15 * day, plain, "notify/renotify_due tier=3 rules= actions=notify:sec"},
			{15*day + time.Hour, plain, "duplicate/duplicate tier=3 rules= actions="},
		}},
		{"resolve then reopen", []step{
			{0, plain, "notify/new tier=3 rules= actions=notify:sec"},
			{day, archived(plain), "resolved/resolved tier=3 rules= actions=notify:sec"},
			{2 * day, archived(plain), "duplicate/duplicate tier=3 rules= actions="},
			{3 * day, plain, "reopened/reopened tier=3 rules= actions=notify:sec"},
		}},
		{"severity up escalates", []step{
			{0, plain, "notify/new tier=3 rules= actions=notify:sec"},
			{day, severity(plain, finding.SeverityHigh), "escalate/escalated tier=3 rules= actions=notify:sec"},
			{2 * day, severity(plain, finding.SeverityLow), "duplicate/changed tier=3 rules= actions="},
		}},
		{"accepted risk suppresses, then is a duplicate", []step{
			{0, mk("vpc", "333333333333", "Security Hub", "EC2.2", "HIGH"), "suppressed/new tier=3 rules=sandbox-vpc actions="},
			{day, mk("vpc", "333333333333", "Security Hub", "EC2.2", "HIGH"), "duplicate/duplicate tier=3 rules=sandbox-vpc actions="},
		}},
		{"accepted risk holds through its expiry day, then reopens", []step{
			{0, mk("vpc2", "333333333333", "Security Hub", "EC2.2", "HIGH"), "suppressed/new tier=3 rules=sandbox-vpc actions="},
			// expires 2027-06-30: still suppressed at 23:59 that day
			{time.Date(2027, 6, 30, 23, 59, 0, 0, time.UTC).Sub(t0), mk("vpc2", "333333333333", "Security Hub", "EC2.2", "HIGH"), "duplicate/duplicate tier=3 rules=sandbox-vpc actions="},
			{time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC).Sub(t0), mk("vpc2", "333333333333", "Security Hub", "EC2.2", "HIGH"), "reopened/suppression_expired tier=3 rules=sandbox-vpc actions=notify:sec"},
		}},
		{"expired accepted risk never suppresses", []step{
			{0, mk("s3", "222222222222", "Security Hub", "S3.5", "MEDIUM"), "notify/new tier=3 rules=old-risk actions=notify:sec"},
		}},
		{"ignore rule", []step{
			{0, mk("info", "222222222222", "Security Hub", "X.1", "INFORMATIONAL"), "ignored/new tier=3 rules=noise actions="},
			{day, mk("info", "222222222222", "Security Hub", "X.1", "INFORMATIONAL"), "duplicate/duplicate tier=3 rules=noise actions="},
		}},
		{"first seen already resolved, then failing is new", []step{
			{0, archived(plain), "resolved/resolved tier=3 rules= actions="},
			{day, plain, "notify/new tier=3 rules= actions=notify:sec"},
		}},
		{"ignore does not silence an earlier routing rule", []step{
			{0, mk("gd-info", "222222222222", "GuardDuty", "", "INFORMATIONAL", "TTPs/Command and Control/X"), "remediate/new tier=1 rules=c2,noise actions=notify:pager,ec2-isolate:approval"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &decider{t: t, ps: loadPolicy(t), state: map[string]store.State{}}
			for i, s := range tt.steps {
				d.now = t0.Add(s.at)
				if got := summary(d.decide(s.f)); got != s.want {
					t.Errorf("step %d: got  %s\n               want %s", i, got, s.want)
				}
			}
		})
	}
}

func TestDecideRecordFields(t *testing.T) {
	d := &decider{t: t, ps: loadPolicy(t), state: map[string]store.State{}, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	rec := d.decide(mk("s3", "222222222222", "Security Hub", "S3.5", "MEDIUM"))
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"finding_id", "product", "account_id", "region", "severity", "verdict", "tier", "matched_rules", "enrichment", "actions", "policy_commit", "decided_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("decision record lacks %q (DESIGN §7)", k)
		}
	}
	if len(rec.ExpiredSuppressions) != 1 || !strings.Contains(rec.Notes[0], "expired on 2026-01-31") {
		t.Errorf("expired accepted risk not reported: %+v %v", rec.ExpiredSuppressions, rec.Notes)
	}
	if rec.Enrichment.AccountName != "pay-dev" || rec.Enrichment.Environment != "dev" {
		t.Errorf("enrichment = %+v", rec.Enrichment)
	}
}

func TestDuplicateKeepsRowWithinLastSeenResolution(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d := &decider{t: t, ps: loadPolicy(t), state: map[string]store.State{}, now: t0}
	f := mk("ctl-1", "222222222222", "Security Hub", "IAM.1", "MEDIUM")
	d.decide(f)
	first := d.state[f.ID]
	d.now = t0.Add(59 * time.Minute)
	if r := d.decide(f); r.Verdict != Duplicate {
		t.Fatalf("verdict %s", r.Verdict)
	}
	if d.state[f.ID] != first {
		t.Errorf("unchanged re-report within the hour rewrote the state: %+v", d.state[f.ID])
	}
	d.now = t0.Add(61 * time.Minute)
	d.decide(f)
	if got := d.state[f.ID].LastSeen; !got.Equal(d.now) {
		t.Errorf("last_seen %s, want %s", got, d.now)
	}
}

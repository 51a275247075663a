package decide

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
)

func loadRouted(t *testing.T) *policy.Set {
	t.Helper()
	ps, err := policy.Load(filepath.Join("testdata", "routed"))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// routing summarises the notify actions: receiver:kind@route, with
// +HH:MM when held by a mute.
func routing(r Record) string {
	var out []string
	for _, a := range r.Actions {
		if a.Type != ActionNotify {
			out = append(out, a.Playbook)
			continue
		}
		s := fmt.Sprintf("%s:%s@%s", a.Receiver, a.Kind, a.Route)
		if a.NotBefore != nil {
			s += "+" + a.NotBefore.UTC().Format("15:04")
		}
		out = append(out, s)
	}
	return fmt.Sprintf("%s/%s tier=%d %s", r.Verdict, r.Reason, r.Tier, strings.Join(out, " "))
}

func TestDecideRouting(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	high := mk("ctl", "111111111111", "Security Hub", "S3.8", "HIGH")
	devLow := mk("dev", "222222222222", "Security Hub", "S3.8", "LOW")
	c2 := mk("gd", "111111111111", "GuardDuty", "", "HIGH", "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B")
	resolved := func(f *finding.Finding) *finding.Finding { g := *f; g.Compliance = "PASSED"; return &g }
	type step struct {
		at   time.Duration
		f    *finding.Finding
		want string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"rules first, then routes; the root's fallback is not used", []step{
			{0, high, "notify/new tier=3 chat:firing@ pager:firing@prod-high"},
		}},
		{"repeat_interval 1d overrides 3d; the second reminder escalates; resolution tells everyone", []step{
			{0, high, "notify/new tier=3 chat:firing@ pager:firing@prod-high"},
			{23 * time.Hour, high, "duplicate/duplicate tier=3 "},
			{day, high, "notify/renotify_due tier=3 chat:renotify@ pager:renotify@prod-high"},
			{2*day + time.Hour, high, "escalate/renotify_due tier=3 chat:renotify@ pager:renotify@prod-high owner:renotify@overdue jira:escalated@prod-high"},
			{3*day + time.Hour, high, "notify/renotify_due tier=3 chat:renotify@ pager:renotify@prod-high owner:renotify@overdue jira:renotify@prod-high"},
			{3*day + 2*time.Hour, resolved(high), "resolved/resolved tier=3 chat:resolved@ pager:resolved@prod-high owner:resolved@overdue jira:resolved@prod-high"},
			{3*day + 3*time.Hour, resolved(high), "duplicate/duplicate tier=3 "},
		}},
		{"resolved before the escalation: the escalation receiver is not told", []step{
			{0, high, "notify/new tier=3 chat:firing@ pager:firing@prod-high"},
			{day, high, "notify/renotify_due tier=3 chat:renotify@ pager:renotify@prod-high"},
			{day + time.Hour, resolved(high), "resolved/resolved tier=3 chat:resolved@ pager:resolved@prod-high"},
		}},
		{"resolved before anyone was told: nobody is told", []step{
			{0, resolved(high), "resolved/resolved tier=3 "},
		}},
		{"no rule, no route: the root's fallback; muted at night", []step{
			{0, devLow, "notify/new tier=3 chat:firing@dev-nights"},
			{13 * time.Hour, mk("dev2", "222222222222", "Security Hub", "S3.8", "LOW"), "notify/new tier=3 chat:firing@dev-nights+07:00"},
			{0, mk("prod-low", "999999999999", "Security Hub", "S3.8", "LOW"), "notify/new tier=3 sec:firing@root"},
		}},
		{"tier 1: no fallback, but the tree's routes still apply", []step{
			{0, c2, "remediate/new tier=1 pager:firing@gd chat:firing@ ec2-isolate"},
			{0, mk("fix", "999999999999", "Security Hub", "S3.2", "HIGH"), "remediate/new tier=1 s3-block-public-access"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &decider{t: t, ps: loadRouted(t), state: map[string]store.State{}}
			for i, s := range tt.steps {
				d.now = t0.Add(s.at)
				if got := routing(d.decide(s.f)); got != s.want {
					t.Errorf("step %d: got  %s\n               want %s", i, got, s.want)
				}
			}
		})
	}
}

func TestDecideGroupsAndJSON(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d := &decider{t: t, ps: loadRouted(t), state: map[string]store.State{}, now: now}
	rec := d.decide(mk("gd", "111111111111", "GuardDuty", "", "HIGH", "TTPs/Command and Control/X"))
	var pager, chat *Action
	for i := range rec.Actions {
		switch rec.Actions[i].Receiver {
		case "pager":
			pager = &rec.Actions[i]
		case "chat":
			chat = &rec.Actions[i]
		}
	}
	if pager == nil || chat == nil {
		t.Fatalf("actions %+v", rec.Actions)
	}
	// The rule names pager; the gd route gives it its grouping.
	if pager.Rule != "c2" || pager.Route != "gd" || pager.Group != `pager/gd{account_id="111111111111",resource_id="i-1"}` ||
		pager.GroupLabels["resource_id"] != "i-1" || time.Duration(pager.GroupWait) != 30*time.Second || time.Duration(pager.GroupInterval) != 10*time.Minute {
		t.Errorf("pager action = %+v", pager)
	}
	if chat.Route != "" || chat.Group != `chat/{finding_id="gd"}` || chat.GroupWait != 0 || time.Duration(chat.GroupInterval) != 5*time.Minute {
		t.Errorf("chat action = %+v", chat)
	}
	if due := pager.Due(now); !due.Equal(now.Add(30 * time.Second)) {
		t.Errorf("Due = %s", due)
	}
	// Both encoders the code base uses write durations as text.
	for name, marshal := range map[string]func(any) ([]byte, error){"encoding/json": json.Marshal, "goccy": gojson.Marshal} {
		b, err := marshal(pager)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"kind":"firing"`, `"route":"gd"`, `"group_wait":"30s"`, `"group_interval":"10m0s"`, `"group_labels":{`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: %s lacks %s", name, b, want)
			}
		}
		b, _ = marshal(chat)
		if strings.Contains(string(b), "group_wait") {
			t.Errorf("%s: a zero group_wait is written: %s", name, b)
		}
		var back Action
		if err := json.Unmarshal(b, &back); err != nil || back.Group != chat.Group || back.GroupInterval != chat.GroupInterval {
			t.Errorf("%s: round trip: %+v %v", name, back, err)
		}
	}
}

func TestDecideMutedUntil(t *testing.T) {
	night := time.Date(2026, 11, 25, 22, 30, 0, 0, time.UTC)
	d := &decider{t: t, ps: loadRouted(t), state: map[string]store.State{}, now: night}
	rec := d.decide(mk("dev", "222222222222", "Security Hub", "S3.8", "LOW"))
	a := rec.Actions[0]
	want := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	if a.NotBefore == nil || !a.NotBefore.Equal(want) || !a.Due(night).Equal(want) {
		t.Fatalf("muted action = %+v", a)
	}
	if !strings.Contains(strings.Join(rec.Notes, "\n"), "route dev-nights is muted until 2026-11-26T07:00:00Z") {
		t.Errorf("notes %q", rec.Notes)
	}
}

func TestDecideResolvedUsesNotified(t *testing.T) {
	ps := loadRouted(t)
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f := mk("ctl", "111111111111", "Security Hub", "S3.8", "HIGH")
	a, known := ps.Account(f.AccountID)
	m, _ := ps.Match(f, a, nil)
	_, st := Decide(ps, Input{Finding: f, Matched: m, Account: a, Known: known, Now: t0})
	g := *f
	g.Compliance = "PASSED"
	m2, _ := ps.Match(&g, a, nil)
	// The outbox says sec (a receiver of an older policy) and pager were told.
	rec, st2 := Decide(ps, Input{Finding: &g, Prev: &st, Matched: m2, Account: a, Known: known, Now: t0.Add(time.Hour), Notified: []string{"sec", "pager"}})
	if got := routing(rec); got != "resolved/resolved tier=3 pager:resolved@prod-high sec:resolved@" {
		t.Errorf("got %s", got)
	}
	// A resolution message does not count as a notification.
	if st2.NotifyCount != st.NotifyCount || !st2.LastNotified.Equal(st.LastNotified) {
		t.Errorf("state after resolution: %+v", st2)
	}
}

func TestDecideSLA(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d := &decider{t: t, ps: loadRouted(t), state: map[string]store.State{}, now: t0}
	f := mk("ctl", "111111111111", "Security Hub", "S3.8", "HIGH")
	rec := d.decide(f)
	if rec.SLA == nil || !rec.SLA.Due.Equal(t0.Add(48*time.Hour)) || rec.SLA.Overdue || rec.SLA.Age != 0 {
		t.Fatalf("first sight: %+v", rec.SLA)
	}
	d.now = t0.Add(49 * time.Hour)
	rec = d.decide(f)
	if !rec.SLA.Overdue || time.Duration(rec.SLA.Age) != 49*time.Hour || !rec.Facts().Overdue {
		t.Errorf("after 49h: %+v", rec.SLA)
	}
	b, _ := json.Marshal(rec)
	if !strings.Contains(string(b), `"sla":{"due":"2026-11-27T09:00:00Z","overdue":true,"age":"49h0m0s"}`) {
		t.Errorf("record JSON: %s", b)
	}
	// Resolved: not overdue any more.
	g := *f
	g.Compliance = "PASSED"
	d.now = t0.Add(50 * time.Hour)
	if rec := d.decide(&g); rec.SLA == nil || rec.SLA.Overdue {
		t.Errorf("resolved: %+v", rec.SLA)
	}
	// No SLA for the severity: none in the record.
	d.now = t0
	if rec := d.decide(mk("low", "111111111111", "Security Hub", "S3.8", "LOW")); rec.SLA != nil {
		t.Errorf("LOW has no SLA: %+v", rec.SLA)
	}
}

func TestRecordFacts(t *testing.T) {
	d := &decider{t: t, ps: loadRouted(t), state: map[string]store.State{}, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	rec := d.decide(mk("ctl", "111111111111", "Security Hub", "S3.8", "HIGH"))
	f := rec.Facts()
	for name, want := range map[string]string{
		"finding_id": "ctl", "product": "Security Hub", "severity": "HIGH", "verdict": "notify", "reason": "new",
		"tier": "3", "environment": "prod", "owner": "pay@example.com", "rule": "prod-chat", "resource_id": "i-1", "overdue": "false",
		"account_name": "pay-prod",
	} {
		if got := strings.Join(f.Label(name, nil), ","); got != want {
			t.Errorf("Facts %s = %q, want %q", name, got, want)
		}
	}
}

func TestDryRunNotifications(t *testing.T) {
	ps := loadRouted(t)
	f := mk("ctl", "111111111111", "Security Hub", "S3.8", "HIGH")
	a, known := ps.Account(f.AccountID)
	m, _ := ps.Match(f, a, nil)
	rec, _ := Decide(ps, Input{Finding: f, Matched: m, Account: a, Known: known, Now: time.Now(), DryRun: true})
	for _, a := range rec.Actions {
		if a.Status != StatusDryRun || a.Group == "" {
			t.Errorf("dry-run action %+v", a)
		}
	}
}

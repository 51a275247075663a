package act

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

func TestNewJob(t *testing.T) {
	nb, ex := t0.Add(time.Hour), t0.Add(24*time.Hour)
	req := remediate.Request{FindingID: "f1", AccountID: acctA, Region: testRegion, Resources: []finding.Resource{{Type: "AwsS3Bucket", ID: "b"}}}
	cases := []struct {
		name    string
		a       decide.Action
		ok      bool
		status  store.JobStatus
		due     time.Time
		expires time.Time
	}{
		{"auto", decide.Action{Type: decide.ActionRemediate, Mode: "auto"}, true, store.JobPending, t0, time.Time{}},
		{"delay", decide.Action{Type: decide.ActionRemediate, Mode: "delay", NotBefore: &nb}, true, store.JobPending, nb, time.Time{}},
		{"approval", decide.Action{Type: decide.ActionRemediate, Mode: "approval", Expires: &ex}, true, store.JobWaiting, t0, ex},
		{"ticket", decide.Action{Type: decide.ActionRemediate, Mode: "ticket"}, false, "", time.Time{}, time.Time{}},
		{"unknown mode", decide.Action{Type: decide.ActionRemediate, Mode: "yolo"}, false, "", time.Time{}, time.Time{}},
		{"notify action", decide.Action{Type: decide.ActionNotify, Mode: "auto", Receiver: "team"}, false, "", time.Time{}, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.a.Playbook, c.a.Rule, c.a.Params = testPlaybook, testRule, map[string]any{"x": "y"}
			j, ok := NewJob(c.a, req, t0)
			if ok != c.ok {
				t.Fatalf("ok %v", ok)
			}
			if !ok {
				return
			}
			if j.Kind != store.JobRemediate || j.Status != c.status || j.Target != testPlaybook || j.FindingID != "f1" ||
				j.Requester != "rule:"+testRule || !j.Due.Equal(c.due) || !j.Expires.Equal(c.expires) || !j.Created.Equal(t0) {
				t.Errorf("job %+v", j)
			}
			var got remediate.Request
			if err := json.Unmarshal(j.Payload, &got); err != nil || got.Playbook != testPlaybook || got.Rule != testRule || got.Params["x"] != "y" || got.AccountID != acctA {
				t.Errorf("payload as a request %s: %v", j.Payload, err)
			}
			if p, _ := DecodePayload(&j); p.Mode != c.a.Mode {
				t.Errorf("mode %q", p.Mode)
			}
		})
	}
	// A finding document that is not JSON is left out, not fatal.
	bad := req
	bad.Doc = json.RawMessage(`{not json`)
	j, ok := NewJob(decide.Action{Type: decide.ActionRemediate, Mode: "auto", Playbook: testPlaybook}, bad, t0)
	if !ok || strings.Contains(string(j.Payload), "not json") {
		t.Errorf("bad doc: %v %s", ok, j.Payload)
	}
}

func TestModeOfPlainRequestPayload(t *testing.T) {
	// Jobs whose payload is a plain remediate.Request (no mode).
	p := []byte(`{"finding_id":"f","playbook":"s3-block-public-access"}`)
	cases := []struct {
		j    store.Job
		want string
	}{
		{store.Job{Status: store.JobPending, Due: t0, Created: t0, Payload: p}, "auto"},
		{store.Job{Status: store.JobPending, Due: t0.Add(time.Hour), Created: t0, Payload: p}, "delay"},
		{store.Job{Status: store.JobWaiting, Due: t0, Created: t0, Expires: t0.Add(time.Hour), Payload: p}, "approval"},
		{store.Job{Status: store.JobPending, Due: t0, Created: t0, Expires: t0.Add(time.Hour), Payload: p}, "approval"},
	}
	for _, c := range cases {
		got, err := DecodePayload(&c.j)
		if err != nil || got.Mode != c.want {
			t.Errorf("%+v: mode %q (%v), want %s", c.j, got.Mode, err, c.want)
		}
	}
}

func TestSessionName(t *testing.T) {
	valid := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	cases := []struct {
		job        int64
		rule, find string
		prefix     string
	}{
		{42, "public-buckets", "arn:aws:securityhub:eu-west-1:1:finding/x", "warden-42-public-buckets-"},
		{7, "règle/avec espaces", "f", "warden-7-r_gle_avec_espaces-"},
		{123456789, strings.Repeat("very-long-rule-", 10), "f", "warden-123456789-very-long-rule-"},
		{1, "", "f", "warden-1-"},
	}
	for _, c := range cases {
		got := SessionName(c.job, c.rule, c.find)
		if !valid.MatchString(got) || !strings.HasPrefix(got, c.prefix) {
			t.Errorf("SessionName(%d, %q) = %q", c.job, c.rule, got)
		}
		if got != SessionName(c.job, c.rule, c.find) {
			t.Errorf("not deterministic")
		}
	}
	if SessionName(1, "r", "a") == SessionName(1, "r", "b") {
		t.Errorf("the finding does not show in the session name")
	}
}

func TestLoopGuardGlobs(t *testing.T) {
	cases := []struct {
		name  string
		s     policy.RemediationSettings
		actor string
		hit   bool
	}{
		{"default role session", policy.RemediationSettings{}, "arn:aws:sts::111122223333:assumed-role/WardenRemediation/warden-1", true},
		{"default role itself", policy.RemediationSettings{}, "arn:aws:iam::111122223333:role/WardenRemediation", true},
		{"default role with path", policy.RemediationSettings{}, "arn:aws:iam::111122223333:role/security/WardenRemediation", true},
		{"custom role name", policy.RemediationSettings{RoleName: "Fixer-{region}"}, "arn:aws:sts::1:assumed-role/Fixer-eu-west-1/s", true},
		{"other role", policy.RemediationSettings{}, "arn:aws:sts::111122223333:assumed-role/Admin/alice", false},
		{"similar name", policy.RemediationSettings{}, "arn:aws:iam::111122223333:role/WardenRemediationX", false},
		{"configured glob across slashes", policy.RemediationSettings{WardenPrincipals: []string{"arn:aws:iam::*:user/*warden*"}}, "arn:aws:iam::1:user/svc/warden-engine", true},
		{"question mark", policy.RemediationSettings{WardenPrincipals: []string{"arn:aws:iam::11112222333?:root"}}, "arn:aws:iam::111122223333:root", true},
		{"no actor", policy.RemediationSettings{}, "", false},
		{"gov partition", policy.RemediationSettings{}, "arn:aws-us-gov:sts::1:assumed-role/WardenRemediation/x", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reason, hit := loopGuard(c.s, c.actor)
			if hit != c.hit {
				t.Fatalf("hit %v (%s)", hit, reason)
			}
			if hit && !strings.HasPrefix(reason, "loop guard: actor "+c.actor) {
				t.Errorf("reason %q", reason)
			}
		})
	}
}

func TestKillSwitch(t *testing.T) {
	var nilSwitch *KillSwitch
	if nilSwitch.On() {
		t.Fatal("a nil switch is on")
	}
	k := NewKillSwitch(false)
	if k.On() || !k.Toggle() || !k.On() || k.Toggle() {
		t.Fatal("toggle")
	}
	k.Set(true)
	if !k.On() {
		t.Fatal("set")
	}
}

func TestAnnouncerQueuesOneMessagePerReceiver(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	it := notify.Item{Kind: notify.KindAction, Record: decide.Record{FindingID: "f1", DecidedAt: t0, Actions: []decide.Action{
		{Type: decide.ActionNotify, Receiver: "team"}, {Type: decide.ActionNotify, Receiver: "oncall"}, {Type: decide.ActionRemediate, Playbook: testPlaybook},
	}}, Action: &notify.ActionInfo{JobID: 7, Playbook: testPlaybook, Status: "failed"}}
	if err := Announcer(st)(ctx, it); err != nil {
		t.Fatal(err)
	}
	jobs, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobNotify})
	if err != nil || len(jobs) != 2 {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
	for i, want := range []string{"team", "oncall"} {
		j := jobs[i]
		var p notify.Payload
		if err := json.Unmarshal(j.Payload, &p); err != nil || p.Item == nil || p.Item.Action.JobID != 7 {
			t.Errorf("payload %s: %v", j.Payload, err)
		}
		if j.Target != want || j.Status != store.JobPending || !j.Due.Equal(t0) || j.Requester != "remediation:7" || j.FindingID != "f1" {
			t.Errorf("job %+v", j)
		}
	}
	// No receiver: nothing queued.
	it.Record.Actions = nil
	if err := Announcer(st)(ctx, it); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := st.Jobs(ctx, store.JobFilter{Kind: store.JobNotify}); len(jobs) != 2 {
		t.Errorf("%d jobs", len(jobs))
	}
}

func TestReceivers(t *testing.T) {
	ps := &policy.Set{Settings: policy.Settings{Remediation: policy.RemediationSettings{Escalate: "oncall"}, Default: policy.DefaultRoute{Notify: []string{"sec"}}},
		Rules: []*policy.CompiledRule{{Rule: policy.Rule{ID: "r", Notify: []string{"team", "oncall"}}}, {Rule: policy.Rule{ID: "quiet"}}}}
	cases := []struct {
		rule           string
		escalate, only bool
		want           string
	}{
		{"r", false, false, "team,oncall"},
		{"r", true, false, "team,oncall"},
		{"r", false, true, "oncall"},
		{"quiet", false, false, "sec"},
		{"quiet", true, false, "oncall"},
		{"gone", false, false, "sec"},
	}
	for _, c := range cases {
		if got := strings.Join(receivers(ps, c.rule, c.escalate, c.only), ","); got != c.want {
			t.Errorf("receivers(%s, %v, %v) = %s, want %s", c.rule, c.escalate, c.only, got, c.want)
		}
	}
}
